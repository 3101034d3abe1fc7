package qwen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// SampleParams control decoding of one request.
type SampleParams struct {
	Temperature  float64  // <= 0: greedy (argmax)
	TopP         float64  // nucleus sampling; 0 or >= 1 disables it
	TopK         int      // keep the K most likely tokens; 0 disables it
	Seed         uint64   // sample i of a request draws from PCG(Seed, i)
	MaxNewTokens int      // required, > 0
	StopTokens   []int    // end generation (the token is not returned); config eos ids are always added
	StopStrings  []string // end generation when the decoded text contains one (needs GenerateOptions.Decode)
}

// Request is one prompt (token ids) to complete N times (N <= 0 means 1).
type Request struct {
	Prompt []int
	N      int
	Params SampleParams
	// Ctx, when set, ends this request's samples as soon as it is done (say the client went
	// away): they finish with reason "cancelled" at the next step and the rest of the batch goes on.
	Ctx context.Context
	// Logprobs records, for every generated token, its log-probability under the model (the
	// raw logits' log-softmax, before temperature, top-k and top-p) and the TopLogprobs most
	// likely tokens of that step.
	Logprobs    bool
	TopLogprobs int
	// OnStep, when set, is called from the decoding loop after each step of each sample, in
	// order; it must return quickly (it holds up the whole batch).
	OnStep func(Step)
}

// Step is one decoding step of one sample of a Request.
type Step struct {
	Sample  int           // the sample's index in its request
	Token   int           // the generated token; -1 when a stop token ended the sample (it is not output)
	Logprob *TokenLogprob // with Request.Logprobs, when Token >= 0
	Finish  string        // "" while the sample goes on, else its FinishReason
	Text    string        // with Finish and GenerateOptions.Decode: the sample's final text
}

// TokenLogprob is a generated token's log-probability and the most likely tokens of its step.
type TokenLogprob struct {
	Token   int
	Logprob float64
	Top     []TokenProb // Request.TopLogprobs tokens, most likely first
}

// TokenProb is a token and its log-probability.
type TokenProb struct {
	Token   int
	Logprob float64
}

// Sample is one completion.
type Sample struct {
	Tokens       []int          // generated tokens, without the stop token
	Text         string         // decoded text truncated before the stop string (only with GenerateOptions.Decode)
	FinishReason string         // "stop" (stop token or string), "length", or "cancelled" (Request.Ctx done)
	Logprobs     []TokenLogprob // one per token, with Request.Logprobs
	// StopToken is the stop token that ended the sample (FinishReason "stop"), −1 when none did
	// (a stop string, the length limit or a cancellation).
	StopToken int
}

// GenerateOptions are per-call options.
type GenerateOptions struct {
	// Decode turns generated tokens into text; needed for stop strings and Sample.Text.
	Decode func(ids []int) string
	// NoCache recomputes the full forward pass over the whole sequence at every step instead of
	// using the KV cache (slow; used to test the cache).
	NoCache bool
	// PadToken fills left padding (any valid id; it is masked out).
	PadToken int
	// WeightsAsInputs makes the decoding graph take the weights as inputs instead of embedding
	// them as constants (what the Go backend prefers for inference): on the Go backend constants
	// cost a copy of the weights in the graph and another in the variables' host tensors, for as
	// long as the graph lives.
	WeightsAsInputs bool
	// MinPromptLen and MinCacheLen, when larger, fix the padded prompt length and the KV-cache
	// length of the batch (normally the longest prompt rounded up to 16, and that plus the most
	// new tokens rounded up to 32): a caller that buckets prompts by length gets the same
	// shapes, hence the same arithmetic for a row, whatever else shares its batch.
	MinPromptLen, MinCacheLen int
	// DecodeDType bfloat16 generates with the native decoder (native.go): weights converted to
	// bfloat16 once (kept until WeightsChanged), KV cache in bfloat16, activations float32, each
	// weight read once per step for the whole batch, finished samples leaving the batch. The zero
	// value (or float32 on a float32 model) keeps the graph decoder.
	DecodeDType dtypes.DType
	// MaxBatch > 0 (native decoder only) decodes at most this many samples at once: when one
	// finishes, the next waiting sample is prefilled into its place (continuous batching). The
	// samples are the same as with one batch of all of them. 0: all samples at once.
	MaxBatch int
}

// roundUp rounds n up to a multiple of m, so a few shapes cover many requests (each new shape
// compiles a new graph).
func roundUp(n, m int) int { return (n + m - 1) / m * m }

type row struct {
	prompt []int
	params SampleParams
	req    *Request
	sample int
	rng    *rand.Rand
	stop   map[int]bool
	out    []int
	lps    []TokenLogprob
	text   string
	done   bool
	reason string
	stopAt int // the stop token that finished the row (0 until one does; see stopTok)
	hasTok bool
}

// Generate completes a batch of requests together (all samples of all requests share one
// batch and one KV cache) and returns, for each request, its N samples.
func (m *Model) Generate(ctx context.Context, reqs []Request, opts GenerateOptions) ([][]Sample, error) {
	eos, err := m.Config.EOSTokenIDs()
	if err != nil {
		return nil, err
	}
	var rows []*row
	maxPrompt, maxNew := 0, 0
	for i, r := range reqs {
		if len(r.Prompt) == 0 {
			return nil, fmt.Errorf("request %d: empty prompt", i)
		}
		for _, id := range r.Prompt {
			if id < 0 || id >= m.Config.VocabSize {
				return nil, fmt.Errorf("request %d: token id %d outside the vocabulary [0, %d)", i, id, m.Config.VocabSize)
			}
		}
		p := r.Params
		if p.MaxNewTokens <= 0 {
			return nil, fmt.Errorf("request %d: max new tokens must be > 0, got %d", i, p.MaxNewTokens)
		}
		if p.TopK < 0 || p.TopP < 0 || p.Temperature < 0 || math.IsNaN(p.Temperature) || math.IsNaN(p.TopP) {
			return nil, fmt.Errorf("request %d: invalid sampling parameters (temperature %g, top_p %g, top_k %d)", i, p.Temperature, p.TopP, p.TopK)
		}
		if r.TopLogprobs < 0 || r.TopLogprobs > m.Config.VocabSize {
			return nil, fmt.Errorf("request %d: top logprobs %d outside [0, %d]", i, r.TopLogprobs, m.Config.VocabSize)
		}
		if len(p.StopStrings) > 0 && opts.Decode == nil {
			return nil, fmt.Errorf("request %d: stop strings need a Decode function", i)
		}
		if mp := m.Config.MaxPositionEmbeddings; mp > 0 && len(r.Prompt)+p.MaxNewTokens > mp {
			return nil, fmt.Errorf("request %d: prompt (%d tokens) + max new tokens (%d) exceeds max_position_embeddings %d", i, len(r.Prompt), p.MaxNewTokens, mp)
		}
		n := max(r.N, 1)
		for s := 0; s < n; s++ {
			stop := map[int]bool{}
			for _, id := range append(slices.Clone(p.StopTokens), eos...) {
				stop[id] = true
			}
			rows = append(rows, &row{prompt: r.Prompt, params: p, req: &reqs[i], sample: s, rng: rand.New(rand.NewPCG(p.Seed, uint64(s))), stop: stop})
		}
		maxPrompt = max(maxPrompt, len(r.Prompt))
		maxNew = max(maxNew, p.MaxNewTokens)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	native := opts.DecodeDType == dtypes.BFloat16
	switch {
	case opts.DecodeDType != dtypes.InvalidDType && opts.DecodeDType != dtypes.BFloat16 && opts.DecodeDType != m.DType:
		return nil, fmt.Errorf("generate: decode dtype %s is not supported (bfloat16 for the native decoder, or the model's %s)", opts.DecodeDType, m.DType)
	case opts.MaxBatch < 0 || opts.MaxBatch > 0 && opts.DecodeDType != dtypes.BFloat16:
		return nil, fmt.Errorf("generate: max batch %d needs the native decoder (decode dtype bfloat16)", opts.MaxBatch)
	case opts.DecodeDType == dtypes.BFloat16 && opts.NoCache:
		return nil, fmt.Errorf("generate: the native decoder (decode dtype bfloat16) always uses its KV cache; NoCache is for the graph decoder")
	}
	if native {
		err = m.decodeNative(ctx, rows, maxPrompt, maxNew, opts)
	} else if opts.NoCache {
		err = m.decodeNoCache(ctx, rows, maxNew, opts)
	} else {
		err = m.decodeCached(ctx, rows, maxPrompt, maxNew, opts)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]Sample, len(reqs))
	k := 0
	for i, r := range reqs {
		for s := 0; s < max(r.N, 1); s++ {
			rw := rows[k]
			k++
			reason := rw.reason
			if reason == "" {
				reason = "length"
			}
			stopTok := -1
			if rw.hasTok {
				stopTok = rw.stopAt
			}
			out[i] = append(out[i], Sample{Tokens: rw.out, Text: rw.text, FinishReason: reason, Logprobs: rw.lps, StopToken: stopTok})
		}
	}
	return out, nil
}

// accept appends a sampled token to the row and updates its finished state. Text is decoded
// once at the end, or at every step only when the row has stop strings.
func (r *row) accept(tok int, lp *TokenLogprob, decode func([]int) string) {
	if r.done {
		return
	}
	if r.stop[tok] {
		r.stopAt, r.hasTok = tok, true
		r.finish("stop", decode)
		r.report(-1, nil)
		return
	}
	r.out = append(r.out, tok)
	if lp != nil {
		r.lps = append(r.lps, *lp)
	}
	defer r.report(tok, lp)
	if decode != nil && len(r.params.StopStrings) > 0 {
		text := decode(r.out)
		for _, s := range r.params.StopStrings {
			if i := strings.Index(text, s); s != "" && i >= 0 {
				r.text, r.done, r.reason = text[:i], true, "stop"
				return
			}
		}
	}
	if len(r.out) >= r.params.MaxNewTokens {
		r.finish("length", decode)
	}
}

// report passes the step to the request's OnStep.
func (r *row) report(tok int, lp *TokenLogprob) {
	if r.req == nil || r.req.OnStep == nil {
		return
	}
	st := Step{Sample: r.sample, Token: tok, Logprob: lp}
	if r.done {
		st.Finish, st.Text = r.reason, r.text
	}
	r.req.OnStep(st)
}

func (r *row) finish(reason string, decode func([]int) string) {
	r.done, r.reason = true, reason
	if decode != nil {
		r.text = decode(r.out)
	}
}

func allDone(rows []*row) bool {
	for _, r := range rows {
		if !r.done {
			return false
		}
	}
	return true
}

// sampleRows draws the next token of every unfinished row from logits [B*V] (flat). Rows
// whose request context is done finish as "cancelled" instead.
func (m *Model) sampleRows(rows []*row, flat []float32, opts GenerateOptions) {
	V := m.Config.VocabSize
	for b, r := range rows {
		if r.done {
			continue
		}
		if r.req != nil && r.req.Ctx != nil && r.req.Ctx.Err() != nil {
			r.finish("cancelled", opts.Decode)
			r.report(-1, nil)
			continue
		}
		logits := flat[b*V : (b+1)*V]
		tok := SampleToken(logits, r.params, r.rng)
		var lp *TokenLogprob
		if r.req != nil && r.req.Logprobs {
			x := TokenLogprobs(logits, tok, r.req.TopLogprobs)
			lp = &x
		}
		r.accept(tok, lp, opts.Decode)
	}
}

// TokenLogprobs returns the log-softmax of logits at tok and the k most likely tokens (ties:
// lower id first).
func TokenLogprobs(logits []float32, tok, k int) TokenLogprob {
	clearUpper()
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	sum := 0.0
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(sum)
	out := TokenLogprob{Token: tok, Logprob: float64(logits[tok]) - lse}
	if k <= 0 {
		return out
	}
	// Keep the k best in a small sorted slice (k is at most a few tens).
	top := make([]int, 0, k+1)
	better := func(a, b int) bool { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b) }
	for i := range logits {
		if len(top) == k && !better(i, top[k-1]) {
			continue
		}
		j := len(top)
		top = append(top, i)
		for ; j > 0 && better(i, top[j-1]); j-- {
			top[j] = top[j-1]
		}
		top[j] = i
		if len(top) > k {
			top = top[:k]
		}
	}
	out.Top = make([]TokenProb, len(top))
	for j, i := range top {
		out.Top[j] = TokenProb{Token: i, Logprob: float64(logits[i]) - lse}
	}
	return out
}

func (m *Model) stepExec(weightsAsInputs bool) (*model.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exec := &m.step
	if weightsAsInputs {
		exec = &m.stepInputs
	}
	if *exec == nil {
		e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
			if weightsAsInputs {
				scope.Store().SetTraining(in[0].Graph(), true) // variables become graph parameters
			}
			return stepGraph(scope, m.Config, in[0], in[1], in[2], in[3], in[4:])
		})
		if err != nil {
			return nil, err
		}
		e.SetMaxCache(64)
		*exec = e
	}
	return *exec, nil
}

// decodeCached prefills left-padded prompts into a fixed-size KV cache, then decodes one token
// per step for the whole batch.
func (m *Model) decodeCached(ctx context.Context, rows []*row, maxPrompt, maxNew int, opts GenerateOptions) error {
	exec, err := m.stepExec(opts.WeightsAsInputs)
	if err != nil {
		return err
	}
	B := len(rows)
	P := roundUp(max(maxPrompt, opts.MinPromptLen), 16)
	S := roundUp(max(P+maxNew, opts.MinCacheLen), 32)
	prompts := make([][]int, B)
	for i, r := range rows {
		prompts[i] = r.prompt
	}
	batch := LeftPad(prompts, P, opts.PadToken)
	keyMask := make([][]bool, B)
	for b := range keyMask {
		keyMask[b] = make([]bool, S)
		copy(keyMask[b], batch.Mask[b])
	}
	cfg := m.Config
	args := []any{batch.Tokens, batch.Positions, int32(0), keyMask}
	for l := 0; l < 2*cfg.NumHiddenLayers; l++ {
		args = append(args, tensors.FromShape(shapes.Make(m.DType, B, S, cfg.NumKeyValueHeads, cfg.HeadDimension())))
	}
	next := make([]int32, B)
	for step := 0; ; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		out, err := exec.Call(args...)
		if err != nil {
			return err
		}
		flat, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return err
		}
		m.sampleRows(rows, flat, opts)
		if allDone(rows) || step+1 >= maxNew {
			return nil
		}
		slot := P + step
		tok := make([][]int32, B)
		pos := make([][]int32, B)
		for b, r := range rows {
			if !r.done {
				next[b] = int32(r.out[len(r.out)-1])
			}
			tok[b] = []int32{next[b]}
			pos[b] = []int32{int32(len(r.prompt) + step)}
			keyMask[b][slot] = true
		}
		args = append([]any{tok, pos, int32(slot), keyMask}, toAny(out[1:])...)
	}
}

func toAny(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// decodeNoCache recomputes the whole left-padded sequence at each step.
func (m *Model) decodeNoCache(ctx context.Context, rows []*row, maxNew int, opts GenerateOptions) error {
	for step := 0; step < maxNew && !allDone(rows); step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		seqs := make([][]int, len(rows))
		for i, r := range rows {
			seqs[i] = append(slices.Clone(r.prompt), r.out...)
			if r.done {
				seqs[i] = r.prompt // finished rows are not used
			}
		}
		batch := LeftPad(seqs, 0, opts.PadToken)
		logits, err := m.Logits(batch)
		if err != nil {
			return err
		}
		V := m.Config.VocabSize
		flat := make([]float32, len(rows)*V)
		for b := range rows {
			copy(flat[b*V:], logits[b][len(batch.Tokens[b])-1])
		}
		m.sampleRows(rows, flat, opts)
	}
	return nil
}

// SampleToken draws a token from logits with temperature, top-k and top-p (greedy when
// temperature <= 0).
func SampleToken(logits []float32, p SampleParams, r *rand.Rand) int {
	if p.Temperature <= 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	if p.TopK <= 0 && !(p.TopP > 0 && p.TopP < 1) {
		return sampleFull(logits, p.Temperature, r)
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case logits[a] > logits[b]:
			return -1
		case logits[a] < logits[b]:
			return 1
		}
		return a - b
	})
	if p.TopK > 0 && p.TopK < len(idx) {
		idx = idx[:p.TopK]
	}
	mx := math.Inf(-1)
	for _, i := range idx {
		mx = math.Max(mx, float64(logits[i]))
	}
	probs := make([]float64, len(idx))
	sum := 0.0
	for j, i := range idx {
		if j%64 == 0 {
			clearUpper()
		}
		probs[j] = math.Exp((float64(logits[i]) - mx) / p.Temperature)
		sum += probs[j]
	}
	if p.TopP > 0 && p.TopP < 1 {
		// idx is sorted by decreasing logit: keep the smallest prefix with mass >= top_p.
		acc, cut := 0.0, len(idx)
		for j := range probs {
			acc += probs[j] / sum
			if acc >= p.TopP {
				cut = j + 1
				break
			}
		}
		idx, probs = idx[:cut], probs[:cut]
		sum = 0
		for _, q := range probs {
			sum += q
		}
	}
	u := r.Float64() * sum
	for j, q := range probs {
		u -= q
		if u < 0 {
			return idx[j]
		}
	}
	return idx[len(idx)-1]
}

// probsPool holds SampleToken's probability buffers (a Qwen vocabulary is 1.2 MB of them).
var probsPool = sync.Pool{New: func() any { return new([]float64) }}

// sampleFull is SampleToken without top-k and top-p: the same arithmetic in the same order over
// the whole vocabulary (so the same token from the same RNG state), without the index slice.
// math.Exp is called with the vector registers' upper halves cleared every 64 tokens (see
// clearUpper): it is hundreds of times slower otherwise in GOEXPERIMENT=simd builds on Intel CPUs.
func sampleFull(logits []float32, temperature float64, r *rand.Rand) int {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	bp := probsPool.Get().(*[]float64)
	defer probsPool.Put(bp)
	if cap(*bp) < len(logits) {
		*bp = make([]float64, len(logits))
	}
	probs := (*bp)[:len(logits)]
	sum := 0.0
	for j, v := range logits {
		if j%64 == 0 {
			clearUpper()
		}
		probs[j] = math.Exp((float64(v) - mx) / temperature)
		sum += probs[j]
	}
	u := r.Float64() * sum
	for j, q := range probs {
		u -= q
		if u < 0 {
			return j
		}
	}
	return len(logits) - 1
}
