package micro

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/verifier"
)

// TestJobs runs `greason train sft` (policy, then the verifier with policy samples) and
// `greason train grpo` (model reward) at toy size, then resumes the GRPO job for one more step.
func TestJobs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := DefaultConfig()
	data.TrainPrompts, data.HeldOut, data.SFTExamples, data.EvalSamples = 40, 8, 32, 1
	data.GRPO.MaxNewTokens = 12
	data.NoBoxProb = 0 // the toy policy learns to write \boxed{...}: rewards then go through the model judge
	tiny := ModelSize{Hidden: 16, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 8, FF: 32}
	sft := grpo.SFTConfig{Steps: 2, BatchSize: 4, LR: 1e-3, Bucket: 8}
	var out bytes.Buffer
	pol := &SFTJob{Task: "policy", Model: tiny, Seed: 1, Out: filepath.Join(dir, "sft"), Data: data,
		SFT: grpo.SFTConfig{Steps: 60, BatchSize: 16, LR: 2e-2, Bucket: 8}}
	if err := RunSFT(ctx, pol, &out); err != nil {
		t.Fatal(err)
	}
	pm, err := openModel(filepath.Join(dir, "sft", "model"), ModelSize{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, d := jobData(data)
	ps, err := verifierPairs(ctx, &VerifierConfig{PolicyShare: 0.5}, pm, rand.New(rand.NewPCG(1, 2)), d.Train, 16, 12)
	if err != nil {
		t.Fatal(err)
	}
	nPol := 0
	for _, p := range ps {
		if p.source == "policy" {
			nPol++
			if want := OracleAnswer(p.it.Meaning, p.ans); p.label != want || p.ans == "" {
				t.Errorf("policy pair %+v: label %v, oracle says %v", p, p.label, want)
			}
		}
	}
	if len(ps) != 16 || nPol != 8 {
		t.Fatalf("%d pairs, %d from the policy; want 16 and 8", len(ps), nPol)
	}
	vc := &VerifierConfig{Model: tiny, Pairs: 16, HeldOutPairs: 4, Seed: 3, PolicyShare: 0.5, NearMissShare: 0.25, SFT: sft,
		InitFromPolicy: true, Mining: MiningConfig{Rounds: 1, Steps: 1, SFTSteps: 1}}
	ver := &SFTJob{Task: TaskMicroVerifier, Model: tiny, Seed: 3, Out: filepath.Join(dir, "verifier"), Data: data,
		Verifier: vc, Policy: filepath.Join(dir, "sft", "model"), SFT: sft}
	if err := RunSFT(ctx, ver, &out); err != nil {
		t.Fatal(err)
	}
	if err := RunSFT(ctx, &SFTJob{Task: "judge", Out: filepath.Join(dir, "x"), Data: data}, &out); err == nil || !strings.Contains(err.Error(), `task "judge"`) {
		t.Fatalf("unknown task: %v", err)
	}
	g := data.GRPO
	g.Steps, g.PromptsPerStep, g.N, g.EvalEvery, g.CheckpointEvry, g.Seed = 2, 2, 2, 2, 1, 1
	job := &GRPOJob{Init: filepath.Join(dir, "sft", "model"), Verifier: filepath.Join(dir, "verifier", "model"), Reward: "model",
		Data: "full", Out: filepath.Join(dir, "grpo"), DataConfig: data, EvalSamples: 1, GRPO: g}
	if err := RunGRPO(ctx, job, &out); err != nil {
		t.Fatal(err)
	}
	job.GRPO.Steps = 3
	if err := RunGRPO(ctx, job, &out); err != nil {
		t.Fatal(err)
	}
	recs, err := grpo.ReadLog(filepath.Join(dir, "grpo", "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	judged := false
	for _, r := range recs {
		if r.Kind == "train" {
			steps = append(steps, r.Step)
			judged = judged || r.RewardMean > -0.5
		}
	}
	if !judged {
		t.Errorf("no rollout reached the model judge (every reward -0.5):\n%s", out.String())
	}
	if len(steps) != 3 || steps[2] != 3 {
		t.Fatalf("train steps logged %v, want 1 2 then 3 after the resume", steps)
	}
	for _, f := range []string{"sft/model/model.safetensors", "verifier/model/config.json", "verifier/verifier.json", "grpo/curve.png", "grpo/checkpoint"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	job.Reward, job.Out = "cascade", filepath.Join(dir, "grpo-cascade")
	if err := RunGRPO(ctx, job, &out); err != nil {
		t.Fatal(err)
	}
	job.Reward = "exact"
	if err := RunGRPO(ctx, job, &out); err == nil || !strings.Contains(err.Error(), "exact") {
		t.Fatalf("unknown reward: %v", err)
	}
}

// TestConfigsLoad reads every committed config strictly; a misspelt key is an error naming the file.
func TestConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.json"))
	if len(files) < 5 {
		t.Fatalf("%d configs", len(files))
	}
	for _, f := range files {
		var err error
		switch b, _ := os.ReadFile(f); {
		case strings.Contains(string(b), `"job"`):
			continue // the paper's jobs (train/job): cmd/greason's TestPaperJobConfigs reads them strictly
		case strings.Contains(string(b), `"runs"`):
			_, err = LoadConfig(f)
		case strings.Contains(string(b), `"task": "verifier"`):
			_, err = verifier.LoadJob(f)
		case strings.Contains(string(b), `"task"`):
			_, err = LoadSFTJob(f)
		default:
			_, err = LoadGRPOJob(f)
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"warmstart": "x"}`), 0o644)
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "warmstart") {
		t.Errorf("misspelt key: %v", err)
	}
}
