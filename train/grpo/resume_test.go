package grpo

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/greason/greason/model/qwen"
)

type letters struct{}

func (letters) Encode(s string) []int {
	out := make([]int, len(s))
	for i := range s {
		out[i] = 2 + int(s[i]-'a')
	}
	return out
}

func (letters) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id >= 2 {
			b.WriteByte(byte('a' + id - 2))
		}
	}
	return b.String()
}

func tinyPolicy(t *testing.T) (*Policy, *Reference) {
	t.Helper()
	f := false
	cfg := &qwen.Config{ModelType: "qwen3", VocabSize: 12, HiddenSize: 16, IntermediateSize: 32, NumHiddenLayers: 1,
		NumAttentionHeads: 2, NumKeyValueHeads: 1, HeadDim: 8, RMSNormEps: 1e-6, RopeTheta: 10000,
		MaxPositionEmbeddings: 64, TieWordEmbeddings: true, AttentionBias: &f, HiddenAct: "silu", EOSTokenID: float64(1)}
	m, err := qwen.NewRandom(cfg, testBackend(t), dtypes.Float32, qwen.InitOptions{Seed: 3, Std: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	rm, err := CloneModel(m)
	if err != nil {
		t.Fatal(err)
	}
	loss := DefaultLoss()
	loss.KLCoef = 0.1
	o := DefaultOptim()
	o.LR = 0.02
	p, err := NewPolicy(m, o, loss)
	if err != nil {
		t.Fatal(err)
	}
	return p, &Reference{Model: rm}
}

// TestResumeEquivalence trains 4 GRPO steps straight, and 2 steps + checkpoint + a fresh
// process-like restart for the last 2; weights and AdamW state must match.
func TestResumeEquivalence(t *testing.T) {
	ctx := context.Background()
	tok := letters{}
	var prompts []Prompt
	for _, s := range []string{"abc", "bca", "cab", "ddb", "jia", "efg"} {
		prompts = append(prompts, Prompt{Tokens: tok.Encode(s), Question: s})
	}
	// Reward: the fraction of 'c' in the response (−0.5 for an empty one).
	reward := func(_ context.Context, ps []Prompt, rs []string) ([]float64, []bool, error) {
		out, ok := make([]float64, len(rs)), make([]bool, len(rs))
		for i, r := range rs {
			if r == "" {
				out[i] = -0.5
				continue
			}
			out[i] = float64(strings.Count(r, "c")) / float64(len(r))
			ok[i] = out[i] > 0.5
		}
		return out, ok, nil
	}
	gc := DefaultGRPO()
	gc.Steps, gc.PromptsPerStep, gc.N, gc.MiniBatches, gc.MaxNewTokens = 4, 2, 4, 2, 6
	gc.Bucket, gc.PadToken, gc.StopTokens, gc.Seed = 4, 0, []int{1}, 9

	p1, r1 := tinyPolicy(t)
	var log1 bytes.Buffer
	if err := GRPO(ctx, gc, p1, r1, tok, prompts, reward, nil, &log1, "straight", nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p2, r2 := tinyPolicy(t)
	half := gc
	half.Steps, half.CheckpointDir = 2, dir
	var log2 bytes.Buffer
	if err := GRPO(ctx, half, p2, r2, tok, prompts, reward, nil, &log2, "first half", nil); err != nil {
		t.Fatal(err)
	}
	p3, r3 := tinyPolicy(t)
	rest := gc
	rest.CheckpointDir = dir
	if err := GRPO(ctx, rest, p3, r3, tok, prompts, reward, nil, &log2, "resumed", nil); err != nil {
		t.Fatal(err)
	}
	if p3.OptimizerStep() != 8 || p1.OptimizerStep() != 8 {
		t.Fatalf("optimizer steps %d and %d, want 8 (4 steps × 2 mini-batches)", p1.OptimizerStep(), p3.OptimizerStep())
	}
	maxDiff := 0.0
	for _, name := range variableNames(p1.Model.Store) {
		a := tensors.MustCopyFlatData[float32](p1.Model.Store.GetVariable(name).MustValue())
		b := tensors.MustCopyFlatData[float32](p3.Model.Store.GetVariable(name).MustValue())
		for i := range a {
			maxDiff = math.Max(maxDiff, math.Abs(float64(a[i]-b[i])))
		}
	}
	t.Logf("max |straight − resumed| over weights and optimizer state: %g", maxDiff)
	if maxDiff > 1e-5 {
		t.Fatalf("resumed run differs from the uninterrupted one by %g", maxDiff)
	}
	// The run must actually have changed the weights.
	p0, _ := tinyPolicy(t)
	w0 := tensors.MustCopyFlatData[float32](p0.Model.Store.GetVariable("/model.norm.weight").MustValue())
	w1 := tensors.MustCopyFlatData[float32](p1.Model.Store.GetVariable("/model.norm.weight").MustValue())
	if w0[0] == w1[0] {
		t.Fatal("training did not change the weights")
	}
	recs := strings.Count(log2.String(), `"kind":"train"`)
	if recs != 4 {
		t.Fatalf("logged %d train steps over the two halves, want 4", recs)
	}
}
