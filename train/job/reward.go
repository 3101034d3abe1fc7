package job

import (
	"context"
	"fmt"

	"github.com/greason/greason/internal/parallel"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// Judges are the judges of the job: the reward's and the validation score's. The caller builds
// them from the config's names (package harness knows every judge).
type Judges struct {
	Reward, Val verify.Judge
}

// RewardFunc is the paper's reward (verify.RewardFor: the answer extracted from the decoded
// response, judged against the gold; −0.5 without an answer, 0 when wrong, 1 − 0.05·min(10,
// |Δtokens|) when right, tokens counted by count), workers responses at a time. A judge error
// (an endpoint down) is the step's error, never a silent 0.
func RewardFunc(j verify.Judge, count verify.TokenCounter, workers int) grpo.RewardFunc {
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		type res struct {
			r  float64
			ok bool
		}
		out, err := parallel.Map(ctx, len(rs), workers, func(i int) (res, error) {
			r, v, err := verify.RewardFor(ctx, j, ps[i].Question, ps[i].Gold, rs[i], count)
			if err != nil {
				return res{}, fmt.Errorf("judging the response to %q: %w", ps[i].Question, err)
			}
			return res{r, v.Correct}, nil
		})
		if err != nil {
			return nil, nil, err
		}
		rewards, correct := make([]float64, len(rs)), make([]bool, len(rs))
		for i, o := range out {
			rewards[i], correct[i] = o.r, o.ok
		}
		return rewards, correct, nil
	}
}

// decoder adapts a tokenizer to grpo.Tokenizer: responses are decoded with their special tokens
// (skip_special_tokens=False, as the paper's reward decodes them).
type decoder struct{ t *tokenizer.Tokenizer }

func (d decoder) Encode(s string) []int   { return d.t.Encode(s) }
func (d decoder) Decode(ids []int) string { return d.t.Decode(ids, false) }
