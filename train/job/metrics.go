package job

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/train/grpo"
)

// Metrics is one line of metrics.jsonl: verl's metric names (ray_trainer / metric_utils) and
// values, plus "step". A train step's line holds its validation metrics too when the step was
// validated (as verl logs them); the validation before training is the line of step 0.
type Metrics map[string]any

// wallClock are the metrics that measure time (they differ between two runs of the same job).
func wallClock(key string) bool {
	return strings.HasPrefix(key, "timing_s/") || strings.HasPrefix(key, "timing_per_token_ms/") || strings.HasPrefix(key, "perf/")
}

// WithoutWallClock returns m without the timing and throughput metrics.
func (m Metrics) WithoutWallClock() Metrics {
	out := Metrics{}
	for k, v := range m {
		if !wallClock(k) {
			out[k] = v
		}
	}
	return out
}

// trainMetrics maps a train step's record to verl's names. steps per epoch is the number of steps
// that use each prompt once; flops the step's model FLOPs (grpo.StepModelFLOPs); peak the
// accelerator's FLOP/s (0: unknown, no MFU).
func trainMetrics(r grpo.StepRecord, c *Config, nPrompts int, flops, peak float64) Metrics {
	d := r.Detail
	m := Metrics{
		"step":                       r.Step,
		"training/global_step":       r.Step,
		"training/epoch":             (r.Step - 1) * c.GRPO.PromptsPerStep / nPrompts,
		"data/prompts_fnv64":         promptsHash(d.Prompts),
		"critic/score/mean":          r.RewardMean,
		"critic/score/max":           d.RewardMax,
		"critic/score/min":           d.RewardMin,
		"critic/rewards/mean":        r.RewardMean,
		"critic/rewards/max":         d.RewardMax,
		"critic/rewards/min":         d.RewardMin,
		"critic/advantages/mean":     d.AdvMean,
		"critic/advantages/max":      d.AdvMax,
		"critic/advantages/min":      d.AdvMin,
		"critic/returns/mean":        d.AdvMean, // GRPO: returns are the advantages
		"critic/returns/max":         d.AdvMax,
		"critic/returns/min":         d.AdvMin,
		"critic/accuracy":            r.Accuracy, // share of rollouts the judge accepted (not a verl name)
		"actor/pg_loss":              r.PGLoss,
		"actor/pg_clipfrac":          r.ClipFrac,
		"actor/ppo_kl":               d.PPOKL,
		"actor/entropy":              r.Entropy,
		"actor/grad_norm":            r.GradNorm,
		"actor/kl_loss":              r.KL,
		"actor/kl_coef":              c.GRPO.Loss.KLCoef,
		"actor/lr":                   c.GRPO.Optim.LR,
		"actor/updates":              d.Updates,
		"response_length/mean":       r.ResponseLen,
		"response_length/max":        d.ResponseLenMax,
		"response_length/min":        d.ResponseLenMin,
		"response_length/clip_ratio": d.ResponseClipRatio,
		"prompt_length/mean":         d.PromptLenMean,
		"prompt_length/max":          d.PromptLenMax,
		"prompt_length/min":          d.PromptLenMin,
		"prompt_length/clip_ratio":   boolRatio(d.PromptLenMax >= c.Data.MaxPromptLength),
		"timing_s/gen":               d.GenS,
		"timing_s/reward":            d.RewardS,
		"timing_s/old_log_prob":      d.OldLogProbS,
		"timing_s/ref":               d.RefS,
		"timing_s/update_actor":      d.UpdS,
		"timing_s/step":              r.StepSeconds,
		"perf/total_num_tokens":      d.PromptTokens + d.ResponseTokens,
		"perf/time_per_step":         r.StepSeconds,
		"perf/throughput":            float64(d.PromptTokens+d.ResponseTokens) / r.StepSeconds,
		"perf/model_flops":           flops,
	}
	if r.SkippedUpdates > 0 {
		m["actor/skipped_updates"] = r.SkippedUpdates
	}
	if d.ResponseTokens > 0 {
		m["timing_per_token_ms/gen"] = 1000 * d.GenS / float64(d.ResponseTokens)
	}
	if all := d.PromptTokens + d.ResponseTokens; all > 0 {
		m["timing_per_token_ms/ref"] = 1000 * d.RefS / float64(all)
		m["timing_per_token_ms/update_actor"] = 1000 * d.UpdS / float64(all)
	}
	if peak > 0 {
		m["perf/mfu/actor"] = flops / r.StepSeconds / peak
	}
	return m
}

// boolRatio is 1 for true: prompt_length/clip_ratio is the share of prompts at the maximum
// length; with overlong prompts dropped, only the longest can reach it.
func boolRatio(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func promptsHash(idx []int) string {
	h := fnv.New64a()
	for _, i := range idx {
		fmt.Fprintf(h, "%d,", i)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// metricsLog appends metrics lines to OUT/metrics.jsonl.
type metricsLog struct {
	f *os.File
}

// openMetrics opens path for appending after dropping every line of a step after keep (the steps
// a resumed run will redo); keep 0 (a fresh run) empties it.
func openMetrics(path string, keep int) (*metricsLog, error) {
	if keep == 0 {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return nil, err
		}
	} else if lines, err := ReadMetrics(path); err == nil {
		err := atomicfile.Write(path, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			for _, m := range lines {
				if s, ok := m["step"].(float64); ok && int(s) <= keep {
					if err := enc.Encode(m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &metricsLog{f: f}, nil
}

func (l *metricsLog) write(m Metrics) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for k, v := range m {
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Errorf("metric %s is %g", k, f)
		}
	}
	_, err = l.f.Write(append(b, '\n')) // one write per line: a kill leaves whole lines (or a torn last one, dropped on resume)
	return err
}

func (l *metricsLog) Close() error { return l.f.Close() }

// ReadMetrics reads a metrics.jsonl; a torn last line (a killed run) is skipped.
func ReadMetrics(path string) ([]Metrics, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Metrics
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var m Metrics
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// progressBar is "[####----] step/total pct eta": where a run is and how long it has left at its
// pace since it started (or resumed: done0 steps were done before).
func progressBar(step, total int, start time.Time, done0 int) string {
	const width = 24
	fill := width * step / max(total, 1)
	eta := "?"
	if n := step - done0; n > 0 {
		eta = (time.Since(start) / time.Duration(n) * time.Duration(total-step)).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s%s] %d/%d %3.0f%% eta %s", strings.Repeat("#", fill), strings.Repeat("-", width-fill),
		step, total, 100*float64(step)/float64(max(total, 1)), eta)
}

// bar is the progress line of a GRPO step: the bar and the step's main metrics.
func bar(step, total int, start time.Time, done0 int, m Metrics) string {
	return progressBar(step, total, start, done0) + fmt.Sprintf(" | reward %.3f acc %.3f resp %.1f kl %.2e ent %.3f clip %.3f gnorm %.3f | %.2f s %.0f tok/s",
		m["critic/rewards/mean"], m["critic/accuracy"], m["response_length/mean"], m["actor/kl_loss"], m["actor/entropy"],
		m["actor/pg_clipfrac"], m["actor/grad_norm"], m["timing_s/step"], m["perf/throughput"])
}
