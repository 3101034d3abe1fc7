package harness

import (
	"context"
	"fmt"
	"slices"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/internal/parallel"
)

// Response is one model output to be scored.
type Response struct {
	ID       string
	Sample   int // -1 from ReadGenerations when the record has no sample index (then 0)
	Text     string
	Endpoint string
	Question string // question text of a foreign record (matched to an item when ID is empty)
	Where    string // file and record, for errors
	Missing  bool   // the text field was absent or null (ReadOptions.Optional)
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
	spec := b.Spec()
	if sc.Extracted {
		p := sc.Protocol
		if p == "" {
			p = spec.Protocols[0]
		}
		if !slices.Contains(spec.GradesExtracted, p) {
			return nil, fmt.Errorf("%s: protocol %s cannot grade already extracted answers (protocols that can: %v)", spec.Name, p, spec.GradesExtracted)
		}
	}
	byID := make(map[string]int, len(items))
	for i, it := range items {
		byID[it.ID] = i
	}
	for _, r := range resps {
		if _, ok := byID[r.ID]; !ok {
			if r.Where != "" {
				return nil, fmt.Errorf("%s: %s: no item with id %q", spec.Name, r.Where, r.ID)
			}
			return nil, fmt.Errorf("%s: no item with id %q", spec.Name, r.ID)
		}
	}
	return parallel.Map(ctx, len(resps), workers, func(i int) (benchmarks.Result, error) {
		s := sc
		s.Sample = max(resps[i].Sample, 0)
		return b.Score(ctx, items[byID[resps[i].ID]], resps[i].Text, s)
	})
}

// ScoreFile reads a generations file (ReadGenerations), matches records without ids to the
// benchmark's items by question (MatchQuestions) and scores them. sc.Extracted grades the text
// as an already extracted answer (opt.TextField names where it is).
func ScoreFile(ctx context.Context, b benchmarks.Benchmark, items []benchmarks.Item, path string, opt ReadOptions,
	sc benchmarks.Scorer, workers int) ([]benchmarks.Result, error) {
	resps, err := ReadGenerations(path, opt)
	if err != nil {
		return nil, err
	}
	if err := MatchQuestions(items, resps); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, b.Spec().Name, err)
	}
	res, err := ScoreAll(ctx, b, items, resps, sc, workers)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}
