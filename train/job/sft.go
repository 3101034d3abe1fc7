package job

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
)

// SFTConfig is `greason train sft --config F` for a Qwen policy on the job's data ("job": "sft"):
// supervised fine-tuning on (prompt, response) pairs whose prompts are the GRPO job's (the
// question's §3.1 user turn in the checkpoint's chat template) and whose responses come from a
// teacher file, or are the boxed gold answer.
type SFTConfig struct {
	Job    string           `json:"job"`
	Name   string           `json:"name"`
	Out    string           `json:"out"` // writes OUT/model (Hugging Face layout with the tokenizer files) and OUT/metrics.jsonl
	Policy PolicyConfig     `json:"policy"`
	Data   SFTDataConfig    `json:"data"`
	SFT    grpo.SFTConfig   `json:"sft"`
	Optim  grpo.OptimConfig `json:"optim"` // AdamW (the lr is sft.lr)
}

// SFTDataConfig is the SFT data.
type SFTDataConfig struct {
	Train []string `json:"train"` // as DataConfig.Train
	// Responses is a JSON Lines file of {"question": ..., "response": ...} teacher responses (one
	// question may have several). A response whose question is not in Train (the pipeline dropped
	// it) is skipped and counted; a question of Train with no response gets none. "": every
	// question of Train with the response "\boxed{" + its answer + "}".
	Responses             string `json:"responses,omitempty"`
	MaxPromptLength       int    `json:"max_prompt_length"`
	FilterOverlongPrompts bool   `json:"filter_overlong_prompts"`
}

// SFTSummary is OUT/summary.json of an SFT job.
type SFTSummary struct {
	Name           string  `json:"name"`
	Policy         string  `json:"policy"`
	Parameters     int     `json:"parameters"`
	TrainRows      int     `json:"train_rows"`
	Overlong       int     `json:"overlong_dropped"`
	Examples       int     `json:"examples"`
	Steps          int     `json:"steps"`
	ResponsesRead  int     `json:"responses_read,omitempty"`
	ResponsesNoRow int     `json:"responses_without_row,omitempty"` // teacher responses whose question the data does not have
	RowsNoResponse int     `json:"rows_without_response,omitempty"`
	FinalLoss      float64 `json:"final_loss"`
	Model          string  `json:"model"`
	WallSeconds    float64 `json:"wall_seconds"`
}

// ParseSFTConfig reads an SFT job config (strictly).
func ParseSFTConfig(name string, raw []byte) (*SFTConfig, error) {
	c := &SFTConfig{Data: SFTDataConfig{MaxPromptLength: 1024, FilterOverlongPrompts: true},
		SFT: grpo.SFTConfig{Steps: 100, BatchSize: 16, LR: 1e-5, Bucket: 8, LogEvery: 10, Seed: 1}, Optim: grpo.DefaultOptim()}
	if err := decodeStrict(raw, c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case c.Job != KindSFT:
		return nil, fmt.Errorf("%s: field job: %q, want %q", name, c.Job, KindSFT)
	case c.Out == "":
		return nil, fmt.Errorf("%s: field out: the output folder is required", name)
	case len(c.Data.Train) == 0:
		return nil, fmt.Errorf("%s: field data.train: no data", name)
	case c.SFT.Steps < 1 || c.SFT.BatchSize < 1:
		return nil, fmt.Errorf("%s: sft.steps and sft.batch_size must be ≥ 1", name)
	}
	if err := c.Policy.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// RunSFT runs an SFT job.
func RunSFT(ctx context.Context, c *SFTConfig, progress io.Writer) (*SFTSummary, error) {
	t0 := time.Now()
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
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
	sum := &SFTSummary{Name: c.Name, Policy: pol.Source, Parameters: pol.Model.NumParameters()}
	rows, err := LoadRows(ctx, c.Data.Train, 0)
	if err != nil {
		return nil, err
	}
	prompts, kept, dropped, _, err := Prompts(pol, rows, c.Data.MaxPromptLength, c.Data.FilterOverlongPrompts)
	if err != nil {
		return nil, err
	}
	sum.TrainRows, sum.Overlong = len(rows), dropped
	stop := pol.Stop[0]
	var data []grpo.SFTExample
	if c.Data.Responses == "" {
		for i, r := range kept {
			data = append(data, grpo.SFTExample{Prompt: prompts[i].Tokens, Response: append(pol.Tok.Encode(`\boxed{`+r.Answer+`}`), stop)})
		}
	} else {
		byQ := map[string]int{}
		for i, r := range kept {
			byQ[r.Question] = i
		}
		has := make([]bool, len(kept))
		err := readResponses(c.Data.Responses, func(line int, q, resp string) {
			sum.ResponsesRead++
			i, ok := byQ[q]
			if !ok {
				sum.ResponsesNoRow++
				return
			}
			has[i] = true
			data = append(data, grpo.SFTExample{Prompt: prompts[i].Tokens, Response: append(pol.Tok.Encode(resp), stop)})
		})
		if err != nil {
			return nil, err
		}
		for _, h := range has {
			if !h {
				sum.RowsNoResponse++
			}
		}
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("sft: no examples (%d rows, %d responses read, %d without a row)", len(kept), sum.ResponsesRead, sum.ResponsesNoRow)
	}
	sum.Examples, sum.Steps = len(data), c.SFT.Steps
	fmt.Fprintf(progress, "sft: %s; %d rows (%d overlong dropped), %d examples (%d teacher responses read, %d of questions not in the data, %d rows without one)\n",
		pol.Source, len(rows), dropped, len(data), sum.ResponsesRead, sum.ResponsesNoRow, sum.RowsNoResponse)
	p, err := grpo.NewPolicy(pol.Model, c.Optim, grpo.DefaultLoss())
	if err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(c.Out, MetricsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := c.SFT
	sc.PadToken = pol.Pad
	start := time.Now()
	err = grpo.SFT(ctx, sc, p, data, f, c.Name, func(r grpo.SFTRecord) {
		sum.FinalLoss = r.Loss
		fmt.Fprintf(progress, "%s | sft loss %.4f grad norm %.3f %.0f tok/s\n", progressBar(r.Step, sc.Steps, start, 0), r.Loss, r.GradNorm, r.TokensPerSec)
	})
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.Out, "model")
	if err := pol.Model.Save(dir, 0); err != nil {
		return nil, err
	}
	if err := pol.CopyTokenizer(dir); err != nil {
		return nil, err
	}
	sum.Model, sum.WallSeconds = dir, time.Since(t0).Seconds()
	return sum, grpo.WriteJSON(filepath.Join(c.Out, SummaryFile), sum)
}

// readResponses reads {"question", "response"} JSON lines.
func readResponses(path string, fn func(line int, q, resp string)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("data.responses: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r struct {
			Question *string `json:"question"`
			Response *string `json:"response"`
		}
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		if err := d.Decode(&r); err != nil {
			return fmt.Errorf("data.responses %s row %d: %w", path, line, err)
		}
		if r.Question == nil || r.Response == nil {
			return fmt.Errorf("data.responses %s row %d field %s: missing", path, line, map[bool]string{true: "question", false: "response"}[r.Question == nil])
		}
		fn(line, *r.Question, *r.Response)
	}
	return sc.Err()
}
