package grpo

import (
	"fmt"
	"math"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/model/qwen"
)

// Policy is a trainable Qwen model: its weights, AdamW state (in the same store, under
// /optimizer) and compiled training executors.
type Policy struct {
	Model *qwen.Model
	Optim OptimConfig
	Loss  LossConfig
	// Temperature divides the logits before log-probabilities and entropies are taken, as verl
	// does with the rollout temperature (GRPO sets it from GRPOConfig.Temperature); 0 or 1: no
	// division.
	Temperature float64
	// Memory selects the memory-lean paths (GRPO sets it from GRPOConfig.Memory).
	Memory MemoryConfig
	params []*model.Variable

	built                                         string // the options the executors were built with
	grpoExec, sftExec, lpExec, accExec, applyExec *model.Exec
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

// prepare validates the options and drops executors built with other ones.
func (p *Policy) prepare() error {
	if err := p.Memory.Validate(); err != nil {
		return err
	}
	key := fmt.Sprint(p.Temperature, p.Memory)
	if key != p.built {
		for _, e := range []*model.Exec{p.grpoExec, p.sftExec, p.lpExec, p.accExec, p.applyExec} {
			if e != nil {
				e.Finalize()
			}
		}
		p.grpoExec, p.sftExec, p.lpExec, p.accExec, p.applyExec = nil, nil, nil, nil, nil
		p.built = key
	}
	return nil
}

// OptimizerStep returns how many optimizer updates were applied.
func (p *Policy) OptimizerStep() int {
	return int(tensors.ToScalar[float32](p.Model.Store.GetVariable(optStepVar).MustValue()))
}

// Seqs is a left-padded batch of prompt+response sequences with the loss mask over the
// next-token targets (1 where the target is a response token). The mask covers every target
// ([B][T-1]) or, in a batch made with a response window (MakeSeqsWindow), only the last W
// targets ([B][W]): the log-probs, entropies and losses of such a batch exist for those W targets
// alone, and the LM head never runs on the other positions.
type Seqs struct {
	qwen.Batch
	LossMask [][]float32 // [B][T-1], or [B][W] with a response window
}

// Window is the number of targets the batch's log-probs cover: T-1, or W with a response window.
func (s Seqs) Window() int {
	if len(s.LossMask) == 0 {
		return 0
	}
	return len(s.LossMask[0])
}

// windowed reports whether s covers fewer targets than T-1.
func (s Seqs) windowed() bool { return len(s.Tokens) > 0 && s.Window() < len(s.Tokens[0])-1 }

// MakeSeqs builds Seqs from prompts and responses (the response should end with the stop token
// when generation stopped); T is rounded up to a multiple of bucket so few shapes compile.
func MakeSeqs(prompts, responses [][]int, bucket, pad int) Seqs {
	return makeSeqs(prompts, responses, bucket, pad, false)
}

// MakeSeqsWindow is MakeSeqs whose loss mask, log-probs and losses cover only the last W targets,
// W = the longest response rounded up to a multiple of bucket (at most T-1): every response
// target is inside the window (left padding puts the responses at the end of the rows), so the
// losses are those of MakeSeqs, without computing the prompt positions' logits.
func MakeSeqsWindow(prompts, responses [][]int, bucket, pad int) Seqs {
	return makeSeqs(prompts, responses, bucket, pad, true)
}

func makeSeqs(prompts, responses [][]int, bucket, pad int, window bool) Seqs {
	rows := make([][]int, len(prompts))
	T, R := 0, 0
	for i := range prompts {
		rows[i] = append(append([]int(nil), prompts[i]...), responses[i]...)
		T = max(T, len(rows[i]))
		R = max(R, len(responses[i]))
	}
	if bucket > 1 {
		T = (T + bucket - 1) / bucket * bucket
		R = (R + bucket - 1) / bucket * bucket
	}
	W := T - 1
	if window && R > 0 && R < T-1 {
		W = R
	}
	s := Seqs{Batch: qwen.LeftPad(rows, T, pad), LossMask: make([][]float32, len(rows))}
	for i := range rows {
		s.LossMask[i] = make([]float32, W)
		off := T - len(rows[i])
		// target at position t is token t+1; response tokens occupy [off+len(prompt), T).
		// The row's first token has no position before it to predict it: with an empty prompt the
		// first response token is not a target. Mask entry j is target T-1-W+j.
		for t := max(off+len(prompts[i]), off+1); t < T; t++ {
			s.LossMask[i][t-1-(T-1-W)] = 1
		}
	}
	return s
}

// paramNodes returns the graph values of every trained weight.
func (p *Policy) paramNodes(g *Graph) []*Node {
	nodes := make([]*Node, len(p.params))
	for i, v := range p.params {
		nodes[i] = v.NodeValue(g)
	}
	return nodes
}

// setupGraph makes g a training-mode graph (weights are parameters, so it does not recompile
// when they change) with the forward-pass options of mem (recomputation only where train).
func setupGraph(scope *model.Scope, g *Graph, mem MemoryConfig, train bool) {
	scope.Store().SetTraining(g, true)
	o := qwen.GraphOptions{ComputeDType: mem.computeDType()}
	if train {
		o.Recompute = mem.Recompute
	}
	if o != (qwen.GraphOptions{}) {
		qwen.SetGraphOptions(scope, g, o)
	}
}

// lossAndGrads runs the model on tokens, builds the loss outputs with lossFn from the per-target
// log-probs and entropies [B,T-1] (outs[0] is the loss) and returns them with the loss's
// gradient for every weight. With the chunked LM head (MemoryConfig.LogitChunk) the head's
// backward pass is qwen.HeadInputs.Gradients instead of automatic differentiation through
// [B,T,V] logits.
//
// window is the number of targets the losses cover (the loss mask's second dimension: T-1, or W
// for a batch made by MakeSeqsWindow).
func (p *Policy) lossAndGrads(scope *model.Scope, g *Graph, tokens, positions, mask *Node, window int, lossFn func(logp, ent *Node) []*Node) (outs, grads []*Node) {
	cfg := p.Model.Config
	logp, ent, head := qwen.TargetStatsWindow(scope, cfg, tokens, positions, mask, p.Memory.chunkFor(cfg.VocabSize), p.Temperature, window)
	outs = lossFn(logp, ent)
	if !head.Chunked() {
		return outs, Gradient(outs[0], p.paramNodes(g)...)
	}
	gs := Gradient(outs[0], logp, ent)
	return outs, head.Gradients(gs[0], gs[1], p.paramNodes(g))
}

// applyGrads clips grads by their global norm and applies AdamW; an update whose norm is not
// finite changes nothing (see adamWUpdate). It returns the pre-clip norm and, with
// Memory.FusedAdamW, the nodes the executor must also output for the update to be applied after
// the graph (fusedOutputs, then finishUpdate); otherwise none.
func (p *Policy) applyGrads(g *Graph, grads []*Node, lr *Node) (*Node, []*Node) {
	if p.Memory.FusedAdamW {
		return p.fusedOutputs(g, grads, lr)
	}
	grads, norm := ClipByGlobalNorm(grads, p.Optim.MaxGradNorm)
	adamWUpdate(p.Model.Store, p.Optim, p.params, grads, lr, IsFinite(norm), p.Memory.SerialUpdate)
	return norm, nil
}

// finishUpdate applies a fused update from the last outputs of an update executor (see
// applyGrads) and returns the other outputs; without FusedAdamW it returns out as is.
func (p *Policy) finishUpdate(out []*tensors.Tensor) ([]*tensors.Tensor, error) {
	if !p.Memory.FusedAdamW {
		return out, nil
	}
	n := len(out) - fusedScalarOutputs - len(p.params)
	if n < 0 {
		return nil, fmt.Errorf("fused AdamW: the executor returned %d outputs", len(out))
	}
	return out[:n], p.applyFused(out[n:])
}

// GRPOStats are the scalar results of one GRPO mini-batch update. GradNorm is not finite (NaN
// or ±Inf) exactly when the update was skipped.
type GRPOStats struct {
	Loss, PG, KL, Entropy, ClipFrac, GradNorm float64
	PPOKL                                     float64 // mean old − current log-prob (verl's actor/ppo_kl)
}

// Skipped reports whether the update was skipped because its gradient norm was not finite.
func (s GRPOStats) Skipped() bool { return !isFinite(s.GradNorm) }

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// GRPOUpdate runs one optimizer update on a mini-batch: adv [B] advantages, old and ref [B][T-1]
// log-probs (ref ignored when the KL coefficient is 0).
func (p *Policy) GRPOUpdate(s Seqs, adv []float32, old, ref [][]float32, lr float64) (GRPOStats, error) {
	if err := p.prepare(); err != nil {
		return GRPOStats{}, err
	}
	if p.grpoExec == nil {
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			setupGraph(scope, g, p.Memory, true)
			outs, grads := p.lossAndGrads(scope, g, in[0], in[1], in[2], in[3].Shape().Dim(1), func(logp, ent *Node) []*Node {
				t := PolicyLoss(p.Loss, logp, in[5], in[6], ent, in[4], in[3])
				return []*Node{t.Loss, t.PG, t.KL, t.Entropy, t.ClipFrac, t.PPOKL}
			})
			norm, fused := p.applyGrads(g, grads, in[7])
			return append(append(outs, norm), fused...)
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
	if out, err = p.finishUpdate(out); err != nil {
		return GRPOStats{}, err
	}
	f := scalars(out)
	return GRPOStats{Loss: f[0], PG: f[1], KL: f[2], Entropy: f[3], ClipFrac: f[4], PPOKL: f[5], GradNorm: f[6]}, nil
}

// GRPOSums are the token sums of one micro-batch (GRPOAccumulate): of the clipped
// policy-gradient loss, the k3 KL, the entropy and the clipped indicator, over Count response
// tokens.
type GRPOSums struct {
	PG, KL, Entropy, ClipFrac, PPOKL, Count float64
}

// GRPOAccumulate adds to the gradient accumulators the gradient of
// weight · Σ_tokens (pg − entropy_coef·H + kl_coef·kl) over the response tokens of micro-batch s,
// and returns the token sums. With weight = 1/(response tokens of the mini-batch) the
// accumulated gradient over its micro-batches is that of the mini-batch's token-mean loss
// (GRPOUpdate's); with weight = 1/(micro-batch tokens × micro-batches) it is verl's mean of
// per-micro-batch token-means. ApplyAccumulated then updates the weights.
func (p *Policy) GRPOAccumulate(s Seqs, adv []float32, old, ref [][]float32, weight float64) (GRPOSums, error) {
	if err := p.prepare(); err != nil {
		return GRPOSums{}, err
	}
	if err := p.ensureAccumulators(); err != nil {
		return GRPOSums{}, err
	}
	if p.accExec == nil {
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			setupGraph(scope, g, p.Memory, true)
			outs, grads := p.lossAndGrads(scope, g, in[0], in[1], in[2], in[3].Shape().Dim(1), func(logp, ent *Node) []*Node {
				t := policyLossSums(p.Loss, logp, in[5], in[6], ent, in[4], in[3])
				return []*Node{Mul(t.Objective, in[7]), t.PG, t.KL, t.Entropy, t.ClipFrac, t.PPOKL, t.Count}
			})
			st := p.Model.Store
			for i, v := range p.params {
				acc := st.GetVariable(optGradPrefix + v.Path())
				acc.SetNodeValue(Add(acc.NodeValue(g), grads[i]))
			}
			return outs[1:]
		})
		if err != nil {
			return GRPOSums{}, err
		}
		p.accExec = e
	}
	if ref == nil {
		ref = old
	}
	out, err := p.accExec.Call(s.Tokens, s.Positions, s.Mask, s.LossMask, adv, old, ref, float32(weight))
	if err != nil {
		return GRPOSums{}, err
	}
	f := scalars(out)
	return GRPOSums{PG: f[0], KL: f[1], Entropy: f[2], ClipFrac: f[3], PPOKL: f[4], Count: f[5]}, nil
}

// ApplyAccumulated clips the accumulated gradient by its global norm, applies AdamW (nothing
// changes when the norm is not finite: the update is skipped) and zeroes the accumulators; it
// returns the pre-clip norm.
func (p *Policy) ApplyAccumulated(lr float64) (float64, error) {
	if err := p.prepare(); err != nil {
		return 0, err
	}
	if err := p.ensureAccumulators(); err != nil {
		return 0, err
	}
	if p.applyExec == nil {
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			lr := in[0]
			g := lr.Graph()
			scope.Store().SetTraining(g, true)
			st := p.Model.Store
			grads := make([]*Node, len(p.params))
			accs := make([]*model.Variable, len(p.params))
			for i, v := range p.params {
				accs[i] = st.GetVariable(optGradPrefix + v.Path())
				grads[i] = accs[i].NodeValue(g)
			}
			norm, fused := p.applyGrads(g, grads, lr)
			for _, a := range accs {
				a.SetNodeValue(ZerosLike(a.NodeValue(g)))
			}
			return append([]*Node{norm}, fused...)
		})
		if err != nil {
			return 0, err
		}
		p.applyExec = e
	}
	out, err := p.applyExec.Call(float32(lr))
	if err != nil {
		return 0, err
	}
	if out, err = p.finishUpdate(out); err != nil {
		return 0, err
	}
	return scalars(out)[0], nil
}

// ensureAccumulators creates the zeroed gradient accumulators (not saved in checkpoints: they
// are zero between optimizer updates).
func (p *Policy) ensureAccumulators() error {
	st := p.Model.Store
	for _, v := range p.params {
		if st.GetVariable(optGradPrefix+v.Path()) == nil {
			if _, err := st.CreateVariable(optGradPrefix+v.Path(), tensors.FromShape(v.Shape())); err != nil {
				return err
			}
		}
	}
	return nil
}

// SFTUpdate runs one optimizer update minimising the token-mean negative log-likelihood of the
// masked (response) targets; it returns the loss and the pre-clip gradient norm (not finite
// exactly when the update was skipped).
func (p *Policy) SFTUpdate(s Seqs, lr float64) (loss, gradNorm float64, err error) {
	if err := p.prepare(); err != nil {
		return 0, 0, err
	}
	if p.sftExec == nil {
		e, err := model.NewExec(p.Model.Backend, p.Model.Store, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			setupGraph(scope, g, p.Memory, true)
			outs, grads := p.lossAndGrads(scope, g, in[0], in[1], in[2], in[3].Shape().Dim(1), func(logp, _ *Node) []*Node {
				return []*Node{TokenMean(Neg(logp), in[3])}
			})
			norm, fused := p.applyGrads(g, grads, in[4])
			return append([]*Node{outs[0], norm}, fused...)
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
	if out, err = p.finishUpdate(out); err != nil {
		return 0, 0, err
	}
	f := scalars(out)
	return f[0], f[1], nil
}

// LogProbs returns the per-target log-probabilities [B][T-1] (or [B][W], see Seqs) of s under the current weights
// (at the policy's Temperature).
// The graph takes the weights as parameters, so it does not recompile when they change.
func (p *Policy) LogProbs(s Seqs) ([][]float32, error) {
	if err := p.prepare(); err != nil {
		return nil, err
	}
	return logProbs(&p.lpExec, p.Model, s, p.Temperature, p.Memory)
}

func logProbs(exec **model.Exec, m *qwen.Model, s Seqs, temperature float64, mem MemoryConfig) ([][]float32, error) {
	if *exec == nil {
		cfg := m.Config
		e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, in []*Node) []*Node {
			setupGraph(scope, in[0].Graph(), mem, false)
			window := 0 // a 4th input (the loss mask of a windowed batch) gives the window by its shape
			if len(in) > 3 {
				window = in[3].Shape().Dim(1)
			}
			lp, _, _ := qwen.TargetStatsWindow(scope, cfg, in[0], in[1], in[2], mem.chunkFor(cfg.VocabSize), temperature, window)
			return []*Node{lp}
		})
		if err != nil {
			return nil, err
		}
		*exec = e
	}
	args := []any{s.Tokens, s.Positions, s.Mask}
	if s.windowed() {
		args = append(args, s.LossMask)
	}
	out, err := (*exec).Call(args...)
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	B, T1 := len(s.Tokens), s.Window()
	res := make([][]float32, B)
	for i := range res {
		res[i] = flat[i*T1 : (i+1)*T1]
	}
	return res, nil
}

// Reference is a frozen copy of a model for the KL term. Its log-probabilities are taken at
// Temperature with the Memory options, like the policy's (GRPO sets both).
type Reference struct {
	Model       *qwen.Model
	Temperature float64
	Memory      MemoryConfig
	built       string
	exec        *model.Exec
}

// LogProbs of the frozen reference.
func (r *Reference) LogProbs(s Seqs) ([][]float32, error) {
	if err := r.Memory.Validate(); err != nil {
		return nil, err
	}
	if key := fmt.Sprint(r.Temperature, r.Memory); key != r.built && r.exec != nil {
		r.exec.Finalize()
		r.exec = nil
	}
	r.built = fmt.Sprint(r.Temperature, r.Memory)
	return logProbs(&r.exec, r.Model, s, r.Temperature, r.Memory)
}

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
		if strings.HasPrefix(v.Path(), optGradPrefix) {
			continue // gradient accumulators: zero between updates, not training state
		}
		names = append(names, v.Path())
	}
	sort.Strings(names)
	return names
}
