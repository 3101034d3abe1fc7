package verify

import "testing"

func TestPaperExtractors(t *testing.T) {
	prompt := "<|im_start|>user\nWhat is 6*7? Please reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"
	reward := []struct {
		in, want string
		ok       bool
	}{
		{prompt + "6*7 = 42, so \\boxed{42}.<|im_end|>", "42", true},
		// the prompt's empty \boxed{} is skipped; the Answer: line is used
		{prompt + "6*7 is 42.\nAnswer: 42\n<|im_end|>", "42", true},
		// three nested levels do not match the 2-level regex; the earlier box does
		{prompt + "\\boxed{1} then \\boxed{\\frac{\\sqrt{\\frac{1}{2}}}{3}}", "1", true},
		// the latest pattern wins by start offset; a stop token at the end of the group is stripped
		{"Solution: x\nFinal Answer: 7<|im_end|>\n", "7", true},
		{"no answer here", "", false},
	}
	for _, c := range reward {
		if got, ok := ExtractReward(c.in); got != c.want || ok != c.ok {
			t.Errorf("ExtractReward(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	// simple-evals: first match, greedy to the last } on the line
	if got, _ := ExtractSimpleEvals("so \\boxed{A} or \\boxed{B}\nthen \\boxed{C}"); got != "A} or \\boxed{B" {
		t.Errorf("ExtractSimpleEvals greedy: %q", got)
	}
	if got, _ := ExtractSimpleEvals("\\boxed{\\text{A}}"); got != "\\text{A}" {
		t.Errorf("ExtractSimpleEvals: %q", got)
	}
	// eval scripts: text after the last "Assistant:", cut at the first stop word, group not stripped
	if got, ok := ExtractEvalScripts("User: q Assistant: thinking\nThe answer is: (C)\nDone.</s> Final Answer: D\n"); !ok || got != " (C)" {
		t.Errorf("ExtractEvalScripts = %q, %v", got, ok)
	}
	// the text is stripped after the cut, so a last line without a newline is not an answer
	if got, ok := ExtractEvalScripts("Assistant: The answer is: (C)\n</s>"); ok {
		t.Errorf("ExtractEvalScripts must miss an answer line that loses its newline: %q", got)
	}
	if got, _ := ExtractEvalScripts("Final Answer: B\nthe answer is \\boxed{C}"); got != "C" {
		t.Errorf("ExtractEvalScripts box first: %q", got)
	}
}
