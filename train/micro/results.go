package micro

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/train/grpo"
)

// Stat is mean ± sample standard deviation with the range over seeds.
type Stat struct {
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	N    int     `json:"n"`
}

func stat(xs []float64) Stat {
	s := Stat{N: len(xs), Min: math.Inf(1), Max: math.Inf(-1)}
	if len(xs) == 0 {
		return Stat{}
	}
	for _, x := range xs {
		s.Mean += x
		s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
	}
	s.Mean /= float64(len(xs))
	if len(xs) > 1 {
		for _, x := range xs {
			s.Std += (x - s.Mean) * (x - s.Mean)
		}
		s.Std = math.Sqrt(s.Std / float64(len(xs)-1))
	}
	return s
}

func (s Stat) String() string { return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.Std) }

// RunStats aggregates one run over seeds: key "" is overall, else a group or domain.
type RunStats struct {
	Before, After, Gain map[string]Stat
}

// Aggregate computes per-run statistics over seeds.
func Aggregate(sum *Summary) map[string]RunStats {
	out := map[string]RunStats{}
	byRun := map[string][]Result{}
	for _, r := range sum.Results {
		byRun[r.Run] = append(byRun[r.Run], r)
	}
	for name, rs := range byRun {
		keys := map[string]bool{"": true}
		for _, r := range rs {
			for k := range r.AfterBy {
				keys[k] = true
			}
		}
		st := RunStats{Before: map[string]Stat{}, After: map[string]Stat{}, Gain: map[string]Stat{}}
		for k := range keys {
			var b, a, g []float64
			for _, r := range rs {
				bv, av := r.Before, r.After
				if k != "" {
					bv, av = r.BeforeBy[k], r.AfterBy[k]
				}
				b, a, g = append(b, bv), append(a, av), append(g, av-bv)
			}
			st.Before[k], st.After[k], st.Gain[k] = stat(b), stat(a), stat(g)
		}
		out[name] = st
	}
	return out
}

func runByReward(cfg *Config, reward, data string) string {
	for _, r := range cfg.Runs {
		if r.Reward == reward && r.Data == data {
			return r.Name
		}
	}
	return ""
}

func writeCSV(path string, rows [][]string) error {
	return atomicfile.Write(path, func(w io.Writer) error { return csv.NewWriter(w).WriteAll(rows) })
}

func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

// WriteResults writes summary.json, the ablation CSVs read by `greason tables`
// (ablation_verifier.csv, ablation_data.csv), runs.csv (every run and seed) and the curves.
func WriteResults(outDir string, sum *Summary) error {
	if err := grpo.WriteJSON(filepath.Join(outDir, "summary.json"), sum); err != nil {
		return err
	}
	agg := Aggregate(sum)
	cfg := sum.Config
	// Every run and seed.
	rows := [][]string{{"run", "reward", "data", "seed", "before_all", "after_all", "before_math", "after_math",
		"before_physics", "after_physics", "before_other", "after_other", "seconds"}}
	spec := map[string]RunSpec{}
	for _, r := range cfg.Runs {
		spec[r.Name] = r
	}
	for _, r := range sum.Results {
		s := spec[r.Run]
		rows = append(rows, []string{r.Run, s.Reward, s.Data, fmt.Sprint(r.Seed), f1(r.Before), f1(r.After),
			f1(r.BeforeBy["math"]), f1(r.AfterBy["math"]), f1(r.BeforeBy["physics"]), f1(r.AfterBy["physics"]),
			f1(r.BeforeBy["other"]), f1(r.AfterBy["other"]), fmt.Sprintf("%.0f", r.Seconds)})
	}
	if err := writeCSV(filepath.Join(outDir, "runs.csv"), rows); err != nil {
		return err
	}
	groups := []struct{ key, label string }{{"", "Held-out (all)"}, {"math", "Held-out math"}, {"physics", "Held-out physics"}, {"other", "Held-out other"}}
	// Verifier ablation: the model verifier (or the strong rule verifier) vs string match.
	strong := runByReward(cfg, "model", "full")
	if strong == "" {
		strong = runByReward(cfg, "rule", "full")
	}
	weak := runByReward(cfg, "string", "full")
	if strong != "" && weak != "" {
		rows := [][]string{{"dataset", "model_based", "rule_based"}}
		for _, g := range groups {
			rows = append(rows, []string{g.label, f1(agg[strong].After[g.key].Mean), f1(agg[weak].After[g.key].Mean)})
		}
		rows = append(rows, []string{"Held-out (all) before GRPO", f1(agg[strong].Before[""].Mean), f1(agg[weak].Before[""].Mean)})
		if err := writeCSV(filepath.Join(outDir, "ablation_verifier.csv"), rows); err != nil {
			return err
		}
	}
	full, math := runByReward(cfg, "rule", "full"), runByReward(cfg, "rule", "math")
	if full != "" && math != "" {
		rows := [][]string{{"backbone", "data", "mmlu_pro", "gpqa", "supergpqa", "math_related"}}
		for _, x := range []struct{ name, label string }{{full, "Full"}, {math, "Math Only"}} {
			a := agg[x.name].After
			rows = append(rows, []string{"micro-qwen3", x.label, f1(a[""].Mean), f1(a["physics"].Mean), f1(a["other"].Mean), f1(a["math"].Mean)})
		}
		b := agg[full].Before
		rows = append(rows, []string{"micro-qwen3", "SFT start", f1(b[""].Mean), f1(b["physics"].Mean), f1(b["other"].Mean), f1(b["math"].Mean)})
		if err := writeCSV(filepath.Join(outDir, "ablation_data.csv"), rows); err != nil {
			return err
		}
	}
	return WriteCurves(outDir, sum)
}

// WriteCurves draws the Figure-4-style curves from the committed logs: held-out accuracy and
// training reward per step, mean over seeds, one line per run.
func WriteCurves(outDir string, sum *Summary) error {
	type acc struct{ x, y []float64 }
	evals, rewards := map[string]*acc{}, map[string]*acc{}
	counts := map[string]int{}
	for _, r := range sum.Results {
		recs, err := grpo.ReadLog(filepath.Join(outDir, r.Log))
		if err != nil {
			return err
		}
		e, rw := grpo.LogCurves(recs)
		for _, p := range []struct {
			m map[string]*acc
			s grpo.Series
		}{{evals, e}, {rewards, rw}} {
			a := p.m[r.Run]
			if a == nil {
				a = &acc{x: p.s.X, y: make([]float64, len(p.s.Y))}
				p.m[r.Run] = a
			}
			for i := range a.y {
				if i < len(p.s.Y) {
					a.y[i] += p.s.Y[i]
				}
			}
		}
		counts[r.Run]++
	}
	mk := func(m map[string]*acc) []grpo.Series {
		var out []grpo.Series
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			s := grpo.Series{Name: n, X: m[n].x, Y: make([]float64, len(m[n].y))}
			for i, v := range m[n].y {
				s.Y[i] = v / float64(counts[n])
			}
			out = append(out, s)
		}
		return out
	}
	seeds := len(sum.Config.Seeds)
	if err := grpo.PlotPNG(filepath.Join(outDir, "curve_heldout.png"),
		fmt.Sprintf("Micro GRPO: held-out accuracy (strong verifier), mean of %d seeds", seeds), "GRPO step", "accuracy (%)", mk(evals)); err != nil {
		return err
	}
	return grpo.PlotPNG(filepath.Join(outDir, "curve_reward.png"),
		fmt.Sprintf("Micro GRPO: training reward, mean of %d seeds", seeds), "GRPO step", "mean reward", mk(rewards))
}

// Report is a Markdown table of the summary: held-out accuracy before → after per run.
func Report(sum *Summary) string {
	agg := Aggregate(sum)
	var b []byte
	b = fmt.Appendf(b, "\n| run | reward | data | before (all) | after (all) | gain | after math | after physics | after other |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range sum.Config.Runs {
		a := agg[r.Name]
		b = fmt.Appendf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, r.Reward, r.Data, a.Before[""], a.After[""], a.Gain[""],
			a.After["math"], a.After["physics"], a.After["other"])
	}
	if sum.Verifier != nil {
		b = fmt.Appendf(b, "\nmicro verifier agreement with the rule verifier: %.1f%% on %d held-out pairs\n", sum.Verifier.Agreement, sum.Verifier.HeldOutPairs)
	}
	b = fmt.Appendf(b, "\nwall time %.0f s (mean ± sample std over %d seeds)\n", sum.WallSeconds, len(sum.Config.Seeds))
	return string(b)
}
