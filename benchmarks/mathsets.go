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
	if _, err := checkProtocol(m.spec, sc.Protocol); err != nil {
		return Result{}, err
	}
	return judgeAnswer(ctx, it, response, sc)
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
		Protocols: []string{"paper"}, UsesJudge: true, Source: source}
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
