package grpo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/model/qwen"
)

// Tokenizer is what the loops need from a tokenizer.
type Tokenizer interface {
	Encode(text string) []int
	Decode(ids []int) string
}

// Prompt is one training question: its rendered prompt tokens and what the reward needs.
type Prompt struct {
	Tokens   []int  `json:"-"`
	Question string `json:"question"`
	Gold     string `json:"gold"`
	Domain   string `json:"domain,omitempty"`
}

// RewardFunc scores decoded responses (responses[i] answers prompts[i]; batched so a model
// verifier can judge them together); correct is what the accuracy metric counts.
type RewardFunc func(ctx context.Context, prompts []Prompt, responses []string) (rewards []float64, correct []bool, err error)

// GRPOConfig is the loop configuration (protocol.md §3 names in comments).
type GRPOConfig struct {
	Steps          int         `json:"steps"`
	PromptsPerStep int         `json:"prompts_per_step"` // data.train_batch_size
	N              int         `json:"n"`                // rollout.n
	MiniBatches    int         `json:"mini_batches"`     // optimizer updates per step (ppo_mini_batch_size = prompts/mini_batches)
	MaxNewTokens   int         `json:"max_new_tokens"`
	Temperature    float64     `json:"temperature"` // rollout temperature: 1.0
	AdvEps         float64     `json:"adv_eps"`     // 1e-6
	Optim          OptimConfig `json:"optim"`
	Loss           LossConfig  `json:"loss"`
	Seed           uint64      `json:"seed"`
	EvalEvery      int         `json:"eval_every"`       // 0: only at the start and the end
	CheckpointDir  string      `json:"checkpoint_dir"`   // "" disables checkpoints
	CheckpointEvry int         `json:"checkpoint_every"` // steps between checkpoints (0: only at the end)
	Bucket         int         `json:"bucket"`           // pad sequence lengths to a multiple (few compiled shapes)
	PadToken       int         `json:"pad_token"`
	StopTokens     []int       `json:"stop_tokens"`
	// LossAgg is how token losses are averaged for an update: "token-mean" (default, "" too): the
	// mean over all response tokens of the mini-batch; "micro-token-mean": the mean over the
	// mini-batch's micro-batches (MicroBatch responses each) of each micro-batch's token-mean,
	// which is what verl's dp_actor computes with gradient accumulation (loss / accumulation
	// steps) and so what the paper's runs used (micro-batches of 8 responses per GPU).
	LossAgg string `json:"loss_agg,omitempty"`
	// MicroBatch splits each mini-batch into micro-batches of this many responses for the
	// log-prob and gradient computations (gradient accumulation; one optimizer update per
	// mini-batch): memory then scales with the micro-batch. 0: the whole mini-batch at once.
	MicroBatch int `json:"micro_batch,omitempty"`
	// SortByLength orders each mini-batch's responses by sequence length before cutting it into
	// micro-batches, so each micro-batch is padded to its own (bucketed) length: length
	// bucketing. Needs MicroBatch.
	SortByLength bool `json:"sort_by_length,omitempty"`
	// RolloutBatch generates the rollouts of this many prompts at a time (all N samples of each;
	// the KV cache and the prefill scale with it). 0: every prompt of the step at once.
	RolloutBatch int `json:"rollout_batch,omitempty"`
	// RolloutDType "bfloat16" generates the rollouts with the native decoder of model/qwen
	// (GenerateOptions.DecodeDType): the weights converted to bfloat16 once per step, a bfloat16
	// KV cache, each weight read once per decoding step for the whole batch, as verl generates
	// with vLLM in bfloat16. The old and reference log-probs and the update stay in the policy's
	// dtype (float32), recomputed on the sampled tokens. "" or "float32": the graph decoder.
	RolloutDType string `json:"rollout_dtype,omitempty"`
	// RolloutSlots > 0 (bfloat16 rollouts only) decodes at most this many rollouts at once:
	// a rollout that finishes leaves the batch and the next waiting one takes its place
	// (continuous batching; the samples do not change). 0: every rollout of a rollout batch at once.
	RolloutSlots int `json:"rollout_slots,omitempty"`
	// Memory selects the memory-lean training paths (chunked LM head, recomputation, bfloat16).
	Memory MemoryConfig `json:"memory,omitzero"`
}

// Loss aggregation modes (GRPOConfig.LossAgg).
const (
	AggTokenMean      = "token-mean"
	AggMicroTokenMean = "micro-token-mean"
)

// Validate checks the fields that have no usable default.
func (c GRPOConfig) Validate() error {
	if c.N < 1 || c.PromptsPerStep < 1 || c.MiniBatches < 1 || (c.PromptsPerStep*c.N)%c.MiniBatches != 0 {
		return fmt.Errorf("grpo: need n ≥ 1, prompts_per_step ≥ 1 and prompts_per_step·n divisible by mini_batches")
	}
	switch c.LossAgg {
	case "", AggTokenMean, AggMicroTokenMean:
	default:
		return fmt.Errorf("grpo: loss_agg %q is not one of %q, %q", c.LossAgg, AggTokenMean, AggMicroTokenMean)
	}
	if c.MicroBatch < 0 || c.RolloutBatch < 0 {
		return fmt.Errorf("grpo: micro_batch and rollout_batch must be ≥ 0, got %d and %d", c.MicroBatch, c.RolloutBatch)
	}
	switch c.RolloutDType {
	case "", "float32", "bfloat16":
	default:
		return fmt.Errorf("grpo: rollout_dtype %q is not one of \"float32\", \"bfloat16\"", c.RolloutDType)
	}
	if c.RolloutSlots < 0 || c.RolloutSlots > 0 && c.RolloutDType != "bfloat16" {
		return fmt.Errorf("grpo: rollout_slots %d needs rollout_dtype \"bfloat16\" (continuous batching is a feature of the native decoder)", c.RolloutSlots)
	}
	if c.SortByLength && c.MicroBatch == 0 {
		return fmt.Errorf("grpo: sort_by_length needs micro_batch > 0")
	}
	return c.Memory.Validate()
}

// DefaultGRPO is protocol.md §3 at micro scale (batch sizes and steps are the caller's).
func DefaultGRPO() GRPOConfig {
	return GRPOConfig{Steps: 100, PromptsPerStep: 16, N: 8, MiniBatches: 4, MaxNewTokens: 64, Temperature: 1,
		AdvEps: 1e-6, Optim: DefaultOptim(), Loss: DefaultLoss(), Bucket: 8}
}

// StepRecord is one line of the metrics JSONL (kind "train" or "eval").
type StepRecord struct {
	Kind         string  `json:"kind"`
	Run          string  `json:"run,omitempty"`
	Step         int     `json:"step"`
	RewardMean   float64 `json:"reward_mean"`
	RewardStd    float64 `json:"reward_std"`
	Accuracy     float64 `json:"accuracy"` // train: fraction of rollouts judged correct; eval: held-out accuracy
	KL           float64 `json:"kl"`
	Entropy      float64 `json:"entropy"`
	ClipFrac     float64 `json:"clip_frac"`
	PGLoss       float64 `json:"pg_loss"`
	GradNorm     float64 `json:"grad_norm"`
	ResponseLen  float64 `json:"response_len"`
	TokensPerSec float64 `json:"tokens_per_s"` // (prompt+response tokens of the step's rollouts) / step wall time
	StepSeconds  float64 `json:"step_s"`
	GenSeconds   float64 `json:"gen_s"` // of which rollout generation
	// SkippedUpdates counts the step's optimizer updates skipped because their gradient norm was
	// not finite (as verl does); the loss statistics and grad_norm average the other updates.
	SkippedUpdates int                `json:"skipped_updates,omitempty"`
	ByDomain       map[string]float64 `json:"by_domain,omitempty"`
	// Detail is what a train step measured beyond the logged fields (not written to the log:
	// callers that log more, such as the paper's job with verl's metric names, read it from the
	// progress callback).
	Detail *StepDetail `json:"-"`
}

// StepDetail is a train step's data order, reward, advantage and length statistics, and the
// time of each phase (seconds).
type StepDetail struct {
	Prompts                                []int   // indices of the step's prompts in the prompt list, in order
	RewardMin, RewardMax                   float64 // over the step's responses
	AdvMean, AdvMin, AdvMax                float64 // over the response tokens (each token carries its response's advantage)
	ResponseLenMin, ResponseLenMax         int     // response tokens (the stop token included)
	ResponseClipRatio                      float64 // share of responses cut at max_new_tokens
	PromptLenMean                          float64
	PromptLenMin, PromptLenMax             int
	PromptTokens, ResponseTokens           int     // summed over the step's responses (a prompt counts once per rollout)
	PPOKL                                  float64 // mean old − current log-prob over the updates (verl's actor/ppo_kl)
	Updates                                int     // optimizer updates applied (skipped ones excluded)
	GenS, RewardS, OldLogProbS, RefS, UpdS float64 // generation, reward, old and reference log-probs, updates
}

// EvalFunc measures held-out accuracy (overall and per domain) of the current policy.
type EvalFunc func(ctx context.Context, step int) (overall float64, byDomain map[string]float64, err error)

// loopState is the resumable part of the loop (the RNG streams are functions of seed and step).
type loopState struct {
	Step int `json:"step"`
}

// GRPO trains p on prompts with rewards from reward, logging one StepRecord per step (and per
// eval) to log. When cfg.CheckpointDir holds a checkpoint it resumes from it; the data order and
// rollout sampling depend only on (seed, step), so a resumed run equals an uninterrupted one.
func GRPO(ctx context.Context, cfg GRPOConfig, p *Policy, ref *Reference, tok Tokenizer, prompts []Prompt,
	reward RewardFunc, eval EvalFunc, log io.Writer, runName string, progress func(StepRecord)) error {
	opts := RunOptions{Progress: progress}
	if cfg.CheckpointDir != "" {
		if HasState(cfg.CheckpointDir) {
			st := loopState{}
			if err := LoadState(cfg.CheckpointDir, p, &st); err != nil {
				return fmt.Errorf("resume: %w", err)
			}
			opts.Start = st.Step
		}
		opts.AfterStep = func(step int) error {
			if (cfg.CheckpointEvry > 0 && step%cfg.CheckpointEvry == 0) || step == cfg.Steps {
				return SaveState(cfg.CheckpointDir, p, loopState{Step: step})
			}
			return nil
		}
	}
	return Run(ctx, cfg, p, ref, tok, prompts, reward, eval, log, runName, opts)
}

// RunOptions are what a caller of Run adds to a GRPO config.
type RunOptions struct {
	// Progress receives every record (train steps with their Detail, and evaluations).
	Progress func(StepRecord)
	// Start is the number of steps already done: the caller has restored the policy's state
	// (weights, AdamW moments, step count) of that point. 0: a fresh run, evaluated first.
	Start int
	// AfterStep, when set, is called after step s (1-based) has been logged and, when due,
	// evaluated: the place to checkpoint. Its error ends the run.
	AfterStep func(step int) error
}

// Run is GRPO with the checkpointing left to the caller (opts): it trains from step opts.Start
// to cfg.Steps (cfg.CheckpointDir is ignored), evaluating at step 0 of a fresh run, every
// cfg.EvalEvery steps and at the end.
func Run(ctx context.Context, cfg GRPOConfig, p *Policy, ref *Reference, tok Tokenizer, prompts []Prompt,
	reward RewardFunc, eval EvalFunc, log io.Writer, runName string, opts RunOptions) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(prompts) == 0 {
		return fmt.Errorf("grpo: no prompts")
	}
	p.Temperature, p.Memory = cfg.Temperature, cfg.Memory
	if ref != nil {
		ref.Temperature, ref.Memory = cfg.Temperature, cfg.Memory
	}
	enc := json.NewEncoder(log)
	progress := opts.Progress
	emitEval := func(step int) error {
		if eval == nil {
			return nil
		}
		acc, by, err := eval(ctx, step)
		if err != nil {
			return err
		}
		r := StepRecord{Kind: "eval", Run: runName, Step: step, Accuracy: acc, ByDomain: by}
		if progress != nil {
			progress(r)
		}
		return enc.Encode(r)
	}
	step := opts.Start
	if step == 0 {
		if err := emitEval(0); err != nil {
			return err
		}
	}
	for step < cfg.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, err := grpoStep(ctx, cfg, p, ref, tok, prompts, reward, step)
		if err != nil {
			return fmt.Errorf("step %d: %w", step+1, err)
		}
		step++
		rec.Run = runName
		if progress != nil {
			progress(rec)
		}
		if err := enc.Encode(rec); err != nil {
			return err
		}
		if (cfg.EvalEvery > 0 && step%cfg.EvalEvery == 0) || step == cfg.Steps {
			if err := emitEval(step); err != nil {
				return err
			}
		}
		if opts.AfterStep != nil {
			if err := opts.AfterStep(step); err != nil {
				return err
			}
		}
	}
	return nil
}

// stepPrompts returns the indices of the prompts of step s: epochs of a permutation drawn
// from (seed, epoch).
func stepPrompts(n, perStep int, seed uint64, step int) []int {
	out := make([]int, perStep)
	for i := range out {
		k := step*perStep + i
		epoch, j := k/n, k%n
		perm := rand.New(rand.NewPCG(seed, uint64(epoch)+0x5eed)).Perm(n)
		out[i] = perm[j]
	}
	return out
}

func grpoStep(ctx context.Context, cfg GRPOConfig, p *Policy, ref *Reference, tok Tokenizer, prompts []Prompt,
	reward RewardFunc, step int) (StepRecord, error) {
	t0 := time.Now()
	idx := stepPrompts(len(prompts), cfg.PromptsPerStep, cfg.Seed, step)
	reqs := make([]qwen.Request, len(idx))
	for i, k := range idx {
		reqs[i] = qwen.Request{Prompt: prompts[k].Tokens, N: cfg.N, Params: qwen.SampleParams{
			Temperature: cfg.Temperature, Seed: cfg.Seed*1_000_003 + uint64(step)*1009 + uint64(i),
			MaxNewTokens: cfg.MaxNewTokens, StopTokens: cfg.StopTokens}}
	}
	gopts := qwen.GenerateOptions{PadToken: cfg.PadToken, WeightsAsInputs: cfg.Memory.RolloutWeightsAsInputs, MaxBatch: cfg.RolloutSlots}
	if cfg.RolloutDType == "bfloat16" {
		gopts.DecodeDType = dtypes.BFloat16
	}
	var samples [][]qwen.Sample
	for lo := 0; lo < len(reqs); {
		hi := len(reqs)
		if cfg.RolloutBatch > 0 {
			hi = min(lo+cfg.RolloutBatch, len(reqs))
		}
		part, err := p.Model.Generate(ctx, reqs[lo:hi], gopts)
		if err != nil {
			return StepRecord{}, err
		}
		samples = append(samples, part...)
		lo = hi
	}
	// Drop the generation graphs now: on the Go backend they hold the weights as constants (a
	// copy of the model) that the updates below do not need. They were rebuilt every step anyway
	// (WeightsChanged after the updates), so this changes no result.
	p.WeightsChanged()
	phase("generate")
	tGen := time.Since(t0).Seconds()
	det := &StepDetail{Prompts: idx, GenS: tGen, PromptLenMin: math.MaxInt, ResponseLenMin: math.MaxInt}
	var promptToks, respToks [][]int
	var batchPrompts []Prompt
	var texts []string
	ntok, nresp := 0, 0
	stop := cfg.PadToken
	if len(cfg.StopTokens) > 0 {
		stop = cfg.StopTokens[0]
	}
	clipped := 0
	for i, k := range idx {
		for _, s := range samples[i] {
			batchPrompts = append(batchPrompts, prompts[k])
			texts = append(texts, tok.Decode(s.Tokens))
			resp := append([]int(nil), s.Tokens...)
			if s.FinishReason == "stop" {
				// the stop token is part of the trained response: the one generated (several
				// may stop a Qwen rollout: <|im_end|>, <|endoftext|>), else StopTokens[0]
				if s.StopToken >= 0 {
					resp = append(resp, s.StopToken)
				} else {
					resp = append(resp, stop)
				}
			} else {
				clipped++
			}
			promptToks = append(promptToks, prompts[k].Tokens)
			respToks = append(respToks, resp)
			ntok += len(prompts[k].Tokens) + len(resp)
			nresp += len(resp)
			det.PromptLenMin, det.PromptLenMax = min(det.PromptLenMin, len(prompts[k].Tokens)), max(det.PromptLenMax, len(prompts[k].Tokens))
			det.ResponseLenMin, det.ResponseLenMax = min(det.ResponseLenMin, len(resp)), max(det.ResponseLenMax, len(resp))
		}
	}
	tr := time.Now()
	rewards, ok, err := reward(ctx, batchPrompts, texts)
	if err != nil {
		return StepRecord{}, err
	}
	det.RewardS = time.Since(tr).Seconds()
	if len(rewards) != len(texts) || len(ok) != len(texts) {
		return StepRecord{}, fmt.Errorf("reward function returned %d rewards and %d verdicts for %d responses", len(rewards), len(ok), len(texts))
	}
	for i, r := range rewards {
		if !isFinite(r) {
			return StepRecord{}, fmt.Errorf("reward %d (response %q to question %q) is %g: rewards must be finite", i, texts[i], batchPrompts[i].Question, r)
		}
	}
	correct := 0
	for _, c := range ok {
		if c {
			correct++
		}
	}
	adv := GroupAdvantages(rewards, cfg.N, cfg.AdvEps)
	total := len(rewards)
	det.PromptTokens, det.ResponseTokens = ntok-nresp, nresp
	det.PromptLenMean = float64(ntok-nresp) / float64(total)
	det.ResponseClipRatio = float64(clipped) / float64(total)
	det.RewardMin, det.RewardMax = math.Inf(1), math.Inf(-1)
	det.AdvMin, det.AdvMax = math.Inf(1), math.Inf(-1)
	for i, r := range rewards {
		det.RewardMin, det.RewardMax = math.Min(det.RewardMin, r), math.Max(det.RewardMax, r)
		det.AdvMin, det.AdvMax = math.Min(det.AdvMin, adv[i]), math.Max(det.AdvMax, adv[i])
		det.AdvMean += adv[i] * float64(len(respToks[i])) / float64(max(nresp, 1))
	}
	mb := total / cfg.MiniBatches
	// Old and reference log-probs for every (micro-)batch before any update.
	var minis [][]micro
	for b := 0; b < cfg.MiniBatches; b++ {
		var ms []micro
		for _, rows := range microRows(b*mb, (b+1)*mb, cfg, promptToks, respToks) {
			m, err := prepareMicro(cfg, p, ref, rows, promptToks, respToks, adv, det)
			if err != nil {
				return StepRecord{}, err
			}
			ms = append(ms, m)
		}
		minis = append(minis, ms)
	}
	phase("old_ref_logprobs")
	tu := time.Now()
	var stats []GRPOStats
	skipped := 0
	for _, ms := range minis {
		var st GRPOStats
		var err error
		if len(ms) == 1 && cfg.MicroBatch == 0 {
			st, err = p.GRPOUpdate(ms[0].s, ms[0].adv, ms[0].old, ms[0].ref, cfg.Optim.LR)
		} else {
			st, err = accumulatedUpdate(cfg, p, ms)
		}
		if err != nil {
			return StepRecord{}, err
		}
		if st.Skipped() {
			skipped++
			continue
		}
		stats = append(stats, st)
	}
	var agg GRPOStats
	for _, st := range stats {
		n := float64(len(stats))
		agg.Loss += st.Loss / n
		agg.PG += st.PG / n
		agg.KL += st.KL / n
		agg.Entropy += st.Entropy / n
		agg.ClipFrac += st.ClipFrac / n
		agg.GradNorm += st.GradNorm / n
		agg.PPOKL += st.PPOKL / n
	}
	phase("update")
	p.WeightsChanged()
	det.UpdS, det.PPOKL, det.Updates = time.Since(tu).Seconds(), agg.PPOKL, len(stats)
	mean, std := meanStd(rewards, 0)
	dt := time.Since(t0).Seconds()
	return StepRecord{Kind: "train", Step: step + 1, RewardMean: mean, RewardStd: std,
		Accuracy: float64(correct) / float64(total), KL: agg.KL, Entropy: agg.Entropy, ClipFrac: agg.ClipFrac,
		PGLoss: agg.PG, GradNorm: agg.GradNorm, ResponseLen: float64(nresp) / float64(total),
		TokensPerSec: float64(ntok) / dt, StepSeconds: dt, GenSeconds: tGen, SkippedUpdates: skipped, Detail: det}, nil
}

// phaseHook, when set (by MeasureStep), is called at the end of each phase of a GRPO step.
var phaseHook func(name string)

func phase(name string) {
	if phaseHook != nil {
		phaseHook(name)
	}
}

// micro is one micro-batch of a mini-batch with its old and reference log-probs.
type micro struct {
	s        Seqs
	adv      []float32
	old, ref [][]float32
}

// microRows splits the responses [lo, hi) of a mini-batch into micro-batches of
// cfg.MicroBatch (all of them when 0), in order, or sorted by sequence length with
// cfg.SortByLength (a stable sort: ties keep their order).
func microRows(lo, hi int, cfg GRPOConfig, promptToks, respToks [][]int) [][]int {
	rows := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		rows = append(rows, i)
	}
	if cfg.SortByLength {
		sort.SliceStable(rows, func(a, b int) bool {
			return len(promptToks[rows[a]])+len(respToks[rows[a]]) < len(promptToks[rows[b]])+len(respToks[rows[b]])
		})
	}
	size := cfg.MicroBatch
	if size <= 0 || size > len(rows) {
		size = len(rows)
	}
	var out [][]int
	for i := 0; i < len(rows); i += size {
		out = append(out, rows[i:min(i+size, len(rows))])
	}
	return out
}

// prepareMicro builds the padded sequences of rows and their old and reference log-probs
// (timed into det).
func prepareMicro(cfg GRPOConfig, p *Policy, ref *Reference, rows []int, promptToks, respToks [][]int, adv []float64, det *StepDetail) (micro, error) {
	pr, rs := make([][]int, len(rows)), make([][]int, len(rows))
	a := make([]float32, len(rows))
	for i, r := range rows {
		pr[i], rs[i], a[i] = promptToks[r], respToks[r], float32(adv[r])
	}
	s := makeSeqs(pr, rs, cfg.Bucket, cfg.PadToken, cfg.Memory.ResponseWindow)
	t0 := time.Now()
	old, err := p.LogProbs(s)
	if err != nil {
		return micro{}, err
	}
	t1 := time.Now()
	det.OldLogProbS += t1.Sub(t0).Seconds()
	var rl [][]float32
	if ref != nil && cfg.Loss.KLCoef != 0 {
		if rl, err = ref.LogProbs(s); err != nil {
			return micro{}, err
		}
	}
	det.RefS += time.Since(t1).Seconds()
	return micro{s, a, old, rl}, nil
}

// accumulatedUpdate is one optimizer update over the micro-batches of a mini-batch: their
// gradients are accumulated with the weights of cfg.LossAgg, then clipped and applied once.
func accumulatedUpdate(cfg GRPOConfig, p *Policy, ms []micro) (GRPOStats, error) {
	tokens := 0.0
	counts := make([]float64, len(ms))
	for i, m := range ms {
		for _, row := range m.s.LossMask {
			for _, v := range row {
				counts[i] += float64(v)
			}
		}
		tokens += counts[i]
	}
	var st GRPOStats
	for i, m := range ms {
		// token-mean: Σ over the mini-batch / its tokens; micro-token-mean: mean over
		// micro-batches of Σ over the micro-batch / its tokens. (max with 1e-8 as TokenMean.)
		w := 1 / math.Max(tokens, 1e-8)
		if cfg.LossAgg == AggMicroTokenMean {
			w = 1 / (math.Max(counts[i], 1e-8) * float64(len(ms)))
		}
		sums, err := p.GRPOAccumulate(m.s, m.adv, m.old, m.ref, w)
		if err != nil {
			return GRPOStats{}, err
		}
		st.PG += sums.PG * w
		st.KL += sums.KL * w
		st.Entropy += sums.Entropy * w
		st.ClipFrac += sums.ClipFrac * w
		st.PPOKL += sums.PPOKL * w
	}
	st.Loss = st.PG - cfg.Loss.EntropyCoef*st.Entropy + cfg.Loss.KLCoef*st.KL
	norm, err := p.ApplyAccumulated(cfg.Optim.LR)
	if err != nil {
		return GRPOStats{}, err
	}
	st.GradNorm = norm
	return st, nil
}

// SFTExample is one supervised pair (token ids).
type SFTExample struct {
	Prompt, Response []int
}

// SFTConfig configures supervised fine-tuning.
type SFTConfig struct {
	Steps     int     `json:"steps"`
	BatchSize int     `json:"batch_size"`
	LR        float64 `json:"lr"` // the other AdamW settings are the Policy's`
	Seed      uint64  `json:"seed"`
	Bucket    int     `json:"bucket"`
	PadToken  int     `json:"pad_token"`
	LogEvery  int     `json:"log_every"`
	// ResponseWindow runs the LM head on the response positions only (see MakeSeqsWindow): the
	// same loss, without the prompt positions' logits.
	ResponseWindow bool `json:"response_window,omitempty"`
	// FirstStep starts the step count here (the data order is a function of (seed, step)): SFT
	// from 0 to n then from n to Steps is SFT from 0 to Steps, e.g. with a checkpoint at n.
	FirstStep int `json:"first_step,omitempty"`
}

// SFTRecord is one line of the SFT metrics log.
type SFTRecord struct {
	Kind         string  `json:"kind"` // "sft"
	Run          string  `json:"run,omitempty"`
	Step         int     `json:"step"`
	Loss         float64 `json:"loss"`
	GradNorm     float64 `json:"grad_norm"`
	TokensPerSec float64 `json:"tokens_per_s"`
}

// SFT trains p on examples (batches drawn in epochs of a seeded permutation) and logs
// every LogEvery steps.
func SFT(ctx context.Context, cfg SFTConfig, p *Policy, data []SFTExample, log io.Writer, runName string, progress func(SFTRecord)) error {
	if len(data) == 0 || cfg.BatchSize < 1 {
		return fmt.Errorf("sft: no data or batch size < 1")
	}
	enc := json.NewEncoder(log)
	for step := cfg.FirstStep; step < cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		idx := stepPrompts(len(data), cfg.BatchSize, cfg.Seed, step)
		pr, rs := make([][]int, len(idx)), make([][]int, len(idx))
		ntok := 0
		for i, k := range idx {
			pr[i], rs[i] = data[k].Prompt, data[k].Response
			ntok += len(pr[i]) + len(rs[i])
		}
		loss, norm, err := p.SFTUpdate(makeSeqs(pr, rs, cfg.Bucket, cfg.PadToken, cfg.ResponseWindow), cfg.LR)
		if err != nil {
			return err
		}
		if cfg.LogEvery > 0 && ((step+1)%cfg.LogEvery == 0 || step+1 == cfg.Steps) {
			r := SFTRecord{Kind: "sft", Run: runName, Step: step + 1, Loss: loss, GradNorm: norm, TokensPerSec: float64(ntok) / time.Since(t0).Seconds()}
			if progress != nil {
				progress(r)
			}
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	p.WeightsChanged()
	return nil
}

// WriteJSON writes v as indented JSON to path atomically (directories created).
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
