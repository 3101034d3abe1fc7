package grpo

import (
	"math"
	"testing"
)

// TestResponseWindow: a batch made with a response window (MakeSeqsWindow) covers only the last
// W targets, and its log-probs, update statistics and updated weights equal those of the full
// batch on those targets, with the unchunked and the chunked LM head. The prompts are longer
// than the responses, so the window is shorter than T-1.
func TestResponseWindow(t *testing.T) {
	prompts := [][]int{{2, 3, 4, 5, 6, 7, 8, 9, 10}, {5, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 2, 3, 4, 5, 6, 7}, {3, 4}}
	responses := [][]int{{6, 1}, {4, 4, 4, 1}, {2}, {9, 9, 3, 1}}
	full := MakeSeqs(prompts, responses, 2, 0)
	win := MakeSeqsWindow(prompts, responses, 2, 0)
	T := len(full.Tokens[0])
	if win.Window() != 4 || full.Window() != T-1 || T != 12 {
		t.Fatalf("window %d of T-1 = %d (T %d), want 4 of 11", win.Window(), full.Window(), T)
	}
	for b := range full.LossMask {
		for j := range full.LossMask[b] {
			w := float32(0)
			if k := j - (T - 1 - win.Window()); k >= 0 {
				w = win.LossMask[b][k]
			}
			if full.LossMask[b][j] != w {
				t.Fatalf("row %d target %d: full mask %v, windowed %v", b, j, full.LossMask[b], win.LossMask[b])
			}
		}
	}
	for _, chunk := range []int{-1, 5} {
		pf, _ := tinyPolicy(t)
		pw, _ := tinyPolicy(t)
		pf.Memory.LogitChunk, pw.Memory.LogitChunk = chunk, chunk
		of, err := pf.LogProbs(full)
		if err != nil {
			t.Fatal(err)
		}
		ow, err := pw.LogProbs(win)
		if err != nil {
			t.Fatal(err)
		}
		off := T - 1 - win.Window()
		for b := range ow {
			if len(ow[b]) != win.Window() {
				t.Fatalf("windowed log-probs have %d targets, want %d", len(ow[b]), win.Window())
			}
			for k, v := range ow[b] {
				if d := math.Abs(float64(v - of[b][off+k])); d > 1e-6 {
					t.Fatalf("chunk %d row %d target %d: windowed log-prob %g, full %g", chunk, b, off+k, v, of[b][off+k])
				}
			}
		}
		adv := []float32{1.2, -0.4, 0.7, -1.5}
		// Old log-probs shifted a little so the ratio is not 1 (clipping and the KL act).
		shift := func(x [][]float32) [][]float32 {
			out := make([][]float32, len(x))
			for b := range x {
				out[b] = make([]float32, len(x[b]))
				for i, v := range x[b] {
					out[b][i] = v + 0.3*float32((b+i)%3-1)
				}
			}
			return out
		}
		// The same shift at the same targets: full rows shift by (b+j)%3 at target j = off+k.
		oldF := shift(of)
		oldW := make([][]float32, len(ow))
		for b := range ow {
			oldW[b] = oldF[b][off:]
		}
		sf, err := pf.GRPOUpdate(full, adv, oldF, of, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		sw, err := pw.GRPOUpdate(win, adv, oldW, ow, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range [][3]any{{"pg", sf.PG, sw.PG}, {"kl", sf.KL, sw.KL}, {"entropy", sf.Entropy, sw.Entropy},
			{"clip", sf.ClipFrac, sw.ClipFrac}, {"ppo_kl", sf.PPOKL, sw.PPOKL}, {"grad_norm", sf.GradNorm, sw.GradNorm}} {
			a, b := c[1].(float64), c[2].(float64)
			if math.Abs(a-b) > 1e-5*math.Max(1, math.Abs(a)) {
				t.Fatalf("chunk %d: %s full %g, windowed %g", chunk, c[0], a, b)
			}
		}
		if sf.PPOKL == 0 || sf.ClipFrac == 0 {
			t.Fatalf("chunk %d: ppo_kl %g, clip fraction %g: the shifted old log-probs should move both", chunk, sf.PPOKL, sf.ClipFrac)
		}
		a, b := storeSnapshot(pf), storeSnapshot(pw)
		maxDiff := 0.0
		for k, x := range a {
			for i := range x {
				maxDiff = math.Max(maxDiff, math.Abs(float64(x[i]-b[k][i])))
			}
		}
		if maxDiff > 1e-6 {
			t.Fatalf("chunk %d: weights after the windowed update differ from the full one by %g", chunk, maxDiff)
		}
		// SFT on the window: the same loss.
		lf, _, err := pf.SFTUpdate(full, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		lw, _, err := pw.SFTUpdate(win, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lf-lw) > 1e-5 {
			t.Fatalf("chunk %d: SFT loss full %g, windowed %g", chunk, lf, lw)
		}
	}
}
