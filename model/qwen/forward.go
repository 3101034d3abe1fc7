package qwen

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// maskedScore replaces attention scores of masked keys (in float32). It is finite so that a query
// row with no visible key (a left-padding position) gives a uniform softmax instead of NaN.
const maskedScore = -1e30

// weight returns the graph value of the HF tensor name under scope; it panics with the name
// if the variable is missing (graph building functions panic, model.Exec turns it into an error).
func weight(scope *model.Scope, g *Graph, name string) *Node {
	v := scope.GetVariable(name)
	if v == nil {
		panic(fmt.Errorf("qwen: variable %q missing from scope %q", name, scope.Scope()))
	}
	return castWeight(scope, g, v.NodeValue(g))
}

// rmsNorm is Qwen's RMSNorm: computed in float32, cast back, then scaled by w.
func rmsNorm(x, w *Node, eps float64) *Node {
	dt := x.DType()
	xf := ConvertDType(x, dtypes.Float32)
	variance := ReduceAndKeep(Square(xf), ReduceMean, -1)
	// Div(Sqrt) rather than Rsqrt: GoMLX defines no gradient for Rsqrt.
	y := ConvertDType(Div(xf, Sqrt(AddScalar(variance, eps))), dt)
	return Mul(y, ExpandLeftToRank(w, y.Rank()))
}

// linear applies x @ W^T (+ b) for HF weights W [out, in] and x [B, T, in].
func linear(scope *model.Scope, x *Node, name string, bias bool) *Node {
	g := x.Graph()
	y := Einsum("btd,od->bto", x, weight(scope, g, name+".weight"))
	if bias {
		y = Add(y, ExpandLeftToRank(weight(scope, g, name+".bias"), y.Rank()))
	}
	return y
}

// ropeCosSin returns cos and sin [B, T, 1, headDim] (dtype dt) for positions [B, T].
// HF Qwen: inv_freq[i] = theta^(-2i/hd); emb = cat(freqs, freqs); rotate_half layout.
func ropeCosSin(cfg *Config, positions *Node, dt dtypes.DType) (cos, sin *Node) {
	g := positions.Graph()
	hd := cfg.HeadDimension()
	inv := make([]float32, hd/2)
	for i := range inv {
		inv[i] = float32(1 / math.Pow(cfg.RopeTheta, float64(2*i)/float64(hd)))
	}
	pos := InsertAxes(ConvertDType(positions, dtypes.Float32), -1) // [B,T,1]
	freqs := Mul(pos, Reshape(Const(g, inv), 1, 1, hd/2))          // [B,T,hd/2]
	emb := InsertAxes(Concatenate([]*Node{freqs, freqs}, -1), 2)   // [B,T,1,hd]
	return ConvertDType(Cos(emb), dt), ConvertDType(Sin(emb), dt)
}

func applyRoPE(x, cos, sin *Node) *Node {
	halves := Split(x, -1, 2)
	rot := Concatenate([]*Node{Neg(halves[1]), halves[0]}, -1)
	return Add(Mul(x, cos), Mul(rot, sin))
}

// kvFunc receives a layer's new keys and values [B, T, KV, hd] and returns the keys and values
// [B, S, KV, hd] that the queries attend to (the same tensors without a cache).
type kvFunc func(layer int, k, v *Node) (kAll, vAll *Node)

// decoder runs the transformer on tokens [B,T] at positions [B,T]; allowed [B,T,S] (bool) says
// which of the S keys each query may attend. It returns the final-norm hidden states [B,T,D].
func decoder(scope *model.Scope, cfg *Config, tokens, positions, allowed *Node, kv kvFunc) *Node {
	g := tokens.Graph()
	embed := weight(scope, g, "model.embed_tokens.weight")
	dt := embed.DType()
	x := Gather(embed, InsertAxes(tokens, -1)) // [B,T,D]
	B, T := tokens.Shape().Dim(0), tokens.Shape().Dim(1)
	H, KV, hd := cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.HeadDimension()
	G := H / KV
	eps := cfg.RMSNormEps
	cos, sin := ropeCosSin(cfg, positions, dt)
	scale := 1 / math.Sqrt(float64(hd))
	mask5 := InsertAxes(allowed, 1, 1) // [B,1,1,T,S]
	for l := 0; l < cfg.NumHiddenLayers; l++ {
		x = layerStart(scope, g, x)
		p := fmt.Sprintf("model.layers.%d.", l)
		h := rmsNorm(x, weight(scope, g, p+"input_layernorm.weight"), eps)
		q := Reshape(linear(scope, h, p+"self_attn.q_proj", cfg.QKVBias()), B, T, H, hd)
		k := Reshape(linear(scope, h, p+"self_attn.k_proj", cfg.QKVBias()), B, T, KV, hd)
		v := Reshape(linear(scope, h, p+"self_attn.v_proj", cfg.QKVBias()), B, T, KV, hd)
		if cfg.QKNorm() {
			q = rmsNorm(q, weight(scope, g, p+"self_attn.q_norm.weight"), eps)
			k = rmsNorm(k, weight(scope, g, p+"self_attn.k_norm.weight"), eps)
		}
		q, k = applyRoPE(q, cos, sin), applyRoPE(k, cos, sin)
		kAll, vAll := kv(l, k, v)
		q5 := Reshape(q, B, T, KV, G, hd)
		scores := ConvertDType(Einsum("btkgd,bskd->bkgts", q5, kAll), dtypes.Float32)
		scores = MulScalar(scores, scale)
		scores = Where(BroadcastToDims(mask5, scores.Shape().Dimensions...), scores, Scalar(g, dtypes.Float32, maskedScore))
		probs := ConvertDType(Softmax(scores, -1), dt)
		attn := Reshape(Einsum("bkgts,bskd->btkgd", probs, vAll), B, T, H*hd)
		x = Add(x, linear(scope, attn, p+"self_attn.o_proj", cfg.OProjBias()))

		h = rmsNorm(x, weight(scope, g, p+"post_attention_layernorm.weight"), eps)
		gate := linear(scope, h, p+"mlp.gate_proj", false)
		up := linear(scope, h, p+"mlp.up_proj", false)
		x = Add(x, linear(scope, Mul(Mul(gate, Logistic(gate)), up), p+"mlp.down_proj", false))
	}
	x = layersEnd(scope, g, x)
	return rmsNorm(x, weight(scope, g, "model.norm.weight"), eps)
}

// lmHead projects hidden states [B,T,D] to float32 logits [B,T,V].
func lmHead(scope *model.Scope, cfg *Config, h *Node) *Node {
	name := "lm_head.weight"
	if cfg.TieWordEmbeddings {
		name = "model.embed_tokens.weight"
	}
	w := weight(scope, h.Graph(), name)
	return ConvertDType(Einsum("btd,vd->btv", h, w), dtypes.Float32)
}

// causalAllowed builds the [B,T,T] attention mask: query t sees key s when s <= t and mask[b,s].
func causalAllowed(mask *Node) *Node {
	g := mask.Graph()
	T := mask.Shape().Dim(1)
	sq := shapeInt32(T, T)
	causal := GreaterOrEqual(Iota(g, sq, 0), Iota(g, sq, 1)) // [T,T]: t >= s
	return LogicalAnd(InsertAxes(causal, 0), InsertAxes(mask, 1))
}

// Forward returns float32 logits [B,T,V] for tokens [B,T] (int32) at positions [B,T] (int32).
// mask [B,T] (bool) marks real tokens: queries attend only to real keys at or before them.
// Rows may be left-padded; positions of real tokens should then start at 0 (see [Positions]).
// It is a graph-building function: use it inside a model.Exec (or a training step) over a scope
// holding the HF-named variables (see [Model.Store]).
func Forward(scope *model.Scope, cfg *Config, tokens, positions, mask *Node) *Node {
	allowed := causalAllowed(mask)
	h := decoder(scope, cfg, tokens, positions, allowed, func(_ int, k, v *Node) (*Node, *Node) { return k, v })
	return lmHead(scope, cfg, h)
}

// TokenLogProbs returns log p(tokens[b,t+1] | tokens[b,:t+1]) as float32 [B,T-1]: the
// per-token log-probabilities a policy-gradient trainer needs. Entries where the target is
// padding are meaningless and should be masked by the caller.
func TokenLogProbs(scope *model.Scope, cfg *Config, tokens, positions, mask *Node) *Node {
	logits := Forward(scope, cfg, tokens, positions, mask)
	B, T, V := tokens.Shape().Dim(0), tokens.Shape().Dim(1), cfg.VocabSize
	N := B * (T - 1)
	lp := LogSoftmax(Slice(logits, AxisRange(), AxisRange(0, T-1)), -1)                            // [B,T-1,V]
	targets := ConvertDType(Reshape(Slice(tokens, AxisRange(), AxisRange(1, T)), N), dtypes.Int64) // [N]
	// Pick lp[n, targets[n]] from the flattened log-probs with one Gather (its gradient is a
	// scatter) instead of a [B,T-1,V] one-hot product; int64 because N*V can exceed 2^31.
	flatIdx := Add(MulScalar(Iota(tokens.Graph(), shapes.Make(dtypes.Int64, N), 0), V), targets)
	picked := Gather(Reshape(lp, N*V, 1), InsertAxes(flatIdx, -1)) // [N,1]
	return Reshape(picked, B, T-1)
}

// stepGraph runs tokens [B,T] through the model writing their keys/values into the caches at
// slot `start` (scalar int32). keyMask [B,S] marks valid cache slots (including the new ones).
// caches holds 2 tensors per layer, k then v, each [B,S,KV,hd]. It returns the float32 logits of
// the last new position [B,V] followed by the updated caches.
func stepGraph(scope *model.Scope, cfg *Config, tokens, positions, start, keyMask *Node, caches []*Node) []*Node {
	g := tokens.Graph()
	T := tokens.Shape().Dim(1)
	S := keyMask.Shape().Dim(1)
	// Query t is at slot start+t; it sees slots s <= start+t that are valid.
	qs := shapeInt32(T, S)
	slotQ := Add(Iota(g, qs, 0), start)
	causal := GreaterOrEqual(slotQ, Iota(g, qs, 1))
	allowed := LogicalAnd(InsertAxes(causal, 0), InsertAxes(keyMask, 1))
	zero := ScalarZero(g, dtypes.Int32)
	updated := make([]*Node, len(caches))
	h := decoder(scope, cfg, tokens, positions, allowed, func(l int, k, v *Node) (*Node, *Node) {
		idx := []*Node{zero, start, zero, zero}
		updated[2*l] = DynamicUpdateSlice(caches[2*l], k, idx)
		updated[2*l+1] = DynamicUpdateSlice(caches[2*l+1], v, idx)
		return updated[2*l], updated[2*l+1]
	})
	last := Slice(h, AxisRange(), AxisElem(T-1)) // [B,1,D]
	logits := Squeeze(lmHead(scope, cfg, last), 1)
	return append([]*Node{logits}, updated...)
}
