package verifier

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
)

// PlanInput is a local verifier (model/complete) sharing a device with a GRPO step, as the paper
// colocates General-Verifier with the policy (protocol §1.3: vLLM at gpu_memory_utilization 0.5,
// asleep between reward computations). Here the verifier's weights stay resident through the
// whole step; its KV cache and activations exist only while it judges (the "reward" phase,
// between the rollouts and the log-probs).
type PlanInput struct {
	Step   grpo.PlanInput // the policy's step
	Config *qwen.Config   // the verifier (e.g. preset general-verifier-1.5b)
	DType  dtypes.DType   // the verifier's weights
	// Rows decoded together (complete.Options.Rows); PromptLen the verification prompts' length
	// (bucketed to 64), GenLen the new tokens a row may decode (2048: the paper's limit; every row
	// keeps its KV cache slots until the run ends).
	Rows, PromptLen, GenLen int
}

// Plan is the verifier's memory beside the step and its FLOPs.
type Plan struct {
	Weights        int64   `json:"weights"`
	KVCache        int64   `json:"kv_cache"`
	Activations    int64   `json:"prefill_activations"`
	Logits         int64   `json:"logits"`
	FLOPsPerVerify float64 `json:"flops_per_verification"` // a row decoding GenLen tokens
	// Verifications per step: every rollout (general-verifier; a cascade asks fewer).
	Verifications int `json:"verifications"`
}

// PlanVerifier predicts the verifier's memory on dev, with the same per-token coefficients as
// the GRPO plan (grpo.LayerActivations): weights (one copy: the completer passes them to its
// graphs as inputs), the KV cache of one run (keys and values, in and out per decode step, of
// Rows rows × S slots: the bucketed prompt plus GenLen, rounded to 32), one layer's prefill
// activations, and the last position's logits.
func PlanVerifier(in PlanInput, dev grpo.Device) (Plan, error) {
	c := in.Config
	if in.Rows < 1 || in.PromptLen < 1 || in.GenLen < 1 {
		return Plan{}, fmt.Errorf("verifier plan: rows, prompt length and new tokens must be ≥ 1")
	}
	b := int64(4)
	if in.DType == dtypes.BFloat16 {
		b = 2
	}
	W, _ := grpo.WeightBytes(c, b, dev.GoBackend)
	L, V := int64(c.NumHiddenLayers), int64(c.VocabSize)
	KV, hd, H := int64(c.NumKeyValueHeads), int64(c.HeadDimension()), int64(c.NumAttentionHeads)
	P := int64(roundUp(in.PromptLen, 64))
	S := int64(roundUp(int(P)+in.GenLen, 32))
	R := int64(in.Rows)
	perTok, attnPerKey := grpo.LayerActivations(c)
	p := Plan{Weights: W,
		KVCache:       2 * 2 * L * R * S * KV * hd * b,
		Activations:   R*P*perTok*b + R*P*S*attnPerKey*4,
		Logits:        2 * R * V * 4,
		Verifications: in.Step.Shape.Prompts * in.Step.Shape.N,
	}
	Pmm, head := float64(grpo.MatmulParams(c)), float64(V*int64(c.HiddenSize))
	attn := func(keys int64) float64 { return float64(4 * L * H * hd * keys) }
	p.FLOPsPerVerify = float64(P)*(2*(Pmm-head)+attn(S)) + 2*head + float64(in.GenLen-1)*(2*Pmm+attn(S))
	return p, nil
}

// AddToStep adds the verifier to the step's plan: its weights to the persistent memory (every
// phase), and a "reward (verifier)" phase with its run's buffers; the peak and the verdict are
// recomputed.
func AddToStep(pl grpo.Plan, v Plan) grpo.Plan {
	persistent := int64(0)
	for _, it := range pl.Persistent {
		persistent += it.Bytes
	}
	pl.Persistent = append(append([]grpo.MemoryItem(nil), pl.Persistent...), grpo.MemoryItem{Name: "verifier weights", Bytes: v.Weights})
	phases := make([]grpo.PhasePlan, 0, len(pl.Phases)+1)
	for i, ph := range pl.Phases {
		ph.Total += v.Weights
		phases = append(phases, ph)
		if i == 0 { // after the rollouts
			items := []grpo.MemoryItem{{Name: "verifier KV cache", Bytes: v.KVCache}, {Name: "verifier prefill activations", Bytes: v.Activations},
				{Name: "verifier logits", Bytes: v.Logits}}
			t := persistent + v.Weights
			for _, it := range items {
				t += it.Bytes
			}
			phases = append(phases, grpo.PhasePlan{Name: "reward (verifier)", Items: items, Total: t})
		}
	}
	pl.Phases, pl.Peak = phases, 0
	for _, ph := range phases {
		if ph.Total > pl.Peak {
			pl.Peak, pl.PeakPhase = ph.Total, ph.Name
		}
	}
	pl.Fits = pl.Device.Bytes == 0 || pl.Peak <= pl.Device.Bytes
	return pl
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }
