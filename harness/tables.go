package harness

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/greason/greason/benchmarks"
)

// The paper's tables (shared/paper, transcribed from arXiv 2505.14652; per-category tables from
// the earlier preprint). See paper/NOTICE.md.
//
//go:embed paper/*.csv
var paperFS embed.FS

// Table is one result table: the paper's numbers beside ours.
type Table struct {
	Name   string            // file stem under tables/
	Title  string            // caption
	Note   string            // how to read it
	Header []string          // display header
	Rows   [][]string        // display cells ("paper / ours (delta)")
	CSV    [][]string        // machine-readable: separate paper, ours and delta columns
	Bars   *BarData          // optional figure
	Files  map[string][]byte // extra files written beside the table (name -> content)
}

// BarData is what a paper-vs-ours bar figure shows.
type BarData struct {
	Groups []string             // x axis (benchmarks)
	Series []string             // one bar per series in each group
	Values map[string][]float64 // series -> value per group (NaN = missing)
	YLabel string
}

// RunSummary is what tables need from a run.
type RunSummary struct {
	Run      string
	Label    string
	Model    string
	Metrics  map[string]benchmarks.Metrics
	Coverage map[string]Coverage // per benchmark: items scored of the benchmark's items
}

// Coverage is how much of a benchmark a run scored.
type Coverage struct{ Items, Total int }

// Partial reports a run that scored only some of the benchmark's items (--limit).
func (c Coverage) Partial() bool { return c.Total > 0 && c.Items < c.Total }

func (c Coverage) String() string { return fmt.Sprintf("%d/%d", c.Items, c.Total) }

// coverage returns what the run scored of bench: the record's counts, or for records written
// before they were kept, the scored items against the benchmark's size.
func coverage(rec Record, bench string, m benchmarks.Metrics) Coverage {
	if br, ok := rec.Benchmarks[bench]; ok && br.Total > 0 {
		return Coverage{Items: br.Items, Total: br.Total}
	}
	c := Coverage{Items: m.Items}
	if b, err := benchmarks.Get(bench); err == nil {
		c.Total = b.Spec().Count
	}
	return c
}

// LoadRuns reads results/runs/*/record.json.
func LoadRuns(resultsDir string) ([]RunSummary, error) {
	files, _ := filepath.Glob(filepath.Join(resultsDir, "runs", "*", "record.json"))
	sort.Strings(files)
	var out []RunSummary
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		label := rec.Config.Label
		if label == "" {
			label = filepath.Base(rec.Config.Model)
		}
		rs := RunSummary{Run: rec.Config.Run, Label: label, Model: rec.Config.Model, Metrics: rec.Metrics, Coverage: map[string]Coverage{}}
		for b, m := range rec.Metrics {
			rs.Coverage[b] = coverage(rec, b, m)
		}
		out = append(out, rs)
	}
	return out, nil
}

func readPaperCSV(name string) ([][]string, error) {
	b, err := paperFS.ReadFile("paper/" + name)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("harness/paper/%s: %w", name, err)
	}
	return recs, nil
}

func parseNum(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// partialCell renders a number scored on part of a benchmark: never without its n/N, and
// without a difference to the paper's full-benchmark number.
func partialCell(paper, ours float64, cov string) string {
	if math.IsNaN(paper) {
		return "– / " + fmtNum(ours) + " [" + cov + "]"
	}
	return fmtNum(paper) + " / " + fmtNum(ours) + " [" + cov + "]"
}

// cell renders "paper / ours (±delta)", or one of them when the other is missing.
func cell(paper, ours float64) string {
	switch {
	case math.IsNaN(ours) && math.IsNaN(paper):
		return "–"
	case math.IsNaN(ours):
		return fmtNum(paper)
	case math.IsNaN(paper):
		return "– / " + fmtNum(ours)
	}
	return fmt.Sprintf("%s / %s (%+.1f)", fmtNum(paper), fmtNum(ours), ours-paper)
}

// column maps a paper table column to the benchmark whose headline score fills it.
type column struct {
	key, title, bench string
}

var generalCols = []column{
	{"mmlu_pro_micro", "MMLU-Pro", "mmlu-pro"}, {"gpqa_diamond_acc", "GPQA-D", "gpqa-diamond"},
	{"supergpqa_macro_discipline", "SuperGPQA", "supergpqa"}, {"theoremqa_acc", "TheoremQA", "theoremqa"},
	{"bbeh_micro", "BBEH", "bbeh"},
}

var mathCols = []column{
	{"math500", "MATH-500", "math500"}, {"olympiad", "Olympiad", "olympiadbench"}, {"minerva", "Minerva", "minerva"},
	{"gsm8k", "GSM8K", "gsm8k"}, {"amc", "AMC23", "amc23"}, {"aime24_avg32", "AIME24", "aime24"},
	{"aime25_avg32", "AIME25", "aime25"},
}

func runScore(r RunSummary, bench string) float64 {
	if m, ok := r.Metrics[bench]; ok && m.N > 0 {
		return m.Score
	}
	return math.NaN()
}

// mathAvg is the paper's "avg": the plain mean of the seven math columns (NaN unless all exist).
func mathAvg(r RunSummary) float64 {
	sum := 0.0
	for _, c := range mathCols {
		v := runScore(r, c.bench)
		if math.IsNaN(v) {
			return math.NaN()
		}
		sum += v
	}
	return sum / float64(len(mathCols))
}

// scoreTable builds a paper-vs-ours table from a paper CSV whose rows are models.
func scoreTable(name, title, file string, cols []column, withAvg bool, runs []RunSummary) (Table, error) {
	recs, err := readPaperCSV(file)
	if err != nil {
		return Table{}, err
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	for _, c := range cols {
		if _, ok := idx[c.key]; !ok {
			return Table{}, fmt.Errorf("harness/paper/%s: column %q missing", file, c.key)
		}
	}
	t := Table{Name: name, Title: title,
		Note: "Each cell: paper / ours (ours − paper). Ours comes from results/runs/*/record.json, matched to a paper row by the run's --label. " +
			"A run that scored only part of a benchmark (--limit) shows [n/N] items instead of a difference: it is not a benchmark score."}
	t.Header = []string{"Model"}
	t.CSV = [][]string{{"model", "source"}}
	if withAvg {
		t.Header = append(t.Header, "Avg")
		t.CSV[0] = append(t.CSV[0], "avg_paper", "avg_ours", "avg_delta")
	}
	if withAvg {
		t.CSV[0] = append(t.CSV[0], "avg_items")
	}
	for _, c := range cols {
		t.Header = append(t.Header, c.title)
		t.CSV[0] = append(t.CSV[0], c.key+"_paper", c.key+"_ours", c.key+"_delta", c.key+"_items")
	}
	byLabel := map[string]RunSummary{}
	for _, r := range runs {
		byLabel[r.Label] = r
	}
	used := map[string]bool{}
	emit := func(model, source string, paper map[string]float64, run *RunSummary) {
		row := []string{model}
		crow := []string{model, source}
		// add writes one column; cov is "n/N" when ours covers only part of the benchmark.
		add := func(p, o float64, cov string, partial bool) {
			d := math.NaN()
			if partial && !math.IsNaN(o) {
				row = append(row, partialCell(p, o, cov))
			} else {
				row = append(row, cell(p, o))
				if !math.IsNaN(p) && !math.IsNaN(o) {
					d = o - p
				}
			}
			crow = append(crow, fmtNum(p), fmtNum(o), fmtNum(d), cov)
		}
		cov := func(bench string) (string, bool) {
			if run == nil {
				return "", false
			}
			c, ok := run.Coverage[bench]
			if !ok {
				return "", false
			}
			return c.String(), c.Partial()
		}
		ours := func(bench string) float64 {
			if run == nil {
				return math.NaN()
			}
			if bench == "avg" {
				return mathAvg(*run)
			}
			return runScore(*run, bench)
		}
		pv := func(k string) float64 {
			if v, ok := paper[k]; ok {
				return v
			}
			return math.NaN()
		}
		if withAvg {
			partial, covs := false, ""
			for _, c := range cols {
				if _, p := cov(c.bench); p {
					partial, covs = true, "partial"
				}
			}
			add(pv("avg"), ours("avg"), covs, partial)
		}
		for _, c := range cols {
			cs, p := cov(c.bench)
			add(pv(c.key), ours(c.bench), cs, p)
		}
		t.Rows = append(t.Rows, row)
		t.CSV = append(t.CSV, crow)
	}
	for _, rec := range recs[1:] {
		model := rec[idx["model"]]
		paper := map[string]float64{}
		for k, i := range idx {
			paper[k] = parseNum(rec[i])
		}
		var run *RunSummary
		if r, ok := byLabel[model]; ok {
			run, used[model] = &r, true
		}
		emit(model, "paper", paper, run)
	}
	for _, r := range runs {
		if !used[r.Label] {
			r := r
			emit(r.Label+" (ours)", "ours", map[string]float64{}, &r)
		}
	}
	t.Bars = barsFrom(cols, recs, idx, runs, withAvg)
	return t, nil
}

// barsFrom picks the series of a figure: every run (ours) and its paper row; with no run, the
// General-Reasoner models and their base models from the paper.
func barsFrom(cols []column, recs [][]string, idx map[string]int, runs []RunSummary, withAvg bool) *BarData {
	bd := &BarData{Values: map[string][]float64{}, YLabel: "score (%)"}
	for _, c := range cols {
		bd.Groups = append(bd.Groups, c.title)
	}
	paperRow := map[string][]string{}
	var paperOrder []string
	for _, rec := range recs[1:] {
		paperRow[rec[idx["model"]]] = rec
		paperOrder = append(paperOrder, rec[idx["model"]])
	}
	addPaper := func(model string) {
		rec, ok := paperRow[model]
		if !ok {
			return
		}
		name := model + " (paper)"
		for _, c := range cols {
			bd.Values[name] = append(bd.Values[name], parseNum(rec[idx[c.key]]))
		}
		bd.Series = append(bd.Series, name)
	}
	added := map[string]bool{}
	addPaperOnce := func(m string) {
		if !added[m] {
			added[m] = true
			addPaper(m)
		}
	}
	for _, r := range runs {
		addPaperOnce(r.Label)
		name := r.Label + " (ours)"
		partial := false
		for _, c := range cols {
			if r.Coverage[c.bench].Partial() {
				partial = true
			}
		}
		if partial {
			name = r.Label + " (ours, partial: --limit)"
		}
		for _, c := range cols {
			bd.Values[name] = append(bd.Values[name], runScore(r, c.bench))
		}
		bd.Series = append(bd.Series, name)
	}
	// The paper's General-Reasoner models and their base models are always drawn, beside ours.
	for _, m := range paperOrder {
		if strings.Contains(m, "General-Reasoner") || strings.HasSuffix(m, "-Base") {
			if len(bd.Series) >= len(palette) {
				break
			}
			addPaperOnce(m)
		}
	}
	return bd
}

// perGroupTable is MMLU-Pro per category or SuperGPQA per discipline.
func perGroupTable(name, title, file, bench string, runs []RunSummary) (Table, error) {
	recs, err := readPaperCSV(file)
	if err != nil {
		return Table{}, err
	}
	groups := recs[0][2:]
	t := Table{Name: name, Title: title, Note: "Each cell: paper / ours (ours − paper); paper rows from the earlier preprint (Qwen2.5 models)."}
	t.Header = append([]string{"Model", "Avg"}, groups...)
	t.CSV = [][]string{append(append([]string{"model", "source", "avg"}, groups...), "items")}
	byLabel := map[string]RunSummary{}
	for _, r := range runs {
		byLabel[r.Label] = r
	}
	ours := func(r *RunSummary, g string) float64 {
		if r == nil {
			return math.NaN()
		}
		m, ok := r.Metrics[bench]
		if !ok {
			return math.NaN()
		}
		if g == "" {
			return m.Score
		}
		for _, gs := range m.Groups {
			if gs.Name == g {
				return gs.Accuracy
			}
		}
		return math.NaN()
	}
	used := map[string]bool{}
	emit := func(model, source string, paper []string, r *RunSummary) {
		cellOf := cell
		cov := ""
		if r != nil && r.Coverage[bench].Partial() {
			cov = r.Coverage[bench].String()
			cellOf = func(p, o float64) string {
				if math.IsNaN(o) {
					return cell(p, o)
				}
				return partialCell(p, o, cov)
			}
		}
		row := []string{model, cellOf(parseNumAt(paper, 0), ours(r, ""))}
		crow := []string{model, source, fmtNum(parseNumAt(paper, 0))}
		for i, g := range groups {
			row = append(row, cellOf(parseNumAt(paper, i+1), ours(r, g)))
			crow = append(crow, fmtNum(parseNumAt(paper, i+1)))
		}
		crow = append(crow, "")
		t.Rows = append(t.Rows, row)
		t.CSV = append(t.CSV, crow)
		if r != nil { // ours as its own CSV row
			o := []string{model, "ours", fmtNum(ours(r, ""))}
			for _, g := range groups {
				o = append(o, fmtNum(ours(r, g)))
			}
			o = append(o, r.Coverage[bench].String())
			t.CSV = append(t.CSV, o)
		}
	}
	for _, rec := range recs[1:] {
		var r *RunSummary
		if x, ok := byLabel[rec[0]]; ok {
			r, used[rec[0]] = &x, true
		}
		emit(rec[0], "paper", rec[1:], r)
	}
	for _, r := range runs {
		if _, ok := r.Metrics[bench]; ok && !used[r.Label] {
			r := r
			emit(r.Label+" (ours)", "ours", nil, &r)
		}
	}
	return t, nil
}

func parseNumAt(s []string, i int) float64 {
	if i >= len(s) {
		return math.NaN()
	}
	return parseNum(s[i])
}

// microTables names the micro reproduction's version of each ablation table and says how its
// columns map to the paper's.
var microTables = map[string]struct{ name, title, legend string }{
	"ablation_verifier": {"ablation_verifier_micro", "Micro reproduction of paper Table 5: GRPO rewards compared",
		"Columns are the GRPO rewards that ran, from one shared warm start with the same budget and seeds:" +
			" `model` = the micro model verifier (the paper's model_based column), `math-rules` = a math-only rule verifier" +
			" (the role math-verify plays in the paper's rule_based column), `string` = normalised string match and `rules` =" +
			" the strong rule verifier (extra rows of ours, not in the paper). Accuracies are held-out avg@k judged by the oracle" +
			" (the generator's meaning of every answer; it shares no code with any reward), mean ± sample sd over seeds; the" +
			" last rows say how each reward judged the same held-out samples at the last evaluation."},
	"ablation_data": {"ablation_data_micro", "Micro reproduction of paper Table 4: diverse vs math-only data",
		"One reward (first column) on all domains vs on the math domains only, same warm start, budget and seeds; held-out" +
			" avg@k judged by the oracle, mean ± sample sd over seeds. Paper columns: MMLU-Pro ~ all, GPQA ~ physics (units)," +
			" SuperGPQA ~ other (percent, list, boolean, choice), Math-Related ~ math; non-math = physics and other together."},
}

// paperOnlyTable shows a paper CSV as it is (ablations).
func paperOnlyTable(name, title, file, resultsDir string) (Table, error) {
	recs, err := readPaperCSV(file)
	if err != nil {
		return Table{}, err
	}
	t := Table{Name: name, Title: title, Header: recs[0], CSV: [][]string{append([]string{"source"}, recs[0]...)}}
	for _, r := range recs[1:] {
		t.Rows = append(t.Rows, r)
		t.CSV = append(t.CSV, append([]string{"paper"}, r...))
	}
	if mt, ok := microTables[name]; ok {
		if _, err := os.Stat(filepath.Join(resultsDir, "micro", name+".csv")); err == nil {
			t.Note = "The paper's numbers. The CPU micro reproduction is the next table (" + mt.name + ")."
		}
	}
	return t, nil
}

// microTable is the micro reproduction's version of an ablation table: results/micro/<name>.csv
// as written by `greason train micro` (its own header; lines starting with "# " are findings
// computed from the numbers and join the note). Without the file the table is empty (no Name)
// and left out.
func microTable(name, resultsDir string) (Table, error) {
	mt := microTables[name]
	path := filepath.Join(resultsDir, "micro", name+".csv")
	recs, findings, err := readResultsCSV(path)
	if recs == nil || err != nil {
		return Table{}, err
	}
	t := Table{Name: mt.name, Title: mt.title, Header: recs[0], CSV: recs,
		Note: "From " + path + " (`just micro`): the CPU micro reproduction, not the paper's scale. " + mt.legend}
	if len(findings) > 0 {
		t.Note += "\n\n" + strings.Join(findings, "\n")
	}
	t.Rows = recs[1:]
	// the run's curves (held-out accuracy and hack rate per evaluation step), as `greason train
	// micro` drew them, beside the verifier table
	if name == "ablation_verifier" {
		for _, c := range []string{"heldout", "hack"} {
			png, err := os.ReadFile(filepath.Join(resultsDir, "micro", "curve_"+c+".png"))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				return Table{}, err
			}
			if t.Files == nil {
				t.Files = map[string][]byte{}
			}
			t.Files[mt.name+"_"+c+".png"] = png
		}
	}
	return t, nil
}

// readResultsCSV reads a results CSV whose lines starting with "# " are findings (returned
// apart, for the table's note). A missing file gives no records and no error; a file without a
// data row is an error naming it.
func readResultsCSV(path string) (recs [][]string, findings []string, err error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if f, ok := strings.CutPrefix(l, "# "); ok {
			findings = append(findings, f)
		} else if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	recs, err = csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, nil, fmt.Errorf("%s: no rows", path)
	}
	return recs, findings, nil
}

// e2eTable is the end-to-end chain's table: results/e2e/e2e.csv as `greason train e2e report`
// writes it (lines starting with "# " join the note). Without the file the table is left out.
func e2eTable(resultsDir string) (Table, error) {
	path := filepath.Join(resultsDir, "e2e", "e2e.csv")
	recs, findings, err := readResultsCSV(path)
	if recs == nil || err != nil {
		return Table{}, err
	}
	t := Table{Name: "e2e", Title: "End to end on a CPU: data pipeline → SFT → GRPO → greason serve, judged by the oracle", Header: recs[0], CSV: recs, Rows: recs[1:],
		Note: "From " + path + " (`just e2e`): a tiny Qwen3 with the real Qwen3 tokenizer trained by `greason train sft` and `greason train grpo` on the" +
			" `greason data export` of the micro generator's questions, each model served by `greason serve` and asked the held-out questions" +
			" through its OpenAI-compatible API; accuracies are the oracle's (the evaluator of `just micro`), not the paper's benchmarks."}
	if len(findings) > 0 {
		t.Note += "\n\n" + strings.Join(findings, "\n")
	}
	return t, nil
}

// BuildTables assembles every table from the vendored paper numbers and the runs under resultsDir.
func BuildTables(resultsDir string) ([]Table, []RunSummary, error) {
	runs, err := LoadRuns(resultsDir)
	if err != nil {
		return nil, nil, err
	}
	var ts []Table
	for _, mk := range []func() (Table, error){
		func() (Table, error) {
			return scoreTable("general", "General-domain benchmarks (paper Table 2)", "general.csv", generalCols, false, runs)
		},
		func() (Table, error) {
			return scoreTable("math", "Math benchmarks (paper Table 3; Avg = plain mean of the seven)", "math.csv", mathCols, true, runs)
		},
		func() (Table, error) {
			return paperOnlyTable("ablation_verifier", "Model-based vs rule-based verifier (paper Table 5)", "ablation_verifier.csv", resultsDir)
		},
		func() (Table, error) { return microTable("ablation_verifier", resultsDir) },
		func() (Table, error) {
			return paperOnlyTable("ablation_data", "Diverse-domain vs math-only data (paper Table 4)", "ablation_data.csv", resultsDir)
		},
		func() (Table, error) { return microTable("ablation_data", resultsDir) },
		func() (Table, error) { return e2eTable(resultsDir) },
		func() (Table, error) {
			return perGroupTable("mmlu_pro_categories", "MMLU-Pro accuracy per category (preprint Table 4)", "mmlu_pro_categories.csv", "mmlu-pro", runs)
		},
		func() (Table, error) {
			return perGroupTable("supergpqa_disciplines", "SuperGPQA accuracy per discipline (preprint Table 5)", "supergpqa_disciplines.csv", "supergpqa", runs)
		},
	} {
		t, err := mk()
		if err != nil {
			return nil, nil, err
		}
		if t.Name != "" {
			ts = append(ts, t)
		}
	}
	return ts, runs, nil
}
