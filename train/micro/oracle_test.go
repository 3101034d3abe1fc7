package micro

import (
	"fmt"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestOracleImportsNoReward: the oracle shares no code with the rewards (no package verify).
func TestOracleImportsNoReward(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "oracle.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		if strings.Contains(imp.Path.Value, "greason") {
			t.Errorf("oracle.go imports %s", imp.Path.Value)
		}
	}
}

// TestOracleForms: every generated correct form is correct, every generated wrong answer is
// wrong, in every domain, as a response in the generator's grammar.
func TestOracleForms(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range Domains {
		for k := 0; k < 500; k++ {
			it := Generate(r, d)
			for _, f := range it.Forms {
				if !OracleCorrect(it, Response(f)) || !OracleCorrect(it, Response(f)+"<|im_end|>") {
					t.Fatalf("%s: %q: correct form %q rejected (meaning %+v)", d, it.Question, f, it.Meaning)
				}
			}
			for _, w := range it.Wrong {
				if OracleCorrect(it, Response(w)) {
					t.Fatalf("%s: %q: wrong answer %q accepted (meaning %+v)", d, it.Question, w, it.Meaning)
				}
			}
		}
	}
}

// TestOracleGarbage: answers not in the grammar, or not boxed as the grammar writes them, are wrong.
func TestOracleGarbage(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	garbage := []string{"", "None", " ", "{", "}", "{}", "0ercent", "Tcorrect", "correczt", "Ye52", "Trues", "44%ent", "50%%", "u*11", "11*", "*12*x", "27/10/", "\\fra(c{566}{10}", "(C))", "(A(0",
		"5540 g}", "31/1}", "(33/10", "\\boxed{1}", "1e3", "NaN", "inf", "0x10", "+", "-", ".", "1..2", "1/0", "\\frac{1}{0}",
		"x*", "*x", "7x^", "7x^0", "ercent", "%", "percent", "m", "1 m m", "1  m", "A:", "(", "()", "D", "Z: 1"}
	for _, d := range Domains {
		for k := 0; k < 200; k++ {
			it := Generate(r, d)
			for _, g := range garbage {
				if OracleCorrect(it, Response(g)) {
					t.Errorf("%s: %q: garbage %q accepted", d, it.Question, g)
				}
			}
			f := it.Forms[0]
			for _, resp := range []string{f, "so " + f, Response(f) + Response(f), "\\boxed{" + f, "\\boxed " + f, Response(f) + "\\boxed"} {
				if OracleCorrect(it, resp) {
					t.Errorf("%s: response %q outside the grammar accepted", d, resp)
				}
			}
			for _, resp := range []string{" " + Response(f), "so " + Response(f) + "}", "\\\\boxed{" + f + "}<|im_end|>"} {
				if !OracleCorrect(it, resp) {
					t.Errorf("%s: text around the box changed the verdict of %q", d, resp)
				}
			}
		}
	}
}

// TestOracleExamples pins meanings by hand: equal values in other writings are correct, near
// misses are not.
func TestOracleExamples(t *testing.T) {
	num := func(p, q int64) Meaning { return Meaning{Kind: "number", Value: ratString(p, q)} }
	cases := []struct {
		m    Meaning
		ans  string
		want bool
	}{
		{num(347, 1), "347", true}, {num(347, 1), "347.00", true}, {num(347, 1), "3.47 \\times 100", true},
		{num(347, 1), "694/2", true}, {num(347, 1), "\\frac{3470}{10}", true}, {num(347, 1), "34700%", true},
		{num(347, 1), "346", false}, {num(347, 1), "347.1", false}, {num(347, 1), "3470", false},
		{num(37, 100), "37%", true}, {num(37, 100), "37 %", true}, {num(37, 100), "37 percent", true}, {num(37, 100), "0.370", true},
		{num(37, 100), "37", false}, {num(37, 100), "37percent", true}, {num(37, 100), "137%", false},
		{num(463, 10), "{46.3}", true}, {num(463, 10), "{{46.3}}", true}, {num(463, 10), "{46.3}}", false}, {num(463, 10), "46.3 \\cdot 1", true},
		{num(97, 10), "{\\frac{97}{10}}", true}, {num(97, 10), "\\frac{ 97 }{10}", true}, {num(97, 10), "\\frac{97}{10}0", false},
		{Meaning{Kind: "monomial", Value: "17", Var: "x", Power: 1}, "1 7x", false},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7 * x", true},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "6020"}, "{6020 }", false},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "5540"}, "5540   g", true},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "2550"}, "255000 cg", true},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "2550"}, "255000 mg", false},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "2550"}, "2550 gg", false},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7x", true},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "x*7", true},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7.0*x", true},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7x^1", true},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7y", false},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7x^2", false},
		{Meaning{Kind: "monomial", Value: "49", Var: "x", Power: 2}, "x*7^2", false},
		{Meaning{Kind: "monomial", Value: "1", Var: "x", Power: 1}, "x", true},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "2.35 m", true},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "235cm", true},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "0.00235 km", true},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "2350 mm", true},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "2.35", false},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "2.35 g", false},
		{Meaning{Kind: "quantity", Dim: "length", Value: ratString(235, 100)}, "235 m", false},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "4540"}, "4.54 kg", true},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "4540"}, "5540 g", false},
		{Meaning{Kind: "set", Set: []int{7, 45}}, "45, 7", true}, {Meaning{Kind: "set", Set: []int{7, 45}}, "{7,45}", true},
		{Meaning{Kind: "set", Set: []int{7, 45}}, "{35}", false}, {Meaning{Kind: "set", Set: []int{7, 45}}, "7, 45, 7", false},
		{Meaning{Kind: "set", Set: []int{7, 45}}, "7", false}, {Meaning{Kind: "set", Set: []int{7, 45}}, "{{7, 45}}", true},
		{Meaning{Kind: "set", Set: []int{7, 45}}, "45 ,7 ", true}, {Meaning{Kind: "set", Set: []int{7, 45}}, "{45, 7b}", false},
		{Meaning{Kind: "set", Set: []int{35}}, "{{35}}", true},
		{Meaning{Kind: "truth", Truth: true}, "Yes", true}, {Meaning{Kind: "truth", Truth: true}, "TRUE", true},
		{Meaning{Kind: "truth", Truth: true}, "incorrect", false}, {Meaning{Kind: "truth", Truth: false}, "No", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "(c)", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C: 83", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "83", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C: 47", false},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "A: 47", false},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "47", false},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C :  83", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C)", true},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "(C)A", false},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, ": 83", false},
	}
	for _, c := range cases {
		if got := OracleAnswer(c.m, c.ans); got != c.want {
			t.Errorf("%+v %q: %v, want %v", c.m, c.ans, got, c.want)
		}
	}
}

// TestOracleProperty: over many items, the answer of another item of the same domain is correct
// exactly when the two items mean the same (decided from the generator's numbers, not by the
// oracle), and a number written in random equivalent ways (scaled fractions, trailing zeros,
// percent) is correct while a nearby value is not.
func TestOracleProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	same := func(a, b Meaning) bool { return fmt.Sprint(a) == fmt.Sprint(b) }
	for _, d := range Domains {
		for k := 0; k < 2000; k++ {
			a, b := Generate(r, d), Generate(r, d)
			want := same(a.Meaning, b.Meaning)
			if d == "choice" && a.Meaning.Choice == b.Meaning.Choice && !want {
				continue // the same letter among other options: "A" answers both, "A: 83" only one
			}
			for _, f := range b.Forms {
				if got := OracleCorrect(a, Response(f)); got != want {
					t.Fatalf("%s: %q (meaning %+v) with %q of %q (meaning %+v): %v, want %v", d, a.Question, a.Meaning, f, b.Question, b.Meaning, got, want)
				}
			}
		}
	}
	for k := 0; k < 5000; k++ {
		p, q, sc := int64(r.IntN(100000)), int64(1+r.IntN(999)), int64(1+r.IntN(50))
		m := Meaning{Kind: "number", Value: ratString(p, q)}
		for _, f := range []string{fmt.Sprintf("%d/%d", p*sc, q*sc), fmt.Sprintf("\\frac{%d}{%d}", p*sc, q*sc)} {
			if !OracleAnswer(m, f) {
				t.Fatalf("%d/%d: %q rejected", p, q, f)
			}
		}
		if OracleAnswer(m, fmt.Sprintf("%d/%d", p*sc+1, q*sc)) {
			t.Fatalf("%d/%d: %d/%d accepted", p, q, p*sc+1, q*sc)
		}
		whole := Meaning{Kind: "number", Value: ratString(p, 1)}
		if !OracleAnswer(whole, fmt.Sprintf("%d.%s", p, strings.Repeat("0", 1+r.IntN(5)))) || !OracleAnswer(whole, fmt.Sprintf("%d00%%", p)) {
			t.Fatalf("%d: trailing zeros or percent rejected", p)
		}
		if OracleAnswer(whole, fmt.Sprintf("%d.0001", p)) || OracleAnswer(whole, fmt.Sprintf("%d%%", p)) && p != 0 {
			t.Fatalf("%d: a nearby value accepted", p)
		}
	}
}

// TestOracleCanon: one canonical writing per meaning (the rationale of the verifier's targets).
func TestOracleCanon(t *testing.T) {
	for _, c := range []struct {
		m    Meaning
		ans  string
		want string
	}{
		{Meaning{Kind: "number", Value: "347"}, "34.7 \\times 10", "347"},
		{Meaning{Kind: "number", Value: "347/100"}, "\\frac{347}{100}", "3.47"},
		{Meaning{Kind: "number", Value: "1/3"}, "2/6", "1/3"},
		{Meaning{Kind: "number", Value: "37/100"}, "37 percent", "0.37"},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "x*7", "7x"},
		{Meaning{Kind: "monomial", Value: "7", Var: "x", Power: 1}, "7x^2", "7x^2"},
		{Meaning{Kind: "quantity", Dim: "length", Value: "47/20"}, "2350 mm", "2.35 m"},
		{Meaning{Kind: "quantity", Dim: "mass", Value: "4540"}, "4.54 kg", "4540 g"},
		{Meaning{Kind: "set", Set: []int{7, 45}}, "45, 7", "{7,45}"},
		{Meaning{Kind: "truth", Truth: true}, "correct", "T"},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "C: 83", "C"},
		{Meaning{Kind: "choice", Choice: "C", Options: []int{47, 12, 83}}, "47", "A"},
	} {
		r, ok := ReadAnswer(c.m, c.ans)
		if !ok || r.Canon() != c.want {
			t.Errorf("%q read as %q (%v), want %q", c.ans, r.Canon(), ok, c.want)
		}
	}
	it := Generate(rand.New(rand.NewPCG(1, 1)), "percent")
	if got := verifierTarget(pair{it: &it, ans: "0ercent", label: false}); got != it.Meaning.Canon()+"|? No" {
		t.Errorf("target %q", got)
	}
	if got := verifierTarget(newPair(&it, it.Forms[2], "form")); got != it.Meaning.Canon()+"|"+it.Meaning.Canon()+" Yes" {
		t.Errorf("target %q", got)
	}
}
