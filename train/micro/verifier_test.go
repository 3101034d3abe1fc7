package micro

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/qwen"
)

// TestModelJudgeVerdicts trains a toy verifier to answer Yes exactly when the answer starts
// with "1" and checks that ModelJudge reads its verdicts (both ways, cached and batched).
func TestModelJudgeVerdicts(t *testing.T) {
	ctx := context.Background()
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := qwen.NewRandom(ModelSize{Hidden: 32, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 16, FF: 64}.QwenConfig(), b, dtypes.Float32, qwen.InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := Generate(rand.New(rand.NewPCG(1, 1)), "arith")
	var ps []pair
	for _, a := range []string{"1", "2"} {
		ps = append(ps, pair{it: &it, ans: a, label: a == "1"})
	}
	pol, err := grpo.NewPolicy(m, grpo.OptimConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MaxGradNorm: 1}, grpo.DefaultLoss())
	if err != nil {
		t.Fatal(err)
	}
	if err := grpo.SFT(ctx, grpo.SFTConfig{Steps: 60, BatchSize: 4, LR: 1e-2, Bucket: 8}, pol, verifierExamples(ps), io.Discard, "t", nil); err != nil {
		t.Fatal(err)
	}
	j := &ModelJudge{Model: m}
	got, err := j.JudgeBatch(ctx, []string{it.Question, it.Question}, []string{it.Gold, it.Gold}, []string{"1", "2"})
	if err != nil || !got[0] || got[1] {
		t.Fatalf("verdicts %v (%v), want [true false]", got, err)
	}
	if v, _ := j.Judge(ctx, it.Question, it.Gold, "1"); !v.Correct {
		t.Fatal("cached verdict lost")
	}
}
