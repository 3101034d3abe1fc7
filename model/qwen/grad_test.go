package qwen

import (
	"math"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestGradientMatchesFiniteDifference checks that gradients flow through the whole model (as the
// GRPO trainer needs): d(sum of token log-probs)/d(weight) against central differences, for
// weights at the bottom, middle and top of the network, on a left-padded batch.
func TestGradientMatchesFiniteDifference(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 61)
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 13, Std: 0.2, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	batch := LeftPad([][]int{{3, 14, 15, 9, 26}, {5, 35, 8}}, 0, 0)
	names := []string{"model.norm.weight", "model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
		"model.layers.1.self_attn.k_norm.weight", "model.layers.1.mlp.down_proj.weight"}
	lossFn := func(scope *model.Scope, tokens, positions, mask *Node) *Node {
		lp := TokenLogProbs(scope, cfg, tokens, positions, mask)
		T := tokens.Shape().Dim(1)
		valid := ConvertDType(Slice(mask, AxisRange(), AxisRange(1, T)), dtypes.Float32)
		return ReduceAllSum(Mul(lp, valid))
	}
	exec := model.MustNewExec(backend, m.Store, func(scope *model.Scope, tokens, positions, mask *Node) []*Node {
		loss := lossFn(scope, tokens, positions, mask)
		var vars []*Node
		for _, n := range names {
			vars = append(vars, scope.GetVariable(n).NodeValue(loss.Graph()))
		}
		return append([]*Node{loss}, Gradient(loss, vars...)...)
	})
	out, err := exec.Call(batch.Tokens, batch.Positions, batch.Mask)
	if err != nil {
		t.Fatal(err)
	}
	// lossAt evaluates the loss on a fresh copy of the model with one weight element shifted.
	// (A fresh store per evaluation: inference graphs on the Go backend embed weights as constants.)
	lossAt := func(name string, k int, delta float32) float64 {
		m2, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 13, Std: 0.2, PerturbNorms: true})
		if err != nil {
			t.Fatal(err)
		}
		v := m2.Store.GetVariable("/" + name)
		w := tensors.MustCopyFlatData[float32](v.MustValue())
		w[k] += delta
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		o, err := model.MustNewExec(backend, m2.Store, lossFn).Call(batch.Tokens, batch.Positions, batch.Mask)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tensors.ToScalar[float32](o[0]))
	}
	for i, name := range names {
		grad := tensors.MustCopyFlatData[float32](out[1+i])
		// Pick the element with the largest gradient so the check is well conditioned.
		k := 0
		for j := range grad {
			if math.Abs(float64(grad[j])) > math.Abs(float64(grad[k])) {
				k = j
			}
		}
		const eps = 1e-2
		lp, lm := lossAt(name, k, eps), lossAt(name, k, -eps)
		fd := (lp - lm) / (2 * eps)
		t.Logf("%s[%d]: autodiff %.5f, finite difference %.5f", name, k, grad[k], fd)
		if grad[k] == 0 || math.Abs(fd-float64(grad[k])) > 0.02*math.Abs(fd)+1e-3 {
			t.Fatalf("%s: gradient %.6f vs finite difference %.6f", name, grad[k], fd)
		}
	}
}

// TestWeightsChanged checks that executors see weights modified in the store after
// WeightsChanged (the Go backend compiles inference weights in as constants).
func TestWeightsChanged(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen2", 31)
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 2, Std: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	batch := LeftPad([][]int{{1, 2, 3}}, 0, 0)
	before, err := m.Logits(batch)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Store.GetVariable("/model.norm.weight")
	w := tensors.MustCopyFlatData[float32](v.MustValue())
	for i := range w {
		w[i] *= 2
	}
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
	m.WeightsChanged()
	after, err := m.Logits(batch)
	if err != nil {
		t.Fatal(err)
	}
	// Doubling the final norm weight doubles the logits.
	for i, x := range before[0][2] {
		if math.Abs(float64(after[0][2][i]-2*x)) > 1e-4 {
			t.Fatalf("logit %d: %v after doubling the final norm, want %v", i, after[0][2][i], 2*x)
		}
	}
}

// TestTokenLogProbs compares the graph's per-token log-probabilities with a host log-softmax
// of the logits.
func TestTokenLogProbs(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen2", 43)
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 8, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	batch := LeftPad([][]int{{3, 14, 15, 9, 26}, {5, 35, 8}}, 0, 0)
	out, err := model.MustNewExec(backend, m.Store, func(scope *model.Scope, tokens, positions, mask *Node) *Node {
		return TokenLogProbs(scope, cfg, tokens, positions, mask)
	}).Call(batch.Tokens, batch.Positions, batch.Mask)
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].Value().([][]float32)
	logits, err := m.Logits(batch)
	if err != nil {
		t.Fatal(err)
	}
	for b := range batch.Tokens {
		for i := 0; i+1 < len(batch.Tokens[b]); i++ {
			if !batch.Mask[b][i+1] {
				continue
			}
			row := logits[b][i]
			mx := math.Inf(-1)
			for _, v := range row {
				mx = math.Max(mx, float64(v))
			}
			sum := 0.0
			for _, v := range row {
				sum += math.Exp(float64(v) - mx)
			}
			want := float64(row[batch.Tokens[b][i+1]]) - mx - math.Log(sum)
			if math.Abs(float64(got[b][i])-want) > 1e-5 {
				t.Fatalf("row %d pos %d: log p %.6f, want %.6f", b, i, got[b][i], want)
			}
		}
	}
}
