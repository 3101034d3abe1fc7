package job

import (
	"context"
	"fmt"

	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/verifier"
	"github.com/greason/greason/verify"
)

// Judges are the judges of the job: the reward's and the validation score's.
type Judges struct {
	Reward, Val verify.Judge
}

// judgeName maps the config's judge names to verify's ("rules" is the rule verifier, which
// verify calls "rule").
func judgeName(n string) string {
	if n == "rules" {
		return "rule"
	}
	return n
}

// OpenJudges builds the reward's and the validation's judges from rc: "rules", "general-verifier"
// or "cascade", General-Verifier served (verifier_url) or local (verifier_model a checkpoint
// folder, loaded once and shared by both judges; train/verifier.NewJudge). close releases the
// local verifier; it is never nil.
func OpenJudges(rc RewardConfig) (j Judges, close func(), err error) {
	jc := verify.JudgeConfig{VerifierURL: rc.VerifierURL, VerifierModel: rc.VerifierModel, VerifierMaxTokens: rc.VerifierMaxTokens}
	opts := complete.Options{DType: rc.VerifierDType, Rows: rc.VerifierBatch}
	var locals []*complete.Completer
	close = func() {
		for _, l := range locals {
			l.Close()
		}
	}
	reward, local, err := verifier.NewJudge(judgeName(rc.Judge), jc, opts)
	if err != nil {
		return Judges{}, close, fmt.Errorf("reward.judge: %w", err)
	}
	if local != nil {
		locals = append(locals, local)
		jc.VerifierCompleter = local
	}
	val := reward
	if rc.ValJudge != rc.Judge {
		vc := verify.JudgeConfig{}
		if verify.UsesVerifier(judgeName(rc.ValJudge)) {
			vc = jc
		}
		v, vlocal, err := verifier.NewJudge(judgeName(rc.ValJudge), vc, opts)
		if err != nil {
			close()
			return Judges{}, func() {}, fmt.Errorf("reward.val_judge: %w", err)
		}
		if vlocal != nil {
			locals = append(locals, vlocal)
		}
		val = v
	}
	return Judges{Reward: reward, Val: val}, close, nil
}

// RewardFunc is the paper's reward (protocol §2.2; verify.RewardBatch): every response of the
// step is extracted and all are judged together (a local General-Verifier decodes them in shared
// batches), workers at a time for endpoint judges; −0.5 without an answer, 0 when wrong,
// 1 − 0.05·min(10, |Δtokens|) when right, tokens counted by count. A judge error (an endpoint
// down) is the step's error, never a silent 0.
func RewardFunc(j verify.Judge, count verify.TokenCounter, workers int) grpo.RewardFunc {
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		qs, gs := make([]string, len(ps)), make([]string, len(ps))
		for i, p := range ps {
			qs[i], gs[i] = p.Question, p.Gold
		}
		rewards, vs, err := verify.RewardBatch(ctx, j, qs, gs, rs, count, max(workers, 1))
		if err != nil {
			return nil, nil, fmt.Errorf("judging the step's responses: %w", err)
		}
		correct := make([]bool, len(vs))
		for i, v := range vs {
			correct[i] = v.Correct
		}
		return rewards, correct, nil
	}
}

// decoder adapts a tokenizer to grpo.Tokenizer: responses are decoded with their special tokens
// (skip_special_tokens=False, as the paper's reward decodes them).
type decoder struct{ t *tokenizer.Tokenizer }

func (d decoder) Encode(s string) []int   { return d.t.Encode(s) }
func (d decoder) Decode(ids []int) string { return d.t.Decode(ids, false) }
