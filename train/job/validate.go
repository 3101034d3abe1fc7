package job

import (
	"context"
	"fmt"

	"github.com/greason/greason/internal/parallel"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// Validate answers the validation prompts greedily (verl's val_kwargs: temperature 0, one
// sample), up to gc.MaxNewTokens tokens, and scores each answer 1 when judge accepts the answer
// the reward extracts (verify.RewardAnswer), else 0: the mean overall and per data source
// (verl's val/test_score/<data_source>).
func Validate(ctx context.Context, pol *Policy, prompts []grpo.Prompt, gc grpo.GRPOConfig, judge verify.Judge, count verify.TokenCounter, workers int) (float64, map[string]float64, error) {
	texts, err := Greedy(ctx, pol, prompts, gc)
	if err != nil {
		return 0, nil, err
	}
	ok, err := parallel.Map(ctx, len(texts), workers, func(i int) (bool, error) {
		_, v, err := verify.RewardFor(ctx, judge, prompts[i].Question, prompts[i].Gold, texts[i], count)
		return v.Correct, err
	})
	if err != nil {
		return 0, nil, err
	}
	hits, n := map[string]float64{}, map[string]float64{}
	total := 0.0
	for i, c := range ok {
		src := prompts[i].Domain
		n[src]++
		if c {
			hits[src]++
			total++
		}
	}
	by := map[string]float64{}
	for src := range n {
		by[src] = hits[src] / n[src]
	}
	return total / float64(len(ok)), by, nil
}

// Greedy decodes the greedy response of the policy to every prompt (special tokens kept, the
// stop token not included), gc.RolloutBatch prompts at a time (all when 0).
func Greedy(ctx context.Context, pol *Policy, prompts []grpo.Prompt, gc grpo.GRPOConfig) ([]string, error) {
	var texts []string
	step := len(prompts)
	if gc.RolloutBatch > 0 {
		step = gc.RolloutBatch * max(gc.N, 1)
	}
	for lo := 0; lo < len(prompts); lo += step {
		hi := min(lo+step, len(prompts))
		reqs := make([]qwen.Request, hi-lo)
		for i := range reqs {
			reqs[i] = qwen.Request{Prompt: prompts[lo+i].Tokens, Params: qwen.SampleParams{Temperature: 0,
				MaxNewTokens: gc.MaxNewTokens, StopTokens: gc.StopTokens}}
		}
		out, err := pol.Model.Generate(ctx, reqs, qwen.GenerateOptions{PadToken: gc.PadToken, WeightsAsInputs: gc.Memory.RolloutWeightsAsInputs})
		if err != nil {
			return nil, err
		}
		for _, ss := range out {
			texts = append(texts, pol.Tok.Decode(ss[0].Tokens, false))
		}
	}
	return texts, nil
}

// loadCounter loads the tokenizer.json that counts the length penalty's tokens.
func loadCounter(path string) (verify.TokenCounter, error) {
	t, err := tokenizer.Load(path)
	if err != nil {
		return nil, fmt.Errorf("reward.tokenizer: %w", err)
	}
	return t.Count, nil
}
