package grpo

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// The fused AdamW update (MemoryConfig.FusedAdamW). In the graph (adamWUpdate) an update is about
// 18 elementwise operations per weight, each a pass over a weight-sized array and most with a
// weight-sized result, so on a CPU the optimizer is bound by memory traffic (~100 GB per step for
// Qwen3-0.6B) and needs weight-sized temporaries. Fused, the graph computes the gradients, their
// global norm and the step's scalars, and one pass per weight outside the graph reads the weight,
// its gradient and both moments and writes the weight and the moments (7 weight-sized transfers),
// doing the same float32 operations in the same order as adamWUpdate: the results are the same bit
// for bit (tested), as long as no operation is contracted into a fused multiply-add, which the
// kernels avoid (explicit float32 conversions; separate vector Mul and Add).

// fusedScalarOutputs are the scalars a fused update's graph outputs before the gradients: the
// clipping coefficient, 1 if the gradient norm is finite (else 0), the learning rate (0 when
// skipped) and the two bias corrections.
const fusedScalarOutputs = 5

// adamConsts are one fused update's constants, as the graph rounds them to float32.
type adamConsts struct {
	clip                   bool // multiply the gradient by coef (max_grad_norm > 0)
	coef, lr, bc1, bc2     float32
	b1, c1, b2, c2, wd, ep float32 // β1, 1−β1, β2, 1−β2, weight decay, ε
}

// fusedOutputs returns, for a fused update of grads, the pre-clip norm and the nodes to output:
// the fusedScalarOutputs scalars then the (unclipped) gradients. It also advances the step count
// in the store (when the norm is finite), as adamWUpdate does.
func (p *Policy) fusedOutputs(g *Graph, grads []*Node, lr *Node) (*Node, []*Node) {
	c := p.Optim
	norm := GlobalNorm(grads)
	coef := Scalar(g, dtypes.Float32, 1)
	if c.MaxGradNorm > 0 { // ClipByGlobalNorm's coefficient
		coef = MinScalar(Div(Scalar(g, dtypes.Float32, c.MaxGradNorm), AddScalar(norm, 1e-6)), 1.0)
	}
	finite := IsFinite(norm)
	stepVar := p.Model.Store.GetVariable(optStepVar)
	step := AddScalar(stepVar.NodeValue(g), 1)
	stepVar.SetNodeValue(Add(stepVar.NodeValue(g), Where(finite, Scalar(g, dtypes.Float32, 1), Scalar(g, dtypes.Float32, 0))))
	bc1 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta1), step))
	bc2 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta2), step))
	lr = Where(finite, lr, ScalarZero(g, lr.DType()))
	outs := []*Node{coef, ConvertDType(finite, dtypes.Float32), ConvertDType(lr, dtypes.Float32), bc1, bc2}
	return norm, append(outs, grads...)
}

// applyFused applies the update whose graph outputs (fusedOutputs) are outs, in place, and frees
// the gradient tensors. A non-finite gradient norm changes nothing.
func (p *Policy) applyFused(outs []*tensors.Tensor) error {
	if len(outs) != fusedScalarOutputs+len(p.params) {
		return fmt.Errorf("fused AdamW: %d outputs for %d weights", len(outs), len(p.params))
	}
	grads := outs[fusedScalarOutputs:]
	defer func() {
		for _, t := range grads {
			t.FinalizeAll()
		}
	}()
	f := make([]float32, fusedScalarOutputs)
	for i := range f {
		f[i] = tensors.ToScalar[float32](outs[i])
	}
	if f[1] == 0 {
		return nil // skipped update (the step count did not advance either)
	}
	c := p.Optim
	k := adamConsts{clip: c.MaxGradNorm > 0, coef: f[0], lr: f[2], bc1: f[3], bc2: f[4],
		b1: float32(c.Beta1), c1: float32(1 - c.Beta1), b2: float32(c.Beta2), c2: float32(1 - c.Beta2),
		wd: float32(c.WeightDecay), ep: float32(c.Eps)}
	st := p.Model.Store
	for i, v := range p.params {
		mv, vv := st.GetVariable(optMPrefix+v.Path()), st.GetVariable(optVPrefix+v.Path())
		err := mutableF32(v, func(w []float32) error {
			return mutableF32(mv, func(m []float32) error {
				return mutableF32(vv, func(s []float32) error {
					return tensors.ConstFlatData(grads[i], func(g []float32) {
						if len(g) != len(w) || len(m) != len(w) || len(s) != len(w) {
							panic(fmt.Sprintf("fused AdamW: %s: sizes %d, %d, %d, %d", v.Path(), len(w), len(g), len(m), len(s)))
						}
						adamWParallel(w, m, s, g, k)
					})
				})
			})
		})
		if err != nil {
			return fmt.Errorf("fused AdamW: %s: %w", v.Path(), err)
		}
	}
	return nil
}

// mutableF32 calls f with the float32 values of variable v, to change them in place. A tensor
// whose only copy is the backend's buffer (a graph output on the Go backend, whose buffers are host
// memory) is changed in that buffer through its shared view, without a host copy; one with a host
// copy through MutableFlatData (which invalidates any other copy).
func mutableF32(v *model.Variable, f func([]float32) error) error {
	t, err := v.Value()
	if err != nil {
		return err
	}
	if t.DType() != dtypes.Float32 {
		return fmt.Errorf("fused AdamW needs float32 weights and state, %s is %s", v.Path(), t.DType())
	}
	var ferr error
	call := func(flat []float32) { ferr = f(flat) }
	if t.HasLocal() && !t.IsShared() {
		err = tensors.MutableFlatData(t, call)
	} else {
		err = tensors.ConstFlatData(t, call)
	}
	if err != nil {
		return err
	}
	return ferr
}

// adamWRangeGeneric is the update of elements [lo, hi): adamWUpdate's operations one by one, each
// rounded to float32.
func adamWRangeGeneric(w, m, v, g []float32, k adamConsts) {
	for i := range w {
		gr := g[i]
		if k.clip {
			gr = float32(gr * k.coef)
		}
		mi := float32(m[i]*k.b1) + float32(gr*k.c1)
		vi := float32(v[i]*k.b2) + float32(float32(gr*gr)*k.c2)
		wi := w[i] - float32(k.lr*float32(w[i]*k.wd))
		den := float32(math.Sqrt(float64(float32(vi/k.bc2)))) + k.ep
		upd := float32(mi/k.bc1) / den
		w[i] = wi - float32(k.lr*upd)
		m[i], v[i] = mi, vi
	}
}

// adamWRange is the kernel in use (AVX-512 when available, see fusedadam_simd_amd64.go).
var adamWRange = adamWRangeGeneric

// adamWParallel runs adamWRange over a weight in chunks on all cores.
func adamWParallel(w, m, v, g []float32, k adamConsts) {
	const chunk = 1 << 16
	parallelChunks(len(w), chunk, func(lo, hi int) { adamWRange(w[lo:hi], m[lo:hi], v[lo:hi], g[lo:hi], k) })
}

// parallelChunks calls f on the chunks [lo, hi) of [0, n) on up to GOMAXPROCS goroutines.
func parallelChunks(n, chunk int, f func(lo, hi int)) {
	chunks := (n + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		if n > 0 {
			f(0, n)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				f(c*chunk, min((c+1)*chunk, n))
			}
		}()
	}
	wg.Wait()
}
