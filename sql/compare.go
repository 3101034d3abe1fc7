package sql

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The pipeline's outputs compared as data: every table and view of a database (or every export
// file of a folder), each as a multiset of rows. Two runs are the same when every relation
// holds the same rows; the order rows were stored in and the wall-clock fields of stage_runs
// (seconds, finished_at) do not count. `greason data compare` and the golden test use this.

// Relation is one table or view of a pipeline database.
type Relation struct{ Name, Kind string }

// relationQuery lists the tables and views of database db (the schema main, no temporary or
// internal ones).
func relationQuery(db string) string {
	return fmt.Sprintf(`SELECT table_name, 'table' FROM duckdb_tables() WHERE database_name = '%[1]s' AND schema_name = 'main' AND NOT temporary AND NOT internal
UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE database_name = '%[1]s' AND schema_name = 'main' AND NOT temporary AND NOT internal
ORDER BY 1`, strings.ReplaceAll(db, "'", "''"))
}

func relations(ctx context.Context, c *dbsql.Conn, db string) ([]Relation, error) {
	rows, err := c.QueryContext(ctx, relationQuery(db))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Relation
	for rows.Next() {
		var r Relation
		if err := rows.Scan(&r.Name, &r.Kind); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// selectAll is the query of every compared column of relation name (qualified by db when set):
// stage_runs without its wall-clock columns.
func selectAll(db, name string) string {
	q := quoteIdent(name)
	if db != "" {
		q = quoteIdent(db) + "." + q
	}
	if name == "stage_runs" {
		return "SELECT * EXCLUDE (seconds, finished_at) FROM " + q
	}
	return "SELECT * FROM " + q
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DumpLongText is the length from which Dump writes a text value as the first 12 hex digits of
// its MD5 (keeps a dump small and free of question text).
const DumpLongText = 40

// Dump writes every table and view of the database, each as "== kind name (rows)", a line of
// column names and types, and then its rows sorted, one per line, values tab-separated: NULL as \N, text of DumpLongText
// characters or more as md5:<12 hex digits>, every other value as DuckDB casts it to VARCHAR (doubles
// in their shortest round-trip form). Two databases with the same rows give the same dump.
// replace holds old, new pairs of text replaced in every value first (e.g. a temporary path).
func (p *Pipeline) Dump(ctx context.Context, w io.Writer, replace ...string) error {
	rels, err := relations(ctx, p.conn, p.currentDatabase(ctx))
	if err != nil {
		return err
	}
	for _, r := range rels {
		if err := dumpQuery(ctx, p.conn, w, r.Kind+" "+r.Name, selectAll("", r.Name), replace...); err != nil {
			return err
		}
	}
	return nil
}

// Digest writes one line per table and view of the database: kind and name, column names and
// types, row count and the sum of DuckDB's 64-bit hash of every row (what Compare checks first;
// it depends on DuckDB's hash function, so a DuckDB upgrade may change it).
func (p *Pipeline) Digest(ctx context.Context, w io.Writer) error {
	rels, err := relations(ctx, p.conn, p.currentDatabase(ctx))
	if err != nil {
		return err
	}
	for _, r := range rels {
		q := selectAll("", r.Name)
		cols, types, err := columnTypes(ctx, p.conn, q)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		var n int64
		var sum dbsql.NullString
		if err := p.conn.QueryRowContext(ctx, "SELECT count(*), sum(hash(t)::HUGEINT)::VARCHAR FROM ("+q+") t").Scan(&n, &sum); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		header := make([]string, len(cols))
		for i := range cols {
			header[i] = cols[i] + " " + types[i]
		}
		fmt.Fprintf(w, "%s %s\t%s\t%d\t%s\n", r.Kind, r.Name, strings.Join(header, ", "), n, sum.String)
	}
	return nil
}

func (p *Pipeline) currentDatabase(ctx context.Context) string {
	var db string
	if err := p.conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return "memory"
	}
	return db
}

// dumpQuery writes the rows of q sorted, in Dump's format, under the header title.
func dumpQuery(ctx context.Context, c *dbsql.Conn, w io.Writer, title, q string, replace ...string) error {
	cols, types, err := columnTypes(ctx, c, q)
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	render := make([]string, len(cols))
	for i, col := range cols {
		v := quoteIdent(col) + "::VARCHAR"
		for j := 0; j+1 < len(replace); j += 2 {
			v = fmt.Sprintf("replace(%s, %s, %s)", v, sqlString(replace[j]), sqlString(replace[j+1]))
		}
		render[i] = fmt.Sprintf(`coalesce(CASE WHEN length(%[1]s) >= %[2]d THEN 'md5:' || left(md5(%[1]s), 12) ELSE replace(replace(replace(%[1]s, '\', '\\'), chr(9), '\t'), chr(10), '\n') END, '\N')`, v, DumpLongText)
	}
	line := "concat_ws(chr(9), " + strings.Join(render, ", ") + ")"
	if len(cols) == 0 {
		line = "''"
	}
	rows, err := c.QueryContext(ctx, fmt.Sprintf("SELECT %s AS line FROM (%s) ORDER BY line", line, q))
	if err != nil {
		return fmt.Errorf("%s: %w", title, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		lines = append(lines, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	header := make([]string, len(cols))
	for i := range cols {
		header[i] = cols[i] + " " + types[i]
	}
	fmt.Fprintf(w, "== %s (%d rows)\n%s\n", title, len(lines), strings.Join(header, "\t"))
	for _, s := range lines {
		fmt.Fprintln(w, s)
	}
	return nil
}

func columnsOf(ctx context.Context, c *dbsql.Conn, q string) ([]string, error) {
	cols, _, err := columnTypes(ctx, c, q)
	return cols, err
}

// columnTypes returns the column names of q and their DuckDB types.
func columnTypes(ctx context.Context, c *dbsql.Conn, q string) ([]string, []string, error) {
	rows, err := c.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+q+")")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var cols, types []string
	for rows.Next() {
		var s, ty string
		if err := rows.Scan(&s, &ty); err != nil {
			return nil, nil, err
		}
		cols, types = append(cols, s), append(types, ty)
	}
	return cols, types, rows.Err()
}

// Difference is one relation whose rows differ between two runs (or that only one run has).
type Difference struct {
	Name               string
	RowsA, RowsB       int64 // -1: the relation is missing on that side
	OnlyA, OnlyB       int64 // rows (counted with multiplicity) found on one side only
	ExampleA, ExampleB []string
}

// Compare compares two pipeline outputs, each a DuckDB database file or an export folder
// (dataset.jsonl, dataset.parquet, verl_train.parquet): every relation as a multiset of rows.
// It writes one line per relation to w and returns the relations that differ. Without exact,
// two relations with the same row count and the same sum of 64-bit row hashes count as the
// same (order-independent, one pass, little memory; a difference in any row changes the sum
// but for a 2^-64 chance), and only the others are compared row by row; with exact, every
// relation is compared row by row (EXCEPT ALL both ways: minutes and gigabytes at a million
// rows of text).
func Compare(ctx context.Context, a, b string, w io.Writer, exact bool) ([]Difference, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, err
	}
	db := dbsql.OpenDB(connector)
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := registerUDFs(c); err != nil { // views that call norm_text
		return nil, err
	}
	srcA, err := attachSide(ctx, c, "a", a)
	if err != nil {
		return nil, err
	}
	srcB, err := attachSide(ctx, c, "b", b)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	var order []string
	for _, m := range []map[string]string{srcA, srcB} {
		for n := range m {
			if !names[n] {
				names[n] = true
				order = append(order, n)
			}
		}
	}
	slices.Sort(order)
	var diffs []Difference
	for _, n := range order {
		qa, okA := srcA[n]
		qb, okB := srcB[n]
		d := Difference{Name: n, RowsA: -1, RowsB: -1}
		if okA {
			if err := c.QueryRowContext(ctx, "SELECT count(*) FROM ("+qa+")").Scan(&d.RowsA); err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, a, err)
			}
		}
		if okB {
			if err := c.QueryRowContext(ctx, "SELECT count(*) FROM ("+qb+")").Scan(&d.RowsB); err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, b, err)
			}
		}
		how := "rows"
		if okA && okB {
			ca, ta, err := columnTypes(ctx, c, qa)
			if err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, a, err)
			}
			cb, tb, err := columnTypes(ctx, c, qb)
			if err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, b, err)
			}
			if !slices.Equal(ca, cb) || !slices.Equal(ta, tb) {
				d.ExampleA, d.ExampleB = []string{fmt.Sprint(ca, ta)}, []string{fmt.Sprint(cb, tb)}
				diffs = append(diffs, d)
				fmt.Fprintf(w, "%-10s %-32s columns differ: %v %v / %v %v\n", "DIFFERENT", n, ca, ta, cb, tb)
				continue
			}
		}
		if okA && okB && !exact && d.RowsA == d.RowsB {
			ha, err := rowHashSum(ctx, c, qa)
			if err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, a, err)
			}
			hb, err := rowHashSum(ctx, c, qb)
			if err != nil {
				return nil, fmt.Errorf("%s in %s: %w", n, b, err)
			}
			if ha == hb {
				fmt.Fprintf(w, "%-10s %-32s rows %d / %d, row-hash sums equal\n", "same", n, d.RowsA, d.RowsB)
				continue
			}
			how = "row-hash sums differ"
		}
		if okA && okB {
			if d.OnlyA, d.ExampleA, err = exceptAll(ctx, c, qa, qb); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			if d.OnlyB, d.ExampleB, err = exceptAll(ctx, c, qb, qa); err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
		}
		status := "same"
		if !okA || !okB || d.OnlyA != 0 || d.OnlyB != 0 {
			status = "DIFFERENT"
			diffs = append(diffs, d)
		}
		fmt.Fprintf(w, "%-10s %-32s %s %d / %d, only in A %d, only in B %d\n", status, n, how, d.RowsA, d.RowsB, d.OnlyA, d.OnlyB)
		for _, e := range d.ExampleA {
			fmt.Fprintf(w, "    A only: %s\n", e)
		}
		for _, e := range d.ExampleB {
			fmt.Fprintf(w, "    B only: %s\n", e)
		}
	}
	return diffs, nil
}

// attachSide makes one side of a comparison queryable: a database file is attached read-only
// as alias, an export folder becomes one query per file. It returns name -> query.
func attachSide(ctx context.Context, c *dbsql.Conn, alias, path string) (map[string]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if st.IsDir() {
		for _, f := range ExportFiles {
			fp := filepath.Join(path, f.Name)
			if _, err := os.Stat(fp); err != nil {
				continue
			}
			lit := "'" + strings.ReplaceAll(fp, "'", "''") + "'"
			if strings.HasSuffix(f.Name, ".parquet") {
				out[f.Name] = "SELECT * FROM read_parquet(" + lit + ")"
			} else {
				out[f.Name] = "SELECT * FROM read_json(" + lit + ", format = 'newline_delimited')"
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no export files (%s, ...)", path, ExportFiles[0].Name)
		}
		return out, nil
	}
	lit := "'" + strings.ReplaceAll(path, "'", "''") + "'"
	if _, err := c.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s (READ_ONLY)", lit, alias)); err != nil {
		return nil, fmt.Errorf("attach %s: %w", path, err)
	}
	rels, err := relations(ctx, c, alias)
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		out[r.Name] = selectAll(alias, r.Name)
	}
	return out, nil
}

// rowHashSum is the sum of DuckDB's hash of every row of q (as text: the sum does not overflow).
func rowHashSum(ctx context.Context, c *dbsql.Conn, q string) (string, error) {
	var s dbsql.NullString
	err := c.QueryRowContext(ctx, "SELECT sum(hash(t)::HUGEINT)::VARCHAR FROM ("+q+") t").Scan(&s)
	return s.String, err
}

// exceptAll counts the rows of qa not in qb (with multiplicity) and returns up to 3 of them.
func exceptAll(ctx context.Context, c *dbsql.Conn, qa, qb string) (int64, []string, error) {
	q := "(" + qa + ") EXCEPT ALL (" + qb + ")"
	var n int64
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM ("+q+")").Scan(&n); err != nil {
		return 0, nil, err
	}
	if n == 0 {
		return 0, nil, nil
	}
	rows, err := c.QueryContext(ctx, "SELECT left(CAST(d AS VARCHAR), 300) FROM ("+q+") d LIMIT 3")
	if err != nil {
		return n, nil, err
	}
	defer rows.Close()
	var ex []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return n, nil, err
		}
		ex = append(ex, s)
	}
	return n, ex, rows.Err()
}
