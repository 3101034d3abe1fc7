package grpo

import (
	"math"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/model/qwen"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.7g, want %.7g", what, got, want)
	}
}

// run evaluates a graph function on float32 inputs and returns flat float64 outputs.
func run(t *testing.T, fn func(g *Graph, in []*Node) []*Node, inputs ...any) [][]float64 {
	t.Helper()
	e, err := NewExec(testBackend(t), fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Exec(inputs...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(out))
	for i, o := range out {
		f := tensors.MustCopyFlatData[float32](o)
		for _, v := range f {
			res[i] = append(res[i], float64(v))
		}
	}
	return res
}

func TestGroupAdvantages(t *testing.T) {
	// Group of 4: mean 2.5, unbiased std sqrt(5/3).
	a := GroupAdvantages([]float64{1, 2, 3, 4, 5, 5, 5, 5}, 4, 1e-6)
	std := math.Sqrt(5.0 / 3)
	for i, r := range []float64{1, 2, 3, 4} {
		near(t, "adv", a[i], (r-2.5)/(std+1e-6), 1e-12)
	}
	// Identical rewards: zero advantage (0/(0+eps)).
	for i := 4; i < 8; i++ {
		if a[i] != 0 {
			t.Errorf("identical group: adv %v, want 0", a[i])
		}
	}
	// Group of size 1: mean 0, std 1.
	b := GroupAdvantages([]float64{0.7, -0.5}, 1, 1e-6)
	near(t, "size-1 adv", b[0], 0.7/(1+1e-6), 1e-12)
	near(t, "size-1 adv", b[1], -0.5/(1+1e-6), 1e-12)
}

func TestPGLossesBothClipsAndDualClip(t *testing.T) {
	c := DefaultLoss()
	// (advantage, ratio) → expected loss, clipped indicator (pg_losses2 > pg_losses1).
	cases := []struct{ adv, ratio, loss, clipped float64 }{
		{1, 1.5, -1.2, 1}, // A>0, ratio above 1+ε: clipped to 1.2
		{1, 0.5, -0.5, 0}, // A>0, ratio below 1−ε: unclipped branch is the max
		{1, 1.1, -1.1, 0}, // inside the trust region
		{-1, 1.5, 1.5, 0}, // A<0, ratio above: unclipped (max), below dual-clip 10
		{-1, 0.5, 0.8, 1}, // A<0, ratio below 1−ε: clipped to 0.8
		{-1, 20, 10, 0},   // dual-clip: min(−A·c, ...) = 10
		{-2, 30, 20, 0},   // dual-clip scales with |A|: 2·10
		{0.5, 1, -0.5, 0}, // ratio 1
		{0, 3, 0, 0},      // zero advantage: zero loss
	}
	var logp, old, adv []float32
	for _, k := range cases {
		logp = append(logp, float32(math.Log(k.ratio)))
		old = append(old, 0)
		adv = append(adv, float32(k.adv))
	}
	out := run(t, func(g *Graph, in []*Node) []*Node {
		l, cl := PGLosses(c, in[0], in[1], in[2])
		return []*Node{l, cl}
	}, logp, old, adv)
	for i, k := range cases {
		near(t, "pg loss", out[0][i], k.loss, 1e-5)
		near(t, "clipped", out[1][i], k.clipped, 0)
	}
}

func TestLowVarKLAndEntropy(t *testing.T) {
	out := run(t, func(g *Graph, in []*Node) []*Node {
		return []*Node{LowVarKL(in[0], in[1], 10), Entropy(in[2])}
	}, []float32{-1, -1, -1, -7}, []float32{-2, -1, 4, -1}, [][]float32{{0, float32(math.Log(3))}, {0, 0}})
	near(t, "k3(ref−logp=−1)", out[0][0], math.Exp(-1)+1-1, 1e-6)
	near(t, "k3(equal)", out[0][1], 0, 1e-7)
	near(t, "k3 clamp (e^5−6 > 10)", out[0][2], 10, 1e-6)
	near(t, "k3 clamp (e^6−7 > 10)", out[0][3], 10, 1e-6)
	near(t, "entropy(1/4,3/4)", out[1][0], -(0.25*math.Log(0.25) + 0.75*math.Log(0.75)), 1e-6)
	near(t, "entropy(uniform 2)", out[1][1], math.Log(2), 1e-6)
}

func TestTokenMeanAndPolicyLoss(t *testing.T) {
	mask := [][]float32{{1, 1, 0}, {0, 1, 1}}
	out := run(t, func(g *Graph, in []*Node) []*Node {
		return []*Node{TokenMean(in[0], in[1])}
	}, [][]float32{{1, 2, 3}, {4, 5, 6}}, mask)
	near(t, "token-mean", out[0][0], (1+2+5+6)/4.0, 1e-6)

	// Full loss on a 2×3 batch, checked against host arithmetic.
	c := LossConfig{ClipLow: 0.2, ClipHigh: 0.3, ClipC: 3, KLCoef: 0.1, KLClamp: 10, EntropyCoef: 0.01}
	logp := [][]float32{{-1, -0.5, -2}, {-0.3, -1.2, -0.1}}
	old := [][]float32{{-1.2, -0.5, -1}, {-0.3, -0.2, -1.5}}
	ref := [][]float32{{-0.9, -0.7, -2}, {-0.4, -1, -0.2}}
	ent := [][]float32{{0.5, 0.6, 0.7}, {0.8, 0.9, 1.0}}
	adv := []float32{1.5, -0.7}
	out = run(t, func(g *Graph, in []*Node) []*Node {
		l := PolicyLoss(c, in[0], in[1], in[2], in[3], in[4], in[5])
		return []*Node{l.Loss, l.PG, l.KL, l.Entropy, l.ClipFrac}
	}, logp, old, ref, ent, adv, mask)
	var pg, kl, en, cf, n float64
	for b := range 2 {
		for k := range 3 {
			if mask[b][k] == 0 {
				continue
			}
			A := float64(adv[b])
			r := math.Exp(float64(logp[b][k] - old[b][k]))
			l1, l2 := -A*r, -A*math.Max(1-c.ClipLow, math.Min(1+c.ClipHigh, r))
			l := math.Max(l1, l2)
			if A < 0 {
				l = math.Min(l, -A*c.ClipC)
			}
			if l2 > l1 {
				cf++
			}
			d := float64(ref[b][k] - logp[b][k])
			pg, kl, en, n = pg+l, kl+math.Exp(d)-d-1, en+float64(ent[b][k]), n+1
		}
	}
	pg, kl, en, cf = pg/n, kl/n, en/n, cf/n
	near(t, "pg", out[1][0], pg, 1e-5)
	near(t, "kl", out[2][0], kl, 1e-5)
	near(t, "entropy", out[3][0], en, 1e-6)
	near(t, "clipfrac", out[4][0], cf, 1e-6)
	near(t, "loss", out[0][0], pg-c.EntropyCoef*en+c.KLCoef*kl, 1e-5)
	if cf == 0 || cf == 1 {
		t.Fatalf("test data should mix clipped and unclipped tokens (clipfrac %v)", cf)
	}
}

func TestClipByGlobalNorm(t *testing.T) {
	for _, k := range []struct{ max, scale float64 }{{1, 1 / (13 + 1e-6)}, {100, 1}, {0, 1}} {
		out := run(t, func(g *Graph, in []*Node) []*Node {
			c, norm := ClipByGlobalNorm([]*Node{in[0], in[1]}, k.max)
			return []*Node{c[0], c[1], norm}
		}, []float32{3, 4}, [][]float32{{12}})
		near(t, "norm", out[2][0], 13, 1e-5)
		for i, want := range []float64{3, 4} {
			near(t, "clipped", out[0][i], want*k.scale, 1e-6)
		}
		near(t, "clipped", out[1][0], 12*k.scale, 1e-6)
	}
}

// TestAdamW checks two AdamW updates (torch semantics, bias correction, decoupled decay)
// against host arithmetic.
func TestAdamW(t *testing.T) {
	backend := testBackend(t)
	store := model.NewStore()
	w0 := []float32{0.5, -1, 2}
	w, err := store.CreateVariable("/w", tensors.FromValue(w0))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{optMPrefix + "/w", optVPrefix + "/w"} {
		if _, err := store.CreateVariable(p, tensors.FromValue(make([]float32, 3))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.CreateVariable(optStepVar, tensors.FromScalar(float32(0))); err != nil {
		t.Fatal(err)
	}
	c := OptimConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
	lr := 0.1
	// Gradient of 0.5·Σw² is w.
	e := model.MustNewExec(backend, store, func(scope *model.Scope, lrN *Node) *Node {
		g := lrN.Graph()
		scope.Store().SetTraining(g, true)
		wn := w.NodeValue(g)
		adamWUpdate(scope.Store(), c, []*model.Variable{w}, []*Node{wn}, lrN, Const(g, true), false)
		return ReduceAllSum(wn)
	})
	host := []float64{0.5, -1, 2}
	m, v := make([]float64, 3), make([]float64, 3)
	for step := 1; step <= 2; step++ {
		if _, err := e.Call(float32(lr)); err != nil {
			t.Fatal(err)
		}
		for i := range host {
			g := host[i]
			host[i] -= lr * c.WeightDecay * host[i]
			m[i] = 0.9*m[i] + 0.1*g
			v[i] = 0.999*v[i] + 0.001*g*g
			mh, vh := m[i]/(1-math.Pow(0.9, float64(step))), v[i]/(1-math.Pow(0.999, float64(step)))
			host[i] -= lr * mh / (math.Sqrt(vh) + c.Eps)
		}
	}
	got := tensors.MustCopyFlatData[float32](w.MustValue())
	for i := range host {
		near(t, "w", float64(got[i]), host[i], 1e-5)
	}
	near(t, "step", float64(tensors.ToScalar[float32](store.GetVariable(optStepVar).MustValue())), 2, 0)
}

func TestMakeSeqsMask(t *testing.T) {
	s := MakeSeqs([][]int{{5, 6}, {7}}, [][]int{{8, 9}, {3, 4, 2}}, 8, 0)
	if len(s.Tokens[0]) != 8 {
		t.Fatalf("T = %d, want 8 (bucketed)", len(s.Tokens[0]))
	}
	// Row 0: [0 0 0 0 5 6 8 9]: targets 8, 9 at positions 5, 6 of the 7 targets.
	want0 := []float32{0, 0, 0, 0, 0, 1, 1}
	want1 := []float32{0, 0, 0, 0, 1, 1, 1}
	for i := range want0 {
		if s.LossMask[0][i] != want0[i] || s.LossMask[1][i] != want1[i] {
			t.Fatalf("loss masks %v %v, want %v %v", s.LossMask[0], s.LossMask[1], want0, want1)
		}
	}
}
