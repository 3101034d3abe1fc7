// Package complete serves a local Qwen2/Qwen3 checkpoint as plain-text completions (no chat
// template), the way vLLM's offline LLM.generate serves General-Verifier in the paper's reward
// worker: the prompt is encoded with the checkpoint's own tokenizer (no special tokens added),
// decoded greedily (or sampled) with the KV-cache sampler of model/qwen until a stop token or
// max_tokens, and returned as text without special tokens.
//
// Many prompts share one sampler run: CompleteBatch decodes a list of prompts together, and
// concurrent Complete calls are collected for a short window into one batch. Prompts are
// bucketed by length, and every run has the same number of rows (Options.Rows, padded with
// copies) and, per bucket, the same padded prompt length and KV-cache length, so the arithmetic
// of one prompt — hence its output, token for token — never depends on what else shares its
// batch or in what order.
//
// The context (config.json max_position_embeddings; 4096 for General-Verifier's
// Qwen2.5-Math-1.5B) is enforced: max_tokens is cut to what the context leaves after the prompt
// (counted in Stats.Capped; the output then ends with finish reason "length", as vLLM caps a
// sequence at max_model_len), and a prompt that leaves no room is an error, or with
// Options.Overlong "fail" an empty completion with finish reason "overlong" (counted in
// Stats.Overlong).
package complete

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/qwen"
)

// Tokenizer is what the completer needs from a tokenizer: Encode adds no special tokens,
// Decode drops them.
type Tokenizer interface {
	Encode(text string) []int
	Decode(ids []int) string
}

// Options configure a Completer. The zero value is usable.
type Options struct {
	// DType is the weights' dtype in memory: "float32" (default) or "bfloat16" (Open only).
	DType string
	// Rows is the number of rows of every sampler run (default 16): a run decodes up to Rows
	// prompts, padded to Rows with copies.
	Rows int
	// Bucket: prompt lengths are padded up to a multiple of Bucket tokens (a multiple of 16;
	// default 64). Prompts of one bucket share runs.
	Bucket int
	// Window is how long a Complete call waits for concurrent ones to share its run (default 5 ms).
	Window time.Duration
	// Overlong is what a prompt that leaves no room for one new token in the context gets:
	// "error" (default: the call fails, naming the prompt and the lengths) or "fail" (an empty
	// completion with finish reason "overlong", counted in Stats.Overlong: a verifier then says
	// no, as vLLM's ignored prompts did).
	Overlong string
	// WeightsAsConstants compiles the weights into the decoding graphs as constants instead of
	// passing them as inputs (on the Go backend constants cost two more copies of the weights
	// while the graphs live; inputs also need no recompilation after the weights change).
	WeightsAsConstants bool
	// Stop adds stop token ids to those of the checkpoint (config.json eos_token_id, the
	// tokenizer's eos_token and generation_config.json eos_token_id).
	Stop []int
	// PadToken fills left padding (masked out; default the first stop token).
	PadToken *int
}

func (o *Options) defaults() error {
	if o.Rows == 0 {
		o.Rows = 16
	}
	if o.Bucket == 0 {
		o.Bucket = 64
	}
	if o.Window == 0 {
		o.Window = 5 * time.Millisecond
	}
	if o.Overlong == "" {
		o.Overlong = "error"
	}
	switch {
	case o.Rows < 1:
		return fmt.Errorf("complete: rows %d < 1", o.Rows)
	case o.Bucket < 16 || o.Bucket%16 != 0:
		return fmt.Errorf("complete: bucket %d is not a positive multiple of 16", o.Bucket)
	case o.Overlong != "error" && o.Overlong != "fail":
		return fmt.Errorf("complete: overlong %q (want error or fail)", o.Overlong)
	}
	return nil
}

// Stats count what a Completer has done.
type Stats struct {
	Prompts      int64 // prompts completed (overlong ones included)
	Runs         int64 // sampler runs (qwen.Model.Generate calls)
	Rows         int64 // rows decoded, padding copies included
	PromptTokens int64
	NewTokens    int64 // generated tokens (stop tokens excluded)
	Capped       int64 // prompts whose max_tokens was cut to what the context leaves
	Overlong     int64 // prompts that leave no room in the context (errors or failed)
}

// Completer completes plain prompts with a local model. It is safe for concurrent use.
type Completer struct {
	m      *qwen.Model
	tok    Tokenizer
	opts   Options
	ctxLen int
	stop   []int
	pad    int

	run   sync.Mutex // one sampler run at a time
	jobs  chan *job
	done  chan struct{}
	once  sync.Once
	stats struct{ prompts, runs, rows, promptToks, newToks, capped, overlong atomic.Int64 }

	// onSample, when set (tests), sees every completed row's sample with its log-probabilities.
	onSample func(prompt []int, s qwen.Sample)
}

// New wraps a model and its tokenizer (a model in memory: tests, trainers). The stop tokens
// are config.json's eos_token_id and opts.Stop.
func New(m *qwen.Model, tok Tokenizer, opts Options) (*Completer, error) {
	if m == nil || tok == nil {
		return nil, errors.New("complete: model and tokenizer are required")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	eos, err := m.Config.EOSTokenIDs()
	if err != nil {
		return nil, err
	}
	c := &Completer{m: m, tok: tok, opts: opts, ctxLen: m.Config.MaxPositionEmbeddings,
		jobs: make(chan *job, 1024), done: make(chan struct{})}
	for _, id := range append(eos, opts.Stop...) {
		if id < 0 || id >= m.Config.VocabSize {
			return nil, fmt.Errorf("complete: stop token %d outside the vocabulary [0, %d)", id, m.Config.VocabSize)
		}
		if !contains(c.stop, id) {
			c.stop = append(c.stop, id)
		}
	}
	if c.ctxLen <= 0 {
		return nil, fmt.Errorf("complete: config has no max_position_embeddings (the context the completer enforces)")
	}
	switch {
	case opts.PadToken != nil:
		c.pad = *opts.PadToken
	case len(c.stop) > 0:
		c.pad = c.stop[0]
	}
	go c.loop()
	return c, nil
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Model returns the model (its Config, for the context and the stop tokens).
func (c *Completer) Model() *qwen.Model { return c.m }

// Context is the context length the completer enforces (prompt + new tokens).
func (c *Completer) Context() int { return c.ctxLen }

// StopTokens are the ids that end a completion (not output).
func (c *Completer) StopTokens() []int { return append([]int(nil), c.stop...) }

// Options returns the options in effect (defaults filled in).
func (c *Completer) Options() Options { return c.opts }

// Stats returns the counters.
func (c *Completer) Stats() Stats {
	s := &c.stats
	return Stats{Prompts: s.prompts.Load(), Runs: s.runs.Load(), Rows: s.rows.Load(), PromptTokens: s.promptToks.Load(),
		NewTokens: s.newToks.Load(), Capped: s.capped.Load(), Overlong: s.overlong.Load()}
}

// Close stops the batching loop; pending and later Complete calls fail. CompleteBatch keeps
// working.
func (c *Completer) Close() { c.once.Do(func() { close(c.done) }) }

// sampleParams maps OpenAI-style parameters to the sampler's. Temperature nil means 1 (the
// OpenAI default); max_tokens is required.
func sampleParams(p llm.Params) (qwen.SampleParams, error) {
	sp := qwen.SampleParams{Temperature: 1, MaxNewTokens: p.MaxTokens, StopStrings: p.Stop}
	if p.MaxTokens < 1 {
		return sp, fmt.Errorf("complete: max_tokens must be ≥ 1, got %d", p.MaxTokens)
	}
	if p.Temperature != nil {
		sp.Temperature = *p.Temperature
	}
	if p.TopP != nil {
		sp.TopP = *p.TopP
	}
	if p.TopK != nil && *p.TopK > 0 {
		sp.TopK = *p.TopK
	}
	if p.Seed != nil {
		sp.Seed = uint64(*p.Seed)
	} else if sp.Temperature > 0 {
		sp.Seed = rand.Uint64()
	}
	return sp, nil
}

// item is one prompt to complete with its own context (its caller may go away).
type item struct {
	ctx    context.Context
	ids    []int
	maxNew int // max_tokens cut to the context
}

// prepare encodes the prompts and applies the context rule; overlong prompts get their
// response here (failed, Overlong "fail") and are left out of the returned indices.
func (c *Completer) prepare(ctxs []context.Context, prompts []string, sp qwen.SampleParams, out []llm.Response) ([]item, []int, error) {
	items := make([]item, len(prompts))
	var todo []int
	for i, p := range prompts {
		ids := c.tok.Encode(p)
		if len(ids) == 0 {
			return nil, nil, fmt.Errorf("complete: prompt %d is empty", i+1)
		}
		for _, id := range ids {
			if id < 0 || id >= c.m.Config.VocabSize {
				return nil, nil, fmt.Errorf("complete: prompt %d: token id %d outside the model's vocabulary [0, %d)", i+1, id, c.m.Config.VocabSize)
			}
		}
		room := c.ctxLen - len(ids)
		if room < 1 {
			c.stats.overlong.Add(1)
			c.stats.prompts.Add(1)
			if c.opts.Overlong == "error" {
				return nil, nil, fmt.Errorf("complete: prompt %d has %d tokens: it leaves no room for a new token in the model's %d-token context (max_position_embeddings)", i+1, len(ids), c.ctxLen)
			}
			out[i] = llm.Response{FinishReason: "overlong", PromptTokens: len(ids)}
			continue
		}
		n := sp.MaxNewTokens
		if room < n {
			c.stats.capped.Add(1)
			n = room
		}
		items[i] = item{ctx: ctxs[i], ids: ids, maxNew: n}
		todo = append(todo, i)
	}
	return items, todo, nil
}

// CompleteBatch completes every prompt with the same parameters; response i answers prompts[i].
func (c *Completer) CompleteBatch(ctx context.Context, prompts []string, p llm.Params) ([]llm.Response, error) {
	sp, err := sampleParams(p)
	if err != nil {
		return nil, err
	}
	ctxs := make([]context.Context, len(prompts))
	for i := range ctxs {
		ctxs[i] = ctx
	}
	out := make([]llm.Response, len(prompts))
	items, todo, err := c.prepare(ctxs, prompts, sp, out)
	if err != nil {
		return nil, err
	}
	if err := c.decode(ctx, items, todo, sp, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Complete completes one prompt; concurrent calls share sampler runs (see Options.Window).
func (c *Completer) Complete(ctx context.Context, prompt string, p llm.Params) (llm.Response, error) {
	j := &job{ctx: ctx, prompt: prompt, params: p, res: make(chan jobResult, 1)}
	select {
	case c.jobs <- j:
	case <-c.done:
		return llm.Response{}, errors.New("complete: completer closed")
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
	select {
	case r := <-j.res:
		return r.resp, r.err
	case <-ctx.Done():
		return llm.Response{}, ctx.Err()
	}
}

// decode runs the items at indices todo in bucketed runs of Rows rows and fills out.
func (c *Completer) decode(ctx context.Context, items []item, todo []int, sp qwen.SampleParams, out []llm.Response) error {
	buckets := map[int][]int{}
	for _, i := range todo {
		b := roundUp(len(items[i].ids), c.opts.Bucket)
		buckets[b] = append(buckets[b], i)
	}
	lens := make([]int, 0, len(buckets))
	for b := range buckets {
		lens = append(lens, b)
	}
	sort.Ints(lens)
	for _, P := range lens {
		idx := buckets[P]
		for lo := 0; lo < len(idx); lo += c.opts.Rows {
			chunk := idx[lo:min(lo+c.opts.Rows, len(idx))]
			if err := c.runChunk(ctx, items, chunk, P, sp, out); err != nil {
				return err
			}
		}
	}
	return nil
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// runChunk decodes up to Rows items of one bucket (prompt length P) in one sampler run of
// exactly Rows rows.
func (c *Completer) runChunk(ctx context.Context, items []item, chunk []int, P int, sp qwen.SampleParams, out []llm.Response) error {
	reqs := make([]qwen.Request, 0, c.opts.Rows)
	for _, i := range chunk {
		p := sp
		p.MaxNewTokens = items[i].maxNew
		p.StopTokens = c.stop
		reqs = append(reqs, qwen.Request{Prompt: items[i].ids, Params: p, Ctx: items[i].ctx, Logprobs: c.onSample != nil, TopLogprobs: 2})
	}
	for len(reqs) < c.opts.Rows { // copies of the last row: the run's shape never varies
		r := reqs[len(chunk)-1]
		r.Ctx = nil
		reqs = append(reqs, r)
	}
	c.run.Lock()
	res, err := c.m.Generate(ctx, reqs, qwen.GenerateOptions{Decode: c.tok.Decode, PadToken: c.pad,
		WeightsAsInputs: !c.opts.WeightsAsConstants, MinPromptLen: P, MinCacheLen: P + sp.MaxNewTokens})
	c.run.Unlock()
	if err != nil {
		return err
	}
	c.stats.runs.Add(1)
	c.stats.rows.Add(int64(len(reqs)))
	for k, i := range chunk {
		s := res[k][0]
		if c.onSample != nil {
			c.onSample(items[i].ids, s)
		}
		if s.FinishReason == "cancelled" {
			if err := items[i].ctx.Err(); err != nil {
				out[i] = llm.Response{FinishReason: "cancelled"}
				continue
			}
		}
		out[i] = llm.Response{Text: s.Text, FinishReason: s.FinishReason, PromptTokens: len(items[i].ids), CompletionTokens: len(s.Tokens)}
		c.stats.prompts.Add(1)
		c.stats.promptToks.Add(int64(len(items[i].ids)))
		c.stats.newToks.Add(int64(len(s.Tokens)))
	}
	return nil
}

// job is one Complete call waiting for the batching loop.
type job struct {
	ctx    context.Context
	prompt string
	params llm.Params
	res    chan jobResult
}

type jobResult struct {
	resp llm.Response
	err  error
}

// loop collects concurrent Complete calls for Options.Window (at most 4 × Rows of them) and
// completes each group of calls with the same parameters in shared runs.
func (c *Completer) loop() {
	for {
		var first *job
		select {
		case <-c.done:
			c.drain()
			return
		case first = <-c.jobs:
		}
		batch := []*job{first}
		timer := time.NewTimer(c.opts.Window)
	collect:
		for len(batch) < 4*c.opts.Rows {
			select {
			case j := <-c.jobs:
				batch = append(batch, j)
			case <-timer.C:
				break collect
			case <-c.done:
				timer.Stop()
				for _, j := range batch {
					j.res <- jobResult{err: errors.New("complete: completer closed")}
				}
				c.drain()
				return
			}
		}
		timer.Stop()
		groups := map[string][]*job{}
		var keys []string
		for _, j := range batch {
			p := j.params
			k := fmt.Sprintf("%d|%q|%v|%v|%v|%v", p.MaxTokens, p.Stop, deref(p.Temperature), deref(p.TopP), derefI(p.TopK), derefI64(p.Seed))
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], j)
		}
		for _, k := range keys {
			c.runJobs(groups[k])
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefI(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefI64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func (c *Completer) drain() {
	for {
		select {
		case j := <-c.jobs:
			j.res <- jobResult{err: errors.New("complete: completer closed")}
		default:
			return
		}
	}
}

// runJobs completes calls with the same parameters; a call whose prompt fails alone gets the
// error alone.
func (c *Completer) runJobs(jobs []*job) {
	sp, err := sampleParams(jobs[0].params)
	if err != nil {
		for _, j := range jobs {
			j.res <- jobResult{err: err}
		}
		return
	}
	var live []*job
	var ctxs []context.Context
	var prompts []string
	for _, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			j.res <- jobResult{err: err}
			continue
		}
		live, ctxs, prompts = append(live, j), append(ctxs, j.ctx), append(prompts, j.prompt)
	}
	out := make([]llm.Response, len(live))
	items := make([]item, len(live))
	var todo []int
	for k := range live {
		// one prompt at a time, so an error (an overlong prompt) is that call's alone
		o := make([]llm.Response, 1)
		it, td, err := c.prepare(ctxs[k:k+1], prompts[k:k+1], sp, o)
		if err != nil {
			live[k].res <- jobResult{err: err}
			live[k] = nil
			continue
		}
		out[k] = o[0]
		if len(td) == 1 {
			items[k] = it[0]
			todo = append(todo, k)
		}
	}
	// the run's context: cancelled rows end on their own (Request.Ctx), the run goes on
	err = c.decode(context.Background(), items, todo, sp, out)
	for k, j := range live {
		if j == nil {
			continue
		}
		switch {
		case err != nil:
			j.res <- jobResult{err: err}
		case out[k].FinishReason == "cancelled":
			j.res <- jobResult{err: j.ctx.Err()}
		default:
			j.res <- jobResult{resp: out[k]}
		}
	}
}
