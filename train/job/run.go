package job

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// Run folder layout (verl's names where it has them).
const (
	MetricsFile    = "metrics.jsonl"
	SummaryFile    = "summary.json"
	ConfigFile     = "config.json" // the run's resolved config (a resume must match it)
	CheckpointsDir = "checkpoints"
	LatestFile     = "latest_checkpointed_iteration.txt" // under checkpoints/: the last complete checkpoint
)

// StepDir is the checkpoint folder of a step: OUT/checkpoints/global_step_N, holding the training
// state (state.safetensors: weights, AdamW moments, step; state.json) and model/, the Hugging Face
// checkpoint (config.json, model.safetensors, tokenizer files) that `greason serve`, `greason
// model logits` and PyTorch load.
func StepDir(out string, step int) string {
	return filepath.Join(out, CheckpointsDir, fmt.Sprintf("global_step_%d", step))
}

// LatestStep returns the step of the last complete checkpoint under out (0: none).
func LatestStep(out string) (int, error) {
	b, err := os.ReadFile(filepath.Join(out, CheckpointsDir, LatestFile))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: %q is not a step", filepath.Join(out, CheckpointsDir, LatestFile), string(b))
	}
	return n, nil
}

// Summary is summary.json: what the run read, dropped and reached.
type Summary struct {
	Name            string   `json:"name"`
	Policy          string   `json:"policy"`
	Parameters      int      `json:"parameters"`
	TrainRows       int      `json:"train_rows"`
	TrainPrompts    int      `json:"train_prompts"`
	TrainOverlong   int      `json:"train_overlong_dropped"` // prompts over data.max_prompt_length (verl's filter_overlong_prompts)
	ValRows         int      `json:"val_rows"`
	ValPrompts      int      `json:"val_prompts"`
	ValOverlong     int      `json:"val_overlong_dropped"`
	PromptTokensMax int      `json:"prompt_tokens_max"`
	Steps           int      `json:"steps"`
	ResumedFrom     int      `json:"resumed_from,omitempty"`
	StopTokens      []int    `json:"stop_tokens"`
	ValScore        *float64 `json:"val_score,omitempty"` // the last validation score (fraction of val prompts the val judge accepts)
	LastCheckpoint  string   `json:"last_checkpoint"`
	WallSeconds     float64  `json:"wall_seconds"`
}

// Prompts renders rows as the policy's prompts: UserTurn(question) in the chat template,
// tokenized. Prompts longer than maxLen tokens are dropped and counted (filter true) or an
// error naming the row.
func Prompts(pol *Policy, rows []Row, maxLen int, filter bool) (prompts []grpo.Prompt, kept []Row, dropped, longest int, err error) {
	for _, r := range rows {
		text, err := pol.Template.Prompt(r.Question)
		if err != nil {
			return nil, nil, 0, 0, fmt.Errorf("%s: %w", r.where(), err)
		}
		toks := pol.Tok.Encode(text)
		if len(toks) > maxLen {
			if !filter {
				return nil, nil, 0, 0, fmt.Errorf("%s: the prompt has %d tokens, more than data.max_prompt_length %d (data.filter_overlong_prompts is false)", r.where(), len(toks), maxLen)
			}
			dropped++
			continue
		}
		longest = max(longest, len(toks))
		prompts = append(prompts, grpo.Prompt{Tokens: toks, Question: r.Question, Gold: r.Answer, Domain: r.DataSource})
		kept = append(kept, r)
	}
	return prompts, kept, dropped, longest, nil
}

// checkpointMeta is state.json of a checkpoint.
type checkpointMeta struct {
	Step int `json:"step"`
}

// Run runs (or resumes, when OUT holds a checkpoint of the same config) the GRPO job. progress
// receives the set-up lines and one progress line per step.
func Run(ctx context.Context, c *Config, judges Judges, progress io.Writer) (*Summary, error) {
	t0 := time.Now()
	if judges.Reward == nil || judges.Val == nil {
		return nil, fmt.Errorf("job: the reward and validation judges are required")
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, err
	}
	latest, err := LatestStep(c.Out)
	if err != nil {
		return nil, err
	}
	if err := checkSameConfig(c, latest); err != nil {
		return nil, err
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	pol, err := LoadPolicy(c.Policy, backend, filepath.Join(c.Out, "tokenizer"))
	if err != nil {
		return nil, err
	}
	sum := &Summary{Name: c.Name, Policy: pol.Source, Parameters: pol.Model.NumParameters(), StopTokens: pol.Stop}
	fmt.Fprintf(progress, "policy: %s (%s, %d parameters); chat template %s; stop tokens %v\n", pol.Source, pol.Model.Config.ModelType, sum.Parameters, pol.Template.Source, pol.Stop)
	rows, err := LoadRows(ctx, c.Data.Train, 0)
	if err != nil {
		return nil, err
	}
	prompts, _, dropped, longest, err := Prompts(pol, rows, c.Data.MaxPromptLength, c.Data.FilterOverlongPrompts)
	if err != nil {
		return nil, err
	}
	sum.TrainRows, sum.TrainPrompts, sum.TrainOverlong, sum.PromptTokensMax = len(rows), len(prompts), dropped, longest
	var valPrompts []grpo.Prompt
	if len(c.Data.Val) > 0 && c.Data.ValRows > 0 {
		vrows, err := LoadRows(ctx, c.Data.Val, c.Data.ValRows)
		if err != nil {
			return nil, err
		}
		var vd int
		if valPrompts, _, vd, _, err = Prompts(pol, vrows, c.Data.MaxPromptLength, c.Data.FilterOverlongPrompts); err != nil {
			return nil, err
		}
		sum.ValRows, sum.ValPrompts, sum.ValOverlong = len(vrows), len(valPrompts), vd
	}
	steps := c.Steps(len(prompts))
	if steps < 1 {
		return nil, fmt.Errorf("job: %d prompts make no step of %d prompts (grpo.prompts_per_step)", len(prompts), c.GRPO.PromptsPerStep)
	}
	sum.Steps = steps
	fmt.Fprintf(progress, "data: %d training rows → %d prompts (%d over %d tokens dropped), longest %d tokens; validation %d rows → %d prompts (%d dropped); %d steps of %d prompts × %d rollouts\n",
		len(rows), len(prompts), dropped, c.Data.MaxPromptLength, longest, sum.ValRows, sum.ValPrompts, sum.ValOverlong, steps, c.GRPO.PromptsPerStep, c.GRPO.N)

	gc := c.GRPO
	gc.Steps, gc.EvalEvery, gc.PadToken, gc.StopTokens = steps, c.Trainer.TestFreq, pol.Pad, pol.Stop
	gc.CheckpointDir, gc.CheckpointEvry = "", 0
	p, err := grpo.NewPolicy(pol.Model, gc.Optim, gc.Loss)
	if err != nil {
		return nil, err
	}
	var ref *grpo.Reference
	if gc.Loss.KLCoef != 0 {
		rm, err := grpo.CloneModel(pol.Model) // the initial weights, also when resuming
		if err != nil {
			return nil, err
		}
		ref = &grpo.Reference{Model: rm}
	}
	if latest > 0 {
		var meta checkpointMeta
		if err := grpo.LoadState(StepDir(c.Out, latest), p, &meta); err != nil {
			return nil, fmt.Errorf("resume from %s: %w", StepDir(c.Out, latest), err)
		}
		if meta.Step != latest {
			return nil, fmt.Errorf("resume: %s holds step %d, %s says %d", StepDir(c.Out, latest), meta.Step, LatestFile, latest)
		}
		sum.ResumedFrom = latest
		fmt.Fprintf(progress, "resuming after step %d from %s\n", latest, StepDir(c.Out, latest))
	}
	if err := removeLaterCheckpoints(c.Out, latest); err != nil {
		return nil, err
	}
	if err := grpo.WriteJSON(filepath.Join(c.Out, ConfigFile), c); err != nil {
		return nil, err
	}
	mlog, err := openMetrics(filepath.Join(c.Out, MetricsFile), latest)
	if err != nil {
		return nil, err
	}
	defer mlog.Close()

	tok := decoder{pol.Tok}
	count := verify.TokenCounter(pol.Tok.Count)
	if c.Reward.Tokenizer != "" {
		ct, err := loadCounter(c.Reward.Tokenizer)
		if err != nil {
			return nil, err
		}
		count = ct
	}
	reward := RewardFunc(judges.Reward, count, c.Reward.Workers)
	var pending Metrics // the current step's line, completed by its validation
	eval := func(ctx context.Context, step int) (float64, map[string]float64, error) {
		if len(valPrompts) == 0 {
			return 0, nil, nil
		}
		te := time.Now()
		score, by, err := Validate(ctx, pol, valPrompts, gc, judges.Val, count, c.Reward.Workers)
		if err != nil {
			return 0, nil, fmt.Errorf("validation at step %d: %w", step, err)
		}
		if pending == nil {
			pending = Metrics{"step": step}
		}
		for src, v := range by {
			pending["val/test_score/"+src] = v
		}
		pending["timing_s/testing"] = time.Since(te).Seconds()
		sum.ValScore = &score
		fmt.Fprintf(progress, "validation at step %d: test score %.4f on %d prompts (%.1f s)\n", step, score, len(valPrompts), time.Since(te).Seconds())
		if step == 0 { // the validation before training is a line of its own
			if err := mlog.write(pending); err != nil {
				return 0, nil, err
			}
			pending = nil
		}
		return score, by, nil
	}
	start := time.Now()
	onRecord := func(r grpo.StepRecord) {
		if r.Kind != "train" {
			return
		}
		flops := grpo.StepModelFLOPs(pol.Model.Config, r.Detail.PromptTokens, r.Detail.ResponseTokens, ref != nil)
		pending = trainMetrics(r, c, len(prompts), flops, c.Trainer.PeakTFLOPs*1e12)
	}
	afterStep := func(step int) error {
		if pending != nil {
			if _, ok := pending["timing_s/step"]; ok {
				fmt.Fprintln(progress, bar(step, steps, start, latest, pending))
			}
			if err := mlog.write(pending); err != nil {
				return err
			}
			pending = nil
		}
		if (c.Trainer.SaveFreq > 0 && step%c.Trainer.SaveFreq == 0) || step == steps {
			ts := time.Now()
			if err := saveCheckpoint(c.Out, step, p, pol); err != nil {
				return fmt.Errorf("checkpoint at step %d: %w", step, err)
			}
			sum.LastCheckpoint = StepDir(c.Out, step)
			fmt.Fprintf(progress, "checkpoint %s (%.1f s)\n", StepDir(c.Out, step), time.Since(ts).Seconds())
		}
		return nil
	}
	opts := grpo.RunOptions{Start: latest, Progress: onRecord, AfterStep: afterStep}
	if err := grpo.Run(ctx, gc, p, ref, tok, prompts, reward, eval, io.Discard, c.Name, opts); err != nil {
		return nil, err
	}
	sum.WallSeconds = time.Since(t0).Seconds()
	return sum, grpo.WriteJSON(filepath.Join(c.Out, SummaryFile), sum)
}

// saveCheckpoint writes OUT/checkpoints/global_step_N (state + Hugging Face model with the
// tokenizer files), then records it as the latest: a run killed at any point resumes from a
// complete checkpoint.
func saveCheckpoint(out string, step int, p *grpo.Policy, pol *Policy) error {
	dir := StepDir(out, step)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := grpo.SaveState(dir, p, checkpointMeta{Step: step}); err != nil {
		return err
	}
	if err := pol.CopyTokenizer(filepath.Join(dir, "model")); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(out, CheckpointsDir, LatestFile), []byte(strconv.Itoa(step)+"\n"))
}

// removeLaterCheckpoints deletes checkpoint folders of steps after latest (a run killed while
// writing one): the resumed run writes them again.
func removeLaterCheckpoints(out string, latest int) error {
	ents, err := os.ReadDir(filepath.Join(out, CheckpointsDir))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if n, ok := strings.CutPrefix(e.Name(), "global_step_"); ok {
			if s, err := strconv.Atoi(n); err == nil && s > latest {
				if err := os.RemoveAll(filepath.Join(out, CheckpointsDir, e.Name())); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkSameConfig refuses to resume a run folder whose checkpoint was made with another config
// (other data, policy, GRPO or trainer settings would not continue the same run).
func checkSameConfig(c *Config, latest int) error {
	if latest == 0 {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(c.Out, ConfigFile))
	if err != nil {
		return fmt.Errorf("resume: %s has checkpoints but no %s: %w", c.Out, ConfigFile, err)
	}
	var prev Config
	if err := json.Unmarshal(raw, &prev); err != nil {
		return fmt.Errorf("resume: %s: %w", filepath.Join(c.Out, ConfigFile), err)
	}
	// Re-encode both so that defaults and spellings compare equal.
	norm := func(x *Config) any {
		b, _ := json.Marshal(x)
		var v any
		_ = json.Unmarshal(b, &v)
		return v
	}
	if !reflect.DeepEqual(norm(&prev), norm(c)) {
		return fmt.Errorf("resume: %s holds a run of another config (%s differs from this one): use another out folder, or delete it to start again", c.Out, filepath.Join(c.Out, ConfigFile))
	}
	return nil
}
