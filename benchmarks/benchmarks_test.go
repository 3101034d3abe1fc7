package benchmarks

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/greason/greason/verify"
)

func load(t *testing.T, name string) (Benchmark, []Item) {
	t.Helper()
	b, err := Get(name)
	if err != nil {
		t.Fatal(err)
	}
	items, err := b.Load()
	if err != nil {
		t.Fatal(err)
	}
	return b, items
}

func TestCountsAndIDs(t *testing.T) {
	for _, b := range All() {
		s := b.Spec()
		if s.Name == "supergpqa" {
			continue // not vendored; see TestSuperGPQAFixture
		}
		items, err := b.Load()
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		if len(items) != s.Count {
			t.Errorf("%s: %d items, want %d", s.Name, len(items), s.Count)
		}
		seen := map[string]bool{}
		for _, it := range items {
			if it.ID == "" || seen[it.ID] {
				t.Fatalf("%s: empty or duplicate id %q", s.Name, it.ID)
			}
			seen[it.ID] = true
			if it.Gold == "" || it.Prompt == "" || !strings.Contains(it.Prompt, it.Question) {
				t.Fatalf("%s: item %s incomplete", s.Name, it.ID)
			}
		}
	}
	if len(All()) != 12 {
		t.Fatalf("%d benchmarks registered, want 12", len(All()))
	}
}

func TestMMLUProPromptAndGroups(t *testing.T) {
	_, items := load(t, "mmlu-pro")
	it := items[0]
	want := it.Question + "\nOptions are:\n(A): " + it.Options[0] + "\n"
	if !strings.HasPrefix(it.Prompt, want) {
		t.Fatalf("prompt start:\n%q", it.Prompt[:200])
	}
	if !strings.HasSuffix(it.Prompt, "\n\n\nPlease reason step by step, and put your final answer option within \\boxed{}. Only put the option letter in the box, e.g. \\boxed{A}. There is only one correct answer.") {
		t.Fatalf("prompt end: %q", it.Prompt[len(it.Prompt)-200:])
	}
	cats := map[string]int{}
	for _, it := range items {
		cats[it.Group]++
	}
	if len(cats) != 14 || cats["math"] != 1351 || cats["law"] != 1101 {
		t.Fatalf("categories: %v", cats)
	}
}

func TestPaperLetterRule(t *testing.T) {
	b, items := load(t, "mmlu-pro")
	it := items[0]
	it.Gold = "C"
	cases := []struct {
		resp    string
		pred    string
		correct bool
		fall    bool
	}{
		{`so \boxed{C}`, "C", true, false},
		{`\boxed{A} then \boxed{C}`, "C", true, false},         // last box
		{`\boxed{\text{C}}`, "C", true, false},                 // letters of \text are lower case
		{`\boxed{(C) Paris}`, "C", true, false},                // first A-J in alphabetical order: C, not P
		{`\boxed{BC}`, "B", false, false},                      // alphabetical, not positional
		{"Final Answer: C\n", "C", true, false},                // no box: Final Answer line
		{"The answer is: (C)\n", "C", true, false},             // case-sensitive pattern
		{`\boxed{}` + "\nFinal Answer: C\n", "C", true, false}, // empty box is falsy
		{`<|im_start|>user \boxed{A}<|im_start|>assistant \boxed{C}`, "C", true, false},
		{`\boxed{C}<|im_end|>\boxed{A}`, "C", true, false}, // cut at stop token
		{`Assistant: \boxed{C}`, "C", true, false},
		{"no answer here", "", false, true},
		{`\boxed{\textbf{(C)}}`, "C", true, false},            // two levels of nesting: matched
		{`\boxed{\text{\textbf{\emph{C}}}}`, "", false, true}, // three levels: the regex cannot match
		{"Answer: (C)", "", false, true},                      // no "Answer:" pattern in the eval scripts
		{`\boxed{C} \boxed{}`, "", false, true},               // the last box is empty (falsy): the earlier one is not used
	}
	for _, c := range cases {
		r, err := b.Score(context.Background(), it, c.resp, Scorer{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if r.Fallback != c.fall || (!c.fall && (r.Pred != c.pred || r.Correct != c.correct)) {
			t.Errorf("%q: got pred=%q correct=%v fallback=%v", c.resp, r.Pred, r.Correct, r.Fallback)
		}
	}
	// The fallback is seeded: same seed, item and sample give the same letter; it is recorded.
	a, _ := b.Score(context.Background(), it, "nothing", Scorer{Seed: 7, Sample: 3})
	c, _ := b.Score(context.Background(), it, "nothing", Scorer{Seed: 7, Sample: 3})
	if a.Pred != c.Pred || len(a.Pred) != 1 || a.Pred < "A" || a.Pred > "J" {
		t.Fatalf("fallback not deterministic: %q %q", a.Pred, c.Pred)
	}
	// Over many items the fallback letters spread over A-J.
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		seen[FallbackLetter(7, items[i].ID, 0)] = true
	}
	if len(seen) != 10 {
		t.Fatalf("fallback letters %v", seen)
	}
}

func TestMMLUProRepoProtocol(t *testing.T) {
	b, items := load(t, "mmlu-pro")
	it := items[0] // 10 options
	cases := map[string]string{
		"The answer is (B).":                 "B",
		"the answer is C":                    "C",
		"Answer: D\nlater Answer: E":         "D", // first line holding an Answer: match
		"x Answer: D y answer: F\nAnswer: E": "F", // greedy .* on that line
		"Answer:\n\n G":                      "G", // \s* crosses newlines
		"Answer:\u00a0D":                     "D", // Python's \s: a no-break space is whitespace
		"Answer:\u2003\u3000\x1fE":           "E", // em space, ideographic space, unit separator
		"Answer:\u200bF, or G":               "G", // a zero-width space is not whitespace: the last standalone letter
		"I pick A, but really H is right.":   "H", // last standalone letter
		"Choice H\u00e9 is odd; A":           "A",
		"option \u00e9H":                     "", // é is a word char in Python: no boundary
	}
	for resp, want := range cases {
		got, ok := MMLUProRepoExtract(resp)
		if got != want || ok != (want != "") {
			t.Errorf("%q: got %q %v, want %q", resp, got, ok, want)
		}
	}
	// No letter: the repository's seed(12345) randint(0, 9) = 6 -> "G" for 10 options.
	r, err := b.Score(context.Background(), it, "no idea, sorry.", Scorer{Protocol: "mmlu-pro-repo"})
	if err != nil || !r.Fallback || r.Pred != "G" {
		t.Fatalf("repo fallback: %+v %v", r, err)
	}
	if _, err := b.Score(context.Background(), it, "", Scorer{Protocol: "nope"}); err == nil {
		t.Fatal("unknown protocol accepted")
	}
}

// TestPySpaceClass checks the regexp class for Python's \s against str.isspace() as
// verify.PyStrip implements it, for every rune up to U+3000.
func TestPySpaceClass(t *testing.T) {
	re := regexp.MustCompile(`^` + pySpaceClass + `$`)
	for r := rune(0); r <= 0x3000; r++ {
		s := string(r)
		if re.MatchString(s) != (verify.PyStrip("x"+s+"x") == "x"+s+"x" && verify.PyStrip(s) == "") {
			t.Errorf("U+%04X: class %v", r, re.MatchString(s))
		}
	}
}

func TestGPQAShuffleAndExtraction(t *testing.T) {
	b, items := load(t, "gpqa-diamond")
	// random.Random(0).sample(range(4), 4) for the first example is [3, 1, 0, 2]: the correct
	// answer (index 0) lands at position 2 -> "C".
	if items[0].Gold != "C" || items[1].Gold != "D" || items[2].Gold != "C" {
		t.Fatalf("golds %s %s %s", items[0].Gold, items[1].Gold, items[2].Gold)
	}
	counts := map[string]int{}
	for _, it := range items {
		counts[it.Gold]++
		if !strings.HasSuffix(it.Prompt, "\n\nPlease reason step by step, and put your final answer within \\boxed{}.\nPlease only provide the letter of the answer in the box.") ||
			!strings.Contains(it.Prompt, "\n\nA: "+it.Options[0]+"\nB: ") {
			t.Fatalf("prompt %q", it.Prompt[len(it.Prompt)-300:])
		}
	}
	if len(counts) != 4 {
		t.Fatalf("gold letters %v", counts)
	}
	it := items[0]
	for resp, want := range map[string]bool{
		`\boxed{C}`:                     true,
		`\boxed{C} and later \boxed{A}`: false, // greedy to the last } on the line: "C} and later \boxed{A"
		"\\boxed{C}\n\\boxed{A}":        true,  // first box on its own line
		`\boxed{\text{C}}`:              false, // exact letter only
		`\BOXED{C}`:                     true,  // case-insensitive pattern
		"C":                             false,
	} {
		r, _ := b.Score(context.Background(), it, resp, Scorer{})
		if r.Correct != want {
			t.Errorf("%q: correct=%v want %v (extracted %q)", resp, r.Correct, want, r.Extracted)
		}
	}
}

func TestMathSetsGoldsAndJudge(t *testing.T) {
	_, gsm := load(t, "gsm8k")
	if gsm[0].Gold != "18" {
		t.Fatalf("gsm8k gold %q", gsm[0].Gold)
	}
	_, amc := load(t, "amc23")
	if amc[0].Gold != "27.0" {
		t.Fatalf("amc gold %q", amc[0].Gold)
	}
	_, min := load(t, "minerva")
	if min[0].Gold == "" || strings.Contains(min[0].Gold, `\boxed`) {
		t.Fatalf("minerva gold %q", min[0].Gold)
	}
	b, m5 := load(t, "math500")
	it := m5[0] // (3, \frac{\pi}{2})
	if !strings.HasSuffix(it.Prompt, "\n\nPlease reason step by step, and put your final answer within \\boxed{}.") {
		t.Fatal(it.Prompt)
	}
	r, err := b.Score(context.Background(), it, `so \boxed{\left( 3, \frac{\pi}{2} \right)}`, Scorer{Judge: verify.StringJudge{}})
	if err != nil || !r.Correct || r.Judge != "string" {
		t.Fatalf("%+v %v", r, err)
	}
	// Nothing boxed: the judge sees the literal "None".
	rec := &recordingJudge{}
	r, _ = b.Score(context.Background(), it, "no box", Scorer{Judge: rec})
	if r.Correct || r.Found || rec.answer != "None" || rec.gold != it.Gold {
		t.Fatalf("%+v %+v", r, rec)
	}
	if _, err := b.Score(context.Background(), it, "x", Scorer{}); err == nil {
		t.Fatal("scoring without a judge must fail")
	}
}

type recordingJudge struct{ question, gold, answer string }

func (*recordingJudge) Name() string { return "rec" }
func (j *recordingJudge) Judge(_ context.Context, q, g, a string) (verify.Verdict, error) {
	j.question, j.gold, j.answer = q, g, a
	return verify.Verdict{Layer: "rec"}, nil
}

func TestBBEHFuzzyMatch(t *testing.T) {
	b, items := load(t, "bbeh")
	tasks := map[string]bool{}
	for _, it := range items {
		tasks[it.Group] = true
	}
	if len(tasks) != 23 {
		t.Fatalf("%d tasks", len(tasks))
	}
	it := Item{ID: "x", Gold: "(B)"}
	for resp, want := range map[string]bool{
		`\boxed{b}`:            true, // "(b)" vs "b"
		`\boxed{(B)}`:          true,
		"The answer is: (b)\n": true,
		`\boxed{C}`:            false,
		`\boxed{\text{b}}`:     true, // strip_latex
	} {
		r, _ := b.Score(context.Background(), it, resp, Scorer{})
		if r.Correct != want {
			t.Errorf("%q: %v (pred %q)", resp, r.Correct, r.Pred)
		}
	}
	for pred, ref := range map[string]string{"2.0": "2", "['a','b']": "[a,b]", "yes?": "yes", "[x]": "x", "1_000": "1000"} {
		if !BBEHFuzzyMatch(pred, ref) {
			t.Errorf("fuzzy %q vs %q", pred, ref)
		}
	}
	if BBEHFuzzyMatch("0x10", "16") || BBEHFuzzyMatch("nan", "nan") == false {
		t.Error("python float semantics")
	}
}

func TestTheoremQA(t *testing.T) {
	b, items := load(t, "theoremqa")
	types := map[string]int{}
	for _, it := range items {
		types[it.Meta["answer_type"]]++
	}
	if types["float"] != 378 || types["bool"] != 115 || types["option"] != 18 {
		t.Fatalf("types %v", types)
	}
	byType := func(ty string) Item {
		for _, it := range items {
			if it.Meta["answer_type"] == ty {
				return it
			}
		}
		t.Fatal(ty)
		return Item{}
	}
	fl := byType("float") // gold 1.0 in the first float row? use arithmetic on its own gold
	g, _ := pyFloat(fl.Gold)
	cases := []struct {
		it   Item
		resp string
		want bool
	}{
		{fl, `\boxed{` + pyFloatRepr(g*1.03) + `}`, true},
		{fl, `\boxed{` + pyFloatRepr(g*1.05+0.01) + `}`, false},
		{byType("bool"), `\boxed{\text{` + map[string]string{"True": "Yes", "False": "False"}[byType("bool").Gold] + `}}`, true},
	}
	for _, c := range cases {
		r, _ := b.Score(context.Background(), c.it, c.resp, Scorer{})
		if r.Correct != c.want {
			t.Errorf("%s gold %s resp %q: %v (pred %q)", c.it.Meta["answer_type"], c.it.Gold, c.resp, r.Correct, r.Pred)
		}
	}
	// integer gold: Python round (half to even) of the prediction.
	if !TheoremQACompare("11760.4", "11760", "11760") || TheoremQACompare("11760.6", "11760", "11760") ||
		!TheoremQACompare("2.5", "2", "2") || TheoremQACompare("3.5", "3", "3") {
		t.Error("integer rounding")
	}
	if !TheoremQACompare(`\frac{1}{2}`, "0.5", "0.5") || !TheoremQACompare("(a) is right", "(a)", `"(a)"`) {
		t.Error("fraction / option comparison")
	}
	if got := theoremAnswerClean("Work.\nThe answer is: 3.5 m/s.", nil); got != "3.5" {
		t.Errorf("answer_clean = %q", got)
	}
	if got := theoremAnswerClean("The answer is 12.\n", nil); got != "12" {
		t.Errorf("answer_clean = %q", got)
	}
	if got := theoremAnswerClean("The answer is 12, I know", nil); got != "False" {
		t.Errorf("answer_clean keeps the repository's substring test for 'no': %q", got)
	}
	if got := theoremAnswerClean("Since 2 + 3 = 5 we are done; 5 m in total", nil); got != "5" {
		t.Errorf("no trigger: the last number, got %q", got)
	}
}

// theoremRepo scores response against a TheoremQA gold (given as JSON) with theoremqa-repo.
func theoremRepo(t *testing.T, response, goldJSON string) (string, bool) {
	t.Helper()
	gold, err := theoremGoldString([]byte(goldJSON))
	if err != nil {
		t.Fatal(err)
	}
	it := Item{ID: "x", Gold: gold, Meta: map[string]string{"answer_json": goldJSON}}
	r, err := theoremQA{}.Score(context.Background(), it, response, Scorer{Protocol: "theoremqa-repo"})
	if err != nil {
		t.Fatal(err)
	}
	return r.Pred, r.Correct
}

// The TheoremQA repository's grading rules (compute_accuracy.py with latex2sympy2), one test each.

func TestTheoremQALeadingNumber(t *testing.T) {
	// latex2sympy's start rule has no EOF: the longest parsable prefix counts.
	for _, ans := range []string{"59.\nThis is the number of ways.", "59. That is all", "59) of them"} {
		if !TheoremQACompare(ans, "59", "59") {
			t.Errorf("%q should read as 59", ans)
		}
	}
	// ...unless the token right after the number cannot be lexed, or letters follow (a product).
	for _, ans := range []string{"59?", "59 apples", "59 √2"} {
		if TheoremQACompare(ans, "59", "59") {
			t.Errorf("%q should not read as 59", ans)
		}
	}
}

func TestTheoremQAThousandsSeparators(t *testing.T) {
	if !TheoremQACompare("362,880", "362880", "362880") || !TheoremQACompare("1,251.20", "1251.2", "1251.2") {
		t.Error("a number with thousands separators is one number")
	}
	if pred, _ := theoremRepo(t, "The answer is $368,003.01", "368003.0"); pred != "368003.01" {
		t.Errorf("extraction %q", pred)
	}
	// Not groups of three: a list, whose first element number_it takes.
	if TheoremQACompare("12,34", "1234", "1234") || !TheoremQACompare("12,34", "12", "12") {
		t.Error("12,34 is the list [12, 34]")
	}
}

func TestTheoremQALists(t *testing.T) {
	const gold = "[0, 5]"
	for ans, want := range map[string]bool{
		"(5, 0)": true, "(0.0, 5.001)": true, // Python's eval of a tuple, sorted, element by element
		"[0, 5]": true,  // the gold's own string
		"[5, 0]": false, // brackets are not a list to compare...
		"5, 0":   false, // ...nor is a bare list as a prediction string
		"(5)":    false, "(5, 0, 1)": false, `(\frac{1}{2}, 5)`: false,
	} {
		if got := TheoremQACompare(ans, gold, gold); got != want {
			t.Errorf("%q vs %s: %v, want %v", ans, gold, got, want)
		}
	}
	// Extraction turns a bare or bracketed list into the printed Python list, which then passes
	// only as the gold's exact string (the same order); "(a, b)" is kept for eval().
	for resp, want := range map[string]struct {
		pred string
		ok   bool
	}{
		"The answer is 0, 5.":    {"[0, 5]", true},
		"The answer is 5, 0.":    {"[5, 0]", false},
		"The answer is [0, 5]":   {"[0, 5]", true},
		"The answer is (5, 0)":   {"(5, 0)", true},
		"The answer is 1/2, 1/6": {"[0.5, 0.16666666666666666]", false},
	} {
		pred, ok := theoremRepo(t, resp, gold)
		if pred != want.pred || ok != want.ok {
			t.Errorf("%q: pred %q %v, want %q %v", resp, pred, ok, want.pred, want.ok)
		}
	}
}

func TestTheoremQANoDelimiterEvaluation(t *testing.T) {
	// \( \) are not tokens of latex2sympy: the prediction is not a number.
	if TheoremQACompare(`\(\frac{3.14}{2}\)`, "1.57", "1.57") || !TheoremQACompare(`\frac{3.14}{2}`, "1.57", "1.57") {
		t.Error(`\(...\) must not be evaluated`)
	}
	if pred, ok := theoremRepo(t, `The answer is \(\frac{\pi}{2}\).`, "1.57"); ok || pred != `\(\frac{3.14}{2}\)` {
		t.Errorf("extraction %q %v", pred, ok)
	}
}

func TestTheoremQANoBoxedAfterTrigger(t *testing.T) {
	pred, ok := theoremRepo(t, `So the result follows. The answer is \boxed{5}.`, "5")
	if ok || pred != `\boxed{5}` {
		t.Errorf("the repository does not open \boxed{} after the trigger: %q %v", pred, ok)
	}
}

func TestTheoremQAFunctionNames(t *testing.T) {
	// Letters are symbols: arctan(\sqrt{3}) is a*r*c*t*a*n*sqrt(3), not 1.0472.
	if TheoremQACompare(`arctan(\sqrt{3})`, "1.0472", "1.0472") || TheoremQACompare(`\arctan(\sqrt{3})`, "1.0472", "1.0472") ||
		TheoremQACompare(`\tan(1)`, "1.5574", "1.5574") {
		t.Error("functions outside the repository's eval() namespace must not evaluate")
	}
	// sqrt, sin, cos, log and exp are in it; \ln is log(x, E) with the repository's E = 2.718,
	// and e alone prints as E.
	for ans, gold := range map[string]string{`\sqrt{2}`: "1.41421", `\cos(0)`: "1.0", `\log_2 8`: "3", `e^{2}`: "7.389",
		"2e": "5.436", `\ln(4)`: "1.3864", "6!/(3! * 3!)": "20"} {
		if !TheoremQACompare(ans, gold, gold) {
			p, ok := theoremNumberIt(ans)
			t.Errorf("%q should evaluate to %s, got %s %v", ans, gold, p.str(), ok)
		}
	}
	if p, _ := theoremNumberIt("2e"); p.str() != "5.436" {
		t.Errorf("2e = %s, want 2*2.718", p.str())
	}
}

func TestTheoremQAPythonValues(t *testing.T) {
	// str(eval(...)) as run.py writes predictions: ints stay ints, "/" is a float, Python's repr.
	for in, want := range map[string]string{"5.00": "5", "0.130": "0.13", `6.64 \times 10^{-6}`: "6.64e-06",
		"100 * 2^99": "63382530011411470074835160268800", "100%": "1.0", "4.47 * 10^4": "44700.0",
		"7.95 : 1": "7.95", "[1.89, 1.90]": "[1.89, 1.9]", "x = 5": "5", "1234567.5": "1234567.5"} {
		if got := theoremExtractAnswer(in, true, nil); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"2**10": "1024", "(1, 2.5)": "(1, 2.5)", "-2**2": "-4", "7 // -2": "-4", "1e-3": "0.001"} {
		v, err := pyEval(in)
		if err != nil || v.str() != want {
			t.Errorf("eval(%q) = %q %v, want %q", in, v.str(), err, want)
		}
	}
	for _, bad := range []string{"tan(1)", "5 m", "007", "(1, 2"} {
		if _, err := pyEval(bad); err == nil {
			t.Errorf("eval(%q) should fail", bad)
		}
	}
}

func TestSuperGPQAFixture(t *testing.T) {
	dir := t.TempDir()
	if _, err := SuperGPQAPath(dir); err == nil || !strings.Contains(err.Error(), "huggingface-cli download m-a-p/SuperGPQA") {
		t.Fatalf("missing-file error should say how to get it: %v", err)
	}
	src, err := os.ReadFile("testdata/supergpqa_fixture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "supergpqa"), 0o755)
	os.WriteFile(filepath.Join(dir, "supergpqa", SuperGPQAFile), src, 0o644)
	old := DataDir
	DataDir = dir
	defer func() { DataDir = old }()
	b, items := load(t, "supergpqa")
	if len(items) != 4 || items[0].Gold != "C" || items[0].Group != "Engineering" {
		t.Fatalf("%+v", items[0])
	}
	if !strings.Contains(items[0].Prompt, "Only put the letter in the box, e.g. \\boxed{A}.") {
		t.Fatal(items[0].Prompt)
	}
	var res []Result
	for i, it := range items {
		resp := `\boxed{` + it.Gold + `}`
		if i == 3 {
			resp = `\boxed{A}`
		}
		r, _ := b.Score(context.Background(), it, resp, Scorer{})
		res = append(res, r)
	}
	m := Aggregate(b.Spec(), res)
	// Engineering 2/2, Medicine 0/1, Science 1/1 -> macro (100+0+100)/3, micro 3/4.
	if m.Headline != "macro" || math.Abs(m.Score-200.0/3) > 1e-9 || m.Micro != 75 {
		t.Fatalf("%+v", m)
	}
	bad := strings.Replace(string(src), `"answer_letter": "C"`, `"answer_letter": "Z"`, 1)
	os.WriteFile(filepath.Join(dir, "supergpqa", SuperGPQAFile), []byte(bad), 0o644)
	if _, err := b.Load(); err == nil || !strings.Contains(err.Error(), `row 1: field "answer_letter"`) {
		t.Fatalf("bad row error: %v", err)
	}
}

func TestAggregate(t *testing.T) {
	spec := Spec{Name: "bbeh", GroupBy: "task", Headline: "micro"}
	res := []Result{
		{ID: "a", Group: "x", Correct: true, Found: true}, {ID: "b", Group: "x", Correct: false, Found: false},
		{ID: "c", Group: "y", Correct: false, Found: true}, {ID: "d", Group: "y", Correct: false, Found: true, Fallback: true},
	}
	m := Aggregate(spec, res)
	if m.Micro != 25 || m.Macro != 25 || m.NoAnswerRate != 25 || m.FallbackRate != 25 || m.Items != 4 {
		t.Fatalf("%+v", m)
	}
	// harmonic mean of (50+1, 0+1) minus 1 = 2/(1/51+1) - 1
	if want := 2/(1.0/51+1) - 1; math.Abs(m.HarmonicMean-want) > 1e-12 {
		t.Fatalf("hm %v want %v", m.HarmonicMean, want)
	}
	// avg@k: micro over item x sample pairs.
	aime := Aggregate(Spec{Name: "aime24", Headline: "avg@32"}, []Result{{ID: "1", Sample: 0, Correct: true}, {ID: "1", Sample: 1}})
	if aime.Score != 50 || aime.Items != 1 {
		t.Fatalf("%+v", aime)
	}
}

func TestUnknownBenchmark(t *testing.T) {
	if _, err := Get("mmlu"); err == nil || !strings.Contains(err.Error(), "mmlu-pro") {
		t.Fatalf("%v", err)
	}
}
