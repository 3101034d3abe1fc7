package grpo

import (
	"testing"
)

// TestFusedAdamWSameBits: the fused AdamW update (one pass per weight after the graph) leaves every
// weight, moment and the step count with the same bits as the graph's update, and reports the
// same loss statistics: fused GRPO updates, micro-batch accumulation with ApplyAccumulated, SFT
// updates, on the tiny policy and on the micro-shaped one (whose weights of 6,208 to 24,576 values
// exercise the vector kernel and its tail).
func TestFusedAdamWSameBits(t *testing.T) {
	for name, mk := range rolloutModels(t) {
		t.Run(name, func(t *testing.T) {
			pa, _ := mk()
			pb, _ := mk()
			pb.Memory.FusedAdamW = true
			s, adv, old := tinyBatch(t, pa)
			for step := 0; step < 3; step++ {
				a, err := pa.GRPOUpdate(s, adv, old, old, 0.01)
				if err != nil {
					t.Fatal(err)
				}
				b, err := pb.GRPOUpdate(s, adv, old, old, 0.01)
				if err != nil {
					t.Fatal(err)
				}
				if a != b {
					t.Fatalf("update %d: graph %+v, fused %+v", step, a, b)
				}
				if k := sameBits(storeSnapshot(pa), storeSnapshot(pb)); k != "" {
					t.Fatalf("update %d: %s differs", step, k)
				}
			}
			// Gradient accumulation over two micro-batches, then one update.
			for _, p := range []*Policy{pa, pb} {
				for _, half := range []Seqs{rowsOf(s, 0, 2), rowsOf(s, 2, 4)} {
					lp, err := p.LogProbs(half)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := p.GRPOAccumulate(half, adv[:2], lp, lp, 1.0/10); err != nil {
						t.Fatal(err)
					}
				}
			}
			na, err := pa.ApplyAccumulated(0.02)
			if err != nil {
				t.Fatal(err)
			}
			nb, err := pb.ApplyAccumulated(0.02)
			if err != nil {
				t.Fatal(err)
			}
			if na != nb {
				t.Fatalf("accumulated norms %g vs %g", na, nb)
			}
			if k := sameBits(storeSnapshot(pa), storeSnapshot(pb)); k != "" {
				t.Fatalf("accumulated update: %s differs", k)
			}
			la, ga, err := pa.SFTUpdate(s, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			lb, gb, err := pb.SFTUpdate(s, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			if la != lb || ga != gb {
				t.Fatalf("SFT: loss %g/%g, norm %g/%g", la, lb, ga, gb)
			}
			if k := sameBits(storeSnapshot(pa), storeSnapshot(pb)); k != "" {
				t.Fatalf("SFT update: %s differs", k)
			}
			if pb.OptimizerStep() != 5 {
				t.Fatalf("step count %d, want 5", pb.OptimizerStep())
			}
		})
	}
}
