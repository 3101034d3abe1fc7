package sql

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"
)

// TestCompare: two databases with the same rows in another order are the same; a changed
// value, a repeated row, a missing table or a column of another type is found, with and
// without exact.
func TestCompare(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	mk := func(name string, stmts ...string) string {
		path := filepath.Join(dir, name+".duckdb")
		p, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if err := p.exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		p.Close()
		return path
	}
	base := mk("base", `CREATE TABLE t AS SELECT range AS id, 'row ' || range AS s, range / 3 AS x FROM range(1000)`,
		`CREATE VIEW v AS SELECT id, upper(s) AS s FROM t WHERE id % 2 = 0`)
	same := mk("same", `CREATE TABLE t AS SELECT range AS id, 'row ' || range AS s, range / 3 AS x FROM range(1000) ORDER BY random()`,
		`CREATE VIEW v AS SELECT id, upper(s) AS s FROM t WHERE id % 2 = 0`)
	changed := mk("changed", `CREATE TABLE t AS SELECT range AS id, 'row ' || range AS s, CASE WHEN range = 500 THEN 0.5 ELSE range / 3 END AS x FROM range(1000)`,
		`CREATE VIEW v AS SELECT id, upper(s) AS s FROM t WHERE id % 2 = 0`)
	repeated := mk("repeated", `CREATE TABLE t AS SELECT range AS id, 'row ' || range AS s, range / 3 AS x FROM range(1000)`,
		`INSERT INTO t VALUES (7, 'row 7', 7 / 3)`, `CREATE VIEW v AS SELECT id, upper(s) AS s FROM t WHERE id % 2 = 0`)
	missing := mk("missing", `CREATE TABLE t AS SELECT range AS id, 'row ' || range AS s, range / 3 AS x FROM range(1000)`)
	retyped := mk("retyped", `CREATE TABLE t AS SELECT range::INTEGER AS id, 'row ' || range AS s, range / 3 AS x FROM range(1000)`,
		`CREATE VIEW v AS SELECT id, upper(s) AS s FROM t WHERE id % 2 = 0`)
	for _, exact := range []bool{false, true} {
		for _, c := range []struct {
			other string
			want  []string
		}{{same, nil}, {changed, []string{"t"}}, {repeated, []string{"t"}}, {missing, []string{"v"}}, {retyped, []string{"t", "v"}}} {
			diffs, err := Compare(ctx, base, c.other, io.Discard, exact)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range diffs {
				got = append(got, d.Name)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("exact %v, %s: differing relations %v, want %v", exact, filepath.Base(c.other), got, c.want)
			}
		}
	}
}
