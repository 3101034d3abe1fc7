package micro

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
)

// SFTJob is `greason train sft --config F`: supervised fine-tuning on the generator's data,
// either a policy warm start (task "policy") or the micro verifier (task "micro-verifier": its
// pairs from the generator and the oracle, trained by the verifier SFT job's code, package
// train/verifier, whose own task "verifier" trains from a JSONL and a checkpoint folder).
type SFTJob struct {
	Task     string          `json:"task"`           // "policy" or "micro-verifier"
	Init     string          `json:"init,omitempty"` // model dir to start from; empty: random init of Model
	Model    ModelSize       `json:"model"`
	Seed     uint64          `json:"seed"`
	Out      string          `json:"out"` // writes out/model (HF layout) and out/metrics.jsonl
	Data     *Config         `json:"data,omitempty"`
	Verifier *VerifierConfig `json:"verifier,omitempty"`
	// Policy (task "micro-verifier"): a policy model dir whose sampled answers make up
	// Verifier.PolicyShare of the pairs; empty: generator pairs only.
	Policy string         `json:"policy,omitempty"`
	SFT    grpo.SFTConfig `json:"sft"`
}

// GRPOJob is `greason train grpo --config F`: one GRPO run on the generator's prompts from a
// model dir, resumable from out/checkpoint.
type GRPOJob struct {
	Init        string          `json:"init"`               // warm-start model dir (e.g. an SFTJob's out/model)
	Verifier    string          `json:"verifier,omitempty"` // micro verifier model dir (reward "model" or "cascade")
	Reward      string          `json:"reward"`             // string, math-rules, rules, model, cascade
	Data        string          `json:"data"`               // full or math
	Out         string          `json:"out"`
	DataConfig  *Config         `json:"data_config,omitempty"`
	EvalSamples int             `json:"eval_samples"`
	GRPO        grpo.GRPOConfig `json:"grpo"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := decodeStrict(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// jobData is a job's data: its config's, or the default micro data.
func jobData(cfg *Config) (*Config, Data) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	return cfg, MakeData(cfg)
}

func openModel(dir string, ms ModelSize, seed uint64) (*qwen.Model, error) {
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	if dir != "" {
		return qwen.Load(dir, backend, dtypes.Float32)
	}
	return qwen.NewRandom(ms.QwenConfig(), backend, dtypes.Float32, qwen.InitOptions{Seed: seed})
}

// LoadSFTJob reads an SFT job over defaults.
func LoadSFTJob(path string) (*SFTJob, error) {
	d := DefaultConfig()
	j := &SFTJob{Task: "policy", Model: d.Model, Seed: 1, Out: "runs/sft", SFT: d.SFT}
	return j, readJSON(path, j)
}

// RunSFT runs an SFT job and saves the model in HF layout under out/model. Task "micro-verifier"
// trains the micro verifier as `greason train micro` does (pairs labelled by the oracle, part of
// them sampled from the policy, then the mining rounds, whose GRPO runs start from the policy).
func RunSFT(ctx context.Context, j *SFTJob, progress io.Writer) error {
	dcfg, data := jobData(j.Data)
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return err
	}
	switch j.Task {
	case TaskMicroVerifier:
		vc := j.Verifier
		if vc == nil {
			vc = DefaultVerifier()
		}
		vc = ptr(*vc)
		vc.Seed, vc.SFT = j.Seed, j.SFT
		var policy *qwen.Model
		if j.Policy != "" {
			var err error
			if policy, err = openModel(j.Policy, ModelSize{}, 0); err != nil {
				return fmt.Errorf("policy: %w", err)
			}
		} else if vc.InitFromPolicy || vc.Mining.Rounds > 0 {
			return fmt.Errorf("sft: task micro-verifier with init_from_policy or mining needs a policy")
		}
		if j.Init != "" {
			return fmt.Errorf("sft: task micro-verifier starts from its config (init_from_policy), not from init")
		}
		backend, err := qwen.NewBackend()
		if err != nil {
			return err
		}
		tv, res, err := TrainVerifier(ctx, backend, vc, dcfg, data, policy, j.Out, progress)
		if err != nil {
			return err
		}
		if err := grpo.WriteJSON(filepath.Join(j.Out, "verifier.json"), res); err != nil {
			return err
		}
		return tv.Model.Save(filepath.Join(j.Out, "model"), 0)
	case "policy":
	default:
		return fmt.Errorf("sft: task %q (want policy or micro-verifier; task verifier, the General-Verifier SFT job on a JSONL, has its own config: docs/training.md)", j.Task)
	}
	m, err := openModel(j.Init, j.Model, j.Seed)
	if err != nil {
		return err
	}
	pol, err := grpo.NewPolicy(m, grpo.DefaultOptim(), grpo.DefaultLoss())
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(j.Out, "metrics.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := j.SFT
	sc.Seed = j.Seed
	if err := grpo.SFT(ctx, sc, pol, data.SFT, f, j.Task, func(r grpo.SFTRecord) {
		fmt.Fprintf(progress, "sft step %d/%d loss %.3f (%.0f tok/s)\n", r.Step, sc.Steps, r.Loss, r.TokensPerSec)
	}); err != nil {
		return err
	}
	return m.Save(filepath.Join(j.Out, "model"), 0)
}

func ptr[T any](v T) *T { return &v }

// TaskMicroVerifier is the SFT job task that trains the micro verifier.
const TaskMicroVerifier = "micro-verifier"

// LoadGRPOJob reads a GRPO job over defaults.
func LoadGRPOJob(path string) (*GRPOJob, error) {
	d := DefaultConfig()
	j := &GRPOJob{Reward: RewardRules, Data: "full", Out: "runs/grpo", EvalSamples: d.EvalSamples, GRPO: d.GRPO}
	j.GRPO.Seed = 1
	return j, readJSON(path, j)
}

// RunGRPO runs (or resumes) a GRPO job: metrics in out/metrics.jsonl, checkpoints (weights,
// AdamW state, step) in out/checkpoint, held-out curve in out/curve.png.
func RunGRPO(ctx context.Context, j *GRPOJob, progress io.Writer) error {
	cfg, data := jobData(j.DataConfig)
	m, err := openModel(j.Init, ModelSize{}, 0)
	if err != nil {
		return fmt.Errorf("init model: %w", err)
	}
	refM, err := grpo.CloneModel(m)
	if err != nil {
		return err
	}
	var mj *ModelJudge
	if needsModel(j.Reward) {
		vm, err := openModel(j.Verifier, ModelSize{}, 0)
		if err != nil {
			return fmt.Errorf("verifier model: %w", err)
		}
		mj = &ModelJudge{Model: vm}
	}
	judge, err := newJudge(j.Reward, mj)
	if err != nil {
		return err
	}
	items := data.Train
	if j.Data == "math" {
		items = data.TrainMath
	}
	pol, err := grpo.NewPolicy(m, j.GRPO.Optim, j.GRPO.Loss)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(j.Out, "metrics.jsonl")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	gc := j.GRPO
	gc.PadToken, gc.StopTokens = PadToken, []int{EOSToken}
	gc.CheckpointDir = filepath.Join(j.Out, "checkpoint")
	if gc.CheckpointEvry == 0 {
		gc.CheckpointEvry = 10
	}
	eval := func(ctx context.Context, step int) (float64, map[string]float64, error) {
		ev, err := Evaluate(ctx, m, data.HeldOut, gc.MaxNewTokens, j.EvalSamples, gc.Temperature, cfg.DataSeed)
		if err != nil {
			return 0, nil, err
		}
		return ev.Accuracy, ev.ByDomain, nil
	}
	err = grpo.GRPO(ctx, gc, pol, &grpo.Reference{Model: refM}, CharTokenizer{}, toPrompts(items), rewardFor(judge, data, nil), eval, f, j.Reward,
		func(r grpo.StepRecord) {
			if r.Kind == "eval" {
				fmt.Fprintf(progress, "step %d held-out %.1f%% %v\n", r.Step, r.Accuracy, roundMap(r.ByDomain))
			} else {
				fmt.Fprintf(progress, "step %d/%d reward %.3f±%.3f acc %.2f kl %.4f ent %.3f clip %.3f len %.1f %.2fs %.0f tok/s\n",
					r.Step, gc.Steps, r.RewardMean, r.RewardStd, r.Accuracy, r.KL, r.Entropy, r.ClipFrac, r.ResponseLen, r.StepSeconds, r.TokensPerSec)
			}
		})
	if err != nil {
		return err
	}
	recs, err := grpo.ReadLog(logPath)
	if err != nil {
		return err
	}
	ev, rw := grpo.LogCurves(recs)
	ev.Name, rw.Name = "held-out accuracy (%)", "reward mean"
	return grpo.PlotPNG(filepath.Join(j.Out, "curve.png"), "GRPO "+j.Reward+" reward", "step", "", []grpo.Series{ev})
}
