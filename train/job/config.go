// Package job is the paper's training job: GRPO (package grpo) of a Qwen2/Qwen3 policy on
// WebInstruct-verified-schema data (a `greason data export` folder or files), prompts rendered
// with the checkpoint's own chat template (protocol §3.1), the paper's reward (verify.RewardFor)
// with any judge, validation on the first rows of the test split, verl's metric names, Hugging
// Face checkpoints and resume after a kill; and SFT on the same data (a warm start).
package job

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/greason/greason/train/grpo"
)

// Kind values of the "job" key: a config with "job" is one of these jobs; the micro reproduction's
// GRPO and SFT jobs have no such key.
const (
	KindGRPO = "grpo"
	KindSFT  = "sft"
)

// PolicyConfig is the model trained: a checkpoint folder or a preset with random weights.
type PolicyConfig struct {
	// Model is a Hugging Face checkpoint folder: config.json, safetensors, tokenizer.json and
	// tokenizer_config.json (its chat_template renders the prompts).
	Model string `json:"model,omitempty"`
	// Preset, without Model: random weights of this preset (qwen.Presets) with the embedded Qwen3
	// tokenizer and chat template. With Model: the architecture the folder must have (checked
	// when it is loaded), which `greason train plan` uses when the folder is not there yet.
	Preset string `json:"preset,omitempty"`
	// Config, without Model or Preset: random weights of this architecture (a config.json path),
	// with the embedded Qwen3 tokenizer and chat template (the vocabulary must hold its 151,669
	// tokens).
	Config string `json:"config,omitempty"`
	// InitSeed seeds the random weights of a preset or config.
	InitSeed uint64 `json:"init_seed,omitempty"`
	// InitStd is the standard deviation of the random weights (0: the config's initializer_range).
	InitStd float64 `json:"init_std,omitempty"`
	// DType of the stored weights and AdamW state: "float32" (default) or "bfloat16".
	DType string `json:"dtype,omitempty"`
}

// DataConfig is the training and validation data (verl's data.* names where they exist).
type DataConfig struct {
	// Train: `greason data export` folders (their verl_train.parquet) or WebInstruct-schema
	// files (.parquet in either layout, .jsonl, .jsonl.gz), read in order.
	Train []string `json:"train"`
	// Val: the test split (same formats); its first ValRows rows are the validation set.
	Val []string `json:"val,omitempty"`
	// ValRows: rows of Val used (protocol §2.3: the first 100 of WebInstruct-verified's test split).
	ValRows int `json:"val_rows"`
	// MaxPromptLength: prompts with more tokens after the chat template are dropped and counted
	// (verl's filter_overlong_prompts) or, with FilterOverlongPrompts false, an error.
	MaxPromptLength       int  `json:"max_prompt_length"`
	FilterOverlongPrompts bool `json:"filter_overlong_prompts"`
}

// RewardConfig is the reward's judge (verify.RewardFor: the paper's −0.5 / 0 / 1 − 0.05·Δ).
type RewardConfig struct {
	// Judge: "rules" (the rule verifier), "general-verifier" (TIGER-Lab/general-verifier: behind
	// an OpenAI-compatible completions endpoint, VerifierURL, or without a URL run in-process from
	// the checkpoint folder VerifierModel, train/verifier) or "cascade" (rules, then the
	// General-Verifier on the responses the rules do not accept).
	Judge         string `json:"judge"`
	VerifierURL   string `json:"verifier_url,omitempty"`
	VerifierModel string `json:"verifier_model,omitempty"`
	// A local General-Verifier (VerifierModel a folder, no VerifierURL): its weights' dtype
	// ("float32" or "bfloat16"; "" float32), the prompts decoded together (0: 16) and its output
	// limit (0: 2048, the paper's training setting).
	VerifierDType     string `json:"verifier_dtype,omitempty"`
	VerifierBatch     int    `json:"verifier_batch,omitempty"`
	VerifierMaxTokens int    `json:"verifier_max_tokens,omitempty"`
	// Tokenizer counts the tokens of the length penalty (the verifier's tokenizer in the paper):
	// a tokenizer.json path, or "" for the policy's (the General-Verifier, Qwen2.5-Math-1.5B,
	// has the Qwen vocabulary of the paper's policies).
	Tokenizer string `json:"tokenizer,omitempty"`
	// Workers judge this many responses at a time (endpoint judges).
	Workers int `json:"workers"`
	// ValJudge scores the validation answers (1 when it accepts the extracted answer; the paper's
	// validation used math-verify): default "rules".
	ValJudge string `json:"val_judge"`
}

// TrainerConfig is verl's trainer.* for this job.
type TrainerConfig struct {
	TotalEpochs        int `json:"total_epochs"`
	TotalTrainingSteps int `json:"total_training_steps"` // 0: total_epochs × ⌊prompts / prompts_per_step⌋
	TestFreq           int `json:"test_freq"`            // validation every this many steps (and at 0 and the end); 0: only at 0 and the end
	SaveFreq           int `json:"save_freq"`            // checkpoint every this many steps (and at the end)
	// PeakTFLOPs is the accelerator's dense peak (TFLOP/s) for perf/mfu/actor; 0: unknown (no MFU).
	PeakTFLOPs float64 `json:"peak_tflops,omitempty"`
}

// Config is `greason train grpo --config F` for the paper's job ("job": "grpo").
type Config struct {
	Job     string          `json:"job"`
	Name    string          `json:"name"`
	Out     string          `json:"out"` // the run folder: metrics.jsonl, checkpoints/, summary.json
	Policy  PolicyConfig    `json:"policy"`
	Data    DataConfig      `json:"data"`
	Reward  RewardConfig    `json:"reward"`
	GRPO    grpo.GRPOConfig `json:"grpo"`
	Trainer TrainerConfig   `json:"trainer"`
}

// loopKeys are grpo config keys the job sets itself (from trainer, data and the tokenizer).
var loopKeys = map[string]string{
	"steps": "trainer.total_training_steps or trainer.total_epochs", "eval_every": "trainer.test_freq",
	"checkpoint_dir": "out", "checkpoint_every": "trainer.save_freq", "pad_token": "the tokenizer",
	"stop_tokens": "the tokenizer and config.json",
}

// DefaultConfig is protocol §3 (one GPU's view of it: the batch sizes are the paper's global ones).
func DefaultConfig() *Config {
	g := grpo.DefaultGRPO()
	g.PromptsPerStep, g.N, g.MiniBatches, g.MaxNewTokens = 1024, 8, 4, 8192
	g.Optim.LR = 5e-7
	g.LossAgg, g.MicroBatch = grpo.AggMicroTokenMean, 8
	g.Seed = 1
	return &Config{
		Job:     KindGRPO,
		Data:    DataConfig{ValRows: 100, MaxPromptLength: 1024, FilterOverlongPrompts: true},
		Reward:  RewardConfig{Judge: "rules", Workers: 16, ValJudge: "rules"},
		GRPO:    g,
		Trainer: TrainerConfig{TotalEpochs: 30, TestFreq: 5, SaveFreq: 20},
	}
}

// Kind returns the "job" key of a JSON config ("" when it has none: a micro job).
func Kind(raw []byte) (string, error) {
	var head map[string]json.RawMessage
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", err
	}
	k, ok := head["job"]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(k, &s); err != nil {
		return "", fmt.Errorf("field job: want a string")
	}
	return s, nil
}

// decodeStrict decodes raw over v, rejecting keys v does not have.
func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the JSON object")
	}
	return nil
}

// ParseConfig reads a GRPO job config over DefaultConfig (strictly: an unknown key is an error,
// and so is a grpo key the job sets itself).
func ParseConfig(name string, raw []byte) (*Config, error) {
	c := DefaultConfig()
	if err := decodeStrict(raw, c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var top struct {
		GRPO map[string]json.RawMessage `json:"grpo"`
	}
	_ = json.Unmarshal(raw, &top)
	var bad []string
	for k := range top.GRPO {
		if by, ok := loopKeys[k]; ok {
			bad = append(bad, fmt.Sprintf("grpo.%s (set by %s)", k, by))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, fmt.Errorf("%s: %s: the job sets these keys itself", name, strings.Join(bad, ", "))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// LoadConfig reads a GRPO job config file.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, raw)
}

// Validate checks what has no usable default.
func (c *Config) Validate() error {
	if c.Job != KindGRPO {
		return fmt.Errorf("field job: %q, want %q", c.Job, KindGRPO)
	}
	if err := c.Policy.validate(); err != nil {
		return err
	}
	if c.Out == "" {
		return fmt.Errorf("field out: the run folder is required")
	}
	if len(c.Data.Train) == 0 {
		return fmt.Errorf("field data.train: no training data")
	}
	if c.Data.MaxPromptLength < 1 || c.Data.ValRows < 0 {
		return fmt.Errorf("data.max_prompt_length must be ≥ 1 and data.val_rows ≥ 0")
	}
	switch c.Reward.Judge {
	case "rules", "general-verifier", "cascade":
	default:
		return fmt.Errorf("field reward.judge: %q (want rules, general-verifier or cascade)", c.Reward.Judge)
	}
	if c.Reward.Workers < 1 {
		return fmt.Errorf("field reward.workers: want ≥ 1")
	}
	if c.Trainer.TotalTrainingSteps < 0 || c.Trainer.TotalEpochs < 0 || (c.Trainer.TotalTrainingSteps == 0 && c.Trainer.TotalEpochs == 0) {
		return fmt.Errorf("trainer: set total_epochs or total_training_steps (> 0)")
	}
	if c.Trainer.TestFreq < 0 || c.Trainer.SaveFreq < 0 {
		return fmt.Errorf("trainer.test_freq and trainer.save_freq must be ≥ 0")
	}
	return c.GRPO.Validate()
}

func (p PolicyConfig) validate() error {
	if p.Model == "" && p.Preset == "" && p.Config == "" {
		return fmt.Errorf("policy: set model (a checkpoint folder), or preset or config (random weights)")
	}
	if p.Config != "" && (p.Model != "" || p.Preset != "") {
		return fmt.Errorf("policy: config (random weights of a config.json) goes without model and preset")
	}
	switch p.DType {
	case "", "float32", "bfloat16":
	default:
		return fmt.Errorf("field policy.dtype: %q (want float32 or bfloat16)", p.DType)
	}
	return nil
}

// Steps is the run's number of GRPO steps for n training prompts.
func (c *Config) Steps(n int) int {
	if c.Trainer.TotalTrainingSteps > 0 {
		return c.Trainer.TotalTrainingSteps
	}
	return c.Trainer.TotalEpochs * (n / c.GRPO.PromptsPerStep)
}

// MarshalJSON writes the config as a job config file: without the grpo keys the job sets itself
// (so OUT/config.json can be given back to the job).
func (c *Config) MarshalJSON() ([]byte, error) {
	type plain Config
	b, err := json.Marshal((*plain)(c))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	var g map[string]json.RawMessage
	if err := json.Unmarshal(m["grpo"], &g); err != nil {
		return nil, err
	}
	for k := range loopKeys {
		delete(g, k)
	}
	if m["grpo"], err = json.Marshal(g); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// Architecture returns what `greason train plan` plans for: the config.json of the policy's
// checkpoint folder when it is there, else its preset (the architecture the folder must have) or
// its config; from says which.
func (p PolicyConfig) Architecture() (model, from string, err error) {
	if p.Model != "" {
		cj := filepath.Join(p.Model, "config.json")
		if _, err := os.Stat(cj); err == nil {
			return cj, cj, nil
		}
		if p.Preset == "" {
			return "", "", fmt.Errorf("policy.model %s has no config.json (not downloaded yet: `greason model pull`), and no policy.preset names its architecture", p.Model)
		}
		return p.Preset, fmt.Sprintf("preset %s (policy.model %s is not there yet)", p.Preset, p.Model), nil
	}
	if p.Config != "" {
		return p.Config, p.Config, nil
	}
	return p.Preset, "preset " + p.Preset, nil
}
