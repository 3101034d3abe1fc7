package benchmarks

import "testing"

// FuzzTheoremQARepo feeds arbitrary model output through the TheoremQA repository's extraction
// and grading (the latex2sympy model and the Python evaluator): no panic, no hang.
func FuzzTheoremQARepo(f *testing.F) {
	for _, s := range []string{"The answer is 59.\nThis", "The answer is $1,251.20", `\frac{1}{2}, (3, 4)`, "2**10**10",
		`e^{2} \cdot \sqrt[3]{8} - \ln(4)!`, "(1, [2, 3])", `\left[ 1, 2 \right]`, "|x|_{x=1}", "10^{10^{10}}", "((((("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := theoremAnswerClean(s, nil)
		TheoremQACompare(p, "5", "5")
		TheoremQACompare(s, "[1, 2]", "[1, 2]")
		pyEval(s)
	})
}
