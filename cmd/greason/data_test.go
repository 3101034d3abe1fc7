package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDataCLI runs `greason data run` on JSONL files given as arguments, then stats and export.
func TestDataCLI(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	rows := `{"id":"a","question":"A ball is thrown upward at 12 m/s. How high does it rise?","answer":"7.3 m","category":"Physics","difficulty":"Senior High School"}
{"id":"b","question":"Which gas do plants absorb during photosynthesis?","answer":"carbon dioxide"}
{"id":"c","question":"no answer"}
`
	if err := os.WriteFile(in, []byte(rows), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "cli.duckdb")
	bench := filepath.Join("..", "..", "benchmarks", "data")
	out, err := runCLI(t, "data", "run", "-q", "--db", db, "--bench-dir", bench, in)
	if err != nil {
		t.Fatalf("data run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ingest") {
		t.Errorf("data run printed no stage table:\n%s", out)
	}
	out, err = runCLI(t, "data", "stats", "-q", "--db", db, "--plots", filepath.Join(dir, "plots"))
	if err != nil {
		t.Fatalf("data stats: %v", err)
	}
	if !strings.Contains(out, "missing field answer") || !strings.Contains(out, "domain.png") {
		t.Errorf("stats output lacks the quarantine reason or the plots:\n%s", out)
	}
	if _, err := runCLI(t, "data", "export", "-q", "--db", db, "--out", filepath.Join(dir, "exp")); err != nil {
		t.Fatalf("data export: %v", err)
	}
	for _, f := range []string{"dataset.jsonl", "dataset.parquet", "verl_train.parquet"} {
		if st, err := os.Stat(filepath.Join(dir, "exp", f)); err != nil || st.Size() == 0 {
			t.Errorf("export %s: %v", f, err)
		}
	}
	if _, err := runCLI(t, "data", "run", "-q", "--db", db, "--bench-dir", bench, "--input", "synthetic:abc"); err == nil ||
		!strings.Contains(err.Error(), "synthetic:N") {
		t.Errorf("bad --input: want a clear error, got %v", err)
	}
	if _, err := runCLI(t, "data", "stats", "--db", filepath.Join(dir, "none.duckdb")); err == nil {
		t.Errorf("stats on a missing database succeeded")
	}
}

// TestDataEmbeddedBenchmarks runs stage 0 outside a checkout: the benchmark sets come from the
// binary's embedded copies, written once to the user cache.
func TestDataEmbeddedBenchmarks(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Chdir(t.TempDir())
	db := filepath.Join(t.TempDir(), "b.duckdb")
	if out, err := runCLI(t, "data", "run", "-q", "--db", db, "--to", "0"); err != nil {
		t.Fatalf("data run --to 0 outside a checkout: %v\n%s", err, out)
	}
	for _, f := range []string{"gpqa_diamond.zip", "mmlu_pro_test.jsonl.gz", "math500_test.jsonl.gz"} {
		if _, err := os.Stat(filepath.Join(cache, "greason", "benchmarks-data", f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := runCLI(t, "data", "run", "-q", "--db", db, "--to", "0", "--bench-dir", "nowhere"); err == nil ||
		!strings.Contains(err.Error(), "nowhere") {
		t.Errorf("an explicit missing --bench-dir: want an error naming it, got %v", err)
	}
}
