package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/train/qwen"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestModelInitWritesLoadableModel(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", dir, "--seed", "3", "--dtype", "bfloat16")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := qwen.Load(dir, backend, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.ModelType != "qwen2" || m.Config.TorchDType != "bfloat16" || m.Config.VocabSize != qwen.QwenVocabSize {
		t.Fatalf("config: %+v", m.Config)
	}
	res, err := m.Generate(context.Background(), []qwen.Request{{Prompt: []int{1, 2, 3}, Params: qwen.SampleParams{MaxNewTokens: 3}}}, qwen.GenerateOptions{})
	if err != nil || len(res[0][0].Tokens) == 0 {
		t.Fatalf("generate on the initialised model: %v %v", res, err)
	}
	// Same seed, same weights: a second init gives identical files' logits.
	dir2 := t.TempDir()
	if out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", dir2, "--seed", "3", "--dtype", "bfloat16"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m2, err := qwen.Load(dir2, backend, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	b := qwen.LeftPad([][]int{{5, 6, 7}}, 0, 0)
	l1, _ := m.Logits(b)
	l2, _ := m2.Logits(b)
	for i := range l1[0][2] {
		if l1[0][2][i] != l2[0][2][i] {
			t.Fatal("same seed gave different weights")
		}
	}
	if _, err := runCLI(t, "model", "init", "--config", "nope", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("bad config: %v", err)
	}
	if _, err := runCLI(t, "model", "pull", "bad"); err == nil || !strings.Contains(err.Error(), "ORG/NAME") {
		t.Fatalf("bad repo: %v", err)
	}
}
