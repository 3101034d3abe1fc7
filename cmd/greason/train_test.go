package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/train/job"
)

// writeTinyJob writes a tiny GRPO job (hidden 8, one layer, the Qwen vocabulary and tokenizer)
// on 8 WebInstruct-schema questions and returns its config path.
func writeTinyJob(t *testing.T, dir string, steps int) string {
	t.Helper()
	var data strings.Builder
	for i := 0; i < 8; i++ {
		fmt.Fprintf(&data, `{"id":"q%d","question":"What is %d+%d?","answer":"%d"}`+"\n", i, i, 2*i+1, 3*i+1)
	}
	must(t, os.WriteFile(filepath.Join(dir, "train.jsonl"), []byte(data.String()), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3",
		"vocab_size": 151936, "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
		"num_key_value_heads": 1, "head_dim": 4, "rms_norm_eps": 1e-6, "rope_theta": 10000, "max_position_embeddings": 128,
		"tie_word_embeddings": true, "attention_bias": false, "hidden_act": "silu", "eos_token_id": 151645}`), 0o644))
	cfg := fmt.Sprintf(`{"job": "grpo", "name": "tiny", "out": %q,
		"policy": {"config": %q, "init_seed": 2, "init_std": 0.5},
		"data": {"train": [%q], "val": [%q], "val_rows": 2, "max_prompt_length": 64},
		"grpo": {"prompts_per_step": 2, "n": 2, "mini_batches": 1, "max_new_tokens": 4, "micro_batch": 2, "seed": 1,
		         "optim": {"lr": 0.05, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "max_grad_norm": 1}},
		"trainer": {"total_training_steps": %d, "test_freq": 0, "save_freq": 0}}`,
		filepath.Join(dir, "run"), filepath.Join(dir, "model.json"), filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "train.jsonl"), steps)
	path := filepath.Join(dir, "job.json")
	must(t, os.WriteFile(path, []byte(cfg), 0o644))
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrainGRPOJobCheckpointMatchesTorch: `greason train grpo` on a "job": "grpo" config trains
// and writes a Hugging Face checkpoint; `greason model logits` on it matches the independent
// float64 PyTorch reference (tools/torchgold/gold.py --compare) to 1e-4 of the largest logit,
// greedy tokens equal. Skipped when Debian's python3-torch is absent ($TORCH_PYTHON, default
// /usr/bin/python3).
func TestTrainGRPOJobCheckpointMatchesTorch(t *testing.T) {
	dir := t.TempDir()
	cfg := writeTinyJob(t, dir, 2)
	out, err := runCLI(t, "train", "grpo", "--config", cfg)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(out, "grpo done: 2 steps") {
		t.Fatalf("output: %s", out)
	}
	ckpt := filepath.Join(job.StepDir(filepath.Join(dir, "run"), 2), "model")
	logits := filepath.Join(dir, "logits.json")
	if out, err := runCLI(t, "model", "logits", "--model", ckpt, "--text", "What is 2+3?", "--all", "--out", logits); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	py := os.Getenv("TORCH_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("no PyTorch at %s (Debian python3-torch; set TORCH_PYTHON): the checkpoint is not compared", py)
	}
	cmd := exec.Command(py, filepath.Join("..", "..", "tools", "torchgold", "gold.py"), "--compare", ckpt, logits, "--max-rel", "1e-4")
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("PyTorch comparison: %v\n%s", err, res)
	}
	t.Logf("%s", strings.TrimSpace(string(res)))
}

// TestTrainConfigKinds: "job" picks the paper's job; an unknown kind is an error naming the key.
func TestTrainConfigKinds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.json")
	must(t, os.WriteFile(path, []byte(`{"job": "ppo"}`), 0o644))
	if _, err := runCLI(t, "train", "grpo", "--config", path); err == nil || !strings.Contains(err.Error(), `field job: "ppo"`) {
		t.Fatalf("job ppo: %v", err)
	}
	must(t, os.WriteFile(path, []byte(`{"job": "grpo", "out": "x", "policy": {"preset": "tiny-qwen3"}, "data": {"train": ["x"]}, "reward": {"judge": "general-verifier"}}`), 0o644))
	if _, err := runCLI(t, "train", "grpo", "--config", path); err == nil || !strings.Contains(err.Error(), "reward.judge") {
		t.Fatalf("general-verifier without a URL: %v", err)
	}
}

// TestPaperJobConfigs: the §3 configs parse, mirror the paper's values, and `train plan` takes
// them (the job's step shape, and a verdict per GPU).
func TestPaperJobConfigs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "configs", "*.json"))
	jobs := 0
	for _, f := range files { // every job config parses strictly (train/micro reads the others)
		raw, kind, err := readJobConfig(f)
		switch {
		case err != nil:
			t.Errorf("%s: %v", f, err)
		case kind == job.KindGRPO:
			_, err = job.ParseConfig(f, raw)
		case kind == job.KindSFT:
			_, err = job.ParseSFTConfig(f, raw)
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if kind != "" {
			jobs++
		}
	}
	if jobs < 5 {
		t.Errorf("%d job configs under configs/", jobs)
	}
	for _, name := range []string{"qwen3-4b-base", "qwen2.5-7b", "qwen3-14b-base"} {
		path := filepath.Join("..", "..", "configs", name+".json")
		c, err := job.LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		g := c.GRPO
		if g.PromptsPerStep != 1024 || g.N != 8 || g.PromptsPerStep/g.MiniBatches != 256 || g.Optim.LR != 5e-7 || g.Loss.ClipLow != 0.2 ||
			g.Loss.ClipHigh != 0.2 || g.Loss.ClipC != 10 || g.Loss.KLCoef != 1e-4 || g.Loss.EntropyCoef != 1e-3 || g.MaxNewTokens != 8192 ||
			g.LossAgg != "micro-token-mean" || g.MicroBatch != 8 || g.Temperature != 1 || c.Data.MaxPromptLength != 1024 ||
			c.Data.ValRows != 100 || c.Trainer.TestFreq != 5 || c.Trainer.SaveFreq != 20 || c.Reward.Judge != "general-verifier" || c.Policy.Preset != name {
			t.Errorf("%s does not mirror protocol §3: %+v", name, c)
		}
		out, err := runCLI(t, "train", "plan", "--config", path, "--device", "gpu:80,gpu:141")
		if err != nil {
			t.Fatalf("%s: %v: %s", name, err, out)
		}
		for _, want := range []string{"job " + name, "1024 prompts × 8 rollouts, prompt 1024 + 8192 new tokens, 4 mini-batch(es) of 2048, micro-batch 8", "gpu:80 (80.00 GiB", "gpu:141 (141.00 GiB"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: plan output lacks %q:\n%s", name, want, out)
			}
		}
		if name == "qwen3-4b-base" && !strings.Contains(out, "fits with --gen-len 4096") {
			t.Errorf("%s: no shorter-response advice:\n%s", name, out)
		}
	}
}
