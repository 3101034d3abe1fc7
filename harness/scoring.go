package harness

import (
	"context"
	"fmt"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/internal/parallel"
)

// Response is one model output to be scored.
type Response struct {
	ID       string
	Sample   int
	Text     string
	Endpoint string
}

// ScoreRow is one line of a run's <bench>.scores.jsonl (and of `greason score --out`).
type ScoreRow struct {
	Run       string `json:"run,omitempty"`
	Model     string `json:"model,omitempty"`
	Benchmark string `json:"benchmark"`
	Protocol  string `json:"protocol"`
	benchmarks.Result
}

// ScoreAll scores responses against items with up to workers concurrent judge calls and
// returns rows in input order. Every response must name an item of the benchmark.
func ScoreAll(ctx context.Context, b benchmarks.Benchmark, items []benchmarks.Item, resps []Response,
	sc benchmarks.Scorer, workers int) ([]benchmarks.Result, error) {
	byID := make(map[string]int, len(items))
	for i, it := range items {
		byID[it.ID] = i
	}
	for _, r := range resps {
		if _, ok := byID[r.ID]; !ok {
			return nil, fmt.Errorf("%s: no item with id %q", b.Spec().Name, r.ID)
		}
	}
	return parallel.Map(ctx, len(resps), workers, func(i int) (benchmarks.Result, error) {
		s := sc
		s.Sample = resps[i].Sample
		return b.Score(ctx, items[byID[resps[i].ID]], resps[i].Text, s)
	})
}
