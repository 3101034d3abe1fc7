package harness

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/internal/jsonl"
)

// Flip is an item whose correctness changed between two runs.
type Flip struct {
	ID     string `json:"id"`
	Sample int    `json:"sample"`
	PredA  string `json:"pred_a"`
	PredB  string `json:"pred_b"`
	Gold   string `json:"gold"`
}

// BenchDiff compares one benchmark between two runs.
type BenchDiff struct {
	Benchmark  string  `json:"benchmark"`
	ScoreA     float64 `json:"score_a"`
	ScoreB     float64 `json:"score_b"`
	Delta      float64 `json:"delta"`
	RightWrong []Flip  `json:"right_to_wrong"`
	WrongRight []Flip  `json:"wrong_to_right"`
	OnlyA      int     `json:"only_in_a"`
	OnlyB      int     `json:"only_in_b"`
}

// LoadScores reads a scores JSONL file (a run's <bench>.scores.jsonl or `greason score --out`).
func LoadScores(path string) ([]ScoreRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, lines, err := jsonl.Decode[ScoreRow](f, path)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		if r.ID == "" {
			return nil, fmt.Errorf("%s: line %d: field \"id\" missing", path, lines[i])
		}
	}
	return rows, nil
}

// runScores maps benchmark -> rows for a run folder (or a single scores file).
func runScores(path string) (map[string][]ScoreRow, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		files, _ = filepath.Glob(filepath.Join(path, "*.scores.jsonl"))
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no *.scores.jsonl files", path)
		}
	}
	out := map[string][]ScoreRow{}
	for _, f := range files {
		rows, err := LoadScores(f)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			b := r.Benchmark
			if b == "" {
				b = strings.TrimSuffix(filepath.Base(f), ".scores.jsonl")
			}
			out[b] = append(out[b], r)
		}
	}
	return out, nil
}

// Diff compares two runs (run folders or scores files) benchmark by benchmark.
func Diff(a, b string) ([]BenchDiff, error) {
	ra, err := runScores(a)
	if err != nil {
		return nil, err
	}
	rb, err := runScores(b)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range ra {
		if _, ok := rb[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var out []BenchDiff
	for _, n := range names {
		d := BenchDiff{Benchmark: n}
		type k struct {
			id string
			s  int
		}
		ma := map[k]ScoreRow{}
		for _, r := range ra[n] {
			ma[k{r.ID, r.Sample}] = r
		}
		seen := map[k]bool{}
		for _, r := range rb[n] {
			key := k{r.ID, r.Sample}
			seen[key] = true
			x, ok := ma[key]
			if !ok {
				d.OnlyB++
				continue
			}
			f := Flip{ID: r.ID, Sample: r.Sample, PredA: x.Pred, PredB: r.Pred, Gold: r.Gold}
			switch {
			case x.Correct && !r.Correct:
				d.RightWrong = append(d.RightWrong, f)
			case !x.Correct && r.Correct:
				d.WrongRight = append(d.WrongRight, f)
			}
		}
		for key := range ma {
			if !seen[key] {
				d.OnlyA++
			}
		}
		d.ScoreA, d.ScoreB = headlineScore(n, ra[n]), headlineScore(n, rb[n])
		d.Delta = d.ScoreB - d.ScoreA
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark in common between %s and %s", a, b)
	}
	return out, nil
}

// PrintDiff writes a readable report; at most maxFlips flipped items per direction.
func PrintDiff(w io.Writer, ds []BenchDiff, maxFlips int) {
	for _, d := range ds {
		fmt.Fprintf(w, "%-14s %6.2f -> %6.2f (%+.2f)  right->wrong %d, wrong->right %d", d.Benchmark, d.ScoreA, d.ScoreB, d.Delta, len(d.RightWrong), len(d.WrongRight))
		if d.OnlyA+d.OnlyB > 0 {
			fmt.Fprintf(w, "  (only in A: %d, only in B: %d)", d.OnlyA, d.OnlyB)
		}
		fmt.Fprintln(w)
		for _, group := range []struct {
			label string
			fl    []Flip
		}{{"right->wrong", d.RightWrong}, {"wrong->right", d.WrongRight}} {
			for i, f := range group.fl {
				if i == maxFlips {
					fmt.Fprintf(w, "    ... %d more %s\n", len(group.fl)-maxFlips, group.label)
					break
				}
				fmt.Fprintf(w, "    %s %s#%d gold=%q a=%q b=%q\n", group.label, f.ID, f.Sample, truncate(f.Gold, 40), truncate(f.PredA, 40), truncate(f.PredB, 40))
			}
		}
	}
}

// headlineScore is the benchmark's reported number (macro for SuperGPQA, micro otherwise);
// for files of unknown benchmarks it is the micro accuracy.
func headlineScore(bench string, rows []ScoreRow) float64 {
	res := make([]benchmarks.Result, len(rows))
	for i, r := range rows {
		res[i] = r.Result
	}
	spec := benchmarks.Spec{Name: bench, Headline: "micro"}
	if b, err := benchmarks.Get(bench); err == nil {
		spec = b.Spec()
	}
	return benchmarks.Aggregate(spec, res).Score
}
