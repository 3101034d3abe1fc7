package sql

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The corpus pipeline runs once per test binary; the tests below read its database.
var (
	corpusOnce sync.Once
	corpusP    *Pipeline
	corpusErr  error
)

func corpus(t *testing.T) *Pipeline {
	t.Helper()
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "greason-data-test")
		if err != nil {
			corpusErr = err
			return
		}
		opt := DefaultOptions()
		opt.BenchDir = filepath.Join("..", "benchmarks", "data")
		opt.ExportDir = filepath.Join(dir, "export")
		if testing.Verbose() {
			opt.Progress = os.Stderr
		}
		ctx := context.Background()
		p, err := Open(ctx, filepath.Join(dir, "corpus.duckdb"), opt)
		if err != nil {
			corpusErr = err
			return
		}
		if corpusErr = p.RunCorpus(ctx, 0, LastStage); corpusErr != nil {
			return
		}
		corpusP = p
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusP
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusP != nil {
		corpusP.Close()
		os.RemoveAll(filepath.Dir(corpusP.Path))
	}
	os.Exit(code)
}

func queryInt(t *testing.T, p *Pipeline, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := p.Conn().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCorpusStageCounts(t *testing.T) {
	p := corpus(t)
	rows, err := p.Conn().QueryContext(context.Background(), `SELECT stage, name, rows_in, rows_out, dropped FROM stage_runs ORDER BY stage`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st int
		var name string
		var in, out, dr int64
		if err := rows.Scan(&st, &name, &in, &out, &dr); err != nil {
			t.Fatal(err)
		}
		t.Logf("stage %d %-14s in %6d out %6d dropped %6d", st, name, in, out, dr)
	}
}

func logQuery(t *testing.T, p *Pipeline, q string) {
	t.Helper()
	rows, err := p.Conn().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		t.Log(vals...)
	}
}

func TestCorpusDebugDump(t *testing.T) {
	if os.Getenv("GREASON_DEBUG_SQL") == "" {
		t.Skip("set GREASON_DEBUG_SQL to a query")
	}
	logQuery(t, corpus(t), os.Getenv("GREASON_DEBUG_SQL"))
}
