package benchmarks

import (
	"context"
	"fmt"
	"strings"

	"github.com/greason/greason/verify"
)

// The math benchmarks run through the authors' adapted simple-evals: system "You are a helpful
// assistant.", the user turn below, the first \boxed{...} on a line as the answer, and an
// equality judge (GPT-4o in the paper; pluggable here). When nothing is extracted the judge is
// asked about the literal "None", as simple-evals does.
const mathTemplate = "%s\n\nPlease reason step by step, and put your final answer within \\boxed{}."

const simpleEvalsSystem = "You are a helpful assistant."

// mathSet is the shared behaviour of the simple-evals math benchmarks; each benchmark file
// supplies its Spec and its loader.
type mathSet struct {
	spec Spec
	load func() ([]Item, error)
}

func (m mathSet) Spec() Spec            { return m.spec }
func (m mathSet) Load() ([]Item, error) { return m.load() }

func (m mathSet) Score(ctx context.Context, it Item, response string, sc Scorer) (Result, error) {
	p, err := checkProtocol(m.spec, sc.Protocol)
	if err != nil {
		return Result{}, err
	}
	if p == "final-answer" {
		return judgeFinalAnswer(ctx, it, response, sc)
	}
	return judgeAnswer(ctx, it, response, sc)
}

// judgeFinalAnswer is the "final-answer" protocol: the answer a response gives as models write
// it, read by verify.ExtractForJudging (the last box; a "Final Answer:", "Answer:", GSM8K
// "#### N" or last-line "A: N" marker; "the answer is"; a worked solution's conclusion; a
// short response whole), then the judge. A response with no answer is wrong without asking the
// judge. For generation files that were not prompted for a box (openai/grade-school-math's
// solutions, ToRA's tool-integrated outputs).
func judgeFinalAnswer(ctx context.Context, it Item, response string, sc Scorer) (Result, error) {
	ext, how := verify.ExtractForJudging(response)
	found := strings.TrimSpace(ext) != ""
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: ext, Gold: it.Gold, Group: it.Group}
	if !found {
		r.Reason = "no answer (" + how + ")"
		return r, nil
	}
	if sc.Judge == nil {
		return r, fmt.Errorf("%s: scoring needs a judge", it.ID)
	}
	v, err := sc.Judge.Judge(ctx, it.Question, it.Gold, ext)
	if err != nil {
		return r, fmt.Errorf("judge %s on item %s: %w", sc.Judge.Name(), it.ID, err)
	}
	r.Correct, r.Judge, r.Reason = v.Correct, v.Layer, v.Reason+" [extracted: "+how+"]"
	return r, nil
}

func judgeAnswer(ctx context.Context, it Item, response string, sc Scorer) (Result, error) {
	ext, found := verify.ExtractSimpleEvals(response)
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: ext, Gold: it.Gold, Group: it.Group}
	if sc.Judge == nil {
		return r, fmt.Errorf("%s: scoring needs a judge", it.ID)
	}
	answer := ext
	if !found {
		answer = "None"
	}
	v, err := sc.Judge.Judge(ctx, it.Question, it.Gold, answer)
	if err != nil {
		return r, fmt.Errorf("judge %s on item %s: %w", sc.Judge.Name(), it.ID, err)
	}
	r.Correct, r.Judge, r.Reason = v.Correct, v.Layer, v.Reason
	return r, nil
}

func mathSpec(name, title string, count, samples int, temperature float64, source string) Spec {
	return Spec{Name: name, Title: title, Count: count, Domain: "math", Samples: samples,
		Temperature: temperature, MaxTokens: 8192, System: simpleEvalsSystem, Headline: headline(samples),
		Protocols: []string{"paper", "final-answer"}, UsesJudge: true, Source: source}
}

func headline(samples int) string {
	if samples > 1 {
		return fmt.Sprintf("avg@%d", samples)
	}
	return "micro"
}

// mathItem builds an item from a problem and its gold answer, checking both are present.
func mathItem(file string, row int, id, problem, gold string) (Item, error) {
	if strings.TrimSpace(problem) == "" {
		return Item{}, fieldError(file, row, "problem", "missing or empty")
	}
	if strings.TrimSpace(gold) == "" {
		return Item{}, fieldError(file, row, "answer", "missing or empty")
	}
	return Item{ID: id, Question: problem, Gold: gold, Prompt: fmt.Sprintf(mathTemplate, problem)}, nil
}
