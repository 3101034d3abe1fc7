package verify

import (
	"strings"
	"testing"
	"time"
)

func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{`\frac{1}{2}`, `\sqrt[3]{x^2}`, `2\sin^2 x`, `10^{10^{10}}`, `\left(1+x\right)!`, `|x|`,
		`\log_{2}(8)`, `x_{12}^{3}`, `3.2e-5`, strings.Repeat("{", 60), `\frac12\frac34`, "√2π"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		e, err := ParseExpr(s)
		if err == nil {
			_ = e.String()
			e.Eval(func(string) float64 { return 1.5 })
		}
		parseMath(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("parse of %d bytes took %v", len(s), d)
		}
	})
}

func FuzzExtractors(f *testing.F) {
	for _, s := range []string{`\boxed{\frac{1}{2}}`, "Final Answer: 5\n", `\boxed{{{{}}}}`, `\fbox{x`, "The answer is: (B)\n",
		"<|im_start|>user\nq\\boxed{}<|im_end|>\n<|im_start|>assistant\nAnswer: 3\n<|im_end|>", `\boxed 5`,
		"She makes 9 * 2 = $<<9*2=18>>18 every day.\nA: 18", "The total is 20%. #### 20", "So x = 5 and y = 2 - 1 = 1, which is less.",
		"```python\nx = 16 - 3 - 4\nprint(x * 2)\n```\n```output\n18\n```\nJanet makes $18$ dollars.", "The answer is:\n\\[\n7\\pi\n\\]",
		"Mrs. Smith pays 5 + 3 = 8 dollars vs. the 10 (35 + 70 = 105).", "5页 - 2页 = 3页 因此 **3页**。"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		if a, ok := LastBoxed2(s); ok && !strings.Contains(s, a) {
			t.Fatal("LastBoxed2 returned text not in the input")
		}
		ExtractReward(s)
		ExtractSimpleEvals(s)
		ExtractEvalScripts(s)
		if a, ok := LastBoxedAny(s); ok && !strings.Contains(s, a) {
			t.Fatal("LastBoxedAny returned text not in the input")
		}
		ExtractRobust(s)
		if a, how := ExtractForJudging(s); a == "" && how != "whole" && how != "last-line" && how != "no-answer" {
			t.Fatalf("ExtractForJudging gave an empty answer from %s", how)
		} else if how == "no-answer" && !isWorked(s) {
			t.Fatal("no answer from a response that is no worked solution")
		}
		if c := conclusion(s); c != "" && !hasAlnum(c) {
			t.Fatalf("conclusion %q states nothing", c)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("extraction of %d bytes took %v", len(s), d)
		}
	})
}

func FuzzRuleCheck(f *testing.F) {
	f.Add("", "4.9 J", "4.9 N·m")
	f.Add("A. x\nB. y", "B", "The answer is B")
	f.Add("", "(1,2]", `x \in (1, 2]`)
	f.Add("", "Paris/Lutetia", "It is not Paris but either Lyon or Lutetia")
	f.Add("", `\begin{pmatrix}1&2\\3&4\end{pmatrix}`, `\begin{bmatrix}1&2\\3&4\end{bmatrix}`)
	f.Fuzz(func(t *testing.T, q, gold, ans string) {
		start := time.Now()
		res := RuleVerifier{}.Check(q, gold, ans)
		if res.Outcome == Yes && IsTrivial(ans) {
			t.Fatalf("trivial answer %q accepted", ans)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("check took %v", d)
		}
	})
}
