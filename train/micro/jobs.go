package micro

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/qwen"
	"github.com/greason/greason/verify"
)

// SFTJob is `greason train sft --config F`: supervised fine-tuning on the generator's data,
// either a policy warm start (task "policy") or the micro verifier (task "verifier").
type SFTJob struct {
	Task     string          `json:"task"`           // "policy" or "verifier"
	Init     string          `json:"init,omitempty"` // model dir to start from; empty: random init of Model
	Model    ModelSize       `json:"model"`
	Seed     uint64          `json:"seed"`
	Out      string          `json:"out"` // writes out/model (HF layout) and out/metrics.jsonl
	Data     *Config         `json:"data,omitempty"`
	Verifier *VerifierConfig `json:"verifier,omitempty"`
	// Policy (task "verifier"): a policy model dir whose sampled answers make up
	// Verifier.PolicyShare of the pairs; empty: generator pairs only.
	Policy string         `json:"policy,omitempty"`
	SFT    grpo.SFTConfig `json:"sft"`
}

// GRPOJob is `greason train grpo --config F`: one GRPO run on the generator's prompts from a
// model dir, resumable from out/checkpoint.
type GRPOJob struct {
	Init        string          `json:"init"`               // warm-start model dir (e.g. an SFTJob's out/model)
	Verifier    string          `json:"verifier,omitempty"` // micro verifier model dir (reward "model" or "cascade")
	Reward      string          `json:"reward"`             // string, rule, model, cascade
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

// RunSFT runs an SFT job and saves the model in HF layout under out/model.
func RunSFT(ctx context.Context, j *SFTJob, progress io.Writer) error {
	dcfg, data := jobData(j.Data)
	ex := data.SFT
	if j.Task == "verifier" {
		vc := j.Verifier
		if vc == nil {
			vc = DefaultVerifier()
		}
		var policy *qwen.Model
		if j.Policy != "" {
			var err error
			if policy, err = openModel(j.Policy, ModelSize{}, 0); err != nil {
				return fmt.Errorf("policy: %w", err)
			}
		}
		r := rand.New(rand.NewPCG(j.Seed, 0x7e7))
		ps, err := verifierPairs(ctx, vc, policy, r, data.Train, vc.Pairs, dcfg.GRPO.MaxNewTokens)
		if err != nil {
			return err
		}
		ex = verifierExamples(ps)
	} else if j.Task != "policy" {
		return fmt.Errorf("sft: task %q (want policy or verifier)", j.Task)
	}
	m, err := openModel(j.Init, j.Model, j.Seed)
	if err != nil {
		return err
	}
	pol, err := grpo.NewPolicy(m, grpo.DefaultOptim(), grpo.DefaultLoss())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(j.Out, "metrics.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	sc := j.SFT
	sc.Seed = j.Seed
	if err := grpo.SFT(ctx, sc, pol, ex, f, j.Task, func(r grpo.SFTRecord) {
		fmt.Fprintf(progress, "sft step %d/%d loss %.3f (%.0f tok/s)\n", r.Step, sc.Steps, r.Loss, r.TokensPerSec)
	}); err != nil {
		return err
	}
	return m.Save(filepath.Join(j.Out, "model"), 0)
}

// LoadGRPOJob reads a GRPO job over defaults.
func LoadGRPOJob(path string) (*GRPOJob, error) {
	d := DefaultConfig()
	j := &GRPOJob{Reward: "rule", Data: "full", Out: "runs/grpo", EvalSamples: d.EvalSamples, GRPO: d.GRPO}
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
	var judge verify.Judge
	switch j.Reward {
	case "string":
		judge = verify.StringJudge{}
	case "rule":
		judge = rule
	case "model", "cascade":
		vm, err := openModel(j.Verifier, ModelSize{}, 0)
		if err != nil {
			return fmt.Errorf("verifier model: %w", err)
		}
		judge = &ModelJudge{Model: vm}
		if j.Reward == "cascade" {
			judge = &verify.Cascade{Rules: rule, Model: judge}
		}
	default:
		return fmt.Errorf("reward %q (want string, rule, model or cascade)", j.Reward)
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
		return Evaluate(ctx, m, data.HeldOut, gc.MaxNewTokens, j.EvalSamples, gc.Temperature, cfg.DataSeed)
	}
	err = grpo.GRPO(ctx, gc, pol, &grpo.Reference{Model: refM}, CharTokenizer{}, toPrompts(items), rewardFor(judge), eval, f, j.Reward,
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
