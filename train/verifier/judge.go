package verifier

import (
	"context"
	"fmt"
	"os"

	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// LocalVerifier loads the local General-Verifier that cfg names for judge name, or returns nil
// when the judge needs none: a judge that asks General-Verifier (general-verifier, cascade)
// with no VerifierURL and no VerifierCompleter, and VerifierModel naming a checkpoint folder,
// gets that folder's model (complete.Open with opts: its own tokenizer, greedy, the context of
// its config). A VerifierModel that is not a folder is an error saying how to get one (a name
// goes with --verifier-url); a folder that is not a Qwen2/Qwen3 checkpoint with its tokenizer
// is an error naming what it lacks.
func LocalVerifier(name string, cfg verify.JudgeConfig, opts complete.Options) (*complete.Completer, error) {
	if !verify.UsesVerifier(name) || cfg.VerifierURL != "" || cfg.VerifierCompleter != nil || cfg.VerifierModel == "" {
		return nil, nil
	}
	if name == "cascade" && cfg.URL != "" {
		return nil, nil // the cascade's model layer is the equality judge
	}
	if st, err := os.Stat(cfg.VerifierModel); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("judge %s: no --verifier-url, and --verifier-model %q is not a checkpoint folder here: pass a local folder "+
			"(`greason model pull TIGER-Lab/general-verifier` writes models/TIGER-Lab/general-verifier) or serve the model and pass --verifier-url", name, cfg.VerifierModel)
	}
	return complete.Open(cfg.VerifierModel, opts)
}

// NewJudge builds the named judge as verify.NewJudge does, loading a local General-Verifier
// first when cfg names a checkpoint folder (LocalVerifier). It is what a trainer calls with a
// judge name and a verifier folder, e.g. NewJudge("cascade", verify.JudgeConfig{VerifierModel:
// "models/TIGER-Lab/general-verifier"}, complete.Options{}). The returned completer is the local
// model (nil when there is none): its Stats count prompts, capped and overlong ones; Close it
// when done.
func NewJudge(name string, cfg verify.JudgeConfig, opts complete.Options) (verify.Judge, *complete.Completer, error) {
	local, err := LocalVerifier(name, cfg, opts)
	if err != nil {
		return nil, nil, err
	}
	if local != nil {
		cfg.VerifierCompleter = local
	}
	j, err := verify.NewJudge(name, cfg)
	if err != nil {
		if local != nil {
			local.Close()
		}
		return nil, nil, err
	}
	return j, local, nil
}

// Reward is the paper's GRPO reward over judge j (protocol §2.2; verify.RewardBatch): every
// response of the step is extracted and all are judged at once (a local General-Verifier decodes
// them in shared batches), then scored with the length penalty counted by count (the policy's
// tokenizer). The accuracy metric (correct) is the judge's verdict.
func Reward(j verify.Judge, count verify.TokenCounter) grpo.RewardFunc {
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		qs, gs := make([]string, len(ps)), make([]string, len(ps))
		for i, p := range ps {
			qs[i], gs[i] = p.Question, p.Gold
		}
		rew, vs, err := verify.RewardBatch(ctx, j, qs, gs, rs, count, 8)
		if err != nil {
			return nil, nil, err
		}
		correct := make([]bool, len(vs))
		for i, v := range vs {
			correct[i] = v.Correct
		}
		return rew, correct, nil
	}
}
