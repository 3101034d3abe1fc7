package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	in := "SELECT 1 AS a;\n-- a comment; not a statement\nSELECT 'x;y''z' AS \"b;c\";  /* ; */ SELECT $$p;q$$ AS c;\n\n  ;  \nSELECT 4 -- trailing; comment\n"
	got := splitStatements(in)
	want := []statement{{"SELECT 1 AS a", 1}, {"-- a comment; not a statement\nSELECT 'x;y''z' AS \"b;c\"", 3}, {"/* ; */ SELECT $$p;q$$ AS c", 3}, {"SELECT 4 -- trailing; comment", 6}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if s := splitStatements("  -- only a comment\n/* and another */ ;"); len(s) != 0 {
		t.Fatalf("comments only: %+v", s)
	}
}

// TestSQLOnPipeline: `greason sql` on a fresh `greason data run` database (read-only), the
// README's query over run results, the micro logs query of docs/training.md, output formats,
// stdin statements, and the errors (position, exit status 2, read-only).
func TestSQLOnPipeline(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"id":"a","question":"A ball is thrown upward at 12 m/s. How high does it rise?","answer":"7.3 m","category":"Physics"}
{"id":"b","question":"Which gas do plants absorb during photosynthesis?","answer":"carbon dioxide"}
{"id":"c","question":"no answer"}
`), 0o644)
	db := filepath.Join(dir, "p.duckdb")
	if out, err := runCLI(t, "data", "run", "-q", "--db", db, "--bench-dir", filepath.Join("..", "..", "benchmarks", "data"), in); err != nil {
		t.Fatalf("data run: %v\n%s", err, out)
	}
	sql := func(args ...string) string {
		t.Helper()
		out, _, err := runCLIStdin(t, "", append([]string{"sql", "--db", db}, args...)...)
		if err != nil {
			t.Fatalf("sql %q: %v", args, err)
		}
		return out
	}
	out := sql("--format", "csv", "SELECT stage, rows_in, rows_out, dropped FROM stage_runs WHERE stage = 1")
	if out != "stage,rows_in,rows_out,dropped\n1,3,2,1\n" {
		t.Fatalf("stage_runs: %q", out)
	}
	// Views that call the pipeline's Go function norm_text (s2_rows) and the final dataset.
	out = sql("--format", "csv", "SELECT (SELECT count(*) FROM s2_rows) AS s2, (SELECT count(*) FROM dataset) AS ds, (SELECT min(reason) FROM quarantine) AS why")
	if out != "s2,ds,why\n2,2,missing field answer\n" {
		t.Fatalf("views: %q", out)
	}
	out = sql("SELECT id, answer FROM dataset ORDER BY id")
	if want := "id | answer        \n---+---------------\na  | 7.3 m         \nb  | carbon dioxide\n(2 rows)\n"; out != want {
		t.Fatalf("table:\n%s\nwant:\n%s", out, want)
	}

	// The README's query over run results, from a folder holding results/runs/.
	work := t.TempDir()
	for run, rows := range map[string][]string{
		"r1": {`{"benchmark":"gsm8k","group":"","id":"1","correct":true}`, `{"benchmark":"gsm8k","group":"","id":"2","correct":false}`, `{"benchmark":"gsm8k","group":"","id":"3","correct":true}`},
		"r2": {`{"benchmark":"mmlu-pro","group":"law","id":"7","correct":false}`, `{"benchmark":"mmlu-pro","group":"math","id":"8","correct":true}`},
	} {
		os.MkdirAll(filepath.Join(work, "results", "runs", run), 0o755)
		os.WriteFile(filepath.Join(work, "results", "runs", run, strings.Split(rows[0], `"`)[3]+".scores.jsonl"), []byte(strings.Join(rows, "\n")+"\n"), 0o644)
	}
	wd, _ := os.Getwd()
	t.Chdir(work)
	readme := `SELECT benchmark, "group", avg(correct::INT) * 100 AS acc, count(*) AS n
FROM read_json_auto('results/runs/*/*.scores.jsonl') GROUP BY ALL ORDER BY ALL;`
	recs, err := csv.NewReader(strings.NewReader(sql("--format", "csv", readme))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	type accRow struct {
		bench, group string
		acc          float64
		n            string
	}
	want := []accRow{{"gsm8k", "", 200.0 / 3, "3"}, {"mmlu-pro", "law", 0, "1"}, {"mmlu-pro", "math", 100, "1"}}
	if len(recs) != len(want)+1 || strings.Join(recs[0], ",") != "benchmark,group,acc,n" {
		t.Fatalf("README query: %q", recs)
	}
	for i, w := range want {
		r := recs[i+1]
		acc, err := strconv.ParseFloat(r[2], 64)
		if err != nil || r[0] != w.bench || r[1] != w.group || math.Abs(acc-w.acc) > 1e-9 || r[3] != w.n {
			t.Fatalf("README query row %d: %q, want %+v", i+1, r, w)
		}
	}
	// docs/training.md's query over the committed micro logs, from the repository root.
	t.Chdir(filepath.Join(wd, "..", ".."))
	out = sql("--format", "jsonl", "SELECT run, step, round(accuracy, 1) AS acc, round(by_domain.math, 1) AS math FROM read_json_auto('results/micro/logs/*_s?.jsonl') WHERE kind = 'eval' ORDER BY run, step")
	if n := strings.Count(out, "\n"); n < 10 || !strings.HasPrefix(out, `{"run":`) || !strings.Contains(out, `"math":`) {
		t.Fatalf("micro logs query: %d rows\n%.300s", n, out)
	}
	t.Chdir(wd)

	// Formats.
	q := `SELECT 1 AS i, 2.5 AS f, 'a,b' AS s, NULL AS n, [1, 2] AS l, {'k': 'v'} AS st, DATE '2025-01-02' AS d`
	if got := sql("--format", "csv", q); got != "i,f,s,n,l,st,d\n1,2.5,\"a,b\",,\"[1,2]\",\"{\"\"k\"\":\"\"v\"\"}\",2025-01-02\n" {
		t.Errorf("csv: %q", got)
	}
	if got := sql("--format", "jsonl", q); got != `{"i":1,"f":2.5,"s":"a,b","n":null,"l":[1,2],"st":{"k":"v"},"d":"2025-01-02"}`+"\n" {
		t.Errorf("jsonl: %q", got)
	}
	if got := sql("--format", "json", "SELECT * FROM range(2) t(x)"); got != "[\n{\"x\":0},\n{\"x\":1}\n]\n" {
		t.Errorf("json: %q", got)
	}
	// Statements on stdin: each result printed.
	got, _, err := runCLIStdin(t, "SELECT 1 AS a;\nSELECT 'x;y' AS b;\n", "sql", "--db", db, "--format", "csv")
	if err != nil || got != "a\n1\nb\nx;y\n" {
		t.Errorf("stdin: %q, %v", got, err)
	}

	// Errors: position, statement, exit status 2, read-only, missing database.
	cmd := greason("sql", "--db", db, "SELECT id FROMM dataset")
	b, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(b), "syntax error") || !strings.Contains(string(b), "LINE 1: SELECT id FROMM dataset") || !strings.Contains(string(b), "^") {
		t.Errorf("bad SQL: %v\n%s", err, b)
	}
	if _, _, err := runCLIStdin(t, "SELECT 1;\n\nSELECT nope FROM dataset;", "sql", "--db", db); err == nil || exitCode(err) != 2 ||
		!strings.Contains(err.Error(), "statement 2 (input line 3)") || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("bad second statement: %v", err)
	}
	if _, _, err := runCLIStdin(t, "", "sql", "--db", db, "CREATE TABLE t AS SELECT 1 AS x"); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--write") {
		t.Errorf("write on a read-only database: %v", err)
	}
	sql("--write", "CREATE TABLE t AS SELECT 1 AS x")
	if got := sql("--format", "csv", "SELECT x FROM t"); got != "x\n1\n" {
		t.Errorf("after --write: %q", got)
	}
	if _, _, err := runCLIStdin(t, "", "sql", "--db", filepath.Join(dir, "none.duckdb"), "SELECT 1"); err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "greason data run") {
		t.Errorf("missing database: %v", err)
	}
	if got, _, err := runCLIStdin(t, "", "sql", "--db", ":memory:", "--format", "csv", "SELECT 42 AS answer"); err != nil || got != "answer\n42\n" {
		t.Errorf(":memory: %q %v", got, err)
	}
}
