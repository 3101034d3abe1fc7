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
	Run      string // the run of a file that holds several (one object per run in each record)
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
// returns rows in input order. Every response must name an item of the benchmark. A protocol
// that keeps state across items (benchmarks.IsStateful: the TheoremQA repository's latex2sympy2)
// is scored one response after the other in input order, one process state per run, as its
// reference code runs a file; sc.State, when set, is that state (single-run input only).
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
	if benchmarks.IsStateful(spec, sc.Protocol) {
		states := map[string]*benchmarks.ProcessState{}
		out := make([]benchmarks.Result, len(resps))
		for i, r := range resps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s := sc
			if s.State == nil {
				if states[r.Run] == nil {
					states[r.Run] = benchmarks.NewProcessState()
				}
				s.State = states[r.Run]
			} else if r.Run != resps[0].Run {
				return nil, fmt.Errorf("%s: one process state given for several runs (%q, %q)", spec.Name, resps[0].Run, r.Run)
			}
			s.Sample = max(r.Sample, 0)
			res, err := b.Score(ctx, items[byID[r.ID]], r.Text, s)
			if err != nil {
				return nil, err
			}
			out[i] = res
		}
		return out, nil
	}
	return parallel.Map(ctx, len(resps), workers, func(i int) (benchmarks.Result, error) {
		s := sc
		s.Sample = max(resps[i].Sample, 0)
		return b.Score(ctx, items[byID[resps[i].ID]], resps[i].Text, s)
	})
}

// ScoreFile reads a generations file (ReadGenerations), matches records without ids to the
// benchmark's items by question (MatchQuestions) and scores them; it returns the results with
// the responses they score (their runs, samples and records). sc.Extracted grades the text as
// an already extracted answer (opt.TextField names where it is).
func ScoreFile(ctx context.Context, b benchmarks.Benchmark, items []benchmarks.Item, path string, opt ReadOptions,
	sc benchmarks.Scorer, workers int) ([]benchmarks.Result, []Response, error) {
	resps, err := ReadGenerations(path, opt)
	if err != nil {
		return nil, nil, err
	}
	if err := MatchQuestions(items, resps); err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", path, b.Spec().Name, err)
	}
	res, err := ScoreAll(ctx, b, items, resps, sc, workers)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, resps, nil
}
