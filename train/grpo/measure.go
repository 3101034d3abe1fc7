package grpo

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
)

// StepShape is the size of one GRPO step: Prompts × N rollouts of a PromptLen-token prompt, each
// generating exactly GenLen tokens (a planned or measured step has no early stops), trained in
// MiniBatches optimizer updates of micro-batches of MicroBatch responses (0: whole mini-batch).
type StepShape struct {
	Prompts     int `json:"prompts"`
	N           int `json:"n"`
	PromptLen   int `json:"prompt_len"`
	GenLen      int `json:"gen_len"`
	MiniBatches int `json:"mini_batches"`
	MicroBatch  int `json:"micro_batch"`
	// RolloutBatch prompts are generated at a time (0: all).
	RolloutBatch int `json:"rollout_batch"`
	Bucket       int `json:"bucket"`
	// RolloutDType and RolloutSlots are GRPOConfig's rollout_dtype and rollout_slots.
	RolloutDType string `json:"rollout_dtype,omitempty"`
	RolloutSlots int    `json:"rollout_slots,omitempty"`
}

// Validate checks the shape.
func (s StepShape) Validate() error {
	if s.Prompts < 1 || s.N < 1 || s.PromptLen < 1 || s.GenLen < 1 || s.MiniBatches < 1 || s.MicroBatch < 0 || s.RolloutBatch < 0 {
		return fmt.Errorf("step shape %+v: prompts, n, prompt and generation lengths and mini-batches must be ≥ 1", s)
	}
	if (s.Prompts*s.N)%s.MiniBatches != 0 {
		return fmt.Errorf("step shape: prompts·n = %d is not divisible by mini-batches %d", s.Prompts*s.N, s.MiniBatches)
	}
	switch s.RolloutDType {
	case "", "float32", "bfloat16":
	default:
		return fmt.Errorf("step shape: rollout dtype %q is not float32 or bfloat16", s.RolloutDType)
	}
	if s.RolloutSlots < 0 || s.RolloutSlots > 0 && s.RolloutDType != "bfloat16" {
		return fmt.Errorf("step shape: rollout slots %d need rollout dtype bfloat16", s.RolloutSlots)
	}
	return nil
}

// PhaseMeasure is the wall time and the peak resident memory of one phase of a measured step.
type PhaseMeasure struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	PeakRSS int64   `json:"peak_rss"` // bytes: the process's peak RSS during the phase
	// CPUSeconds is the process's user + system CPU time during the phase (all threads): on a
	// machine other work loads, it shows how much of the wall time the phase actually computed.
	CPUSeconds float64 `json:"cpu_s"`
}

// Measurement is one measured GRPO step.
type Measurement struct {
	Params      int64          `json:"params"`
	BaseRSS     int64          `json:"base_rss"`   // bytes resident before the step (model, reference, optimizer state)
	PeakRSS     int64          `json:"peak_rss"`   // bytes: peak during the step
	InitSeconds float64        `json:"init_s"`     // building the random model, reference and optimizer state
	StepSeconds float64        `json:"step_s"`     // the (last) GRPO step: generation, log-probs, updates (the first step compiles the graphs)
	Steps       int            `json:"steps"`      // steps run (the last one is measured)
	Tokens      int            `json:"tokens"`     // prompt + generated tokens of the step's rollouts
	Phases      []PhaseMeasure `json:"phases"`     // generate, old_ref_logprobs, update
	Record      StepRecord     `json:"record"`     // the step's log record
	GoMemLimit  int64          `json:"gomemlimit"` // the Go runtime's memory limit during the run (math.MaxInt64: none)
	GCPercent   int            `json:"gc_percent"` // the Go runtime's GOGC during the run
}

// MeasureStep builds a model of cfg with random weights (dtype dt), its frozen reference (when
// the KL coefficient of loss is not 0) and AdamW state, and runs one GRPO step of the given
// shape with a synthetic reward, measuring the wall time and the peak RSS of each phase
// (Linux: /proc/self/status VmHWM, reset through /proc/self/clear_refs at each phase start).
// With steps > 1 it runs that many steps and reports the last one (the first compiles the graphs).
// progress, when not nil, receives one line per stage.
func MeasureStep(ctx context.Context, cfg *qwen.Config, dt dtypes.DType, shape StepShape, mem MemoryConfig, loss LossConfig, steps int, progress io.Writer) (Measurement, error) {
	steps = max(steps, 1)
	if err := shape.Validate(); err != nil {
		return Measurement{}, err
	}
	if err := resetPeakRSS(); err != nil {
		return Measurement{}, fmt.Errorf("measuring peak RSS needs Linux /proc: %w", err)
	}
	say := func(format string, a ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", a...)
		}
	}
	c := *cfg
	c.EOSTokenID = nil // every rollout generates exactly GenLen tokens
	if c.MaxPositionEmbeddings > 0 && c.MaxPositionEmbeddings < shape.PromptLen+shape.GenLen {
		c.MaxPositionEmbeddings = shape.PromptLen + shape.GenLen
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		return Measurement{}, err
	}
	t0 := time.Now()
	m, err := qwen.NewRandom(&c, backend, dt, qwen.InitOptions{Seed: 1})
	if err != nil {
		return Measurement{}, err
	}
	var ref *Reference
	if loss.KLCoef != 0 {
		rm, err := CloneModel(m)
		if err != nil {
			return Measurement{}, err
		}
		ref = &Reference{Model: rm}
	}
	p, err := NewPolicy(m, DefaultOptim(), loss)
	if err != nil {
		return Measurement{}, err
	}
	// Make the zero-initialised AdamW moments resident, as they are in every step after the
	// first (untouched zero pages would not count in RSS until the first update writes them).
	for v := range m.Store.IterVariables() {
		if strings.HasPrefix(v.Path(), optMPrefix) || strings.HasPrefix(v.Path(), optVPrefix) {
			if err := v.MustValue().MutableBytes(func(b []byte) { clear(b) }); err != nil {
				return Measurement{}, err
			}
		}
	}
	res := Measurement{Params: c.NumParameters(), InitSeconds: time.Since(t0).Seconds(), GoMemLimit: debug.SetMemoryLimit(-1)}
	res.GCPercent = debug.SetGCPercent(-1)
	debug.SetGCPercent(res.GCPercent)
	say("model: %d parameters (%s), reference: %v, init %.1f s; GOGC %d", res.Params, dt, ref != nil, res.InitSeconds, res.GCPercent)
	// Prompts: token ids spread over the vocabulary, different per prompt.
	prompts := make([]Prompt, shape.Prompts)
	for i := range prompts {
		toks := make([]int, shape.PromptLen)
		for j := range toks {
			toks[j] = (i*7919 + j*104729 + 13) % c.VocabSize
		}
		prompts[i] = Prompt{Tokens: toks, Question: fmt.Sprint("prompt ", i)}
	}
	// Rewards alternate so that every group has non-zero advantages.
	reward := func(_ context.Context, _ []Prompt, rs []string) ([]float64, []bool, error) {
		out := make([]float64, len(rs))
		for i := range out {
			out[i] = float64(i % 2)
		}
		return out, make([]bool, len(rs)), nil
	}
	gc := DefaultGRPO()
	gc.Steps, gc.PromptsPerStep, gc.N, gc.MaxNewTokens = steps, shape.Prompts, shape.N, shape.GenLen
	gc.MiniBatches, gc.MicroBatch, gc.Memory, gc.Loss = shape.MiniBatches, shape.MicroBatch, mem, loss
	gc.RolloutBatch, gc.RolloutDType, gc.RolloutSlots = shape.RolloutBatch, shape.RolloutDType, shape.RolloutSlots
	if shape.Bucket > 0 {
		gc.Bucket = shape.Bucket
	}
	runtime.GC()
	debug.FreeOSMemory()
	res.BaseRSS, _ = rss()
	say("resident before the step: %.2f GiB", gib(res.BaseRSS))
	last, lastCPU := time.Now(), cpuSeconds()
	if err := resetPeakRSS(); err != nil {
		return res, err
	}
	stepStart := last
	phaseHook = func(name string) {
		peak, _ := peakRSS()
		cpu := cpuSeconds() - lastCPU
		res.Phases = append(res.Phases, PhaseMeasure{Name: name, Seconds: time.Since(last).Seconds(), PeakRSS: peak, CPUSeconds: cpu})
		say("  %-18s %7.1f s  peak RSS %6.2f GiB  (CPU %.1f s)", name, time.Since(last).Seconds(), gib(peak), cpu)
		_ = resetPeakRSS()
		last, lastCPU = time.Now(), cpuSeconds()
	}
	defer func() { phaseHook = nil }()
	var log strings.Builder
	var rec StepRecord
	err = GRPO(ctx, gc, p, ref, idTokenizer{}, prompts, reward, nil, &log, "measure", func(r StepRecord) { rec = r })
	if err != nil {
		return res, err
	}
	res.StepSeconds = time.Since(stepStart).Seconds()
	if n := len(res.Phases); steps > 1 && n >= 3 {
		res.Phases = res.Phases[n-3:] // the last step's
		res.StepSeconds = 0
		for _, ph := range res.Phases {
			res.StepSeconds += ph.Seconds
		}
	}
	res.Record, res.Steps = rec, steps
	res.Tokens = shape.Prompts * shape.N * (shape.PromptLen + shape.GenLen)
	for _, ph := range res.Phases {
		res.PeakRSS = max(res.PeakRSS, ph.PeakRSS)
	}
	return res, nil
}

// idTokenizer decodes token ids as numbers (the synthetic reward ignores the text).
type idTokenizer struct{}

func (idTokenizer) Encode(string) []int { return nil }
func (idTokenizer) Decode(ids []int) string {
	return fmt.Sprint(len(ids), " tokens")
}

func gib(b int64) float64 { return float64(b) / (1 << 30) }

// procStatus reads a "kB" field of /proc/self/status in bytes.
func procStatus(field string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/self/status has no %s", field)
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func rss() (int64, error)     { return procStatus("VmRSS") }
func peakRSS() (int64, error) { return procStatus("VmHWM") }

// resetPeakRSS resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0).
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
