package benchmarks

import (
	"context"
	"strconv"
)

// MMLU-Pro (TIGER-Lab/MMLU-Pro test, 12,032 questions, 14 categories), 0-shot as in the
// authors' eval_mmlupro.py: boxed letter, micro accuracy.
type mmluPro struct{}

func init() { register(mmluPro{}) }

const mmluProSuffix = "\nPlease reason step by step, and put your final answer option within \\boxed{}. Only put the option letter in the box, e.g. \\boxed{A}. There is only one correct answer."

func (mmluPro) Spec() Spec {
	return Spec{Name: "mmlu-pro", Title: "MMLU-Pro", Count: 12032, Domain: "general", Samples: 1,
		Temperature: 0, MaxTokens: 8192, GroupBy: "category", Headline: "micro",
		Protocols: []string{"paper", "mmlu-pro-repo"},
		Source:    "TIGER-Lab/MMLU-Pro test (stable parquet, vendored)"}
}

type mmluProRow struct {
	QuestionID  *int     `json:"question_id"`
	Question    string   `json:"question"`
	Options     []string `json:"options"`
	Answer      string   `json:"answer"`
	AnswerIndex *int     `json:"answer_index"`
	CotContent  string   `json:"cot_content"`
	Category    string   `json:"category"`
	Src         string   `json:"src"`
}

func (mmluPro) Load() ([]Item, error) {
	const file = "benchmarks/data/mmlu_pro_test.jsonl.gz"
	rows, err := loadVendoredJSONL[mmluProRow]("mmlu_pro_test.jsonl.gz")
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for i, r := range rows {
		switch {
		case r.QuestionID == nil:
			return nil, fieldError(file, i+1, "question_id", "missing")
		case r.Question == "":
			return nil, fieldError(file, i+1, "question", "missing or empty")
		case len(r.Options) < 2 || len(r.Options) > 10:
			return nil, fieldError(file, i+1, "options", "need 2..10 options")
		case len(r.Answer) != 1 || r.Answer[0] < 'A' || int(r.Answer[0]-'A') >= len(r.Options):
			return nil, fieldError(file, i+1, "answer", "not a letter of an option: "+strconv.Quote(r.Answer))
		}
		items = append(items, Item{
			ID: strconv.Itoa(*r.QuestionID), Question: r.Question, Gold: r.Answer, Group: r.Category,
			Options: r.Options,
			Prompt:  r.Question + "\n" + optionsBlock(r.Options) + "\n" + mmluProSuffix,
			Meta:    map[string]string{"src": r.Src},
		})
	}
	return items, nil
}

func (b mmluPro) Score(_ context.Context, it Item, response string, sc Scorer) (Result, error) {
	p, err := checkProtocol(b.Spec(), sc.Protocol)
	if err != nil {
		return Result{}, err
	}
	if p == "mmlu-pro-repo" {
		ext, found := MMLUProRepoExtract(response)
		r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: ext, Gold: it.Gold, Group: it.Group}
		if !found {
			r.Pred, r.Fallback = mmluRepoFallback(len(it.Options)), true
			r.Reason = "no letter: repository fallback seed(12345) randint over options"
		}
		r.Correct = r.Pred == it.Gold
		return r, nil
	}
	return scorePaperLetter(it, response, sc), nil
}
