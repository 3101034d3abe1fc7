package grpo

import (
	"fmt"
	"sort"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/train/qwen"
)

// Policy is a trainable Qwen model: its weights, AdamW state (in the same store, under
// /optimizer) and compiled training executors.
type Policy struct {
	Model  *qwen.Model
	Optim  OptimConfig
	Loss   LossConfig
	params []*model.Variable

	grpoExec, sftExec, lpExec *model.Exec
}

// NewPolicy wraps m for training and creates zeroed optimizer state for every weight.
func NewPolicy(m *qwen.Model, o OptimConfig, l LossConfig) (*Policy, error) {
	p := &Policy{Model: m, Optim: o, Loss: l}
	for _, w := range m.Config.Weights() {
		v := m.Store.GetVariable("/" + w.Name)
		if v == nil {
			return nil, fmt.Errorf("weight %q missing", w.Name)
		}
		p.params = append(p.params, v)
		for _, prefix := range []string{optMPrefix, optVPrefix} {
			if m.Store.GetVariable(prefix+v.Path()) == nil {
				if _, err := m.Store.CreateVariable(prefix+v.Path(), tensors.FromShape(v.Shape())); err != nil {
					return nil, err
				}
			}
		}
	}
	if m.Store.GetVariable(optStepVar) == nil {
		if _, err := m.Store.CreateVariable(optStepVar, tensors.FromScalar(float32(0))); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// OptimizerStep returns how many optimizer updates were applied.
func (p *Policy) OptimizerStep() int {
	return int(tensors.ToScalar[float32](p.Model.Store.GetVariable(optStepVar).MustValue()))
}

// Seqs is a left-padded batch of prompt+response sequences with the loss mask over the
// next-token targets (1 where the target is a response token).
type Seqs struct {
	qwen.Batch
	LossMask [][]float32 // [B][T-1]
}

// MakeSeqs builds Seqs from prompts and responses (the response should end with the stop token
// when generation stopped); T is rounded up to a multiple of bucket so few shapes compile.
func MakeSeqs(prompts, responses [][]int, bucket, pad int) Seqs {
	rows := make([][]int, len(prompts))
	T := 0
	for i := range prompts {
		rows[i] = append(append([]int(nil), prompts[i]...), responses[i]...)
		T = max(T, len(rows[i]))
	}
	if bucket > 1 {
		T = (T + bucket - 1) / bucket * bucket
	}
	s := Seqs{Batch: qwen.LeftPad(rows, T, pad), LossMask: make([][]float32, len(rows))}
	for i := range rows {
		s.LossMask[i] = make([]float32, T-1)
		off := T - len(rows[i])
		// target at position t is token t+1; response tokens occupy [off+len(prompt), T).
		for t := off + len(prompts[i]); t < T; t++ {
			s.LossMask[i][t-1] = 1
		}
	}
	return s
}

// tokenStats returns per-target log-probs [B,T-1] and entropies [B,T-1] of tokens.
func tokenStats(scope *model.Scope, cfg *qwen.Config, tokens, positions, mask *Node) (logp, ent *Node) {
	logits := qwen.Forward(scope, cfg, tokens, positions, mask)
	T := tokens.Shape().Dim(1)
	lsm := LogSoftmax(Slice(logits, AxisRange(), AxisRange(0, T-1)), -1)
	targets := Slice(tokens, AxisRange(), AxisRange(1, T))
	logp = ReduceSum(Mul(lsm, OneHot(targets, cfg.VocabSize, dtypes.Float32)), -1)
	ent = Neg(ReduceSum(Mul(Exp(lsm), lsm), -1))
	return logp, ent
}

// update differentiates loss w.r.t. every weight, clips and applies AdamW; returns the pre-clip
// gradient norm.
func (p *Policy) update(g *Graph, loss, lr *Node) *Node {
	nodes := make([]*Node, len(p.params))
	for i, v := range p.params {
		nodes[i] = v.NodeValue(g)
	}
	grads := Gradient(loss, nodes...)
	grads, norm := ClipByGlobalNorm(grads, p.Optim.MaxGradNorm)
	adamWUpdate(p.Model.Store, p.Optim, p.params, grads, lr)
	return norm
}

// GRPOStats are the scalar results of one GRPO mini-batch update.
type GRPOStats struct {
	Loss, PG, KL, Entropy, ClipFrac, GradNorm float64
}

// GRPOUpdate runs one optimizer update on a mini-batch: adv [B] advantages, old and ref [B][T-1]
// log-probs (ref ignored when the KL coefficient is 0).
func (p *Policy) GRPOUpdate(s Seqs, adv []float32, old, ref [][]float32, lr float64) (GRPOStats, error) {
	if p.grpoExec == nil {
		cfg := p.Model.Config
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			scope.Store().SetTraining(g, true)
			logp, ent := tokenStats(scope, cfg, in[0], in[1], in[2])
			t := PolicyLoss(p.Loss, logp, in[5], in[6], ent, in[4], in[3])
			norm := p.update(g, t.Loss, in[7])
			return []*Node{t.Loss, t.PG, t.KL, t.Entropy, t.ClipFrac, norm}
		})
		if err != nil {
			return GRPOStats{}, err
		}
		p.grpoExec = e
	}
	if ref == nil {
		ref = old
	}
	out, err := p.grpoExec.Call(s.Tokens, s.Positions, s.Mask, s.LossMask, adv, old, ref, float32(lr))
	if err != nil {
		return GRPOStats{}, err
	}
	f := scalars(out)
	return GRPOStats{f[0], f[1], f[2], f[3], f[4], f[5]}, nil
}

// SFTUpdate runs one optimizer update minimising the token-mean negative log-likelihood of the
// masked (response) targets; it returns the loss and the pre-clip gradient norm.
func (p *Policy) SFTUpdate(s Seqs, lr float64) (loss, gradNorm float64, err error) {
	if p.sftExec == nil {
		cfg := p.Model.Config
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			scope.Store().SetTraining(g, true)
			logp, _ := tokenStats(scope, cfg, in[0], in[1], in[2])
			l := TokenMean(Neg(logp), in[3])
			return []*Node{l, p.update(g, l, in[4])}
		})
		if err != nil {
			return 0, 0, err
		}
		p.sftExec = e
	}
	out, err := p.sftExec.Call(s.Tokens, s.Positions, s.Mask, s.LossMask, float32(lr))
	if err != nil {
		return 0, 0, err
	}
	f := scalars(out)
	return f[0], f[1], nil
}

// LogProbs returns the per-target log-probabilities [B][T-1] of s under the current weights.
// The graph takes the weights as parameters, so it does not recompile when they change.
func (p *Policy) LogProbs(s Seqs) ([][]float32, error) {
	return logProbs(&p.lpExec, p.Model, s)
}

func logProbs(exec **model.Exec, m *qwen.Model, s Seqs) ([][]float32, error) {
	if *exec == nil {
		cfg := m.Config
		e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, in []*Node) []*Node {
			scope.Store().SetTraining(in[0].Graph(), true)
			lp, _ := tokenStats(scope, cfg, in[0], in[1], in[2])
			return []*Node{lp}
		})
		if err != nil {
			return nil, err
		}
		*exec = e
	}
	out, err := (*exec).Call(s.Tokens, s.Positions, s.Mask)
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	B, T1 := len(s.Tokens), len(s.Tokens[0])-1
	res := make([][]float32, B)
	for i := range res {
		res[i] = flat[i*T1 : (i+1)*T1]
	}
	return res, nil
}

// Reference is a frozen copy of a model for the KL term.
type Reference struct {
	Model *qwen.Model
	exec  *model.Exec
}

// LogProbs of the frozen reference.
func (r *Reference) LogProbs(s Seqs) ([][]float32, error) { return logProbs(&r.exec, r.Model, s) }

// WeightsChanged must be called after updates so inference executors (Generate) see them.
func (p *Policy) WeightsChanged() { p.Model.WeightsChanged() }

func scalars(ts []*tensors.Tensor) []float64 {
	f := make([]float64, len(ts))
	for i, t := range ts {
		f[i] = float64(tensors.ToScalar[float32](t))
	}
	return f
}

// variableNames lists the store's variable paths in a stable order.
func variableNames(s *model.Store) []string {
	var names []string
	for v := range s.IterVariables() {
		names = append(names, v.Path())
	}
	sort.Strings(names)
	return names
}
