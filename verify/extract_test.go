package verify

import (
	"archive/zip"
	"compress/gzip"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// lastFinalAnswerByRegexScan is lastFinalAnswer as first written: every pattern's FindAll over the
// whole text (the reference the head-anchored scan must reproduce).
func lastFinalAnswerByRegexScan(text string) (string, bool) {
	bestStart, best := -1, ""
	for _, re := range rewardFinalAnswer {
		m := re.FindAllStringSubmatchIndex(text, -1)
		if len(m) == 0 {
			continue
		}
		last := m[len(m)-1]
		if last[0] > bestStart {
			bestStart, best = last[0], text[last[2]:last[3]]
		}
	}
	if bestStart < 0 {
		return "", false
	}
	best = pyStrip(best)
	for _, s := range StopTokens {
		if strings.HasSuffix(best, s) {
			best = pyStrip(strings.TrimSuffix(best, s))
			break
		}
	}
	return best, true
}

// TestLastFinalAnswerHeadScan: the head-anchored scan gives the whole-text regex scan's answer on
// texts built from the patterns' pieces (heads in mixed case, overlapping heads, '<', newlines,
// 'ſ', the Kelvin sign, invalid UTF-8) and on every published response shipped in the repository.
func TestLastFinalAnswerHeadScan(t *testing.T) {
	pieces := []string{"Final Answer:", "final answer is:", "THE ANSWER IS:", "Answer:", "answer", "Solution:", "The solution is:",
		"sOlUtIoN:", "AnSwEr: ", "Final ", "The ", " is:", ":", " ", "  ", "\t", "\n", "<", "<<", "< ", "42", "x", "ſ", "Anſwer:",
		"\u212a", "\xff", "é", "<|im_end|>", "</s>", "Answer:\n", "answer:<", "The answer is: 7\n", "\r", "\f", "\v", "<\n",
		"<é", "\n\n", " \n ", "<\xff", "\u00a0"}
	rng := rand.New(rand.NewPCG(7, 11))
	check := func(s string) {
		got, ok := lastFinalAnswer(s)
		want, wok := lastFinalAnswerByRegexScan(s)
		if got != want || ok != wok {
			t.Fatalf("lastFinalAnswer(%q) = %q, %v; the whole-text scan gives %q, %v", s, got, ok, want, wok)
		}
	}
	for range 30000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		check(b.String())
	}
	n := 0
	for _, text := range publishedResponses(t) {
		check(text)
		n++
	}
	if n < 13000 {
		t.Fatalf("only %d published responses read", n)
	}
}

// publishedResponses reads the response texts of the published generations shipped in
// benchmarks/data/published (MMLU-Pro and TheoremQA outputs).
func publishedResponses(t testing.TB) []string {
	dir := filepath.Join("..", "benchmarks", "data", "published")
	var out []string
	zr, err := zip.OpenReader(filepath.Join(dir, "model_outputs_Mistral-7B-v0.1_5shots.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var recs []struct {
			GeneratedText string `json:"generated_text"`
		}
		err = json.NewDecoder(rc).Decode(&recs)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, r.GeneratedText)
		}
	}
	for _, name := range []string{"Mistral_7B_v0.1_5shots_mistral.jsonl.gz", "internlm2_20b_5shots_short.jsonl.gz"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(zr)
		for {
			var r struct{ Solution string }
			if err := dec.Decode(&r); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.Solution)
		}
		f.Close()
	}
	return out
}
