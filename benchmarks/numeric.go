package benchmarks

import (
	"math"
	"strings"

	"github.com/greason/greason/verify"
)

// evalNumeric evaluates a constant mathematical expression (LaTeX or plain text) with the
// verifier's parser. It stands in for the latex2sympy + eval step of the TheoremQA repository's
// number_it. Percent signs mean /100, as the repository's clean_units has it. Expressions with
// variables, brackets (lists), or a non-finite value, are reported as not a number.
func evalNumeric(s string) (float64, bool) {
	if strings.ContainsAny(s, "[]") {
		return 0, false
	}
	s = strings.NewReplacer(`\%`, "/100", "%", "/100").Replace(s)
	e, err := verify.ParseExpr(s)
	if err != nil || !e.IsConst() {
		return 0, false
	}
	v := e.Eval(func(string) float64 { return math.NaN() })
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
