package sql

import (
	dbsql "database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
	"golang.org/x/text/unicode/norm"
)

// stringUDF is a VARCHAR -> VARCHAR scalar function implemented in Go.
type stringUDF struct{ fn func(string) (string, bool) }

func (u stringUDF) Config() duckdb.ScalarFuncConfig {
	v, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{v}, ResultTypeInfo: v}
}

func (u stringUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		s, _ := values[0].(string)
		out, ok := u.fn(s)
		if !ok {
			return nil, nil
		}
		return out, nil
	}}
}

// RegisterFunctions registers the pipeline's Go scalar functions (see registerUDFs) on a
// connection opened elsewhere (greason sql), so every view of the database can be queried.
func RegisterFunctions(c *dbsql.Conn) error { return registerUDFs(c) }

// registerUDFs registers the Go scalar functions the stage files call:
//
//	norm_text(text)   the stage 2 normalisation (NormText: NFKC, case, LaTeX spacing, whitespace)
//	nfkc(text)        Unicode NFKC normal form
//	last_boxed(text)  content of the last \boxed{...} (balanced braces), NULL if none
func registerUDFs(c *dbsql.Conn) error {
	udfs := map[string]stringUDF{
		"nfkc":       {fn: func(s string) (string, bool) { return norm.NFKC.String(s), true }},
		"last_boxed": {fn: LastBoxed},
		"norm_text":  {fn: func(s string) (string, bool) { return NormText(s), true }},
	}
	for name, u := range udfs {
		if err := duckdb.RegisterScalarUDF(c, name, u); err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
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
