package grpo

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// OptimConfig is AdamW (torch semantics: decoupled weight decay p ← p − lr·wd·p, bias-corrected
// moments) after global-norm gradient clipping (torch clip_grad_norm_).
type OptimConfig struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"`
	MaxGradNorm float64 `json:"max_grad_norm"` // <= 0 disables clipping
}

// DefaultOptim is protocol.md §3 (the learning rate is the paper's 5e-7; micro runs raise it).
func DefaultOptim() OptimConfig {
	return OptimConfig{LR: 5e-7, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1.0}
}

// GlobalNorm is sqrt(Σ‖g‖²) over all gradients.
func GlobalNorm(grads []*Node) *Node {
	var total *Node
	for _, g := range grads {
		s := ReduceAllSum(Square(g))
		if total == nil {
			total = s
		} else {
			total = Add(total, s)
		}
	}
	return Sqrt(total)
}

// ClipByGlobalNorm scales all gradients by min(1, maxNorm/(norm+1e-6)) (torch clip_grad_norm_)
// and returns the clipped gradients and the pre-clip norm.
func ClipByGlobalNorm(grads []*Node, maxNorm float64) ([]*Node, *Node) {
	norm := GlobalNorm(grads)
	if maxNorm <= 0 {
		return grads, norm
	}
	coef := MinScalar(Div(Scalar(norm.Graph(), dtypes.Float32, maxNorm), AddScalar(norm, 1e-6)), 1.0)
	out := make([]*Node, len(grads))
	for i, g := range grads {
		out[i] = Mul(g, coef)
	}
	return out, norm
}

// optimizer state variable paths in the store.
const (
	optStepVar    = "/optimizer/step"
	optMPrefix    = "/optimizer/m"
	optVPrefix    = "/optimizer/v"
	optGradPrefix = "/optimizer/grad" // gradient accumulators of micro-batched updates
)

// adamWUpdate applies one AdamW update to params given their gradients; lr is a scalar node so
// the learning rate can change without recompiling. The step count and the moments live in the
// store under /optimizer (so checkpoints include them).
//
// finite (a scalar bool) guards the update, as verl skips optimizer.step() when the gradient
// norm is not finite: when false, the weights, the moments and the step count keep their values
// (the gradient is replaced by 0, the moment coefficients by (1, 0) and the learning rate by 0)
// instead of being corrupted by NaN; when true every operation and value is the unguarded
// update's.
//
// serial chains the weights' updates with scheduling barriers (same values), so that a backend
// that schedules by dependencies (the Go backend) holds one weight's update temporaries at a time
// instead of every weight's.
func adamWUpdate(store *model.Store, c OptimConfig, params []*model.Variable, grads []*Node, lr, finite *Node, serial bool) {
	g := lr.Graph()
	sel := func(dt dtypes.DType, ok, skip float64) *Node {
		return Where(finite, Scalar(g, dt, ok), Scalar(g, dt, skip))
	}
	stepVar := store.GetVariable(optStepVar)
	step := AddScalar(stepVar.NodeValue(g), 1)
	stepVar.SetNodeValue(Add(stepVar.NodeValue(g), sel(dtypes.Float32, 1, 0)))
	bc1 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta1), step))
	bc2 := OneMinus(Pow(Scalar(g, dtypes.Float32, c.Beta2), step))
	lr = Where(finite, lr, ScalarZero(g, lr.DType()))
	var prev []*Node
	for i, p := range params {
		mv := store.GetVariable(optMPrefix + p.Path())
		vv := store.GetVariable(optVPrefix + p.Path())
		dt := grads[i].DType()
		gi := grads[i]
		if serial && prev != nil {
			gi = SchedulingBarrier(gi, prev...)
		}
		gr := Where(finite, gi, ScalarZero(g, dt))
		m := Add(Mul(mv.NodeValue(g), sel(dt, c.Beta1, 1)), Mul(gr, sel(dt, 1-c.Beta1, 0)))
		v := Add(Mul(vv.NodeValue(g), sel(dt, c.Beta2, 1)), Mul(Square(gr), sel(dt, 1-c.Beta2, 0)))
		mv.SetNodeValue(m)
		vv.SetNodeValue(v)
		w := p.NodeValue(g)
		w = Sub(w, Mul(lr, MulScalar(w, c.WeightDecay)))
		upd := Div(Div(m, bc1), AddScalar(Sqrt(Div(v, bc2)), c.Eps))
		wNew := Sub(w, Mul(lr, upd))
		p.SetNodeValue(wNew)
		prev = []*Node{wNew, m, v}
	}
}
