package grpo

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
)

// This file predicts the peak memory and the FLOPs of one GRPO step (`greason train plan`). The
// memory model counts the buffers each phase of a step holds at its peak; its few per-token
// coefficients (activations kept per layer, logit-sized temporaries) are stated below and were
// checked against measured peak RSS of the Go backend (docs/training.md, "Memory plan").

// Device is where a step runs: a memory budget, and whether it is the pure-Go CPU backend (whose
// generation graphs embed a copy of the weights as constants).
type Device struct {
	Name      string
	Bytes     int64
	GoBackend bool
	PeakFLOPs float64 // dense peak of the compute dtype, FLOP/s (for MFU; 0: unknown)
}

// PlanInput is what a plan is made for.
type PlanInput struct {
	Config *qwen.Config
	DType  dtypes.DType // stored weights (float32 or bfloat16); the AdamW state has the same dtype
	Shape  StepShape
	Memory MemoryConfig
	KL     bool // a frozen reference model is kept (kl_coef ≠ 0)
}

// MemoryItem is one term of a memory prediction.
type MemoryItem struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// PhasePlan is the predicted peak of one phase: the persistent state plus the phase's buffers.
type PhasePlan struct {
	Name  string       `json:"name"`
	Items []MemoryItem `json:"items"` // the phase's own buffers
	Total int64        `json:"total"` // persistent + items
}

// FLOPs of one step by phase.
type FLOPs struct {
	Generate float64 `json:"generate"`
	LogProbs float64 `json:"logprobs"` // old (and reference) log-probs
	Update   float64 `json:"update"`   // forward + backward (+ recomputation) of every micro-batch
	Total    float64 `json:"total"`
}

// RolloutPlan is what bounds generation from below: every decoding pass (a prefill or a decode
// step) reads each weight matrix once, so generation takes at least Passes × BytesPerPass ÷ the
// memory bandwidth.
type RolloutPlan struct {
	DType        string `json:"dtype"`          // the weights' dtype while decoding
	BytesPerPass int64  `json:"bytes_per_pass"` // weight bytes read per pass (matrices and LM head)
	Passes       int    `json:"passes"`         // passes per step: GenLen per batch of decoding rows
}

// BoundSeconds is the generation time the memory bandwidth (bytes per second) allows at best.
func (r RolloutPlan) BoundSeconds(bandwidth float64) float64 {
	return float64(r.Passes) * float64(r.BytesPerPass) / bandwidth
}

// Plan is the prediction for one step on one device.
type Plan struct {
	Device     Device       `json:"device"`
	Params     int64        `json:"params"`
	Persistent []MemoryItem `json:"persistent"`
	Phases     []PhasePlan  `json:"phases"`
	Peak       int64        `json:"peak"`
	PeakPhase  string       `json:"peak_phase"`
	FLOPs      FLOPs        `json:"flops"`
	Rollout    RolloutPlan  `json:"rollout"`
	Fits       bool         `json:"fits"`
}

// Coefficients of the memory model.
const (
	// runtimeBytes: the Go runtime, the binary and the backend's bookkeeping (measured: a step of
	// a 0.1 M-parameter model peaks at 0.06 GiB).
	runtimeBytes = 64 << 20
	// gpuReserveBytes: the CUDA context and XLA's workspace on a GPU (assumed, not measured).
	gpuReserveBytes = 1 << 30
	// fullLogitBuffers: [N,V] float32 buffers alive at once in the unchunked head (logits, the
	// log-softmax and its temporaries, the one-hot targets, p·log p; the backward pass doubles them).
	fullLogitBuffersFwd   = 4
	fullLogitBuffersTrain = 8
	// chunkBuffers: [N,C] float32 buffers of one chunk (logits, exp, the gradient and its cast).
	chunkBuffers = 4
	// adamTemporaries: weight-sized temporaries of one weight's AdamW update on the Go backend.
	adamTemporaries = 3
)

// layerDims returns the floats per token that a decoder layer's graph keeps for its backward pass,
// counted op by op in forward.go (what each op's gradient needs): per RMSNorm about 3 vectors
// (input, normalised, scaled), so 6·D for the two norms plus the attention and MLP outputs and
// the residuals (10·D in all); for q about 8·H·hd (projection, its norm's 3, RoPE's halves,
// rotation and products, the attention output), for k 7·KV·hd, for v KV·hd; the MLP's gate, up,
// sigmoid, SiLU and product (5·FF); and, per key, the attention scores, their scaling, masking,
// exponentials and probabilities in float32 (5 per head).
func layerDims(c *qwen.Config) (perToken, attnPerKey int64) {
	D, H, KV, hd, FF := int64(c.HiddenSize), int64(c.NumAttentionHeads), int64(c.NumKeyValueHeads), int64(c.HeadDimension()), int64(c.IntermediateSize)
	return 10*D + 8*H*hd + 8*KV*hd + 5*FF, 5 * H
}

func roundUp(n, m int) int {
	if m <= 1 {
		return n
	}
	return (n + m - 1) / m * m
}

func dtypeName(dt dtypes.DType) string {
	if dt == dtypes.BFloat16 {
		return "bfloat16"
	}
	return "float32"
}

func dtypeBytes(dt dtypes.DType) int64 {
	if dt == dtypes.BFloat16 || dt == dtypes.Float16 {
		return 2
	}
	return 4
}

// twoBitBucket is the Go backend's buffer size for n bytes (compute/support.TwoBitBucketLen):
// a power of two or 1.5 times one, so a buffer takes up to a third more than its data.
func twoBitBucket(n int64) int64 {
	if n <= 2 {
		return n
	}
	msb := int64(1) << (bits.Len64(uint64(n)) - 1)
	switch {
	case n == msb:
		return msb
	case n <= msb|msb>>1:
		return msb | msb>>1
	}
	return msb << 1
}

// weightBytes returns the bytes of one copy of every weight at b bytes per value (each in its
// own bucketed buffer on the Go backend) and the largest single weight's.
func weightBytes(c *qwen.Config, b int64, goBackend bool) (total, largest int64) {
	for _, w := range c.Weights() {
		n := b
		for _, d := range w.Shape {
			n *= int64(d)
		}
		if goBackend {
			n = twoBitBucket(n)
		}
		total += n
		largest = max(largest, n)
	}
	return total, largest
}

// matmulParams is the number of weights used in matrix products per token (everything but the
// embedding lookup and the norms; the LM head counts once, tied or not).
func matmulParams(c *qwen.Config) int64 {
	D, H, KV, hd, FF := int64(c.HiddenSize), int64(c.NumAttentionHeads), int64(c.NumKeyValueHeads), int64(c.HeadDimension()), int64(c.IntermediateSize)
	return int64(c.NumHiddenLayers)*(D*H*hd+2*D*KV*hd+H*hd*D+3*D*FF) + int64(c.VocabSize)*D
}

// PlanStep predicts the peak memory (by phase) and the FLOPs of one GRPO step of in on dev.
func PlanStep(in PlanInput, dev Device) (Plan, error) {
	c, s, mem := in.Config, in.Shape, in.Memory
	if err := s.Validate(); err != nil {
		return Plan{}, err
	}
	if err := mem.Validate(); err != nil {
		return Plan{}, err
	}
	if s.Bucket == 0 {
		s.Bucket = DefaultGRPO().Bucket
	}
	P := c.NumParameters()
	bw := dtypeBytes(in.DType)
	bc := bw
	if mem.computeDType() != dtypes.InvalidDType {
		bc = dtypeBytes(mem.computeDType())
	}
	L, D, V := int64(c.NumHiddenLayers), int64(c.HiddenSize), int64(c.VocabSize)
	H, KV, hd := int64(c.NumAttentionHeads), int64(c.NumKeyValueHeads), int64(c.HeadDimension())
	perTok, attnPerKey := layerDims(c)
	rows := s.Prompts * s.N
	micro := rows / s.MiniBatches
	if s.MicroBatch > 0 && s.MicroBatch < micro {
		micro = s.MicroBatch
	}
	T := int64(roundUp(s.PromptLen+s.GenLen, s.Bucket))
	Nt := int64(micro) * (T - 1)   // targets of one micro-batch
	NtAll := int64(rows) * (T - 1) // targets of the step
	chunk := int64(mem.chunkFor(int(V)))

	pl := Plan{Device: dev, Params: P}
	W, Wmax := weightBytes(c, bw, dev.GoBackend) // one copy of the weights (bucketed on the Go backend)
	Wc, _ := weightBytes(c, bc, dev.GoBackend)
	pl.Persistent = []MemoryItem{{"weights", W}, {"optimizer (AdamW m, v)", 2 * W}}
	if in.KL {
		pl.Persistent = append(pl.Persistent, MemoryItem{"reference weights", W})
	}
	if s.MicroBatch > 0 {
		pl.Persistent = append(pl.Persistent, MemoryItem{"gradient accumulators", W})
	}
	if dev.GoBackend {
		pl.Persistent = append(pl.Persistent, MemoryItem{"runtime", runtimeBytes})
	} else {
		pl.Persistent = append(pl.Persistent, MemoryItem{"runtime (CUDA context, XLA workspace; assumed)", gpuReserveBytes})
	}
	persistent := int64(0)
	for _, it := range pl.Persistent {
		persistent += it.Bytes
	}

	// logits: the [N,V] buffers of the unchunked head, or one chunk's (plus, when training, the
	// head gradient's chunks until they are concatenated).
	logits := func(N int64, train bool) MemoryItem {
		if chunk == 0 {
			k := int64(fullLogitBuffersFwd)
			if train {
				k = fullLogitBuffersTrain
			}
			return MemoryItem{"logits", k * N * V * 4}
		}
		b := chunkBuffers * N * chunk * 4
		if train {
			b += twoBitBucket(V * D * bw) // the head weight's gradient, kept until the embedding's is done
		}
		return MemoryItem{fmt.Sprintf("logits (chunks of %d)", chunk), b}
	}
	// One layer's transient activations in a forward pass without gradient.
	fwdLayer := func(N, keys int64) int64 { return N*perTok*bc + N*keys*attnPerKey*4 }

	// Generation: all rollouts decode together from a KV cache of S slots (prompts padded to 16,
	// the cache to 32); every decode step returns new caches while the old ones are alive.
	Pp := int64(roundUp(s.PromptLen, 16))
	S := int64(roundUp(int(Pp)+s.GenLen, 32))
	genRows := int64(rows)
	if s.RolloutBatch > 0 && s.RolloutBatch < s.Prompts {
		genRows = int64(s.RolloutBatch * s.N)
	}
	native := s.RolloutDType == "bfloat16"
	var gen []MemoryItem
	if native {
		// The native decoder (model/qwen/native.go): a bfloat16 copy of the weights, one bfloat16
		// KV cache of prompt + new tokens per decoding row, activations of the prompts' tokens
		// (prefilled once per prompt) and float32 logits of the decoding rows.
		slots := genRows
		if s.RolloutSlots > 0 {
			slots = min(slots, int64(s.RolloutSlots))
		}
		prompts := genRows / int64(s.N)
		gen = []MemoryItem{
			{"rollout weights (bfloat16, converted once per step)", qwen.NativeWeightBytes(c)},
			{"KV cache (bfloat16)", 2 * L * slots * int64(s.PromptLen+s.GenLen) * KV * hd * 2},
			{"prefill activations", prompts * int64(s.PromptLen) * perTok * 4},
			{"logits", slots * V * 4 * 3},
		}
	} else {
		gen = []MemoryItem{
			{"KV cache", 2 * 2 * L * genRows * S * KV * hd * bw},
			{"prefill activations", fwdLayer(genRows*Pp, S)},
		}
	}
	if dev.GoBackend && !mem.RolloutWeightsAsInputs && !native {
		// the decoding graph's constants and the variables' host copies made to build them
		gen = append(gen, MemoryItem{"weights as graph constants (2 copies)", 2 * W})
	}
	lp := []MemoryItem{{"forward activations", fwdLayer(Nt, T)}, logits(Nt, false)}
	if dev.GoBackend && !mem.RolloutWeightsAsInputs && !native {
		// the host copies made to build the rollout constants stay with the variables until the
		// update replaces them
		lp = append(lp, MemoryItem{"host copies of the weights", W})
	}
	// The update's peak is either at the start of the backward pass (every activation kept for it,
	// the head's buffers) or at its end (every gradient, then AdamW's temporaries). Recomputation is
	// credited on XLA only: on the Go backend it was measured to save about a sixth of the
	// activations, not all but one layer's (docs/training.md).
	var bwd []MemoryItem
	if mem.Recompute && !dev.GoBackend {
		bwd = append(bwd, MemoryItem{"activations (layer inputs + one layer, recomputed)", L*Nt*D*bc + 2*fwdLayer(Nt, T)})
	} else {
		bwd = append(bwd, MemoryItem{"activations (all layers)", L * fwdLayer(Nt, T)})
	}
	bwd = append(bwd, logits(Nt, true))
	opt := []MemoryItem{{"gradients", W}}
	if dev.GoBackend && !mem.FusedAdamW {
		// AdamW temporaries: the Go backend computes an elementwise op in place only on its
		// input's last use, which leaves weight-sized buffers (w·wd, (1−β1)·g, m̂) while a
		// weight's update runs: one weight at a time with SerialUpdate, else all at once. (XLA
		// fuses the update; FusedAdamW updates in place after the graph.)
		if mem.SerialUpdate {
			opt = append(opt, MemoryItem{"AdamW temporaries (one weight)", adamTemporaries * Wmax})
		} else {
			opt = append(opt, MemoryItem{"AdamW temporaries (all weights)", adamTemporaries * W})
		}
	}
	if bc != bw {
		bwd = append(bwd, MemoryItem{"weights in the compute dtype", Wc})
		opt = append(opt, MemoryItem{"weights in the compute dtype", Wc})
	}
	for _, ph := range []struct {
		name  string
		items []MemoryItem
	}{{"generate", gen}, {"old_ref_logprobs", lp}, {"update (backward)", bwd}, {"update (optimizer)", opt}} {
		t := persistent
		for _, it := range ph.items {
			t += it.Bytes
		}
		pl.Phases = append(pl.Phases, PhasePlan{Name: ph.name, Items: ph.items, Total: t})
		if t > pl.Peak {
			pl.Peak, pl.PeakPhase = t, ph.name
		}
	}
	pl.Fits = dev.Bytes == 0 || pl.Peak <= dev.Bytes

	// FLOPs: 2 per multiply-add of every matrix product; attention over all T (or S) keys, as
	// the graphs compute it (masked, not skipped).
	Pmm := float64(matmulParams(c))
	head := float64(V * D)
	attn := func(keys int64) float64 { return float64(4 * L * H * hd * keys) }
	fwd := func(N, keys int64) float64 { return float64(N) * (2*Pmm + attn(keys)) }
	var f FLOPs
	prefill := float64(int64(rows)*Pp)*(2*(Pmm-head)+attn(S)) + float64(rows)*2*head
	decode := float64(int64(rows)*int64(s.GenLen-1)) * (2*Pmm + attn(S))
	f.Generate = prefill + decode
	passes := 1.0
	if in.KL {
		passes = 2
	}
	f.LogProbs = passes * fwd(NtAll, T)
	f.Update = 3 * fwd(NtAll, T)
	if mem.Recompute {
		f.Update += fwd(NtAll, T) - float64(NtAll)*2*head
	}
	if chunk > 0 {
		f.Update += float64(NtAll) * 2 * head // the head's logits are recomputed in its backward pass
	}
	f.Total = f.Generate + f.LogProbs + f.Update
	pl.FLOPs = f

	// Generation's memory-bandwidth bound: GenLen passes over the weights per batch of decoding
	// rows (one prefill, GenLen − 1 decode steps).
	calls := 1
	if s.RolloutBatch > 0 {
		calls = (s.Prompts + s.RolloutBatch - 1) / s.RolloutBatch
	}
	batches := 1
	if native && s.RolloutSlots > 0 {
		batches = int((genRows + int64(s.RolloutSlots) - 1) / int64(s.RolloutSlots))
	}
	pl.Rollout = RolloutPlan{DType: dtypeName(in.DType), BytesPerPass: int64(Pmm) * bw, Passes: calls * batches * s.GenLen}
	if native {
		pl.Rollout.DType, pl.Rollout.BytesPerPass = "bfloat16", qwen.NativeDecodeBytes(c)
	}
	return pl, nil
}

// Advice returns the cheapest change of in's memory options and micro-batch that fits dev, as
// flags, or "" when nothing tried fits. Tried in order: the chunked head, recomputation,
// bfloat16 compute, smaller micro-batches (halving down to 1), bfloat16 weights and state.
func Advice(in PlanInput, dev Device) string {
	type change struct {
		flag  string
		apply func(*PlanInput)
	}
	steps := []change{
		{"--logit-chunk 16384", func(p *PlanInput) {
			if p.Memory.chunkFor(p.Config.VocabSize) == 0 {
				p.Memory.LogitChunk = AutoChunk
			}
		}},
		{"--recompute", func(p *PlanInput) { p.Memory.Recompute = true }},
		{"--compute-dtype bfloat16", func(p *PlanInput) { p.Memory.ComputeDType = "bfloat16" }},
	}
	try := in
	var flags []string
	fits := func() bool {
		pl, err := PlanStep(try, dev)
		return err == nil && pl.Fits
	}
	for _, st := range steps {
		before := try
		st.apply(&try)
		if before != try {
			flags = append(flags, st.flag)
		}
		if fits() {
			return strings.Join(flags, " ")
		}
	}
	// shrink halves the prompts generated at a time until generation fits, and the micro-batch
	// until the log-probs and the update fit; it returns the flags and whether the step fits.
	shrink := func(try PlanInput, flags []string) ([]string, bool) {
		over := func(train bool) bool {
			pl, err := PlanStep(try, dev)
			if err != nil {
				return true
			}
			for _, ph := range pl.Phases {
				if (ph.Name != "generate") == train && ph.Total > dev.Bytes {
					return true
				}
			}
			return false
		}
		for range 3 { // the accumulators that micro-batches add count in every phase: repeat
			for over(false) && try.Shape.RolloutBatch != 1 {
				rb := try.Shape.RolloutBatch
				if rb == 0 {
					rb = try.Shape.Prompts
				}
				try.Shape.RolloutBatch = max(rb/2, 1)
			}
			for over(true) && try.Shape.MicroBatch != 1 {
				mb := try.Shape.MicroBatch
				if mb == 0 {
					mb = try.Shape.Prompts * try.Shape.N / try.Shape.MiniBatches
				}
				try.Shape.MicroBatch = max(mb/2, 1)
			}
		}
		if try.Shape.RolloutBatch > 0 {
			flags = append(flags, fmt.Sprintf("--rollout-batch %d", try.Shape.RolloutBatch))
		}
		if try.Shape.MicroBatch > 0 {
			flags = append(flags, fmt.Sprintf("--micro-batch %d", try.Shape.MicroBatch))
		}
		pl, err := PlanStep(try, dev)
		return flags, err == nil && pl.Fits
	}
	if f, ok := shrink(try, flags); ok {
		return strings.Join(f, " ")
	}
	try.DType = dtypes.BFloat16
	if f, ok := shrink(try, append(flags, "--dtype bfloat16")); ok {
		return strings.Join(f, " ") + " (bfloat16 master weights and AdamW state)"
	}
	return ""
}

// StepModelFLOPs are the model FLOPs of a GRPO step that generated responseTokens after
// promptTokens (summed over its rollouts), for MFU: 2 per multiply-add of the matrix weights per
// token (P_mm of PlanStep): generation = the prompts without the LM head (prefill) + the
// responses with it; old (and reference, with ref) log-probs = a forward over every token;
// updates = forward and backward (3 forwards). Attention scores, recomputation and what an
// implementation skips (the response window's prompt positions) are not counted.
func StepModelFLOPs(c *qwen.Config, promptTokens, responseTokens int, ref bool) float64 {
	Pmm := float64(matmulParams(c))
	head := float64(int64(c.VocabSize) * int64(c.HiddenSize))
	all := float64(promptTokens + responseTokens)
	passes := 1.0
	if ref {
		passes = 2
	}
	gen := float64(promptTokens)*2*(Pmm-head) + float64(responseTokens)*2*Pmm
	return gen + passes*all*2*Pmm + 3*all*2*Pmm
}

// AdviceShorter is for a step that no option makes fit (Advice returns ""): the longest
// generation (GenLen halved until it fits, down to 128 tokens) that fits dev with Advice's
// changes, and those changes; genLen 0 when none does.
func AdviceShorter(in PlanInput, dev Device) (genLen int, flags string) {
	for gl := in.Shape.GenLen / 2; gl >= 128; gl /= 2 {
		try := in
		try.Shape.GenLen = gl
		if pl, err := PlanStep(try, dev); err == nil && pl.Fits {
			return gl, ""
		}
		if a := Advice(try, dev); a != "" {
			return gl, a
		}
	}
	return 0, ""
}
