package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/grpo"
)

// Job is `greason train sft --config F` with "task": "verifier": supervised fine-tuning of a
// General-Verifier-style verifier from a checkpoint folder on a verifier JSONL (ReadRows).
type Job struct {
	Task string `json:"task"` // "verifier"
	// Init is the starting checkpoint: any Qwen2/Qwen3 folder with its tokenizer.json (e.g.
	// Qwen/Qwen2.5-Math-1.5B, General-Verifier's base, from `greason model pull`).
	Init string `json:"init"`
	// Train is the verifier JSONL; Eval, optional, another one whose agreement with its labels
	// the trained model's verdicts are measured on (greedy, the §1.3 verdict).
	Train string `json:"train"`
	Eval  string `json:"eval,omitempty"`
	// Out receives model/ (Hugging Face layout with the init folder's tokenizer files: what
	// --verifier-model loads), checkpoint-N/ every SaveEvery steps, metrics.jsonl, job.json (the
	// summary) and quarantine.jsonl (rows longer than MaxLen, not trained on, counted).
	Out       string `json:"out"`
	SaveEvery int    `json:"save_every,omitempty"`
	// DType of the weights and AdamW state: float32 (default) or bfloat16.
	DType string `json:"dtype,omitempty"`
	// MaxLen bounds prompt + target + eos in tokens (0: the model's max_position_embeddings,
	// 4096 for General-Verifier).
	MaxLen int    `json:"max_len,omitempty"`
	Seed   uint64 `json:"seed"`
	// EvalMaxTokens bounds the verifier's output on Eval rows (0: 2048, the paper's setting).
	EvalMaxTokens int               `json:"eval_max_tokens,omitempty"`
	SFT           grpo.SFTConfig    `json:"sft"`
	Optim         grpo.OptimConfig  `json:"optim"`
	Memory        grpo.MemoryConfig `json:"memory,omitzero"`
}

// DefaultJob is a job's defaults before its file is read over them.
func DefaultJob() *Job {
	return &Job{Task: "verifier", Out: "runs/verifier-sft", Seed: 1, DType: "float32",
		SFT:   grpo.SFTConfig{Steps: 100, BatchSize: 8, LR: 1e-5, Bucket: 64, LogEvery: 10},
		Optim: grpo.DefaultOptim()}
}

// LoadJob reads a job file over DefaultJob, strictly: an unknown key is an error naming the
// file and the key.
func LoadJob(path string) (*Job, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	j := DefaultJob()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(j); err != nil {
		return nil, fmt.Errorf("%s: %w (a verifier job has task, init, train, eval, out, save_every, dtype, max_len, seed, eval_max_tokens, sft, optim, memory)", path, err)
	}
	if j.Task != "verifier" {
		return nil, fmt.Errorf("%s: task %q is not verifier", path, j.Task)
	}
	for k, v := range map[string]string{"init": j.Init, "train": j.Train, "out": j.Out} {
		if v == "" {
			return nil, fmt.Errorf("%s: %q is required", path, k)
		}
	}
	if j.SFT.Steps < 1 || j.SFT.BatchSize < 1 || j.SFT.LR <= 0 {
		return nil, fmt.Errorf("%s: sft needs steps ≥ 1, batch_size ≥ 1 and lr > 0", path)
	}
	return j, nil
}

// Summary is job.json.
type Summary struct {
	Init           string  `json:"init"`
	Train          string  `json:"train"`
	Rows           int     `json:"rows"`
	Quarantined    int     `json:"quarantined"` // rows longer than max_len (quarantine.jsonl)
	MaxLen         int     `json:"max_len"`
	TargetTokens   int     `json:"target_tokens"`
	Steps          int     `json:"steps"`
	FinalLoss      float64 `json:"final_loss"`
	Seconds        float64 `json:"seconds"`
	Model          string  `json:"model"`
	EvalRows       int     `json:"eval_rows,omitempty"`
	EvalAgreement  float64 `json:"eval_agreement,omitempty"` // % of eval rows whose verdict equals the label
	EvalYesRecall  float64 `json:"eval_yes_recall,omitempty"`
	EvalNoRecall   float64 `json:"eval_no_recall,omitempty"`
	EvalOverlong   int64   `json:"eval_overlong,omitempty"`
	EvalCapped     int64   `json:"eval_capped,omitempty"`
	EvalNoDecision int     `json:"eval_no_decision,omitempty"` // outputs with neither "Final Decision: Yes" nor "... No"
}

// tokenizerFiles are copied from the init folder next to the trained weights.
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
	"added_tokens.json", "generation_config.json"}

type hfEncoder struct{ t *tokenizer.Tokenizer }

func (e hfEncoder) Encode(s string) []int { return e.t.Encode(s) }

// Run runs the job: rows → examples (quarantining those longer than MaxLen), SFT, the model in
// Hugging Face layout under Out/model, and the Eval agreement when Eval is set.
func Run(ctx context.Context, j *Job, progress io.Writer) (*Summary, error) {
	t0 := time.Now()
	if err := complete.CheckFolder(j.Init); err != nil {
		return nil, err
	}
	rows, err := ReadRows(j.Train)
	if err != nil {
		return nil, err
	}
	var evalRows []Row
	if j.Eval != "" {
		if evalRows, err = ReadRows(j.Eval); err != nil {
			return nil, err
		}
	}
	tok, err := tokenizer.Load(filepath.Join(j.Init, "tokenizer.json"))
	if err != nil {
		return nil, err
	}
	dt, err := qwen.DTypeOf(j.DType)
	if err != nil {
		return nil, err
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	m, err := qwen.Load(j.Init, backend, dt)
	if err != nil {
		return nil, err
	}
	eos, err := m.Config.EOSTokenIDs()
	if err != nil || len(eos) == 0 {
		return nil, fmt.Errorf("%s: config.json has no eos_token_id: the target needs an end-of-sequence token (%v)", j.Init, err)
	}
	maxLen := j.MaxLen
	if maxLen == 0 {
		maxLen = m.Config.MaxPositionEmbeddings
	}
	if err := os.MkdirAll(j.Out, 0o755); err != nil {
		return nil, err
	}
	sum := &Summary{Init: j.Init, Train: j.Train, MaxLen: maxLen, Model: filepath.Join(j.Out, "model")}
	var ex []grpo.SFTExample
	var quarantine bytes.Buffer
	for i, r := range rows {
		e := Example(r, GeneralVerifier, hfEncoder{tok}, eos[0])
		if n := len(e.Prompt) + len(e.Response); n > maxLen {
			sum.Quarantined++
			line, _ := json.Marshal(map[string]any{"line": i + 1, "id": r.ID, "tokens": n, "max_len": maxLen,
				"reason": fmt.Sprintf("prompt %d + target %d tokens > max_len %d", len(e.Prompt), len(e.Response), maxLen)})
			quarantine.Write(append(line, '\n'))
			continue
		}
		sum.TargetTokens += len(e.Response)
		ex = append(ex, e)
	}
	sum.Rows = len(ex)
	if err := atomicfile.WriteFile(filepath.Join(j.Out, "quarantine.jsonl"), quarantine.Bytes()); err != nil {
		return nil, err
	}
	if sum.Quarantined > 0 {
		fmt.Fprintf(progress, "%d of %d rows longer than %d tokens quarantined (%s)\n", sum.Quarantined, len(rows), maxLen, filepath.Join(j.Out, "quarantine.jsonl"))
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("%s: no row fits in %d tokens", j.Train, maxLen)
	}
	pol, err := grpo.NewPolicy(m, j.Optim, grpo.DefaultLoss())
	if err != nil {
		return nil, err
	}
	pol.Memory = j.Memory
	f, err := os.OpenFile(filepath.Join(j.Out, "metrics.jsonl"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := j.SFT
	sc.Seed = j.Seed
	if sc.PadToken == 0 {
		sc.PadToken = eos[0]
	}
	every := j.SaveEvery
	if every <= 0 {
		every = sc.Steps
	}
	for start := 0; start < sc.Steps; start += every {
		seg := sc
		seg.FirstStep, seg.Steps = start, min(start+every, sc.Steps)
		if err := TrainExamples(ctx, seg, pol, ex, f, "verifier-sft", func(r grpo.SFTRecord) {
			sum.FinalLoss = r.Loss
			fmt.Fprintf(progress, "verifier sft step %d/%d loss %.4f grad norm %.3f (%.0f tok/s)\n", r.Step, sc.Steps, r.Loss, r.GradNorm, r.TokensPerSec)
		}); err != nil {
			return nil, err
		}
		if seg.Steps < sc.Steps {
			if err := saveFolder(m, j.Init, filepath.Join(j.Out, fmt.Sprintf("checkpoint-%d", seg.Steps))); err != nil {
				return nil, err
			}
		}
	}
	sum.Steps = sc.Steps
	if err := saveFolder(m, j.Init, sum.Model); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "verifier written to %s\n", sum.Model)
	if len(evalRows) > 0 {
		if err := evaluate(ctx, m, tok, evalRows, j.EvalMaxTokens, sum); err != nil {
			return nil, err
		}
		fmt.Fprintf(progress, "agreement with the labels of %s: %.1f%% of %d rows (yes recall %.1f%%, no recall %.1f%%)\n",
			j.Eval, sum.EvalAgreement, sum.EvalRows, sum.EvalYesRecall, sum.EvalNoRecall)
	}
	sum.Seconds = time.Since(t0).Seconds()
	return sum, grpo.WriteJSON(filepath.Join(j.Out, "job.json"), sum)
}

// saveFolder writes the model in Hugging Face layout with the init folder's tokenizer files.
func saveFolder(m *qwen.Model, init, dir string) error {
	if err := m.Save(dir, 0); err != nil {
		return err
	}
	for _, name := range tokenizerFiles {
		b, err := os.ReadFile(filepath.Join(init, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, name), b); err != nil {
			return err
		}
	}
	return nil
}

// evaluate judges the eval rows with the trained model (the local completer over the model in
// memory: the prompt, greedy decoding and verdict of General-Verifier) and fills the agreement.
func evaluate(ctx context.Context, m *qwen.Model, tok *tokenizer.Tokenizer, rows []Row, maxTokens int, sum *Summary) error {
	if maxTokens == 0 {
		maxTokens = 2048
	}
	c, err := complete.New(m, complete.HFTokenizer(tok), complete.Options{Overlong: "fail"})
	if err != nil {
		return err
	}
	defer c.Close()
	prompts := make([]string, len(rows))
	for i, r := range rows {
		prompts[i] = GeneralVerifier.Prompt(r.Question, r.Gold, r.Answer)
	}
	resp, err := c.CompleteBatch(ctx, prompts, llm.Params{Temperature: llm.F64(0), MaxTokens: maxTokens})
	if err != nil {
		return err
	}
	var agree, yes, yesHit, noHit int
	for i, r := range rows {
		v := GeneralVerifier.Verdict(resp[i].Text)
		if v == r.Label {
			agree++
		}
		if r.Label {
			yes++
			if v {
				yesHit++
			}
		} else if !v {
			noHit++
		}
		if !bytes.Contains([]byte(resp[i].Text), []byte("Final Decision: Yes")) && !bytes.Contains([]byte(resp[i].Text), []byte("Final Decision: No")) {
			sum.EvalNoDecision++
		}
	}
	st := c.Stats()
	sum.EvalRows, sum.EvalOverlong, sum.EvalCapped = len(rows), st.Overlong, st.Capped
	sum.EvalAgreement = 100 * float64(agree) / float64(len(rows))
	sum.EvalYesRecall = 100 * float64(yesHit) / float64(max(yes, 1))
	sum.EvalNoRecall = 100 * float64(noHit) / float64(max(len(rows)-yes, 1))
	return nil
}
