package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/benchmarks"
)

func TestCacheDropsTornLineAndDedups(t *testing.T) {
	p := filepath.Join(t.TempDir(), "samples.jsonl")
	c, err := OpenCache(p)
	if err != nil {
		t.Fatal(err)
	}
	c.Put(Sample{Key: "a", Response: "x"})
	c.Put(Sample{Key: "b", Response: "y"})
	c.Put(Sample{Key: "a", Response: "dup"})
	c.Close()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"key":"c","resp`) // a writer killed mid-line
	f.Close()
	c, err = OpenCache(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	if s, _ := c.Get("a"); s.Response != "x" {
		t.Fatalf("dedup kept %q", s.Response)
	}
	c.Put(Sample{Key: "c", Response: "z"})
	c.Close()
	b, _ := os.ReadFile(p)
	if strings.Count(string(b), "\n") != 3 || strings.Contains(string(b), `"resp{`) {
		t.Fatalf("file after recovery:\n%s", b)
	}
	os.WriteFile(p, []byte("{\"key\":\"a\"}\nnot json\n"), 0o644)
	if _, err := OpenCache(p); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("corrupt middle line: %v", err)
	}
}

func TestReadGenerationsFormats(t *testing.T) {
	dir := t.TempDir()
	arr := filepath.Join(dir, "mmlu.json")
	os.WriteFile(arr, []byte(`[{"question_id": 70, "model_outputs": "The answer is (I)."}, {"question_id": 71, "model_outputs": null, "generated_text": "x"}]`), 0o644)
	rs, err := ReadGenerations(arr, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].ID != "70" || rs[0].Text != "The answer is (I)." || rs[1].Text != "x" {
		t.Fatalf("%+v", rs)
	}
	jl := filepath.Join(dir, "g.jsonl")
	os.WriteFile(jl, []byte("{\"id\": \"a\", \"response\": \"r\", \"sample\": 3}\n\n{\"id\": \"b\", \"response\": \"s\", \"sample\": \"x\"}\n"), 0o644)
	if _, err := ReadGenerations(jl, ReadOptions{}); err == nil || !strings.Contains(err.Error(), `g.jsonl: line 3: field "sample"`) {
		t.Fatalf("%v", err)
	}
}

func TestDiffListsFlips(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, correct ...bool) string {
		var rows []ScoreRow
		for i, c := range correct {
			rows = append(rows, ScoreRow{Benchmark: "gsm8k", Result: benchmarks.Result{ID: string(rune('a' + i)), Correct: c, Pred: map[bool]string{true: "1", false: "2"}[c], Gold: "1"}})
		}
		p := filepath.Join(dir, name, "gsm8k.scores.jsonl")
		if err := WriteJSONLAtomic(p, rows); err != nil {
			t.Fatal(err)
		}
		return filepath.Dir(p)
	}
	a := mk("A", true, true, false, false)
	b := mk("B", true, false, true, true)
	ds, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	d := ds[0]
	if d.ScoreA != 50 || d.ScoreB != 75 || len(d.RightWrong) != 1 || d.RightWrong[0].ID != "b" || len(d.WrongRight) != 2 {
		t.Fatalf("%+v", d)
	}
	var sb strings.Builder
	PrintDiff(&sb, ds, 1)
	if !strings.Contains(sb.String(), "50.00 ->  75.00 (+25.00)") || !strings.Contains(sb.String(), "... 1 more wrong->right") {
		t.Fatalf("%s", sb.String())
	}
}

func TestTablesPaperBesideOurs(t *testing.T) {
	res := t.TempDir()
	rec := Record{Config: EvalConfig{Run: "r", Model: "org/GR-4B", Label: "General-Reasoner-4B", Limit: 100},
		Benchmarks: map[string]BenchRecord{"gsm8k": {Items: 100, Total: 1319}},
		Metrics: map[string]benchmarks.Metrics{
			"mmlu-pro": {N: 12032, Items: 12032, Score: 60.0, Groups: []benchmarks.GroupScore{{Name: "math", N: 5, Accuracy: 80}}},
			"gsm8k":    {N: 100, Items: 100, Score: 90.0}, // --limit 100: a partial run
		}}
	if err := WriteJSONAtomic(filepath.Join(res, "runs", "r", "record.json"), rec); err != nil {
		t.Fatal(err)
	}
	other := Record{Config: EvalConfig{Run: "o", Model: "my/model"}, Metrics: map[string]benchmarks.Metrics{"bbeh": {N: 4520, Items: 4520, Score: 25}}}
	WriteJSONAtomic(filepath.Join(res, "runs", "o", "record.json"), other)
	os.MkdirAll(filepath.Join(res, "micro"), 0o755)
	os.WriteFile(filepath.Join(res, "micro", "ablation_verifier.csv"), []byte("# model beats math-rules\nheld-out,model,math-rules\nall,41.0 ± 1.0,33.0 ± 2.0\n"), 0o644)
	os.WriteFile(filepath.Join(res, "micro", "curve_hack.png"), []byte("\x89PNG hack curve"), 0o644)

	ts, runs, err := BuildTables(res)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || len(ts) != 7 {
		t.Fatalf("%d runs %d tables", len(runs), len(ts))
	}
	out := t.TempDir()
	files, err := WriteTables(out, ts, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("%d files", len(files))
	}
	read := func(n string) string { b, _ := os.ReadFile(filepath.Join(out, n)); return string(b) }
	if g := read("general.md"); !strings.Contains(g, "| General-Reasoner-4B | 62.8 / 60.0 (-2.8) | 42.9 |") || !strings.Contains(g, "| model (ours) | – | – | – | – | – / 25.0 |") {
		t.Fatalf("general.md:\n%s", g)
	}
	if c := read("general.csv"); !strings.Contains(c, "General-Reasoner-4B,paper,62.8,60.0,-2.8,") {
		t.Fatalf("general.csv:\n%s", c)
	}
	if m := read("mmlu_pro_categories.md"); !strings.Contains(m, "| GR-4B (ours)") && !strings.Contains(m, "General-Reasoner-4B (ours) | – / 60.0 | – | – / 80.0") {
		t.Fatalf("categories:\n%s", m)
	}
	if a := read("ablation_verifier_micro.md"); !strings.Contains(a, "| held-out | model | math-rules |") || !strings.Contains(a, "| all | 41.0 ± 1.0 | 33.0 ± 2.0 |") ||
		!strings.Contains(a, "model beats math-rules") || !strings.Contains(a, "paper's model_based column") {
		t.Fatalf("ablation:\n%s", a)
	}
	if a := read("ablation_verifier.md"); !strings.Contains(a, "| MMLU-Pro | 60.1 | 58.1 |") || !strings.Contains(a, "ablation_verifier_micro") {
		t.Fatalf("ablation:\n%s", a)
	}
	// the micro run's curves are copied beside its table and shown in the index
	if c := read("ablation_verifier_micro_hack.png"); c != "\x89PNG hack curve" || !strings.Contains(read("README.md"), "![ablation_verifier_micro_hack.png](ablation_verifier_micro_hack.png)") {
		t.Fatalf("micro hack curve %q", c)
	}
	if _, err := os.Stat(filepath.Join(out, "ablation_verifier_micro_heldout.png")); !os.IsNotExist(err) {
		t.Fatalf("a curve the run did not draw: %v", err)
	}
	if x := read("general.tex"); !strings.Contains(x, `62.8 / 60.0 (-2.8)`) || !strings.Contains(x, `\begin{tabular}`) {
		t.Fatalf("tex:\n%s", x)
	}
	if png := read("general.png"); !strings.HasPrefix(png, "\x89PNG") {
		t.Fatal("no png")
	}
	// --limit: the partial GSM8K number carries n/N and no difference, in every format, and so
	// does the average it enters.
	if m := read("math.md"); !strings.Contains(m, "| General-Reasoner-4B | 53.4 | 80.6 | 47.7 | 57.7 | 92.2 / 90.0 [100/1319] |") {
		t.Fatalf("math.md:\n%s", m)
	}
	if c := read("math.csv"); !strings.Contains(c, ",92.2,90.0,,100/1319,") {
		t.Fatalf("math.csv:\n%s", c)
	}
	if x := read("math.tex"); !strings.Contains(x, "92.2 / 90.0 [100/1319]") {
		t.Fatalf("math.tex:\n%s", x)
	}
	if r := read("mmlu_pro_categories.csv"); !strings.Contains(r, "General-Reasoner-4B (ours),ours,60.0") || !strings.Contains(r, ",12032/12032") {
		t.Fatalf("categories csv:\n%s", r)
	}
	// Figures draw the paper's rows beside ours, and name a partial run as such.
	series := strings.Join(ts[1].Bars.Series, "|")
	for _, want := range []string{"General-Reasoner-4B (paper)", "General-Reasoner-4B (ours, partial: --limit)", "Qwen3-4B-Base (paper)"} {
		if !strings.Contains(series, want) {
			t.Errorf("math figure series %q lack %q", series, want)
		}
	}
	if g := strings.Join(ts[0].Bars.Series, "|"); !strings.Contains(g, "model (ours)") || !strings.Contains(g, "General-Reasoner-Qw3-14B (paper)") {
		t.Errorf("general figure series %q", g)
	}
}
