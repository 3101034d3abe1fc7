package job

import (
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/verify"
)

// writeJSONL writes WebInstruct-schema rows "What is a+b?" → a+b.
func writeJSONL(t *testing.T, path string, n, offset int) {
	t.Helper()
	var b strings.Builder
	for i := 0; i < n; i++ {
		a, c := i+offset, 2*i+1
		fmt.Fprintf(&b, `{"id":"q%d","question":"What is %d+%d?","answer":"%d","answer_type":"Integer","category":"Mathematics","difficulty":"Senior High School"}`+"\n", i+offset, a, c, a+c)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func duck(t *testing.T, q string) {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := dbsql.OpenDB(c)
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestLoadRowsFormats(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	jl := filepath.Join(dir, "train.jsonl")
	writeJSONL(t, jl, 5, 0)
	rows, err := LoadRows(ctx, []string{jl}, 0)
	if err != nil || len(rows) != 5 || rows[2].Question != "What is 2+5?" || rows[2].Answer != "7" || rows[2].Line != 3 || rows[2].DataSource != defaultSource {
		t.Fatalf("jsonl: %+v %v", rows, err)
	}
	if rows, err := LoadRows(ctx, []string{jl}, 2); err != nil || len(rows) != 2 {
		t.Fatalf("limit 2: %d rows, %v", len(rows), err)
	}
	// WebInstruct parquet, and the verl layout written by a `greason data export`-style folder.
	wp := filepath.Join(dir, "web.parquet")
	duck(t, fmt.Sprintf(`COPY (SELECT * FROM read_json('%s')) TO '%s' (FORMAT parquet)`, jl, wp))
	export := filepath.Join(dir, "export")
	if err := os.MkdirAll(export, 0o755); err != nil {
		t.Fatal(err)
	}
	duck(t, fmt.Sprintf(`COPY (SELECT 'general-reasoner' AS data_source,
		[{'role': 'user', 'content': question || ' Please reason step by step, and put your final answer within \boxed{}.'}] AS prompt,
		'reasoning' AS ability, {'style': 'rule', 'ground_truth': answer} AS reward_model,
		{'split': 'train', 'index': row_number() OVER () - 1, 'answer': answer, 'question': question, 'level': difficulty} AS extra_info
		FROM read_json('%s')) TO '%s' (FORMAT parquet)`, jl, filepath.Join(export, ExportFile)))
	for _, p := range []string{wp, export} {
		got, err := LoadRows(ctx, []string{p}, 0)
		if err != nil || len(got) != 5 {
			t.Fatalf("%s: %d rows, %v", p, len(got), err)
		}
		for i := range got {
			if got[i].Question != rows[i].Question || got[i].Answer != rows[i].Answer || got[i].Line != i+1 {
				t.Fatalf("%s row %d: %+v, want %+v", p, i, got[i], rows[i])
			}
		}
	}
	// Errors name the file, the row and the field.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","question":"Q?","answer":"1"}`+"\n"+`{"id":"b","question":"Q2?"}`+"\n"), 0o644)
	if _, err := LoadRows(ctx, []string{bad}, 0); err == nil || !strings.Contains(err.Error(), "bad.jsonl row 2 field answer") {
		t.Fatalf("missing answer: %v", err)
	}
	os.WriteFile(bad, []byte(`{"id":"a","question":["x"],"answer":"1"}`+"\n"), 0o644)
	if _, err := LoadRows(ctx, []string{bad}, 0); err == nil || !strings.Contains(err.Error(), "row 1 field question") {
		t.Fatalf("list question: %v", err)
	}
	wrong := filepath.Join(dir, "wrong.parquet")
	duck(t, fmt.Sprintf(`COPY (SELECT 'general-reasoner' AS data_source, [{'role': 'user', 'content': question}] AS prompt,
		{'style': 'rule', 'ground_truth': answer} AS reward_model, {'index': 0, 'question': question} AS extra_info
		FROM read_json('%s')) TO '%s' (FORMAT parquet)`, jl, wrong))
	if _, err := LoadRows(ctx, []string{wrong}, 0); err == nil || !strings.Contains(err.Error(), "row 1 field prompt") {
		t.Fatalf("prompt without the suffix: %v", err)
	}
	nocol := filepath.Join(dir, "nocol.parquet")
	duck(t, fmt.Sprintf(`COPY (SELECT id, question FROM read_json('%s')) TO '%s' (FORMAT parquet)`, jl, nocol))
	if _, err := LoadRows(ctx, []string{nocol}, 0); err == nil || !strings.Contains(err.Error(), "no column answer") {
		t.Fatalf("no answer column: %v", err)
	}
	if _, err := LoadRows(ctx, []string{dir}, 0); err == nil || !strings.Contains(err.Error(), ExportFile) {
		t.Fatalf("folder without the export file: %v", err)
	}
}

func TestParseConfigStrict(t *testing.T) {
	base := `{"job": "grpo", "out": "x", "policy": {"preset": "tiny-qwen3"}, "data": {"train": ["d"]}%s}`
	if _, err := ParseConfig("c.json", []byte(fmt.Sprintf(base, ""))); err != nil {
		t.Fatal(err)
	}
	for extra, want := range map[string]string{
		`, "trainer": {"save_frq": 3}`:   `unknown field "save_frq"`,
		`, "grpo": {"steps": 3}`:         "grpo.steps (set by trainer.total_training_steps",
		`, "reward": {"judge": "model"}`: "field reward.judge",
	} {
		if _, err := ParseConfig("c.json", []byte(fmt.Sprintf(base, extra))); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error with %q", extra, err, want)
		}
	}
	if _, err := ParseConfig("c.json", []byte(`{"job": "grpo", "out": "x", "data": {"train": ["d"]}}`)); err == nil || !strings.Contains(err.Error(), "policy: set model") {
		t.Errorf("no policy: %v", err)
	}
	if k, _ := Kind([]byte(`{"init": "x"}`)); k != "" {
		t.Fatalf("micro config kind %q", k)
	}
}

// TestPromptsQwen3Template: the prompt is the §3.1 user turn in Qwen3's template with the
// generation prompt; overlong prompts are dropped and counted, or an error.
func TestPromptsQwen3Template(t *testing.T) {
	dir := t.TempDir()
	if err := tokenizer.WriteQwen3Files(dir); err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadTemplate(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := tmpl.Prompt("What is 1+2?")
	want := "<|im_start|>user\nWhat is 1+2? Please reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n"
	if got != want {
		t.Fatalf("prompt %q, want %q", got, want)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	pol := &Policy{Tok: tok, Template: tmpl}
	rows := []Row{{Question: "What is 1+2?", Answer: "3", File: "f", Line: 1}, {Question: strings.Repeat("long ", 40) + "?", Answer: "1", File: "f", Line: 2}}
	ps, kept, dropped, longest, err := Prompts(pol, rows, 40, true)
	if err != nil || len(ps) != 1 || len(kept) != 1 || dropped != 1 || longest != len(tok.Encode(want)) {
		t.Fatalf("filter: %d prompts, %d dropped, longest %d, %v", len(ps), dropped, longest, err)
	}
	if _, _, _, _, err := Prompts(pol, rows, 40, false); err == nil || !strings.Contains(err.Error(), "f row 2") {
		t.Fatalf("no filter: %v", err)
	}
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "tokenizer_config.json"), []byte(`{"eos_token": "x"}`), 0o644)
	if _, err := LoadTemplate(other); err == nil || !strings.Contains(err.Error(), other) {
		t.Fatalf("no template: %v", err)
	}
}

// TestPromptsMatchJinjaGoldens: the job's prompt, rendered from a checkpoint folder holding each
// template of model/chat/testdata (Qwen2.5-Math, Qwen2.5, Qwen3), is byte-identical to the
// @huggingface/jinja rendering of the §3.1 user turn with the generation prompt
// (model/chat/testdata/golden.json, written by tools/chatgold).
func TestPromptsMatchJinjaGoldens(t *testing.T) {
	raw, err := os.ReadFile("../../model/chat/testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Special map[string]string `json:"special"`
		Cases   []struct {
			Template, Name      string
			AddGenerationPrompt bool  `json:"add_generation_prompt"`
			EnableThinking      *bool `json:"enable_thinking"`
			Messages            []struct{ Role, Content string }
			Text                string
		}
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{}
	checked := map[string]int{}
	for _, c := range g.Cases {
		if len(c.Messages) != 1 || c.Messages[0].Role != "user" || !c.AddGenerationPrompt || c.EnableThinking != nil ||
			!strings.HasSuffix(c.Messages[0].Content, " "+Suffix) {
			continue
		}
		dir, ok := dirs[c.Template]
		if !ok {
			src, err := os.ReadFile(filepath.Join("../../model/chat/testdata/templates", c.Template+".jinja"))
			if err != nil {
				t.Fatal(err)
			}
			cfg := map[string]any{"chat_template": string(src)}
			for k, v := range g.Special {
				cfg[k] = v
			}
			b, _ := json.Marshal(cfg)
			dir = t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			dirs[c.Template] = dir
		}
		tmpl, err := LoadTemplate(dir)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Prompt(strings.TrimSuffix(c.Messages[0].Content, " "+Suffix))
		if err != nil || got != c.Text {
			t.Fatalf("%s/%s: prompt %q (%v), @huggingface/jinja %q", c.Template, c.Name, got, err, c.Text)
		}
		checked[c.Template]++
	}
	for _, name := range []string{"qwen2.5-math", "qwen2.5", "qwen3"} {
		if checked[name] == 0 {
			t.Errorf("no §3.1 golden case for template %s", name)
		}
	}
}

// tinyJob is a job on a tiny Qwen3 (hidden 8, one layer, the real 151,936-token vocabulary; large
// random weights so that its rollouts vary) with the embedded Qwen3 tokenizer: 12 training and 3
// validation questions, of which 2 validate.
func tinyJob(t *testing.T, dir string, steps, save int) *Config {
	t.Helper()
	writeJSONL(t, filepath.Join(dir, "train.jsonl"), 12, 0)
	writeJSONL(t, filepath.Join(dir, "test.jsonl"), 3, 100)
	model := filepath.Join(dir, "config.json")
	os.WriteFile(model, []byte(`{"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": 151936,
		"hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1,
		"head_dim": 4, "rms_norm_eps": 1e-6, "rope_theta": 10000, "max_position_embeddings": 128, "tie_word_embeddings": true,
		"attention_bias": false, "hidden_act": "silu", "eos_token_id": 151645}`), 0o644)
	raw := fmt.Sprintf(`{"job": "grpo", "name": "tiny", "out": %q,
		"policy": {"config": %q, "init_seed": 5, "init_std": 0.5},
		"data": {"train": [%q], "val": [%q], "val_rows": 2, "max_prompt_length": 64},
		"reward": {"judge": "rules", "workers": 2, "val_judge": "rules"},
		"grpo": {"prompts_per_step": 2, "n": 2, "mini_batches": 2, "max_new_tokens": 4, "micro_batch": 1,
		         "loss_agg": "micro-token-mean", "seed": 3, "optim": {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "max_grad_norm": 1},
		         "memory": {"response_window": true}},
		"trainer": {"total_training_steps": %d, "test_freq": 2, "save_freq": %d}}`,
		filepath.Join(dir, "out"), model, filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "test.jsonl"), steps, save)
	c, err := ParseConfig("tiny.json", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rulesJudges() Judges { return Judges{Reward: verify.RuleVerifier{}, Val: verify.RuleVerifier{}} }

// TestRunWritesMetricsAndCheckpoints: verl metric names per step (validation at 0, every
// test_freq steps and at the end, in the step's line), a checkpoint per save_freq in Hugging Face
// layout with the tokenizer files, loadable by qwen.Load.
func TestRunWritesMetricsAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	c := tinyJob(t, dir, 3, 1)
	sum, err := Run(context.Background(), c, rulesJudges(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Steps != 3 || sum.TrainPrompts != 12 || sum.ValPrompts != 2 || sum.LastCheckpoint != StepDir(c.Out, 3) {
		t.Fatalf("summary %+v", sum)
	}
	ms, err := ReadMetrics(filepath.Join(c.Out, MetricsFile))
	if err != nil || len(ms) != 4 {
		t.Fatalf("%d metrics lines, %v", len(ms), err)
	}
	for i, m := range ms {
		if int(m["step"].(float64)) != i {
			t.Fatalf("line %d has step %v", i, m["step"])
		}
		_, val := m["val/test_score/general-reasoner"]
		if val != (i == 0 || i == 2 || i == 3) {
			t.Fatalf("step %d: validation metric present %v", i, val)
		}
		if i == 0 {
			continue
		}
		for _, k := range []string{"critic/rewards/mean", "critic/score/mean", "actor/pg_loss", "actor/pg_clipfrac", "actor/ppo_kl", "actor/entropy",
			"actor/grad_norm", "actor/kl_loss", "response_length/mean", "response_length/clip_ratio", "prompt_length/mean", "timing_s/gen",
			"timing_s/update_actor", "perf/throughput", "perf/total_num_tokens", "data/prompts_fnv64", "training/epoch"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("step %d: no %s in %v", i, k, m)
			}
		}
		if m["actor/updates"].(float64) != 2 {
			t.Fatalf("step %d: %v updates, want 2 mini-batches", i, m["actor/updates"])
		}
	}
	for s := 1; s <= 3; s++ {
		for _, f := range []string{"state.safetensors", "state.json", "model/config.json", "model/model.safetensors", "model/tokenizer.json", "model/tokenizer_config.json"} {
			if _, err := os.Stat(filepath.Join(StepDir(c.Out, s), f)); err != nil {
				t.Fatalf("checkpoint %d: %v", s, err)
			}
		}
	}
	if n, _ := LatestStep(c.Out); n != 3 {
		t.Fatalf("latest %d", n)
	}
	backend, _ := qwen.NewBackend()
	if _, err := qwen.Load(filepath.Join(StepDir(c.Out, 3), "model"), backend, dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	// A finished run run again does nothing more and keeps its metrics; another config is refused.
	if _, err := Run(context.Background(), c, rulesJudges(), io.Discard); err != nil {
		t.Fatal(err)
	}
	if again, _ := ReadMetrics(filepath.Join(c.Out, MetricsFile)); len(again) != 4 {
		t.Fatalf("rerun of a finished run: %d lines", len(again))
	}
	c2 := *c
	c2.GRPO.Seed = 4
	if _, err := Run(context.Background(), &c2, rulesJudges(), io.Discard); err == nil || !strings.Contains(err.Error(), "another config") {
		t.Fatalf("resume with another seed: %v", err)
	}
}

// jsonRoundTrip makes metric maps comparable (numbers as float64).
func jsonRoundTrip(t *testing.T, ms []Metrics) string {
	t.Helper()
	var out []Metrics
	for _, m := range ms {
		out = append(out, m.WithoutWallClock())
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
