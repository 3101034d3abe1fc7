//go:build notebooks

// Package notebooks pins, in go.mod, every library the GoNB notebooks import, so that the
// notebooks' temporary modules resolve the same versions as the project.
package notebooks

import (
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
)
