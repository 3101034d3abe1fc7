package sql

import (
	"context"
	dbsql "database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileInputQuarantine feeds a JSONL file with good rows and every kind of bad row through
// stage 1: each bad row lands in the quarantine with its file, line, field and reason.
func TestFileInputQuarantine(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"id":"a1","question":"What is 2+2?","answer":"4","answer_type":"Integer","category":"Mathematics","difficulty":"Primary School"}`,
		`{"id":"a2","question":"Is water wet?","answer":true,"category":"Other"}`,
		`{"id":"a3","question":"broken json",`,
		`["not", "an", "object"]`,
		`{"id":"a4","question":"","answer":"x"}`,
		`{"id":"a5","question":"No answer here"}`,
		`{"id":"a1","question":"Same id again","answer":"1"}`,
		`{"id":"a6","question":{"nested":1},"answer":"1"}`,
		``,
		`{"question":"no id","answer":"1"}`,
	}
	path := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Open(ctx, filepath.Join(dir, "f.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.UseFiles(ctx, []string{path}); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{
		3:  "invalid JSON",
		4:  "line is not a JSON object",
		5:  "missing field question",
		6:  "missing field answer",
		7:  "duplicate id (first seen at " + path + ":1)",
		8:  "field question: expected a string, got OBJECT",
		10: "missing field id",
	}
	rows, err := p.Conn().QueryContext(ctx, `SELECT input_file, input_row, reason FROM quarantine ORDER BY input_row`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]string{}
	for rows.Next() {
		var f, reason string
		var row int64
		if err := rows.Scan(&f, &row, &reason); err != nil {
			t.Fatal(err)
		}
		if f != path {
			t.Errorf("quarantine row %d: file %q, want %q", row, f, path)
		}
		got[row] = reason
	}
	for row, r := range want {
		if got[row] != r {
			t.Errorf("line %d: reason %q, want %q", row, got[row], r)
		}
	}
	if len(got) != len(want) {
		t.Errorf("quarantine has %d rows, want %d: %v", len(got), len(want), got)
	}
	// kept: a1 and a2 (a boolean answer is accepted and kept as text)
	if n := queryInt(t, p, `SELECT count(*) FROM s1_rows WHERE id IN ('a1', 'a2')`); n != 2 {
		t.Errorf("kept %d of the 2 good rows", n)
	}
	checkConservation(t, p)
}

// TestRerunIdempotentAndRollback: running a stage twice gives the same tables and counts, and a
// stage that fails leaves the previous state untouched.
func TestRerunIdempotentAndRollback(t *testing.T) {
	ctx := context.Background()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	p, err := Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.GenerateSynthetic(ctx, DefaultSynth(3000)); err != nil {
		t.Fatal(err)
	}
	if err := p.UseSynthetic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 4); err != nil {
		t.Fatal(err)
	}
	before := queryInt(t, p, `SELECT (sum(hash(rid, rep_rid)) % 1000000007)::BIGINT FROM near_dup_clusters`)
	out4 := queryInt(t, p, `SELECT rows_out FROM stage_runs WHERE stage = 4`)
	if err := p.Run(ctx, 3, 4); err != nil {
		t.Fatal(err)
	}
	if after := queryInt(t, p, `SELECT (sum(hash(rid, rep_rid)) % 1000000007)::BIGINT FROM near_dup_clusters`); after != before {
		t.Errorf("re-running stages 3-4 changed the clusters")
	}
	if n := queryInt(t, p, `SELECT count(*) FROM stage_counts WHERE stage = 4 AND metric = 'out'`); n != 1 {
		t.Errorf("stage 4 has %d 'out' records after a re-run, want 1", n)
	}
	// make stage 4 fail after its Go step rebuilt near_dup_clusters with other settings: the
	// old clusters, s4_rows and stage_runs must survive
	failAfterStep = "near_dup"
	defer func() { failAfterStep = "" }()
	p.Opt.Bands, p.Opt.RowsPerBand = 2, 2 // a very different clustering, if it were kept
	if err := p.Run(ctx, 4, 4); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("want the injected failure, got %v", err)
	}
	if after := queryInt(t, p, `SELECT (sum(hash(rid, rep_rid)) % 1000000007)::BIGINT FROM near_dup_clusters`); after != before {
		t.Errorf("a failed stage 4 changed near_dup_clusters")
	}
	if n := queryInt(t, p, `SELECT count(*) FROM s4_rows`); n != out4 {
		t.Errorf("after a failed stage 4, s4_rows has %d rows, want the previous %d", n, out4)
	}
	if n := queryInt(t, p, `SELECT rows_out FROM stage_runs WHERE stage = 4`); n != out4 {
		t.Errorf("after a failed stage 4, stage_runs says %d", n)
	}
}

// TestPlainClientReadsDatabase: after a full run, a DuckDB connection without greason's Go
// functions (like the duckdb CLI) opens the file and reads the tables and the output views.
func TestPlainClientReadsDatabase(t *testing.T) {
	ctx := context.Background()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	path := filepath.Join(t.TempDir(), "plain.duckdb")
	p, err := Open(ctx, path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.GenerateSynthetic(ctx, DefaultSynth(2000)); err != nil {
		t.Fatal(err)
	}
	if err := p.UseSynthetic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, LastStage); err != nil {
		t.Fatal(err)
	}
	want := queryInt(t, p, `SELECT count(*) FROM dataset`)
	p.Close()

	db, err := dbsql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`SELECT count(*) FROM stage_runs`, `SELECT count(*) FROM quarantine`, `SELECT count(*) FROM near_dup_clusters`,
		`SELECT count(*) FROM contamination_report`, `SELECT count(*) FROM domain_eval`, `SELECT count(*) FROM answer_format_eval`,
		`SELECT count(*) FROM s8_rows`, `SELECT count(*) FROM verl_rows`,
	} {
		var n int64
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Errorf("plain client: %s: %v", q, err)
		}
	}
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM dataset`).Scan(&n); err != nil || n != want {
		t.Errorf("plain client: dataset has %d rows (%v), want %d", n, err, want)
	}
}

// TestParquetMissingColumn: a parquet file without an answer column is read; every row goes to the
// quarantine with the reason, none is silently dropped.
func TestParquetMissingColumn(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p, err := Open(ctx, filepath.Join(dir, "pq.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	path := filepath.Join(dir, "no_answer.parquet")
	if _, err := p.Conn().ExecContext(ctx, `COPY (SELECT 'q' || i AS id, 'What is ' || i || '?' AS question
		FROM range(25) t(i)) TO '`+path+`' (FORMAT parquet)`); err != nil {
		t.Fatal(err)
	}
	if err := p.UseFiles(ctx, []string{path}); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, p, `SELECT count(*) FROM quarantine WHERE reason = 'missing field answer' AND field = 'answer' AND input_file = ?`, path); n != 25 {
		t.Errorf("%d of 25 rows quarantined as missing the answer", n)
	}
	if n := queryInt(t, p, `SELECT count(*) FROM quarantine WHERE input_row = 1`); n != 1 {
		t.Errorf("parquet rows are not numbered from 1")
	}
}

// TestRebalanceSeed: easy maths is cut to the target share; the same seed keeps the same rows,
// another seed other rows.
func TestRebalanceSeed(t *testing.T) {
	ctx := context.Background()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	opt.EasyMathShare = 0.05
	p, err := Open(ctx, filepath.Join(t.TempDir(), "rb.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.GenerateSynthetic(ctx, DefaultSynth(4000)); err != nil {
		t.Fatal(err)
	}
	if err := p.UseSynthetic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 8); err != nil {
		t.Fatal(err)
	}
	kept := func() int64 {
		return queryInt(t, p, `SELECT (sum(hash(rid)) % 1000000007)::BIGINT FROM row_difficulty WHERE drop_reason IS NULL`)
	}
	dropped := queryInt(t, p, `SELECT count(*) FROM row_difficulty WHERE drop_reason LIKE 'rebalance%'`)
	share := float64(queryInt(t, p, `SELECT (10000 * count(*) FILTER (easy_math) / count(*))::BIGINT FROM s8_rows`)) / 10000
	if dropped == 0 || share > 0.0501 || share < 0.045 {
		t.Errorf("rebalance dropped %d rows, easy maths share %.4f, target 0.05", dropped, share)
	}
	first := kept()
	if err := p.Run(ctx, 8, 8); err != nil {
		t.Fatal(err)
	}
	if kept() != first {
		t.Errorf("same seed, different rows kept")
	}
	p.Opt.Seed = 7
	if err := p.Run(ctx, 8, 8); err != nil {
		t.Fatal(err)
	}
	if kept() == first {
		t.Errorf("another seed kept the same rows")
	}
}
