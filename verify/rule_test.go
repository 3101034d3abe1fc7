package verify

import (
	"compress/gzip"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseExprEval(t *testing.T) {
	cases := []struct {
		in   string
		want float64
	}{
		{`\frac{1}{2}`, 0.5}, {`\dfrac{3}{4}`, 0.75}, {`\frac12`, 0.5}, {`\sqrt{16}`, 4}, {`\sqrt[3]{27}`, 3},
		{`2^{10}`, 1024}, {`2^-1`, 0.5}, {`\pi`, math.Pi}, {`2\pi`, 2 * math.Pi}, {`e^{0}`, 1},
		{`\sin(0)`, 0}, {`\cos 0`, 1}, {`\ln e`, 1}, {`\log_{2} 8`, 3}, {`3 \cdot 4`, 12}, {`3\times 4`, 12},
		{`\left( 1+2 \right) 3`, 9}, {`3.2 \times 10^{-5}`, 3.2e-5}, {`3.2e-5`, 3.2e-5}, {`5!`, 120},
		{`|-3|`, 3}, {`2\frac{5}{8}`, 2.625}, {`\text{5}`, 5}, {`-2/(-4)`, 0.5}, {`\sin^2(1)+\cos^2(1)`, 1},
		{`10^{10^{10}}`, math.Inf(1)}, {`1000!`, math.Inf(1)},
	}
	for _, c := range cases {
		e, err := ParseExpr(c.in)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", c.in, err)
			continue
		}
		got := e.Eval(func(string) float64 { return math.NaN() })
		if !(got == c.want || math.Abs(got-c.want) < 1e-9*math.Max(1, math.Abs(c.want))) {
			t.Errorf("%q = %v, want %v (%s)", c.in, got, c.want, e)
		}
	}
	for _, bad := range []string{"", "(", `\frac{1}`, "1 2", "hello world", strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200)} {
		if _, err := ParseExpr(bad); err == nil {
			t.Errorf("ParseExpr(%q) should fail", bad)
		}
	}
}

func TestUnits(t *testing.T) {
	same := [][2]string{{"J", "N·m"}, {"J", `kg\cdot m^2/s^2`}, {"km/h", "m/s"}, {"kPa", "N/m^2"}, {"mL", "cm^3"},
		{"J/(mol K)", "J/(mol·K)"}, {"W", "J/s"}, {"eV", "J"}, {"\\Omega", "V/A"}, {"kilometers", "m"}}
	for _, p := range same {
		_, d1, ok1 := parseUnit(p[0])
		_, d2, ok2 := parseUnit(p[1])
		if !ok1 || !ok2 || d1 != d2 {
			t.Errorf("units %q and %q should share dimensions (%v %v %v %v)", p[0], p[1], ok1, ok2, d1, d2)
		}
	}
	f, _, _ := parseUnit("km/h")
	if math.Abs(f-1/3.6) > 1e-12 {
		t.Errorf("km/h factor %v", f)
	}
	if _, d1, _ := parseUnit("J"); func() bool { _, d2, _ := parseUnit("N"); return d1 == d2 }() {
		t.Error("J and N must differ")
	}
	if _, _, ok := parseUnit("apples"); ok {
		t.Error("apples is not a unit")
	}
}

type ruleCase struct {
	q, gold, ans string
	want         Outcome
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	r := RuleVerifier{}
	for _, c := range cases {
		got := r.Check(c.q, c.gold, c.ans)
		if got.Outcome != c.want {
			t.Errorf("Check(gold=%q, ans=%q) = %v (%s: %s), want %v", c.gold, c.ans, got.Outcome, got.Type, got.Reason, c.want)
		}
	}
}

func TestPaperExamples(t *testing.T) {
	// the three General-Reasoner examples: strong rules say True, string match says False
	ex := [][2]string{
		{"$x = 4 + 8t, y = 1 + 2t, z = 17 - t$", "$4 + 8t, 1 + 2t, 17 - t$"},
		{"30.0 torr, 26.3 torr", "The partial pressure of ethanol is 30.0 torr and the partial pressure of 1-propanol is 26.32 torr."},
		{"4.9 J", "4.9 N·m"},
	}
	for _, e := range ex {
		if v, _ := (RuleVerifier{}).Judge(context.Background(), "", e[0], e[1]); !v.Correct {
			t.Errorf("rule verifier rejects paper example %q vs %q: %s", e[0], e[1], v.Reason)
		}
		if v, _ := (StringJudge{}).Judge(context.Background(), "", e[0], e[1]); v.Correct {
			t.Errorf("string baseline accepts %q vs %q", e[0], e[1])
		}
		if v, _ := (ExactJudge{}).Judge(context.Background(), "", e[0], e[1]); v.Correct {
			t.Errorf("exact baseline accepts %q vs %q", e[0], e[1])
		}
	}
}

func TestRuleNumbers(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "3/2", "1.5", Yes},
		{"", "2/(-3)", "-2/3", Yes},
		{"", `\frac{11}{16}`, "0.6875", Yes},
		{"", "7425000", "7,425,000", Yes},
		{"", "3.2 \\times 10^{-5}", "3.2e-5", Yes},
		{"", "3.2 \\times 10^{-5}", "3.25e-5", Yes}, // within the gold's precision
		{"", "3.2 \\times 10^{-5}", "3.4e-5", No},
		{"", "3.2 \\times 10^{-5}", "3.2×10⁻⁵", Yes},
		{"", "x^2+1", "x²+1", Yes},
		{"", "26.3", "26.32", Yes},
		{"", "26.3", "26.4", No},
		{"", "420", "421", No},
		{"", "25\\%", "0.25", Yes},
		{"", "25%", "25", Yes},
		{"", "0.25", "25%", Yes},
		{"", "25%", "0.35", No},
		{"Give the probability as a decimal.", "0.25", "25%", No},
		{"What percentage of the class passed?", "25%", "0.25", Yes},
		{"", "$16386.20$", `\$16,\!386.20`, Yes},
		{"", "1\\frac12", "1.5", Yes},
		{"", "-5", "5", No},
		{"", `\sqrt{2}/2`, `\frac{1}{\sqrt{2}}`, Yes},
		{"", "72 degrees", "72", Yes},
		{"", "64", "64 square feet", Yes},
	})
}

func TestRuleUnits(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "4.9 J", "4.9 N·m", Yes},
		{"", "4.9 J", `4.9 \mathrm{kg\cdot m^2/s^2}`, Yes},
		{"", "36 km/h", "10 m/s", Yes},
		{"", "4.9 J", "4.9 N", No},
		{"", "2.5 kPa", "2500 Pa", Yes},
		{"", "10 \\text{cm}", "10", Yes},
		{"", "10\\text{ cm}^2", "0.001 m^2", Yes},
		{"", "500 mL", "0.5 L", Yes},
		{"", "500 mL", "5 L", No},
		{"", `45^{\circ}`, `\frac{\pi}{4}`, Yes},
		{"", `\frac{\pi}{6}`, `30^\circ`, Yes},
		{"", `45^{\circ}`, "46", No},
		{"", "9.8 m/s²", "9.8 m/s^2", Yes},
		{"", `3 \mathrm{~cm}`, "0.03 m", Yes},
		{"", `100^\circ C`, "100 °C", Yes},
		// a one-letter unit symbol that may be a variable: equal as expressions on both readings
		{"Simplify 4g+6g", "10g", "10*g", Yes},
		{"Simplify 4h+7h", "11*h", "11h", Yes},
		{"Simplify 3s+4s", "s*7", "7s", Yes},
		{"", "10 g", "10*g", Yes},
		{"Simplify 4g+6g", "10g", "24g", No},
		{"", "3 m", "3*s", No},
	})
}

func TestRuleExpressions(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "$2x+3$", "$3+2x$", Yes},
		{"", "$x^2+2x+1$", "$(x+1)^2$", Yes},
		{"", "$x^2+2x+1$", "$y^2+2y+1$", No},
		{"", `\frac{\sqrt{x}}{x}`, `x^{-1/2}`, Yes},
		{"", `\ln(x^2)`, `2\ln x`, Yes}, // equal where both are defined (x > 0)
		{"", `\sin^2 x`, `1 - \cos^2 x`, Yes},
		{"", `2\sin x \cos x`, `\sin 2x`, Yes},
		{"", "e^{2x}", "(e^x)^2", Yes},
		{"", "x^3", "x^2", No},
		{"", "1+2i", "i(2-i)", Yes},
		{"", "3+4i", "(2+i)^2", Yes},
		{"", "3+4i", "3-4i", No},
		{"", "e^{i\\pi}", "-1 + 0i", Yes},
		{"", `\log(100)`, "2", Yes}, // base-less log read as log10 when ln does not match
		{"", `\ln(100)`, "2", No},
	})
}

func TestRuleStructures(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "(1, 2)", "(1,2)", Yes},
		{"", "(1, 2)", "(2, 1)", No},
		{"", `\{1, 2, 3\}`, `\{3, 1, 2\}`, Yes},
		{"", "1, 2, 3", "3, 2, 1", Yes}, // bare lists are solution sets
		{"", "[0, 1)", "[0,1)", Yes},
		{"", "[0, 1)", "(0, 1)", No},
		{"", `(-\infty, 2) \cup (3, \infty)`, `(3,\infty)\cup(-\infty,2)`, Yes},
		{"", `x > 5`, `(5, \infty)`, Yes},
		{"", `-2 \le x \le 7`, `x \in [-2,7]`, Yes},
		{"", `x \leq 5`, `5 \geq x`, Yes},
		{"", `x < 1`, `-x > -1`, Yes},
		{"", `x > 5`, `x < 5`, No},
		{"", "y = 2x + 1", "2y - 4x = 2", Yes},
		{"", "x = 4", "4", Yes},
		{"", "(p,q)=(3,2)", "(3,2)", Yes},
		{"", `\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`, `\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}`, Yes},
		{"", `\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`, `\begin{bmatrix}1 & 2\\4 & 3\end{bmatrix}`, No},
		{"", "x = 1, y = 2", "x=1, y=2", Yes},
		{"", `\begin{bmatrix} 1 \\ 2 \end{bmatrix}`, "(1, 2)", Yes},
		{"", `\begin{bmatrix} 1 \\ 2 \end{bmatrix}`, "(2, 1)", No},
		{"", `\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`, "[[1, 2], [3, 4]]", Yes},
		{"", `\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}`, "[[1, 3], [2, 4]]", No},
		{"", "7, -2, \\text{ and } -5", "-5,-2,7", Yes},
	})
}

func TestRuleChoiceBoolText(t *testing.T) {
	q := "Which is a noble gas?\nA. Oxygen\nB. Neon\nC. Nitrogen\nD. Carbon"
	runRuleCases(t, []ruleCase{
		{q, "B", "(B)", Yes},
		{q, "B", "B. Neon", Yes},
		{q, "B", "The answer is B", Yes},
		{q, "B", "Neon", Yes},
		{q, "B", "It's not A, so the answer is for sure B", Yes},
		{q, "B", "C", No},
		{q, "B", "b", Yes},
		{q, "Neon", "B", Yes},
		{"", "True", "Yes", Yes},
		{"", "True", "correct", Yes},
		{"", `\text{yes}`, "True", Yes},
		{"", "13 percent", `13 \b60.1`, Unknown}, // not prose, not mathematics we read: never accepted
		{"", `\text{no}`, "False", Yes},
		{"", `\textbf{No}`, "True", No},
		{"", "False", "Yes, it is true.", No},
		{"", "True", "This is not true.", No},
		{"", "True", "Yes and no.", No}, // a hedge: both verdicts
		{"", "False", "No, the claim is false.", Yes},
		{"", "Wilhelm Conrad Röntgen", "The first Nobel Prize in Physics was awarded to Wilhelm Röntgen in 1901.", Yes},
		{"", "Olivia/MFSK", "MFSK", Yes},
		{"", "1931/In 1931", "1931", Yes},
		{"", "February 6, 2005", "It happened on 6 February 2005.", Yes},
		{"", "three", "There are 3 of them.", Yes},
		{"", "Paris", "It is not Paris.", No},
		{"", "Paris", "It is either Paris or Lyon.", No},
		{"", "Britain", "United States", No},
		{"", "Paris", "Paris Hilton", No},
		{"", "Spektor", "Regina Spektor", Yes},
		{"", "1988/2009", "1988", Yes},
		{"", "602/623/480", "623", Yes},
		{"", "3/4", "3", No},
		{"", "1985–1993", "He played for the Chicago Bears from 1985 to 1993.", Yes},
		{"", "Charlene Holt", "The role was played by actress Charlene Holt1.", Yes},
		{"", "hit points or health points", "Health Points", Yes},
		{"", "Panic! at the Disco", "The song \"I Write Sins Not Tragedies\" is by Panic! At The Disco.", Yes},
		{"", "Uralic languages", "They belong to the Uralic language family.", Yes},
		{"", "Einstein", "", No},
		{"", "5", ":", No},
		{"", "5", "Thought process:", No},
		{"", "5", "Let's think step by step", No},
	})
}

func TestGoldIsSolution(t *testing.T) {
	gold := "We compute the sum carefully over many lines of working that is long enough to be a solution.\nSo the total is $\\boxed{14{,}916}$."
	runRuleCases(t, []ruleCase{{"", gold, "14916", Yes}, {"", gold, "14915", No}})
}

func TestHendrycks(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{`\frac{1}{2}`, "0.5", true}, {`\dfrac12`, `\frac{1}{2}`, true}, {"3/4", `\frac{3}{4}`, true},
		{`x = 5`, "5", true}, {`10\text{ cm}`, "10", true}, {`\sqrt2`, `\sqrt{2}`, true}, {"1.5", "3/2", false},
		{`5\%`, "5", true}, {"4.9 J", "4.9 N·m", false},
	}
	for _, c := range cases {
		if got := IsEquivHendrycks(c.a, c.b); got != c.want {
			s1, _ := StripStringHendrycks(c.a)
			s2, _ := StripStringHendrycks(c.b)
			t.Errorf("IsEquivHendrycks(%q, %q) = %v, want %v (%q %q)", c.a, c.b, got, c.want, s1, s2)
		}
	}
}

func TestExtractRobust(t *testing.T) {
	cases := []struct{ in, want string }{
		{`so \boxed{\frac{\sqrt{\frac{1}{2}}}{3}} done`, `\frac{\sqrt{\frac{1}{2}}}{3}`},
		{`first \boxed{1} then \fbox{2}`, "2"},
		{"blah\nThe answer is 42.\n", "42"},
		{"Final Answer: $x=3$\n", "x=3"},
		{"line one\nlast line here\n\n", "last line here"},
	}
	for _, c := range cases {
		if got, ok := ExtractRobust(c.in); !ok || got != c.want {
			t.Errorf("ExtractRobust(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := LastBoxed2(`\boxed{\frac{\sqrt{\frac{1}{2}}}{3}}`); ok {
		t.Error("the 2-level regex must not match 3-level nesting")
	}
}

func TestQuestionAwareAndPartial(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"Factor completely: x^4 - 4x^3 + 14x^2 - 4x + 13.", "(x^2 + 1)(x^2 - 4x + 13)", "x^4 - 4x^3 + 14x^2 - 4x + 13", No},
		{"Factor completely: x^4 - 4x^3 + 14x^2 - 4x + 13.", "(x^2 + 1)(x^2 - 4x + 13)", "(x^2 - 4x + 13)(x^2 + 1)", Yes},
		{"", "5 ft 6 in", "5 ft 5 in", No},
		{"", "April 12, 2017", "It was released on April 14, 2017.", No},
		{"", "April 12, 2017", "It was released on 12 April 2017.", Yes},
	})
}

// TestDevRegression keeps the quality on the shipped dev copies (verify/testdata, full copies of
// shared/verifier-dev) from regressing. The floors are a little below what was measured when they
// were set: seed 94.1%, rule_test_vectors 93.8% (P 97.1%), qwen25_math_cot100_dev 100%,
// evouna_nq_dev 90.11% (P 97.55%).
func TestDevRegression(t *testing.T) {
	for _, c := range []struct {
		file      string
		acc, prec float64
	}{
		{"seed_examples.jsonl.gz", 0.94, 0.90},
		{"rule_test_vectors.jsonl.gz", 0.935, 0.97},
		{"qwen25_math_cot100_dev.jsonl.gz", 1.0, 1.0},
		{"evouna_nq_dev.jsonl.gz", 0.900, 0.975},
	} {
		rows := readShipped(t, c.file)
		outs, err := RunBatch(context.Background(), RuleVerifier{}, rows, 2)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Score(outs)
		t.Logf("%s: n=%d accuracy %.2f%% precision %.2f%% recall %.2f%%", c.file, m.N, 100*m.Accuracy(), 100*m.Precision(), 100*m.Recall())
		if m.Accuracy() < c.acc || m.Precision() < c.prec {
			t.Errorf("%s: accuracy %.4f / precision %.4f below the floors %.3f / %.3f", c.file, m.Accuracy(), m.Precision(), c.acc, c.prec)
		}
	}
}

// readShipped reads a gzipped JSONL batch file of verify/testdata.
func readShipped(t *testing.T, name string) []Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := DecodeRows(zr, name)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestMathRefinements(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "$x = 11$", "$x = 5+5+1 = 7 =11$", Yes},
		{"", "$1/3$", `$x=1/3\approx0.3$`, Yes},
		{"", "32349", `32,\! 349`, Yes},
		{"", `\pm 2021`, `\{-2021, 2021\}`, Yes},
		{"", `1 \pm \sqrt{2}`, `1-\sqrt2, 1+\sqrt2`, Yes},
		{"", "{1,2,3}", "3, 1, 2", Yes},
		{"", "(3,1)", "{1,3}", No},
		// math inside prose that does not match is "unknown" (the cascade's model decides), not yes
		{"", "[0,1)", "The final answer is $(0, 1)$. I hope it is correct.", Unknown},
		{"", "x > 5", "Therefore $x < 5$ is the solution.", Unknown},
		{"", "2", `$\frac{1+\sqrt{5}}{2}$`, No},
		{"", "7", "maybe it is = 1 or = 2 or = 3 or = 7 or = 9", No}, // a list of guesses
		{"", "30.0 torr", "The pressure is 30.0 torr at 25 degrees.", Yes},
		{"", "May 31, 2012", "The resort opened on May 31, 2012.", Yes},
		{"", `\boxed{1} papers and \boxed{2} bins`, "1, 2", Yes},
		{"", `\boxed{1} papers and \boxed{2} bins`, "2", No},
		{"", `28\%`, "28 pct", Yes},
		{"", "1 1/2", "1.5", Yes},
		{"", `\sin(90^{\circ}-x)`, `\cos(x)`, Yes},
		{"", `\sin(30^{\circ})`, "0.5", Yes},
		{"", `\begin{cases} a+b=\frac12 \\ a-b=\sqrt3 \end{cases}`, `\begin{cases} a-b=\sqrt{3}\\ a+b=0.5\end{cases}`, Yes},
		{"", "1984", "May 1984", Yes},
	})
	if a, _ := ExtractRobust("work\nFinal Answer: The final answer is $28 \\%$. I hope it is correct.\n"); a != `28 \%` {
		t.Errorf("ExtractRobust tidy: %q", a)
	}
}
