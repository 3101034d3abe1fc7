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

// RunStats aggregates one run over seeds: key "" is overall, else a group or domain (before,
// after and gain, %); Agreement and HackRate are the last evaluation's (fractions).
type RunStats struct {
	Before, After, Gain map[string]Stat
	Agreement, HackRate Stat
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
		var ag, hr []float64
		for _, r := range rs {
			ag, hr = append(ag, r.Agreement), append(hr, r.HackRate)
		}
		st.Agreement, st.HackRate = stat(ag), stat(hr)
		out[name] = st
	}
	return out
}

func runByName(cols []RunSpec, reward string) string {
	for _, c := range cols {
		if c.Reward == reward {
			return c.Name
		}
	}
	return ""
}

func writeCSV(path string, rows [][]string) error { return writeCSVNotes(path, nil, rows) }

// writeCSVNotes writes notes as "# " lines (findings computed from the numbers; `greason tables`
// shows them under the table), then the rows.
func writeCSVNotes(path string, notes []string, rows [][]string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		for _, n := range notes {
			if _, err := fmt.Fprintf(w, "# %s\n", n); err != nil {
				return err
			}
		}
		return csv.NewWriter(w).WriteAll(rows)
	})
}

// compare states whether run a beats run b (mean after GRPO, all held-out) by more than the
// larger of their seed standard deviations.
func compare(agg map[string]RunStats, a, b string) string {
	x, y := agg[a].After[""], agg[b].After[""]
	sd := math.Max(x.Std, y.Std)
	verdict := "beats"
	if x.Mean-y.Mean <= sd {
		verdict = "does not beat"
		if y.Mean-x.Mean > sd {
			verdict = "is beaten by"
		}
	}
	return fmt.Sprintf("`%s` %s `%s` by more than the larger seed sd: %.1f vs %.1f (difference %+.1f, larger sd %.1f).", a, verdict, b, x.Mean, y.Mean, x.Mean-y.Mean, sd)
}

func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

// pm renders mean ± sample standard deviation over seeds.
func pm(s Stat) string { return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.Std) }

// pct renders a fraction statistic in percent.
func pct(s Stat) Stat {
	return Stat{Mean: 100 * s.Mean, Std: 100 * s.Std, Min: 100 * s.Min, Max: 100 * s.Max, N: s.N}
}

// WriteResults writes summary.json, the ablation CSVs read by `greason tables`
// (ablation_verifier.csv, ablation_data.csv), runs.csv (every run and seed) and the curves.
func WriteResults(outDir string, sum *Summary) error {
	if err := grpo.WriteJSON(filepath.Join(outDir, "summary.json"), sum); err != nil {
		return err
	}
	agg := Aggregate(sum)
	cfg := sum.Config
	rows := [][]string{{"run", "reward", "data", "seed", "before_all", "after_all", "after_math", "after_physics", "after_other",
		"after_non_math", "agreement", "hack_rate", "seconds"}}
	for _, r := range sum.Results {
		rows = append(rows, []string{r.Run, r.Reward, r.Data, fmt.Sprint(r.Seed), f1(r.Before), f1(r.After),
			f1(r.AfterBy["math"]), f1(r.AfterBy["physics"]), f1(r.AfterBy["other"]), f1(r.AfterBy["non-math"]),
			fmt.Sprintf("%.3f", r.Agreement), fmt.Sprintf("%.3f", r.HackRate), fmt.Sprintf("%.0f", r.Seconds)})
	}
	if err := writeCSV(filepath.Join(outDir, "runs.csv"), rows); err != nil {
		return err
	}
	// Verifier ablation (paper Table 5): one column per reward on the full data, named for it.
	var cols []RunSpec
	for _, want := range []string{RewardModel, RewardMathRules, RewardString, RewardRules, RewardCascade} {
		for _, r := range cfg.Runs {
			if r.Reward == want && r.Data == "full" {
				cols = append(cols, r)
				break
			}
		}
	}
	if len(cols) > 1 {
		head := []string{"held-out (oracle, avg@k %, mean ± sd over seeds)"}
		for _, c := range cols {
			head = append(head, c.Reward)
		}
		rows := [][]string{head}
		add := func(label string, cell func(RunStats) string) {
			row := []string{label}
			for _, c := range cols {
				row = append(row, cell(agg[c.Name]))
			}
			rows = append(rows, row)
		}
		add("all, after GRPO", func(a RunStats) string { return pm(a.After[""]) })
		for _, g := range []string{"math", "physics", "other"} {
			add(g+", after GRPO", func(a RunStats) string { return pm(a.After[g]) })
		}
		add("all, before GRPO (warm start)", func(a RunStats) string { return f1(a.Before[""].Mean) })
		add("gain", func(a RunStats) string { return pm(a.Gain[""]) })
		add("reward agreement with the oracle (%)", func(a RunStats) string { return pm(pct(a.Agreement)) })
		add("hack rate (% of rewarded samples the oracle rejects)", func(a RunStats) string { return pm(pct(a.HackRate)) })
		var notes []string
		for _, x := range []struct{ a, b string }{{RewardModel, RewardMathRules}, {RewardModel, RewardString}, {RewardModel, RewardRules}, {RewardRules, RewardMathRules}} {
			if agg[runByName(cols, x.a)].After != nil && agg[runByName(cols, x.b)].After != nil {
				notes = append(notes, compare(agg, runByName(cols, x.a), runByName(cols, x.b)))
			}
		}
		for _, c := range cols {
			a := agg[c.Name]
			notes = append(notes, fmt.Sprintf("`%s`: gain %+.1f ± %.1f (%s 3 seed sd); final hack rate %.1f%% (max over seeds %.1f%%).", c.Name,
				a.Gain[""].Mean, a.Gain[""].Std, map[bool]string{true: "more than", false: "not more than"}[a.Gain[""].Mean > 3*a.Gain[""].Std],
				100*a.HackRate.Mean, 100*a.HackRate.Max))
		}
		if err := writeCSVNotes(filepath.Join(outDir, "ablation_verifier.csv"), notes, rows); err != nil {
			return err
		}
	}
	// Data ablation (paper Table 4): the same reward on full and on math-only data.
	var full, mathOnly RunSpec
	for _, r := range cfg.Runs {
		if r.Data == "math" && mathOnly.Name == "" {
			mathOnly = r
		}
	}
	for _, r := range cfg.Runs {
		if r.Data == "full" && r.Reward == mathOnly.Reward {
			full = r
		}
	}
	if full.Name != "" && mathOnly.Name != "" {
		rows := [][]string{{"reward", "data", "all", "non-math", "physics", "other", "math"}}
		for _, x := range []struct {
			spec  RunSpec
			label string
		}{{full, "full (all domains)"}, {mathOnly, "math only"}} {
			a := agg[x.spec.Name].After
			rows = append(rows, []string{x.spec.Reward, x.label, pm(a[""]), pm(a["non-math"]), pm(a["physics"]), pm(a["other"]), pm(a["math"])})
		}
		b := agg[full.Name].Before
		rows = append(rows, []string{"-", "warm start (before GRPO)", f1(b[""].Mean), f1(b["non-math"].Mean), f1(b["physics"].Mean), f1(b["other"].Mean), f1(b["math"].Mean)})
		var notes []string
		for _, g := range []struct{ key, label string }{{"non-math", "non-math"}, {"math", "math"}, {"", "all"}} {
			x, y := agg[full.Name].After[g.key], agg[mathOnly.Name].After[g.key]
			notes = append(notes, fmt.Sprintf("%s: full data %.1f ± %.1f vs math-only %.1f ± %.1f (difference %+.1f).", g.label, x.Mean, x.Std, y.Mean, y.Std, x.Mean-y.Mean))
		}
		if err := writeCSVNotes(filepath.Join(outDir, "ablation_data.csv"), notes, rows); err != nil {
			return err
		}
	}
	return WriteCurves(outDir, sum)
}

// WriteCurves draws the Figure-4-style curves: held-out accuracy (oracle) and the reward's hack
// rate on the held-out samples per evaluation step, and the training reward per step (from the
// logs), each the mean over seeds, one line per run.
func WriteCurves(outDir string, sum *Summary) error {
	type acc struct {
		x, y []float64
		n    []int
	}
	curves := map[string]map[string]*acc{"accuracy": {}, "hack": {}, "reward": {}}
	add := func(kind, run string, x, y []float64) {
		a := curves[kind][run]
		if a == nil {
			a = &acc{}
			curves[kind][run] = a
		}
		for i := range x {
			if i >= len(a.x) {
				a.x, a.y, a.n = append(a.x, x[i]), append(a.y, 0), append(a.n, 0)
			}
			a.y[i] += y[i]
			a.n[i]++
		}
	}
	for _, r := range sum.Results {
		var xs, ys, hs []float64
		for _, e := range r.Evals {
			xs, ys, hs = append(xs, float64(e.Step)), append(ys, e.Accuracy), append(hs, 100*e.HackRate)
		}
		add("accuracy", r.Run, xs, ys)
		add("hack", r.Run, xs, hs)
		recs, err := grpo.ReadLog(filepath.Join(outDir, r.Log))
		if err != nil {
			return err
		}
		_, rw := grpo.LogCurves(recs)
		add("reward", r.Run, rw.X, rw.Y)
	}
	mk := func(m map[string]*acc) []grpo.Series {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		sort.Strings(names)
		var out []grpo.Series
		for _, n := range names {
			s := grpo.Series{Name: n, X: m[n].x, Y: make([]float64, len(m[n].y))}
			for i, v := range m[n].y {
				s.Y[i] = v / float64(m[n].n[i])
			}
			out = append(out, s)
		}
		return out
	}
	seeds := len(sum.Config.Seeds)
	for _, c := range []struct{ kind, file, title, ylabel string }{
		{"accuracy", "curve_heldout.png", "held-out accuracy (oracle, avg@k)", "accuracy (%)"},
		{"hack", "curve_hack.png", "hack rate: rewarded held-out samples the oracle rejects", "hack rate (%)"},
		{"reward", "curve_reward.png", "training reward", "mean reward"},
	} {
		if err := grpo.PlotPNG(filepath.Join(outDir, c.file), fmt.Sprintf("Micro GRPO: %s, mean of %d seeds", c.title, seeds),
			"GRPO step", c.ylabel, mk(curves[c.kind])); err != nil {
			return err
		}
	}
	return nil
}

// Report is a Markdown table of the summary: held-out accuracy (oracle) before → after per run,
// the reward's agreement with the oracle and its hack rate.
func Report(sum *Summary) string {
	agg := Aggregate(sum)
	var b []byte
	b = fmt.Appendf(b, "\n| run | reward | data | before (all) | after (all) | gain | after math | after physics | after other | agreement %% | hack rate %% |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range sum.Config.Runs {
		a := agg[r.Name]
		b = fmt.Appendf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name, r.Reward, r.Data, a.Before[""], a.After[""], a.Gain[""],
			a.After["math"], a.After["physics"], a.After["other"], pct(a.Agreement), pct(a.HackRate))
	}
	if v := sum.Verifier; v != nil {
		b = fmt.Appendf(b, "\nmicro verifier: agreement with the oracle %.1f%% on %d held-out pairs (judges: %v)\n", v.Agreement, v.HeldOutPairs, roundMap(v.JudgeAgreement))
	}
	b = fmt.Appendf(b, "\nwall time %.0f s (mean ± sample std over %d seeds)\n", sum.WallSeconds, len(sum.Config.Seeds))
	return string(b)
}
