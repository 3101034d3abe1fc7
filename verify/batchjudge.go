package verify

import (
	"context"
	"fmt"

	"github.com/greason/greason/internal/parallel"
	"github.com/greason/greason/llm"
)

// BatchCompleter completes many prompts with the same parameters in one call (a local model
// decodes them together in one KV-cache sampler run). Response i answers prompts[i].
type BatchCompleter interface {
	Completer
	CompleteBatch(ctx context.Context, prompts []string, p llm.Params) ([]llm.Response, error)
}

// BatchJudge judges many (question, gold, answer) triples in one call; verdict i is the one
// Judge gives for triple i, whatever else shares the batch.
type BatchJudge interface {
	Judge
	JudgeBatch(ctx context.Context, questions, golds, answers []string) ([]Verdict, error)
}

// JudgeAll judges every triple: in one JudgeBatch call when j is a BatchJudge, else with up to
// workers concurrent Judge calls.
func JudgeAll(ctx context.Context, j Judge, questions, golds, answers []string, workers int) ([]Verdict, error) {
	if len(questions) != len(golds) || len(questions) != len(answers) {
		return nil, fmt.Errorf("judge: %d questions, %d golds, %d answers", len(questions), len(golds), len(answers))
	}
	if len(questions) == 0 {
		return nil, nil
	}
	if bj, ok := j.(BatchJudge); ok {
		return bj.JudgeBatch(ctx, questions, golds, answers)
	}
	return parallel.Map(ctx, len(questions), workers, func(i int) (Verdict, error) {
		return j.Judge(ctx, questions[i], golds[i], answers[i])
	})
}

// JudgeBatch asks the verifier about every triple at once: one CompleteBatch call when the
// model is a BatchCompleter (a local model), else one Complete call after another. The
// verdicts are those of Judge.
func (g *GeneralVerifier) JudgeBatch(ctx context.Context, questions, golds, answers []string) ([]Verdict, error) {
	prompts := make([]string, len(questions))
	for i := range questions {
		prompts[i] = VerifierPrompt(questions[i], golds[i], answers[i])
	}
	out := make([]Verdict, len(prompts))
	if bc, ok := g.Model.(BatchCompleter); ok {
		resp, err := bc.CompleteBatch(ctx, prompts, g.params())
		if err != nil {
			return nil, fmt.Errorf("general-verifier: %w", err)
		}
		if len(resp) != len(prompts) {
			return nil, fmt.Errorf("general-verifier: %d responses for %d prompts", len(resp), len(prompts))
		}
		for i, r := range resp {
			out[i] = verifierVerdict(pyStrip(r.Text))
		}
		return out, nil
	}
	for i := range prompts {
		v, err := g.Judge(ctx, questions[i], golds[i], answers[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// JudgeBatch runs the rules on every triple and puts the ones they leave open (no or unknown,
// not a final rejection) to the model layer together (JudgeAll: one batch for a local
// General-Verifier). The verdicts are those of Judge.
func (c *Cascade) JudgeBatch(ctx context.Context, questions, golds, answers []string) ([]Verdict, error) {
	out := make([]Verdict, len(questions))
	res := make([]Result, len(questions))
	var open []int
	var q, g, a []string
	for i := range questions {
		r, v, decided := c.rulesFirst(questions[i], golds[i], answers[i])
		res[i] = r
		if decided {
			out[i] = v
			continue
		}
		open = append(open, i)
		q, g, a = append(q, questions[i]), append(g, golds[i]), append(a, answers[i])
	}
	if len(open) == 0 {
		return out, nil
	}
	vs, err := JudgeAll(ctx, c.Model, q, g, a, 1)
	if err != nil {
		return nil, err
	}
	for k, i := range open {
		out[i] = cascadeModelVerdict(res[i], vs[k])
	}
	return out, nil
}

// RewardBatch is RewardFor over many decoded policy texts at once: every answer is extracted
// (RewardAnswer; NoneAnswer is sent for a failed extraction), all are judged together (JudgeAll,
// so a local General-Verifier decodes them in shared batches), then scored by Reward.
func RewardBatch(ctx context.Context, j Judge, questions, golds, texts []string, count TokenCounter, workers int) ([]float64, []Verdict, error) {
	if len(questions) != len(golds) || len(questions) != len(texts) {
		return nil, nil, fmt.Errorf("reward: %d questions, %d golds, %d texts", len(questions), len(golds), len(texts))
	}
	ans, sent, ok := make([]string, len(texts)), make([]string, len(texts)), make([]bool, len(texts))
	for i, t := range texts {
		ans[i], ok[i] = RewardAnswer(t)
		sent[i] = ans[i]
		if !ok[i] {
			sent[i] = NoneAnswer // Python formats None into the prompt
		}
	}
	vs, err := JudgeAll(ctx, j, questions, golds, sent, workers)
	if err != nil {
		return nil, nil, err
	}
	rew := make([]float64, len(texts))
	for i := range texts {
		rew[i] = Reward(ans[i], ok[i], vs[i].Correct, golds[i], count)
	}
	return rew, vs, nil
}
