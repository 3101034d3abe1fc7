package verifier

import (
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
)

// TestPlanVerifier checks the verifier's terms by hand for General-Verifier in bfloat16 beside a
// step, and that AddToStep adds its weights to every phase and a reward phase.
func TestPlanVerifier(t *testing.T) {
	vc := qwen.Presets()["general-verifier-1.5b"]
	step := grpo.PlanInput{Config: qwen.Presets()["qwen3-0.6b"], DType: dtypes.Float32, KL: true,
		Shape: grpo.StepShape{Prompts: 4, N: 2, PromptLen: 32, GenLen: 64, MiniBatches: 1}}
	dev := grpo.Device{Name: "gpu:80", Bytes: 80 << 30}
	v, err := PlanVerifier(PlanInput{Step: step, Config: vc, DType: dtypes.BFloat16, Rows: 16, PromptLen: 500, GenLen: 2048}, dev)
	if err != nil {
		t.Fatal(err)
	}
	if vc.NumParameters() != 1543714304 || v.Weights != 2*1543714304 {
		t.Errorf("parameters %d, weights %d bytes", vc.NumParameters(), v.Weights)
	}
	S := int64(512 + 2048) // the prompt bucketed to 64, plus 2048, rounded to 32
	if want := 2 * 2 * 28 * 16 * S * 2 * 128 * 2; v.KVCache != want {
		t.Errorf("KV cache %d, want %d", v.KVCache, want)
	}
	if v.Verifications != 8 || v.FLOPsPerVerify < 2*1.3e9*2048 || v.FLOPsPerVerify > 1e13 {
		t.Errorf("%d verifications, %.3g FLOP each", v.Verifications, v.FLOPsPerVerify)
	}
	pl, err := grpo.PlanStep(step, dev)
	if err != nil {
		t.Fatal(err)
	}
	both := AddToStep(pl, v)
	if len(both.Phases) != len(pl.Phases)+1 || both.Phases[1].Name != "reward (verifier)" {
		t.Fatalf("phases %+v", both.Phases)
	}
	for i, ph := range pl.Phases {
		j := i
		if i > 0 {
			j++
		}
		if both.Phases[j].Total != ph.Total+v.Weights {
			t.Errorf("%s: %d, want %d + verifier weights", ph.Name, both.Phases[j].Total, ph.Total)
		}
	}
	if both.Peak < pl.Peak+v.Weights || !both.Fits {
		t.Errorf("peak %d (alone %d), fits %v", both.Peak, pl.Peak, both.Fits)
	}
}
