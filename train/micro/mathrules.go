package micro

import (
	"context"
	"math"
	"strings"

	"github.com/greason/greason/verify"
)

// MathRules is a math-only rule verifier, the role math-verify plays in the paper's rule-based
// run: numbers, LaTeX (\frac, \times, \cdot, \sqrt ...), fractions and algebraic expressions are
// parsed (verify.ParseExpr) and compared by value (constants) or at sample points (expressions
// in one-letter variables). It does not do units, prose, booleans, options, lists or open text:
// an answer or gold that is not such mathematics (a run of two or more letters outside a LaTeX
// command, a unit after a number, a percent sign, a comma or a colon) is compared as a
// normalised string (verify.NormalizeString), as math-verify falls back to string comparison.
type MathRules struct{}

func (MathRules) Name() string { return "math-rules" }

// Judge implements verify.Judge.
func (MathRules) Judge(_ context.Context, _, gold, answer string) (verify.Verdict, error) {
	g, a := verify.NormalizeString(gold), verify.NormalizeString(answer)
	if a == "" {
		return verify.Verdict{Correct: false, Layer: "math-rules", Reason: "empty answer"}, nil
	}
	if g == a {
		return verify.Verdict{Correct: true, Layer: "math-rules", Reason: "normalised strings equal"}, nil
	}
	ge, ok1 := mathOnly(gold)
	ae, ok2 := mathOnly(answer)
	if !ok1 || !ok2 {
		return verify.Verdict{Correct: false, Layer: "math-rules", Reason: "not mathematics; normalised strings differ"}, nil
	}
	if sameValue(ge, ae) {
		return verify.Verdict{Correct: true, Layer: "math-rules", Reason: "mathematically equal"}, nil
	}
	return verify.Verdict{Correct: false, Layer: "math-rules", Reason: "mathematically different"}, nil
}

// mathCommands are the LaTeX commands a math-only answer may use.
var mathCommands = map[string]bool{"frac": true, "dfrac": true, "tfrac": true, "times": true, "cdot": true, "div": true,
	"sqrt": true, "pi": true, "left": true, "right": true}

// mathOnly parses s when it is mathematics in the sense above.
func mathOnly(s string) (*verify.Expr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 200 || strings.ContainsAny(s, "%,:;=<>") {
		return nil, false
	}
	run := 0          // letters in a row outside a command
	numSpace := false // a digit then spaces: a letter now is a unit ("2 m")
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			if j == i+1 {
				return nil, false // \{, \, ... spacing and escapes are not in the grammar
			}
			if !mathCommands[s[i+1:j]] {
				return nil, false
			}
			i, run, numSpace = j-1, 0, false
		case isLetter(c):
			run++
			if run >= 2 || numSpace {
				return nil, false
			}
		case c == ' ':
			numSpace = numSpace || (i > 0 && s[i-1] >= '0' && s[i-1] <= '9')
			run = 0
		default:
			run, numSpace = 0, false
		}
	}
	e, err := verify.ParseExpr(s)
	return e, err == nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// samplePoints are the values the variables take when two expressions are compared (fixed:
// the judge is deterministic).
var samplePoints = []float64{0.37, 1.61, -2.29, 3.17, 0.83}

// sameValue compares two expressions: equal constants (relative tolerance 1e-9), or, with
// variables, equal values at every sample point (each variable its own value), at least three of
// them defined.
func sameValue(g, a *verify.Expr) bool {
	vars := a.Vars(g.Vars(nil))
	defined := 0
	for k := range samplePoints {
		env := func(name string) float64 {
			for i, v := range vars {
				if v == name {
					return samplePoints[(k+i)%len(samplePoints)]
				}
			}
			return math.NaN()
		}
		x, y := g.Eval(env), a.Eval(env)
		if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
			if math.IsNaN(x) != math.IsNaN(y) {
				return false
			}
			continue
		}
		if math.Abs(x-y) > 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y))) {
			return false
		}
		defined++
		if len(vars) == 0 {
			return true
		}
	}
	return defined >= 3
}
