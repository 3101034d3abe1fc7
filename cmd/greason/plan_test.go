package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/train/grpo"
)

func TestTrainPlanDevices(t *testing.T) {
	out, err := runCLI(t, "train", "plan", "--config", "qwen2.5-7b", "--batch", "32", "--n", "8",
		"--prompt-len", "512", "--gen-len", "2048", "--mini-batches", "4", "--device", "gpu:80,gpu:141")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{"7615.6 M parameters", "gpu:80 (80.00 GiB, XLA): predicted peak", "gpu:141 (141.00 GiB, XLA)",
		"does NOT fit; no option tried fits", "does NOT fit; fits with --recompute", "FLOPs per step"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCLI(t, "train", "plan", "--config", "qwen3-4b", "--device", "tpu"); err == nil {
		t.Fatal("--device tpu accepted")
	}
}

// TestTrainPlanMeasure runs the measured step of a tiny model and checks the JSON report.
func TestTrainPlanMeasure(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.json")
	tiny := `{"model_type": "qwen3", "vocab_size": 97, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
		"num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "rms_norm_eps": 1e-6, "rope_theta": 10000,
		"max_position_embeddings": 64, "tie_word_embeddings": true, "hidden_act": "silu"}`
	if err := os.WriteFile(cfg, []byte(tiny), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "train", "plan", "--config", cfg, "--batch", "2", "--n", "2", "--prompt-len", "6",
		"--gen-len", "4", "--device", "cpu", "--measure", "--json", "--serial-update", "--rollout-weights-as-inputs")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var res struct {
		Plans       []grpo.Plan
		Measurement *grpo.Measurement
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m := res.Measurement
	if m == nil || len(m.Phases) != 3 || m.PeakRSS <= 0 || m.Tokens != 40 || m.Record.ResponseLen != 4 || m.Record.GradNorm <= 0 {
		t.Fatalf("measurement %+v", m)
	}
	if len(res.Plans) != 1 || res.Plans[0].Peak <= 0 {
		t.Fatalf("plans %+v", res.Plans)
	}
}
