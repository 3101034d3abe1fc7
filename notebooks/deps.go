//go:build notebooks

// Package notebooks pins, in the project's go.mod, the libraries that the notebooks import.
package notebooks

import (
	_ "github.com/janpfeifer/gonb/gonbui"
)
