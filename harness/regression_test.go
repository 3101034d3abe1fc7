package harness

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/greason/greason/benchmarks"
)

var update = flag.Bool("update", false, "rewrite testdata/regression/expected.json from the current scoring")

// regressionCase is one frozen generations file scored under one protocol and judge.
type regressionCase struct{ file, bench, protocol, judge string }

var regressionCases = []regressionCase{
	{"mmlu-pro.jsonl.gz", "mmlu-pro", "paper", ""},
	{"mmlu-pro.jsonl.gz", "mmlu-pro", "mmlu-pro-repo", ""},
	{"bbeh.jsonl.gz", "bbeh", "paper", ""},
	{"theoremqa.jsonl.gz", "theoremqa", "paper", ""},
	{"theoremqa.jsonl.gz", "theoremqa", "theoremqa-repo", ""},
	{"gsm8k.jsonl.gz", "gsm8k", "paper", "string"},
	{"math500.jsonl.gz", "math500", "paper", "string"},
	{"gsm8k.jsonl.gz", "gsm8k", "paper", "rule"},
	{"math500.jsonl.gz", "math500", "paper", "rule"},
	{"gsm8k.jsonl.gz", "gsm8k", "final-answer", "rule"},
	{"math500.jsonl.gz", "math500", "final-answer", "rule"},
}

type regressionExpect struct {
	Score float64  `json:"score"`
	Rows  []string `json:"rows"` // "id#sample pred=... correct=..."
}

// TestRegressionEval re-scores the committed generations and requires exactly the recorded
// predictions and scores. After an intended scoring change, run
// `go test ./harness -run TestRegressionEval -update` and review the diff of expected.json.
func TestRegressionEval(t *testing.T) {
	dir := filepath.Join("testdata", "regression")
	got := map[string]regressionExpect{}
	for _, c := range regressionCases {
		b, err := benchmarks.Get(c.bench)
		if err != nil {
			t.Fatal(err)
		}
		items, err := b.Load()
		if err != nil {
			t.Fatal(err)
		}
		resps, err := ReadGenerations(filepath.Join(dir, c.file), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sc := benchmarks.Scorer{Protocol: c.protocol, Seed: 1}
		if c.judge != "" {
			if sc.Judge, err = NewJudge(c.judge, JudgeConfig{}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ScoreAll(context.Background(), b, items, resps, sc, 4)
		if err != nil {
			t.Fatal(err)
		}
		e := regressionExpect{Score: benchmarks.Aggregate(b.Spec(), res).Score}
		for _, r := range res {
			e.Rows = append(e.Rows, fmt.Sprintf("%s#%d pred=%q correct=%v", r.ID, r.Sample, r.Pred, r.Correct))
		}
		got[c.bench+"/"+c.protocol+"/"+c.judge] = e
	}
	path := filepath.Join(dir, "expected.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]regressionExpect
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, w := got[k], want[k]
		var flips []string
		for i := range g.Rows {
			if i >= len(w.Rows) || g.Rows[i] != w.Rows[i] {
				old := "(absent)"
				if i < len(w.Rows) {
					old = w.Rows[i]
				}
				flips = append(flips, "  was "+old+"\n  now "+g.Rows[i])
			}
		}
		if g.Score != w.Score || len(flips) > 0 || len(g.Rows) != len(w.Rows) {
			t.Errorf("%s: score %.4f, recorded %.4f; %d rows changed:\n%s", k, g.Score, w.Score, len(flips), strings.Join(flips, "\n"))
		}
	}
	if len(want) != len(got) {
		t.Errorf("expected.json has %d cases, the test has %d", len(want), len(got))
	}
}
