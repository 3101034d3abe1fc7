package grpo

import (
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
)

func planFor(t *testing.T, preset string, shape StepShape, mem MemoryConfig, dev Device) Plan {
	t.Helper()
	cfg, err := qwen.ConfigFromFlag(preset)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := PlanStep(PlanInput{Config: cfg, DType: dtypes.Float32, Shape: shape, Memory: mem, KL: true}, dev)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func item(pl Plan, phase, name string) int64 {
	for _, ph := range pl.Phases {
		if ph.Name == phase {
			for _, it := range ph.Items {
				if it.Name == name {
					return it.Bytes
				}
			}
		}
	}
	return -1
}

// TestPlanTerms checks the memory model's terms against hand arithmetic for Qwen3-0.6B and the
// direction of each option.
func TestPlanTerms(t *testing.T) {
	shape := StepShape{Prompts: 2, N: 2, PromptLen: 32, GenLen: 64, MiniBatches: 1, Bucket: 8}
	gpu := Device{Name: "gpu:80", Bytes: 80 << 30}
	pl := planFor(t, "qwen3-0.6b", shape, MemoryConfig{LogitChunk: -1}, gpu)
	if pl.Params != 596049920 {
		t.Fatalf("Qwen3-0.6B parameters %d, want 596049920", pl.Params)
	}
	// Unbucketed on a GPU: weights 4·P bytes; optimizer 8·P; the reference 4·P.
	if pl.Persistent[0].Bytes != 4*pl.Params || pl.Persistent[1].Bytes != 8*pl.Params || pl.Persistent[2].Bytes != 4*pl.Params {
		t.Fatalf("persistent %+v", pl.Persistent)
	}
	// Full logits while training: 8 buffers of 4 rows × 95 targets × 151936 float32.
	if got, want := item(pl, "update (backward)", "logits"), int64(8*4*95*151936*4); got != want {
		t.Fatalf("logits %d, want %d", got, want)
	}
	// KV cache: k and v, in and out, 28 layers × 4 rows × S=128 slots (32→32 + 64 → 96 → 128? S = roundUp(32+64, 32) = 96) × 8 × 128 × 4 bytes.
	if got, want := item(pl, "generate", "KV cache"), int64(2*2*28*4*96*8*128*4); got != want {
		t.Fatalf("KV cache %d, want %d", got, want)
	}
	chunked := planFor(t, "qwen3-0.6b", shape, MemoryConfig{}, gpu)
	rec := planFor(t, "qwen3-0.6b", shape, MemoryConfig{Recompute: true}, gpu)
	if !(chunked.Phases[2].Total < pl.Phases[2].Total && rec.Phases[2].Total < chunked.Phases[2].Total) {
		t.Fatalf("backward: full %d, chunked %d, recomputed %d: want decreasing", pl.Phases[2].Total, chunked.Phases[2].Total, rec.Phases[2].Total)
	}
	if rec.FLOPs.Update <= chunked.FLOPs.Update {
		t.Fatal("recomputation must cost FLOPs")
	}
	// FLOPs: the update is 3 forward passes of 380 targets over the 4 rows: 3 × 380 × (2·Pmm + attention).
	c, _ := qwen.ConfigFromFlag("qwen3-0.6b")
	Pmm := float64(matmulParams(c))
	want := 3 * 380 * (2*Pmm + float64(4*28*16*128*96))
	if d := pl.FLOPs.Update/want - 1; d > 1e-9 || d < -1e-9 {
		t.Fatalf("update FLOPs %g, want %g", pl.FLOPs.Update, want)
	}
	// The Go backend adds the rollout graph's weight copies unless they are inputs.
	cpu := Device{Name: "cpu", Bytes: 24 << 30, GoBackend: true}
	a := planFor(t, "qwen3-0.6b", shape, MemoryConfig{}, cpu)
	b := planFor(t, "qwen3-0.6b", shape, MemoryConfig{RolloutWeightsAsInputs: true}, cpu)
	if a.Phases[0].Total-b.Phases[0].Total != 2*b.Persistent[0].Bytes {
		t.Fatalf("rollout constants: %d vs %d", a.Phases[0].Total, b.Phases[0].Total)
	}
}

// TestPlanNativeRollouts: with bfloat16 rollouts the generation phase holds the bfloat16 copy of
// the weights and a bfloat16 KV cache instead of the graph decoder's buffers, and the bandwidth
// bound counts 64 passes over the bfloat16 matrices (2 bytes × every matrix weight, the LM head
// once: 596,049,920 − 65,536 norm weights (28 × (2·1024 + 2·128) + 1024) = 595,984,384).
func TestPlanNativeRollouts(t *testing.T) {
	shape := StepShape{Prompts: 2, N: 2, PromptLen: 32, GenLen: 64, MiniBatches: 1, Bucket: 8, RolloutDType: "bfloat16"}
	cpu := Device{Name: "cpu", Bytes: 24 << 30, GoBackend: true}
	pl := planFor(t, "qwen3-0.6b", shape, MemoryConfig{}, cpu)
	if got, want := item(pl, "generate", "KV cache (bfloat16)"), int64(2*28*4*96*8*128*2); got != want {
		t.Fatalf("KV cache %d, want %d", got, want)
	}
	c, _ := qwen.ConfigFromFlag("qwen3-0.6b")
	if got := item(pl, "generate", "rollout weights (bfloat16, converted once per step)"); got != qwen.NativeWeightBytes(c) || got != 2*595984384 {
		t.Fatalf("rollout weights %d (native %d)", got, qwen.NativeWeightBytes(c))
	}
	if item(pl, "generate", "weights as graph constants (2 copies)") != -1 || item(pl, "old_ref_logprobs", "host copies of the weights") != -1 {
		t.Fatal("the native decoder makes no graph constants")
	}
	if r := pl.Rollout; r.DType != "bfloat16" || r.Passes != 64 || r.BytesPerPass != 2*595984384 {
		t.Fatalf("rollout %+v", r)
	}
	shape.RolloutSlots, shape.Prompts = 3, 4 // 8 rollouts in 3 slots: 3 rounds of 64 passes at most
	if r := planFor(t, "qwen3-0.6b", shape, MemoryConfig{}, cpu).Rollout; r.Passes != 3*64 {
		t.Fatalf("slots: %+v", r)
	}
	graph := planFor(t, "qwen3-0.6b", StepShape{Prompts: 2, N: 2, PromptLen: 32, GenLen: 64, MiniBatches: 1, Bucket: 8}, MemoryConfig{}, cpu)
	if r := graph.Rollout; r.DType != "float32" || r.BytesPerPass != 4*595984384 {
		t.Fatalf("graph rollout %+v", r)
	}
}

// TestPlanAdvice: a paper-scale Qwen2.5-7B step does not fit an 80 GiB GPU as is, and the advice
// found for it does fit.
func TestPlanAdvice(t *testing.T) {
	cfg, err := qwen.ConfigFromFlag("qwen2.5-7b")
	if err != nil {
		t.Fatal(err)
	}
	in := PlanInput{Config: cfg, DType: dtypes.Float32, KL: true, Memory: MemoryConfig{LogitChunk: -1},
		Shape: StepShape{Prompts: 32, N: 8, PromptLen: 512, GenLen: 2048, MiniBatches: 4, Bucket: 8}}
	dev := Device{Name: "gpu:80", Bytes: 80 << 30}
	pl, err := PlanStep(in, dev)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Fits {
		t.Fatalf("7B step predicted to fit in %d bytes: %d", dev.Bytes, pl.Peak)
	}
	adv := Advice(in, dev)
	t.Logf("advice: %q", adv)
	if adv != "" {
		t.Fatalf("advice %q, but float32 weights + AdamW of 7.6 B parameters alone are 122 GB", adv)
	}
	big := Device{Name: "gpu:141", Bytes: 141 << 30}
	if adv := Advice(in, big); adv == "" {
		t.Fatal("no advice for a 141 GiB GPU")
	}
}
