package benchmarks

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"

	"github.com/greason/greason/internal/pyrand"
	"github.com/greason/greason/verify"
)

// GPQA-Diamond (198 questions) as simple-evals runs it: the four choices are shuffled per
// example with random.Random(0).sample(range(4), 4), the answer is the first \boxed{...} on a
// line and must equal the correct letter exactly.
type gpqa struct{}

func init() { register(gpqa{}) }

const gpqaTemplate = "%s\n\nA: %s\nB: %s\nC: %s\nD: %s\n\nPlease reason step by step, and put your final answer within \\boxed{}.\nPlease only provide the letter of the answer in the box."

func (gpqa) Spec() Spec {
	return Spec{Name: "gpqa-diamond", Title: "GPQA-Diamond", Count: 198, Domain: "general", Samples: 1,
		Temperature: 0, MaxTokens: 8192, System: "You are a helpful assistant.", Headline: "micro",
		Protocols: []string{"paper"},
		Source:    "simple-evals gpqa_diamond.csv (vendored as a password-protected zip)"}
}

func (gpqa) Load() ([]Item, error) {
	const file = "benchmarks/data/gpqa_diamond.zip:gpqa_diamond.csv"
	data, err := vendoredBytes("gpqa_diamond.zip")
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("%s: no rows", file)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	need := []string{"Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3", "Record ID", "High-level domain", "Subdomain"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("%s: header: column %q missing", file, n)
		}
	}
	rng := pyrand.New(0)
	items := make([]Item, 0, len(recs)-1)
	for i, rec := range recs[1:] {
		get := func(n string) string { return rec[col[n]] }
		for _, n := range need[:5] {
			if get(n) == "" {
				return nil, fieldError(file, i+1, n, "empty")
			}
		}
		perm := rng.Sample(4, 4)
		base := []string{get("Correct Answer"), get("Incorrect Answer 1"), get("Incorrect Answer 2"), get("Incorrect Answer 3")}
		choices := make([]string, 4)
		for k, p := range perm {
			choices[k] = base[p]
		}
		correct := 0
		for k, c := range choices { // Python's list.index: the first equal choice
			if c == base[0] {
				correct = k
				break
			}
		}
		items = append(items, Item{
			ID: get("Record ID"), Question: get("Question"), Gold: letters[correct : correct+1], Options: choices,
			Prompt: fmt.Sprintf(gpqaTemplate, get("Question"), choices[0], choices[1], choices[2], choices[3]),
			Meta:   map[string]string{"domain": get("High-level domain"), "subdomain": get("Subdomain")},
		})
	}
	return items, nil
}

func (b gpqa) Score(_ context.Context, it Item, response string, sc Scorer) (Result, error) {
	if _, err := checkProtocol(b.Spec(), sc.Protocol); err != nil {
		return Result{}, err
	}
	ext, found := verify.ExtractSimpleEvals(response)
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: ext, Gold: it.Gold}
	r.Correct = found && ext == it.Gold
	return r, nil
}
