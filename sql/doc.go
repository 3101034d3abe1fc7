// Package sql is greason's data pipeline: numbered DuckDB SQL stage files (sql/NN_name.sql,
// embedded in the binary) and the Go runner that executes them against one DuckDB database
// file. Go is used only where SQL cannot do the work at the required speed: the text
// normalisation (NFKC + LaTeX spacing, the scalar function norm_text), MinHash/LSH near-duplicate
// clustering, n-gram decontamination, the naive-Bayes domain classifier, the synthetic generator
// and the WebInstruct downloader. README.md (## Data pipeline) lists the tables and views.
//
// A stage file is read top to bottom. A line `-- @go NAME` runs the Go step NAME at that
// point, on the same connection and inside the same transaction as the SQL around it, so
// a stage either commits as a whole or leaves the database as it was.
//
// The package stays apart from the harness: it must not import harness, benchmarks,
// verify or train.
package sql
