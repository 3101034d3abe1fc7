package sql

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"strings"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/text/unicode/norm"
)

// stringUDF is a VARCHAR -> VARCHAR scalar function implemented in Go. DuckDB calls it once per
// chunk of rows (up to 2,048), on its worker threads: the input strings are read in place and
// each result is copied into DuckDB's vector, so a row costs no Go allocation when fn appends
// into the buffer it is given. fn returns ok = false for NULL.
type stringUDF struct {
	fn func(dst []byte, s string) (out []byte, ok bool)
}

func (u stringUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: v}
}

func (u stringUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, state *duckdb.ChunkIteratorState) error {
		vec, err := state.GetInputChunk().GetVector(0)
		if err != nil {
			return err
		}
		in, err := duckdb.GetVectorView[string](vec)
		if err != nil {
			return err
		}
		out, err := duckdb.GetVectorWriter[string](state.GetResultVector())
		if err != nil {
			return err
		}
		var buf []byte
		for row := range in.Len() {
			s, valid, err := in.GetValueBorrowed(row)
			if err != nil {
				return err
			}
			if !valid {
				continue // NULL in, NULL out (DuckDB sets it after the call)
			}
			var ok bool
			if buf, ok = u.fn(buf[:0], s); !ok {
				err = out.SetNull(row)
			} else {
				err = out.Set(row, unsafe.String(unsafe.SliceData(buf), len(buf))) // DuckDB copies it
			}
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

// stringFn adapts a string -> string function to stringUDF.
func stringFn(f func(string) (string, bool)) func([]byte, string) ([]byte, bool) {
	return func(dst []byte, s string) ([]byte, bool) {
		out, ok := f(s)
		return append(dst, out...), ok
	}
}

// RegisterFunctions registers the pipeline's Go scalar functions (see registerUDFs) on a
// connection opened elsewhere (greason sql), so every view of the database can be queried.
func RegisterFunctions(c *dbsql.Conn) error { return registerUDFs(c) }

// registerUDFs registers the Go scalar functions the stage files call:
//
//	norm_text(text)   the stage 2 normalisation (NormText: NFKC, case, LaTeX spacing, whitespace)
//	nfkc(text)        Unicode NFKC normal form
//	last_boxed(text)  content of the last \boxed{...} (balanced braces), NULL if none
//	go_step_rows(rid, text, ...)  hands rows to the running Go step (sink.go)
func registerUDFs(c *dbsql.Conn) error {
	udfs := map[string]stringUDF{
		"nfkc":       {fn: stringFn(func(s string) (string, bool) { return norm.NFKC.String(s), true })},
		"last_boxed": {fn: stringFn(LastBoxed)},
		"norm_text":  {fn: func(dst []byte, s string) ([]byte, bool) { return AppendNormText(dst, s), true }},
	}
	for name, u := range udfs {
		if err := duckdb.RegisterScalarUDF(c, name, u); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	if err := duckdb.RegisterScalarUDF(c, "go_step_rows", sinkUDF{}); err != nil {
		return fmt.Errorf("register go_step_rows: %w", err)
	}
	return nil
}

// LastBoxed returns the content of the last \boxed{...} (or \fbox{...}) in s, with nested braces
// balanced; ok is false when s has none or its braces do not close.
func LastBoxed(s string) (string, bool) {
	i := max(strings.LastIndex(s, `\boxed`), strings.LastIndex(s, `\fbox`))
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(s[i:], '{')
	if j < 0 {
		return "", false
	}
	start := i + j + 1
	depth := 1
	for k := start; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[start:k], true
			}
		}
	}
	return "", false
}
