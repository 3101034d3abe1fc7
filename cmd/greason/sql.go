package main

import (
	"bufio"
	"context"
	dbsql "database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"os/signal"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/spf13/cobra"

	gsql "github.com/greason/greason/sql"
)

const defaultDB = "data/greason.duckdb" // as `greason data --db`

func init() {
	var db, format string
	var write bool
	cmd := &cobra.Command{
		Use:   "sql [--db FILE] [--format table|csv|json|jsonl] [--write] [QUERY]",
		Short: "Query the pipeline database and run results with SQL (DuckDB built in)",
		Long: `sql runs QUERY, or the statements read from stdin when QUERY is left out, on the
pipeline's DuckDB database (--db, default data/greason.duckdb, made by greason data run),
opened read-only unless --write. Files are reachable through DuckDB's readers, relative to
the working directory (the repository root):

  greason sql "SELECT benchmark, \"group\", avg(correct::INT) * 100 AS acc, count(*) AS n
               FROM read_json_auto('results/runs/*/*.scores.jsonl') GROUP BY ALL ORDER BY ALL"

--db :memory: queries files without a database. The pipeline's Go functions (norm_text, nfkc,
last_boxed) are available, so every table and view can be read. Each statement's result is
printed as an aligned table (cells over 80 characters are shortened with "…"; csv, json and
jsonl print every value in full). A bad statement prints DuckDB's error with its position
(LINE n and a caret) and exits with status 2.`,
		Example: `  greason sql "SELECT stage, name, rows_in, rows_out, dropped FROM stage_runs ORDER BY stage"
  greason sql --format csv "SELECT * FROM dataset LIMIT 100" > sample.csv
  echo "SELECT count(*) FROM dataset; SELECT * FROM quarantine LIMIT 5;" | greason sql`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "csv", "json", "jsonl":
			default:
				return asUserError(fmt.Errorf("--format %q: want table, csv, json or jsonl", format))
			}
			var stmts []statement
			if len(args) == 1 {
				stmts = splitStatements(args[0])
			} else {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return err
				}
				stmts = splitStatements(string(b))
			}
			if len(stmts) == 0 {
				return asUserError(errors.New("no SQL statement given (as an argument or on stdin)"))
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			conn, closeDB, err := openSQL(ctx, db, write)
			if err != nil {
				return err
			}
			defer closeDB()
			w := bufio.NewWriter(cmd.OutOrStdout())
			defer w.Flush()
			for i, st := range stmts {
				if i > 0 && format == "table" {
					fmt.Fprintln(w)
				}
				if err := runStatement(ctx, conn, st.text, format, w); err != nil {
					w.Flush()
					if ctx.Err() != nil {
						return ctx.Err()
					}
					where := ""
					if len(stmts) > 1 {
						where = fmt.Sprintf("statement %d (input line %d): ", i+1, st.line)
					}
					msg := err.Error()
					if !write && strings.Contains(msg, "read-only mode") {
						msg += "\n(greason sql opens the database read-only; --write to change it)"
					}
					return asUserError(fmt.Errorf("%s%s", where, msg))
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", defaultDB, "DuckDB database file, or :memory:")
	f.StringVar(&format, "format", "table", "table, csv, json (one array per statement) or jsonl (one object per row)")
	f.BoolVar(&write, "write", false, "open the database read-write")
	rootCmd.AddCommand(cmd)
}

// openSQL opens the database (read-only unless write) on one connection with the pipeline's
// Go functions registered.
func openSQL(ctx context.Context, path string, write bool) (*dbsql.Conn, func(), error) {
	dsn := ""
	if path != ":memory:" {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, asUserError(fmt.Errorf("no database at %s (%v): make it with greason data run, name another with --db, or use --db :memory: to query files only", path, err))
		}
		dsn = path
		if !write {
			dsn += "?access_mode=read_only"
		}
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := dbsql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := gsql.RegisterFunctions(conn); err != nil {
		conn.Close()
		db.Close()
		return nil, nil, err
	}
	return conn, func() { conn.Close(); db.Close() }, nil
}

// statement is one SQL statement and the input line it starts on.
type statement struct {
	text string
	line int
}

// splitStatements cuts text at the semicolons that end statements: not those inside '...'
// strings, "..." identifiers, $tag$...$tag$ strings, -- comments or /* */ comments. Pieces
// holding nothing but blanks and comments are dropped.
func splitStatements(text string) []statement {
	var out []statement
	start, line, startLine := 0, 1, 1
	hasCode := false
	flush := func(end int) {
		if hasCode {
			out = append(out, statement{text: strings.TrimSpace(text[start:end]), line: startLine})
		}
		start, startLine, hasCode = end+1, line, false
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			line++
			if !hasCode {
				startLine = line
			}
		case c == '\'' || c == '"':
			hasCode = true
			for i++; i < len(text); i++ {
				if text[i] == '\n' {
					line++
				}
				if text[i] == c {
					if i+1 < len(text) && text[i+1] == c { // doubled quote
						i++
						continue
					}
					break
				}
			}
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i-- // the newline is counted by the loop
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				end = len(text) - i - 2
			}
			line += strings.Count(text[i:i+2+end], "\n")
			i += 2 + end + 1
		case c == '$':
			hasCode = true
			if j := strings.IndexByte(text[i+1:], '$'); j >= 0 && isDollarTag(text[i+1:i+1+j]) {
				tag := text[i : i+2+j]
				if end := strings.Index(text[i+len(tag):], tag); end >= 0 {
					line += strings.Count(text[i:i+len(tag)+end], "\n")
					i += len(tag) + end + len(tag) - 1
				}
			}
		case c == ';':
			flush(i)
		case c != ' ' && c != '\t' && c != '\r':
			if !hasCode {
				startLine = line
			}
			hasCode = true
		}
	}
	flush(len(text))
	return out
}

func isDollarTag(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// runStatement runs one statement and prints its rows in format.
func runStatement(ctx context.Context, conn *dbsql.Conn, q, format string, w io.Writer) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	cols := make([]string, len(types))
	for i, t := range types {
		cols[i] = t.Name()
	}
	var out rowWriter
	switch format {
	case "csv":
		out = &csvWriter{w: csv.NewWriter(w)}
	case "json":
		out = &jsonWriter{w: w, array: true}
	case "jsonl":
		out = &jsonWriter{w: w}
	default:
		out = &tableWriter{w: w}
	}
	if err := out.header(cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]any, len(vals))
		for i, v := range vals {
			row[i] = plainValue(v, types[i].DatabaseTypeName())
		}
		if err := out.row(row); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.end()
}

// plainValue turns a scanned DuckDB value into JSON-friendly Go: numbers, strings, bools,
// nil, lists and objects.
func plainValue(v any, dbType string) any {
	switch x := v.(type) {
	case nil, bool, string, int64, int32, int16, int8, uint64, uint32, uint16, uint8, int, uint:
		return x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Sprint(x)
		}
		return x
	case float32:
		return plainValue(float64(x), dbType)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdb.Decimal:
		return json.Number(x.String())
	case duckdb.Interval:
		return fmt.Sprintf("%d months %d days %d µs", x.Months, x.Days, x.Micros)
	case time.Time:
		switch dbType {
		case "DATE":
			return x.Format("2006-01-02")
		case "TIME":
			return x.Format("15:04:05.999999")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case []byte:
		if dbType == "UUID" && len(x) == 16 {
			h := hex.EncodeToString(x)
			return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
		}
		if utf8.Valid(x) {
			return string(x)
		}
		return "base64:" + base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainValue(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plainValue(e, "")
		}
		return out
	case duckdb.OrderedMap:
		out := make(map[string]any, x.Len())
		vals := x.Values()
		for i, k := range x.Keys() {
			out[fmt.Sprint(plainValue(k, ""))] = plainValue(vals[i], "")
		}
		return out
	}
	return fmt.Sprint(v)
}

// cellText is a value as table and csv cells show it: scalars as text, NULL as NULL (table)
// or empty (csv), lists and objects as JSON.
func cellText(v any, null string) string {
	switch x := v.(type) {
	case nil:
		return null
	case string:
		return x
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

type rowWriter interface {
	header(cols []string) error
	row(vals []any) error
	end() error
}

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) header(cols []string) error { return c.w.Write(cols) }
func (c *csvWriter) row(vals []any) error {
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = cellText(v, "")
	}
	return c.w.Write(rec)
}
func (c *csvWriter) end() error { c.w.Flush(); return c.w.Error() }

type jsonWriter struct {
	w     io.Writer
	array bool
	cols  []string
	n     int
}

func (j *jsonWriter) header(cols []string) error {
	j.cols = cols
	if j.array {
		_, err := io.WriteString(j.w, "[")
		return err
	}
	return nil
}

func (j *jsonWriter) row(vals []any) error {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range j.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c)
		v, err := json.Marshal(vals[i])
		if err != nil {
			return err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	sep := "\n"
	if j.array {
		sep = ",\n"
		if j.n == 0 {
			sep = "\n"
		}
		_, err := io.WriteString(j.w, sep+b.String())
		j.n++
		return err
	}
	j.n++
	_, err := io.WriteString(j.w, b.String()+"\n")
	return err
}

func (j *jsonWriter) end() error {
	if j.array {
		_, err := io.WriteString(j.w, "\n]\n")
		return err
	}
	return nil
}

// tableWriter prints an aligned table: numbers right-aligned, long cells shortened.
type tableWriter struct {
	w    io.Writer
	cols []string
	rows [][]string
	num  []bool
}

const maxCell = 80

func (t *tableWriter) header(cols []string) error {
	t.cols = cols
	t.num = make([]bool, len(cols))
	for i := range t.num {
		t.num[i] = true
	}
	return nil
}

func (t *tableWriter) row(vals []any) error {
	cells := make([]string, len(vals))
	for i, v := range vals {
		s := cellText(v, "NULL")
		s = strings.NewReplacer("\n", "\\n", "\t", "\\t", "\r", "\\r").Replace(s)
		if utf8.RuneCountInString(s) > maxCell {
			s = string([]rune(s)[:maxCell-1]) + "…"
		}
		cells[i] = s
		switch v.(type) {
		case nil, int64, int32, int16, int8, uint64, uint32, uint16, uint8, int, uint, float64, json.Number:
		default:
			t.num[i] = false
		}
	}
	t.rows = append(t.rows, cells)
	return nil
}

func (t *tableWriter) end() error {
	width := make([]int, len(t.cols))
	for i, c := range t.cols {
		width[i] = utf8.RuneCountInString(c)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	pad := func(s string, i int) string {
		p := strings.Repeat(" ", width[i]-utf8.RuneCountInString(s))
		if t.num[i] && len(t.rows) > 0 {
			return p + s
		}
		return s + p
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(pad(c, i))
		}
		b.WriteString("\n")
	}
	line(t.cols)
	seps := make([]string, len(t.cols))
	for i := range seps {
		seps[i] = strings.Repeat("-", width[i])
	}
	b.WriteString(strings.Join(seps, "-+-") + "\n")
	for _, r := range t.rows {
		line(r)
	}
	noun := "rows"
	if len(t.rows) == 1 {
		noun = "row"
	}
	fmt.Fprintf(&b, "(%d %s)\n", len(t.rows), noun)
	_, err := io.WriteString(t.w, b.String())
	return err
}
