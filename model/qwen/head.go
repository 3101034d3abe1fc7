package qwen

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// This file computes per-token log-probabilities and entropies of the LM head without the
// [N, V] logits: the vocabulary is processed in chunks of C rows of the head weight, so at most
// [N, C] logits exist at a time, and the backward pass (HeadStatsVJP) recomputes each chunk's
// logits instead of keeping them. With V = 151,936 (Qwen) and N = batch × length tokens, the
// unchunked float32 logits and their gradient are what dominates a training step's memory.

// Hidden returns the final-norm hidden states [B,T,D] of tokens (Forward without the LM head).
func Hidden(scope *model.Scope, cfg *Config, tokens, positions, mask *Node) *Node {
	return decoder(scope, cfg, tokens, positions, causalAllowed(mask), func(_ int, k, v *Node) (*Node, *Node) { return k, v })
}

// HeadWeightName is the HF name of the LM head weight [V,D] (the embedding when tied).
func HeadWeightName(cfg *Config) string {
	if cfg.TieWordEmbeddings {
		return "model.embed_tokens.weight"
	}
	return "lm_head.weight"
}

// HeadStats are per-token statistics of softmax(h·Wᵀ/τ), each float32 [N].
type HeadStats struct {
	LogP    *Node // log p(target)
	Entropy *Node // −Σ p log p
	LSE     *Node // log Σ exp(z), z = h·Wᵀ/τ
}

// headChunks splits [0, V) into chunks of at most c rows (c <= 0: one chunk).
func headChunks(V, c int) [][2]int {
	if c <= 0 || c > V {
		c = V
	}
	var out [][2]int
	for lo := 0; lo < V; lo += c {
		out = append(out, [2]int{lo, min(lo+c, V)})
	}
	return out
}

// chunkLogits returns z = h·W[lo:hi]ᵀ/τ as float32 [N, hi-lo] for h [N,D] and w [V,D] (in h's
// dtype; the product is computed in that dtype, like the unchunked head). after (optional) are
// nodes the chunk must wait for, so that chunks are computed one after another.
func chunkLogits(h, w *Node, lo, hi int, temperature float64, after []*Node) *Node {
	wc := Slice(w, AxisRange(lo, hi))
	if len(after) > 0 {
		wc = SchedulingBarrier(wc, after...)
	}
	z := ConvertDType(Einsum("nd,vd->nv", h, wc), dtypes.Float32)
	if temperature != 0 && temperature != 1 {
		z = Div(z, Scalar(z.Graph(), dtypes.Float32, temperature))
	}
	return z
}

// ChunkedHeadStats computes HeadStats for hidden states h [N,D], head weight w [V,D] and targets
// [N] (int32) in vocabulary chunks of `chunk` rows (<= 0: one chunk), with an online
// log-sum-exp: for each chunk, m = max z, s = Σ exp(z − m), u = Σ exp(z − m)·z; the running
// (M, S, U) are rescaled to the new maximum; then lse = M + log S and entropy = lse − U/S. The
// target's logit is h·W[target] (targetLogit), not picked out of the chunks. temperature divides
// the logits (0 or 1: none). Do not differentiate through the outputs: use HeadStatsVJP for the
// backward pass. (No StopGradient is inserted: on the Go backend it copies its input, here the
// whole head weight.)
func ChunkedHeadStats(h, w, targets *Node, chunk int, temperature float64) HeadStats {
	var M, S, U *Node
	var prev []*Node
	for _, c := range headChunks(w.Shape().Dim(0), chunk) {
		z := chunkLogits(h, w, c[0], c[1], temperature, prev)
		m := ReduceMax(z, -1)
		e := Exp(Sub(z, InsertAxes(m, -1)))
		s := ReduceSum(e, -1)
		u := ReduceSum(Mul(e, z), -1)
		if M == nil {
			M, S, U = m, s, u
		} else {
			M2 := Max(M, m)
			a, b := Exp(Sub(M, M2)), Exp(Sub(m, M2))
			S = Add(Mul(S, a), Mul(s, b))
			U = Add(Mul(U, a), Mul(u, b))
			M = M2
		}
		prev = []*Node{M, S, U}
	}
	lse := Add(M, Log(S))
	return HeadStats{LogP: Sub(targetLogit(h, w, targets, temperature), lse), Entropy: Sub(lse, Div(U, S)), LSE: lse}
}

// targetLogit is the logit of each target, h[n]·W[targets[n]] / τ, float32 [N]: a gather of N
// rows of the head weight instead of a one-hot over the vocabulary.
func targetLogit(h, w, targets *Node, temperature float64) *Node {
	wt := Gather(w, InsertAxes(targets, -1)) // [N, D]
	z := ReduceSum(Mul(ConvertDType(h, dtypes.Float32), ConvertDType(wt, dtypes.Float32)), -1)
	if temperature != 0 && temperature != 1 {
		z = Div(z, Scalar(z.Graph(), dtypes.Float32, temperature))
	}
	return z
}

// HeadStatsVJP returns the gradients dh [N,D] (h's dtype) and dw [V,D] (w's dtype) of a loss
// whose gradients with respect to st.LogP and st.Entropy are gLogP and gEnt [N] (float32),
// recomputing each chunk's logits z: with p = exp(z − lse), ∂logp/∂z_v = 1[v = target] − p_v and
// ∂H/∂z_v = −p_v (z_v − lse + H), so ∂L/∂z_v = gL·1[v = target] − p_v·(gH·z_v + c) with
// c = gL + gH·(H − lse), and ∂z/∂(h·Wᵀ) = 1/τ. Per chunk, G = −p·(gH·z + c)/τ gives dh += G·W_c
// and dW_c = Gᵀ·h; the target term adds gL/τ·W[target] to dh and gL/τ·h to the target rows of dW
// (a scatter). The results are values, not differentiable functions of their inputs (see
// HeadInputs.Gradients).
func HeadStatsVJP(h, w, targets *Node, st HeadStats, gLogP, gEnt *Node, chunk int, temperature float64) (dh, dw *Node) {
	inv := 1.0
	if temperature != 0 && temperature != 1 {
		inv = 1 / temperature
	}
	lse := InsertAxes(st.LSE, -1)
	negGH := InsertAxes(MulScalar(gEnt, -inv), -1)                                          // −gH/τ
	negC := InsertAxes(MulScalar(Add(gLogP, Mul(gEnt, Sub(st.Entropy, st.LSE))), -inv), -1) // −c/τ
	hT := Transpose(h, 0, 1)
	var dws []*Node
	var prev []*Node
	for _, c := range headChunks(w.Shape().Dim(0), chunk) {
		z := chunkLogits(h, w, c[0], c[1], temperature, prev)
		p := Exp(Sub(z, lse))
		gz := ConvertDType(Mul(p, Add(Mul(negGH, z), negC)), h.DType())
		wc := Slice(w, AxisRange(c[0], c[1]))
		dhc := Einsum("nv,vd->nd", gz, ConvertDType(wc, h.DType()))
		// dW_c = (hᵀ·G)ᵀ: with hᵀ [D,N] as the left operand both operands are in a layout the Go
		// backend's matrix product takes as they are; G [N,C] as the left operand ("nv,nd->vd")
		// made it transpose the whole [N,C] block first.
		dwc := ConvertDType(Transpose(Einsum("dn,nv->dv", hT, gz), 0, 1), w.DType())
		if dh == nil {
			dh = dhc
		} else {
			dh = Add(dh, dhc)
		}
		dws = append(dws, dwc)
		prev = []*Node{dh, dwc}
	}
	// The target term.
	idx := InsertAxes(targets, -1)
	gt := InsertAxes(MulScalar(gLogP, inv), -1) // gL/τ, [N,1] float32
	dh = Add(dh, ConvertDType(Mul(gt, ConvertDType(Gather(w, idx), dtypes.Float32)), h.DType()))
	dw = dws[0]
	if len(dws) > 1 {
		dw = Concatenate(dws, 0)
	}
	upd := ConvertDType(Mul(gt, ConvertDType(h, dtypes.Float32)), w.DType())
	return dh, ScatterSum(dw, idx, upd, false, false)
}

// headWeight returns the graph value of the LM head weight variable (not cast to the compute
// dtype) and the cast value used for the products.
func headWeight(scope *model.Scope, cfg *Config, g *Graph) (variable, cast *Node) {
	name := HeadWeightName(cfg)
	v := scope.GetVariable(name)
	if v == nil {
		panic(fmt.Errorf("qwen: variable %q missing from scope %q", name, scope.Scope()))
	}
	return v.NodeValue(g), weight(scope, g, name)
}

// TargetStats runs the model on tokens [B,T] and returns, for every next-token target
// (positions 1..T-1), its log-probability and the entropy of the predicted distribution, both
// float32 [B,T-1], and the final hidden states [B*(T-1), D] that produced them. temperature
// divides the logits (verl's log-prob and entropy at the rollout temperature); chunk > 0 computes
// the LM head in vocabulary chunks (ChunkedHeadStats; the outputs then carry no gradient, see
// HeadStatsVJP), chunk <= 0 computes the full logits (differentiable).
func TargetStats(scope *model.Scope, cfg *Config, tokens, positions, mask *Node, chunk int, temperature float64) (logp, ent *Node, head HeadInputs) {
	return TargetStatsWindow(scope, cfg, tokens, positions, mask, chunk, temperature, 0)
}

// TargetStatsWindow is TargetStats for the last `window` targets only (positions T-window..T-1):
// the LM head runs on those positions alone, so a batch of left-padded prompt+response rows whose
// responses all fit in the window never computes the prompt positions' logits (with Qwen's
// 151,936-entry vocabulary the head is most of a small model's cost). logp and ent are float32
// [B, window]. window <= 0 or >= T-1: every target (TargetStats).
func TargetStatsWindow(scope *model.Scope, cfg *Config, tokens, positions, mask *Node, chunk int, temperature float64, window int) (logp, ent *Node, head HeadInputs) {
	g := tokens.Graph()
	B, T := tokens.Shape().Dim(0), tokens.Shape().Dim(1)
	W := T - 1
	if window > 0 && window < T-1 {
		W = window
	}
	targets := Slice(tokens, AxisRange(), AxisRange(T-W, T))
	if chunk <= 0 {
		var logits *Node
		if W == T-1 {
			logits = Slice(Forward(scope, cfg, tokens, positions, mask), AxisRange(), AxisRange(0, T-1))
		} else {
			hid := Hidden(scope, cfg, tokens, positions, mask)
			logits = lmHead(scope, cfg, Slice(hid, AxisRange(), AxisRange(T-1-W, T-1)))
		}
		if temperature != 0 && temperature != 1 {
			logits = Div(logits, Scalar(g, dtypes.Float32, temperature))
		}
		lsm := LogSoftmax(logits, -1)
		logp = ReduceSum(Mul(lsm, OneHot(targets, cfg.VocabSize, dtypes.Float32)), -1)
		ent = Neg(ReduceSum(Mul(Exp(lsm), lsm), -1))
		return logp, ent, HeadInputs{}
	}
	hid := Hidden(scope, cfg, tokens, positions, mask)
	D := hid.Shape().Dim(2)
	h := Reshape(Slice(hid, AxisRange(), AxisRange(T-1-W, T-1)), B*W, D)
	wv, wc := headWeight(scope, cfg, g)
	tg := Reshape(targets, B*W)
	st := ChunkedHeadStats(h, wc, tg, chunk, temperature)
	head = HeadInputs{H: h, W: wc, WVar: wv, Targets: tg, Stats: st, Chunk: chunk, Temperature: temperature}
	return Reshape(st.LogP, B, W), Reshape(st.Entropy, B, W), head
}

// HeadInputs are what the backward pass of a chunked LM head needs (see TargetStats).
type HeadInputs struct {
	H, W, WVar, Targets *Node
	Stats               HeadStats
	Chunk               int
	Temperature         float64
}

// Chunked reports whether the stats came from the chunked head.
func (hi HeadInputs) Chunked() bool { return hi.H != nil }

// Gradients returns the gradient of a loss with respect to params (variable value nodes),
// given the loss's gradients gLogP and gEnt [B,T-1] with respect to TargetStats' outputs: the
// chunked head's backward (HeadStatsVJP) gives dL/dh and dL/dW_head, and the decoder's gradient is
// that of the surrogate Σ h·stop_gradient(dL/dh). headVar is the head weight's variable node
// among params (its head gradient is added to what the decoder gives it, e.g. the embedding
// lookup's when tied).
func (hi HeadInputs) Gradients(gLogP, gEnt *Node, params []*Node) []*Node {
	N := hi.H.Shape().Dim(0)
	dh, dw := HeadStatsVJP(hi.H, hi.W, hi.Targets, hi.Stats, Reshape(gLogP, N), Reshape(gEnt, N), hi.Chunk, hi.Temperature)
	sur := ReduceAllSum(ConvertDType(Mul(hi.H, StopGradient(dh)), dtypes.Float32))
	grads := Gradient(sur, params...)
	for i, p := range params {
		if p == hi.WVar {
			grads[i] = Add(grads[i], ConvertDType(dw, p.DType()))
		}
	}
	return grads
}
