package qwen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// headRun evaluates, on a left-padded batch, the per-target log-probs and entropies of
// TargetStats and the gradient of every weight for the loss Σ a·logp + b·ent (a, b random), with
// the given chunk, temperature and graph options.
func headRun(t *testing.T, m *Model, chunk int, temperature float64, o GraphOptions) (logp, ent []float32, grads [][]float32) {
	t.Helper()
	batch := LeftPad([][]int{{3, 14, 15, 9, 26, 5}, {5, 35, 8}, {60, 1, 2, 7}}, 0, 0)
	B, T := len(batch.Tokens), len(batch.Tokens[0])
	r := rand.New(rand.NewPCG(7, 8))
	a, b := make([][]float32, B), make([][]float32, B)
	for i := range a {
		a[i], b[i] = make([]float32, T-1), make([]float32, T-1)
		for j := range a[i] {
			a[i][j], b[i][j] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
	}
	ws := m.Config.Weights()
	e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		scope.Store().SetTraining(g, true)
		SetGraphOptions(scope, g, o)
		lp, en, head := TargetStats(scope, m.Config, in[0], in[1], in[2], chunk, temperature)
		loss := ReduceAllSum(Add(Mul(lp, in[3]), Mul(en, in[4])))
		params := make([]*Node, len(ws))
		for i, w := range ws {
			params[i] = scope.GetVariable(w.Name).NodeValue(g)
		}
		var gr []*Node
		if head.Chunked() {
			gs := Gradient(loss, lp, en)
			gr = head.Gradients(gs[0], gs[1], params)
		} else {
			gr = Gradient(loss, params...)
		}
		return append([]*Node{lp, en}, gr...)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call(batch.Tokens, batch.Positions, batch.Mask, a, b)
	if err != nil {
		t.Fatal(err)
	}
	flat := func(x *tensors.Tensor) []float32 {
		if x.DType() != dtypes.Float32 {
			t.Fatalf("dtype %s, want float32", x.DType())
		}
		return tensors.MustCopyFlatData[float32](x)
	}
	logp, ent = flat(out[0]), flat(out[1])
	for _, x := range out[2:] {
		grads = append(grads, flat(x))
	}
	// Only real targets (a real token predicted from a real position) are compared.
	for i := range batch.Tokens {
		for j := 0; j < T-1; j++ {
			if !batch.Mask[i][j] {
				logp[i*(T-1)+j], ent[i*(T-1)+j] = 0, 0
			}
		}
	}
	return logp, ent, grads
}

// maxRelDiff is max|x−y| / max(max|y|, 1e-6).
func maxRelDiff(x, y []float32) float64 {
	d, s := 0.0, 1e-6
	for i := range x {
		d = math.Max(d, math.Abs(float64(x[i]-y[i])))
		s = math.Max(s, math.Abs(float64(y[i])))
	}
	return d / s
}

// TestChunkedHeadMatchesFullLogits checks the chunked LM head (ChunkedHeadStats + HeadStatsVJP)
// against the full-logits path with automatic differentiation: log-probs, entropies and the
// gradient of every weight, for a tied (qwen3) and an untied (qwen2) head, chunks that do and do
// not divide the vocabulary, and temperatures 1 and 0.7; and activation recomputation against
// the plain backward pass.
func TestChunkedHeadMatchesFullLogits(t *testing.T) {
	backend := testBackend(t)
	for _, kind := range []string{"qwen3", "qwen2"} {
		cfg := tinyConfig(kind, 61)
		m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 5, Std: 0.3, PerturbNorms: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, temp := range []float64{1, 0.7} {
			lp0, en0, g0 := headRun(t, m, 0, temp, GraphOptions{})
			for _, chunk := range []int{16, 61, 7} {
				t.Run(fmt.Sprintf("%s/T%g/chunk%d", kind, temp, chunk), func(t *testing.T) {
					lp, en, g := headRun(t, m, chunk, temp, GraphOptions{})
					if d := maxRelDiff(lp, lp0); d > 1e-5 {
						t.Errorf("log-probs differ by %.2g (relative)", d)
					}
					if d := maxRelDiff(en, en0); d > 1e-5 {
						t.Errorf("entropies differ by %.2g (relative)", d)
					}
					for i, w := range cfg.Weights() {
						if d := maxRelDiff(g[i], g0[i]); d > 1e-4 {
							t.Errorf("gradient of %s differs by %.2g (relative)", w.Name, d)
						}
					}
				})
			}
		}
		t.Run(kind+"/recompute", func(t *testing.T) {
			_, _, g0 := headRun(t, m, 16, 1, GraphOptions{})
			_, _, g := headRun(t, m, 16, 1, GraphOptions{Recompute: true})
			for i, w := range cfg.Weights() {
				if d := maxRelDiff(g[i], g0[i]); d > 1e-6 {
					t.Errorf("gradient of %s with recomputation differs by %.2g (relative)", w.Name, d)
				}
			}
		})
		t.Run(kind+"/bfloat16", func(t *testing.T) {
			// bfloat16 weights and activations, float32 gradients: close to the float32 ones.
			lp0, _, g0 := headRun(t, m, 16, 1, GraphOptions{})
			lp, _, g := headRun(t, m, 16, 1, GraphOptions{ComputeDType: dtypes.BFloat16})
			if d := maxRelDiff(lp, lp0); d > 0.05 {
				t.Errorf("bfloat16 log-probs differ by %.2g (relative)", d)
			}
			for i, w := range cfg.Weights() {
				if c := cosine(g[i], g0[i]); c < 0.98 {
					t.Errorf("bfloat16 gradient of %s: cosine %.4f with the float32 one", w.Name, c)
				}
			}
		})
	}
}

func cosine(x, y []float32) float64 {
	var xy, xx, yy float64
	for i := range x {
		xy += float64(x[i]) * float64(y[i])
		xx += float64(x[i]) * float64(x[i])
		yy += float64(y[i]) * float64(y[i])
	}
	if xx == 0 && yy == 0 {
		return 1
	}
	return xy / math.Sqrt(xx*yy)
}

// TestGenerateWeightsAsInputs: decoding with the weights as graph inputs gives the same samples
// as with the weights embedded as constants.
func TestGenerateWeightsAsInputs(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 97)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 3, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	var reqs []Request
	for i, p := range testPrompts {
		reqs = append(reqs, Request{Prompt: p, N: 2, Params: SampleParams{Temperature: 1, Seed: uint64(i), MaxNewTokens: 16}})
	}
	a, err := m.Generate(context.Background(), reqs, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Generate(context.Background(), reqs, GenerateOptions{WeightsAsInputs: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for j := range a[i] {
			if fmt.Sprint(a[i][j].Tokens) != fmt.Sprint(b[i][j].Tokens) {
				t.Fatalf("request %d sample %d: constants %v, inputs %v", i, j, a[i][j].Tokens, b[i][j].Tokens)
			}
		}
	}
}
