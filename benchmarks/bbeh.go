package benchmarks

import (
	"context"
	"strconv"
	"strings"

	"github.com/greason/greason/verify"
)

// BBEH (BIG-Bench Extra Hard, 4,520 items in 23 tasks) as the authors' eval_bbeh.py scores it:
// the eval-script extraction, then BBEH's own fuzzy_match after lower-casing and prefix/LaTeX
// stripping. The paper reports micro accuracy; the BBEH paper's adjusted harmonic mean over
// tasks is reported beside it.
type bbeh struct{}

func init() { register(bbeh{}) }

const bbehSuffix = "\nPlease reason step by step, and put your final answer option within \\boxed{}."

func (bbeh) Spec() Spec {
	return Spec{Name: "bbeh", Title: "BBEH", Count: 4520, Domain: "general", Samples: 1, Temperature: 0,
		MaxTokens: 8192, GroupBy: "task", Headline: "micro", Protocols: []string{"paper"},
		Source: "google-deepmind/bbeh benchmark_tasks (vendored, flattened)"}
}

func (bbeh) Load() ([]Item, error) {
	const f = "benchmarks/data/bbeh_all.jsonl.gz"
	rows, err := loadVendoredJSONL[struct {
		Task   string  `json:"task"`
		Index  *int    `json:"index"`
		Input  string  `json:"input"`
		Target *string `json:"target"`
	}]("bbeh_all.jsonl.gz")
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		switch {
		case r.Task == "":
			return nil, fieldError(f, i+1, "task", "missing")
		case r.Index == nil:
			return nil, fieldError(f, i+1, "index", "missing")
		case r.Input == "":
			return nil, fieldError(f, i+1, "input", "missing or empty")
		case r.Target == nil:
			return nil, fieldError(f, i+1, "target", "missing")
		}
		items[i] = Item{ID: r.Task + "/" + strconv.Itoa(*r.Index), Question: r.Input, Gold: *r.Target,
			Group: strings.TrimPrefix(r.Task, "bbeh_"), Prompt: r.Input + "\n" + bbehSuffix}
	}
	return items, nil
}

func (b bbeh) Score(_ context.Context, it Item, response string, sc Scorer) (Result, error) {
	if _, err := checkProtocol(b.Spec(), sc.Protocol); err != nil {
		return Result{}, err
	}
	ext, found := verify.ExtractEvalScripts(response)
	pred := bbehPreprocessSample(ext)
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: pred, Gold: it.Gold, Group: it.Group}
	r.Correct = BBEHFuzzyMatch(pred, bbehPreprocessReference(it.Gold))
	return r, nil
}

// bbehStripLatex is BBEH's strip_latex.
func bbehStripLatex(s string) string {
	if strings.HasPrefix(s, "$") && strings.HasSuffix(s, "$") && len(s) >= 2 {
		s = s[1 : len(s)-1]
	} else if s == "$" {
		s = "" // Python's "$"[1:-1]
	}
	for _, cmd := range []string{"boxed{", "text{", "texttt{"} {
		if strings.Contains(s, cmd) && strings.HasSuffix(s, "}") {
			s = strings.Split(s[:len(s)-1], cmd)[1]
		}
	}
	return s
}

// bbehExtractAnswer is BBEH's extract_answer (answer prefixes, trailing period, strip_latex).
func bbehExtractAnswer(sample string) string {
	answer := sample
	for _, p := range []string{"The answer is:", "The final answer is ", "The final answer is: ", "The answer is "} {
		if strings.Contains(answer, p) {
			parts := strings.Split(answer, p)
			answer = verify.PyStrip(parts[len(parts)-1])
		}
	}
	answer = strings.TrimSuffix(answer, ".")
	return bbehStripLatex(answer)
}

func bbehPreprocessSample(sample string) string {
	p := pyLower(bbehExtractAnswer(verify.PyStrip(sample)))
	p = strings.ReplaceAll(strings.ReplaceAll(p, ", ", ","), "**", "")
	p = strings.Split(p, "\n")[0]
	return strings.TrimSuffix(p, ".")
}

func bbehPreprocessReference(ref string) string {
	return strings.ReplaceAll(pyLower(verify.PyStrip(ref)), ", ", ",")
}

// BBEHFuzzyMatch is BBEH's fuzzy_match on preprocessed prediction and reference.
func BBEHFuzzyMatch(pred, ref string) bool {
	if pred == ref {
		return true
	}
	if len(pred) == 3 && pred[0] == '(' && pred[2] == ')' {
		return pred[1:2] == ref
	}
	if len(ref) == 3 && ref[0] == '(' && ref[2] == ')' {
		return ref[1:2] == pred
	}
	if a, ok := pyFloat(pred); ok {
		if b, ok := pyFloat(ref); ok && a == b {
			return true
		}
	}
	if strings.ReplaceAll(pred, "'", "") == strings.ReplaceAll(ref, "'", "") {
		return true
	}
	if "["+ref+"]" == pred || "["+pred+"]" == ref {
		return true
	}
	return strings.HasSuffix(pred, "?") && pred[:len(pred)-1] == ref
}
