//go:build notebooks

// Package notebooks pins, in the project's go.mod, every library the GoNB notebooks import (see
// shared/notes/gonb-duckdb-jupyter.md): a notebook requires the project module, so these versions
// are the ones its cells get.
package notebooks

import (
	_ "github.com/duckdb/duckdb-go/v2"
	_ "github.com/go-gota/gota/dataframe"
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
)
