package verifier

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// smallTokenizerJSON is the embedded Qwen tokenizer.json cut down to a small vocabulary: the
// 256 byte-level tokens (ids 0..255), the tokens the real tokenizer uses for texts and the merge
// parts that build them (renumbered from 256), the real merges among those, then three special
// tokens (<|endoftext|>, <|im_start|>, <|im_end|>). A real tokenizer.json that our loader reads
// like any other, with a vocabulary (a few hundred) small enough for fast tests, that still
// encodes the verifier prompt in about as many tokens as Qwen's (any text encodes: bytes are
// the fallback).
func smallTokenizerJSON(t testing.TB, texts ...string) (data []byte, eos int) {
	t.Helper()
	raw, err := tokenizer.Qwen3JSON()
	if err != nil {
		t.Fatal(err)
	}
	full, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	m := f["model"].(map[string]any)
	var merges [][2]string
	for _, x := range m["merges"].([]any) {
		switch p := x.(type) {
		case []any:
			merges = append(merges, [2]string{p[0].(string), p[1].(string)})
		case string:
			a, b, _ := strings.Cut(p, " ")
			merges = append(merges, [2]string{a, b})
		}
	}
	made := map[string][2]string{} // token -> the lowest-rank merge that makes it
	for _, p := range merges {
		if _, ok := made[p[0]+p[1]]; !ok {
			made[p[0]+p[1]] = p
		}
	}
	vocab := map[string]any{}
	for k, v := range m["vocab"].(map[string]any) {
		if v.(float64) < 256 {
			vocab[k] = v
		}
	}
	var add func(s string)
	add = func(s string) {
		if _, ok := vocab[s]; ok {
			return
		}
		if p, ok := made[s]; ok {
			add(p[0])
			add(p[1])
		}
		vocab[s] = float64(len(vocab))
	}
	for _, text := range texts {
		for _, id := range full.Encode(text) {
			s, _ := full.Token(id)
			add(s)
		}
	}
	var kept []any
	for _, p := range merges {
		_, a := vocab[p[0]]
		_, b := vocab[p[1]]
		_, c := vocab[p[0]+p[1]]
		if a && b && c {
			kept = append(kept, []any{p[0], p[1]})
		}
	}
	m["vocab"], m["merges"] = vocab, kept
	eos = len(vocab)
	var added []any
	for i, s := range []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"} {
		added = append(added, map[string]any{"id": eos + i, "content": s, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true})
	}
	f["added_tokens"] = added
	if data, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	return data, eos
}

// testTexts are what the tests tokenise: the verifier prompt of a few rows, targets, questions.
var testTexts = []string{verify.VerifierPrompt("Capital of France?", "Paris", "None") + GeneralVerifierTarget(true, "Same city. No answer."),
	verify.VerifierPrompt("2+2?", "4", "5") + GeneralVerifierTarget(false, ""), "3*3? 9 \\boxed{4} Answer: Lutetia"}

// tinyFolder writes a random tiny Qwen2 (or Qwen3) checkpoint with the small tokenizer
// (smallTokenizerJSON): eos <|endoftext|>, context 4096.
func tinyFolder(t testing.TB, dir, kind string, seed uint64) string {
	t.Helper()
	tj, eos := smallTokenizerJSON(t, testTexts...)
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	cfg := qwen.Presets()["tiny-"+kind]
	cfg.VocabSize, cfg.EOSTokenID = eos+3, float64(eos)
	m, err := qwen.NewRandom(cfg, b, dtypes.Float32, qwen.InitOptions{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Save(dir, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var trainRows = `{"id": 1, "question": "2+2?", "gold": "4", "answer": "4", "label": true}
{"id": 2, "question": "2+2?", "gold": "4", "answer": "5", "label": false, "domain": "math"}
{"id": 3, "question": "Capital of France?", "gold": "Paris", "answer": "Paris", "label": true, "rationale": "Same city."}
{"id": 4, "question": "Capital of France?", "gold": "Paris", "answer": null, "label": false, "rationale": "No answer."}
`

func writeFile(t testing.TB, path, s string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTargetsAndPrompt: the prompt is verify.VerifierPrompt byte for byte (None for a null
// answer), the target is the rationale then the decision, and the loss covers the target and
// eos only.
func TestTargetsAndPrompt(t *testing.T) {
	rows, err := DecodeRows(strings.NewReader(trainRows), "t.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if rows[3].Answer != "None" || rows[0].ID != "1" {
		t.Fatalf("rows %+v", rows)
	}
	if got := GeneralVerifierTarget(true, " Same city. "); got != " Same city.\n\nFinal Decision: Yes" {
		t.Errorf("target %q", got)
	}
	if got := GeneralVerifierTarget(false, ""); got != " Final Decision: No" {
		t.Errorf("target %q", got)
	}
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	e := Example(rows[3], GeneralVerifier, hfEncoder{tok}, qwen.QwenEndOfText)
	prompt := verify.VerifierPrompt("Capital of France?", "Paris", "None")
	if tok.Decode(e.Prompt, false) != prompt || !strings.HasSuffix(prompt, "Assistant:") {
		t.Errorf("prompt %q", tok.Decode(e.Prompt, false))
	}
	if tok.Decode(e.Response, false) != " No answer.\n\nFinal Decision: No<|endoftext|>" {
		t.Errorf("response %q", tok.Decode(e.Response, false))
	}
	// Prompt and target tokenised apart are the tokenisation of the whole text (no merge
	// crosses "Assistant:" and the target's leading space).
	whole := tok.Encode(prompt + GeneralVerifierTarget(false, "No answer."))
	if len(whole) != len(e.Prompt)+len(e.Response)-1 {
		t.Errorf("prompt+target tokenised whole: %d tokens, apart %d", len(whole), len(e.Prompt)+len(e.Response)-1)
	}
	s := grpo.MakeSeqs([][]int{e.Prompt}, [][]int{e.Response}, 1, 0)
	n := 0
	for _, v := range s.LossMask[0] {
		n += int(v)
	}
	if n != len(e.Response) {
		t.Errorf("loss on %d tokens, target + eos has %d", n, len(e.Response))
	}
}

// TestBadRows: a bad row is an error naming the file, the line and the field.
func TestBadRows(t *testing.T) {
	for row, want := range map[string]string{
		`{"question": "q", "gold": "4", "answer": "4"}`:                                                     `f.jsonl:2: missing field "label"`,
		`{"question": "q", "gold": "4", "answer": "4", "label": "yes"}`:                                     `f.jsonl:2: field "label"`,
		`{"question": "q", "gold": "", "answer": "4", "label": true}`:                                       `f.jsonl:2: field "gold" is empty`,
		`{"question": 3, "gold": "4", "answer": "4", "label": true}`:                                        `f.jsonl:2: field "question": want a string`,
		`{"question": "q", "gold": "4", "answer": "4", "label": true, "verdict": 1}`:                        `f.jsonl:2: unknown field "verdict"`,
		`{"question": "q", "gold": "4", "answer": "4", "label": false, "rationale": "Final Decision: Yes"}`: `f.jsonl:2: field "rationale" writes a decision`,
		`{"question": "q", "gold": "4", "answer": "4", "label": true`:                                       `f.jsonl:2: invalid JSON`,
		`{"gold": "4", "answer": "4", "label": true}`:                                                       `f.jsonl:2: missing field "question"`,
	} {
		_, err := DecodeRows(strings.NewReader(`{"question": "q", "gold": "1", "answer": "1", "label": true}`+"\n"+row+"\n"), "f.jsonl")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", row, err, want)
		}
	}
}

// TestSFTJobThenLocalJudge trains a tiny verifier with the job (checkpoints, quarantine, eval),
// loads the written folder as the local judge and judges a batch: it learnt its four rows.
func TestSFTJobThenLocalJudge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	init := tinyFolder(t, filepath.Join(dir, "init"), "qwen2", 3)
	train := writeFile(t, filepath.Join(dir, "train.jsonl"), trainRows+
		`{"id": 5, "question": "`+strings.Repeat("long ", 200)+`", "gold": "4", "answer": "4", "label": true}`+"\n")
	cfg := writeFile(t, filepath.Join(dir, "job.json"), `{"task": "verifier", "init": "`+init+`", "train": "`+train+`", "eval": "`+
		filepath.Join(dir, "train.jsonl")+`", "out": "`+filepath.Join(dir, "out")+`", "max_len": 700, "save_every": 60, "eval_max_tokens": 40,
		"sft": {"steps": 120, "batch_size": 4, "lr": 0.01, "bucket": 64, "log_every": 40}}`)
	if _, err := LoadJob(writeFile(t, filepath.Join(dir, "bad.json"), `{"task": "verifier", "init": "x", "train": "y", "out": "z", "stpes": 3}`)); err == nil ||
		!strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "stpes") {
		t.Fatalf("unknown key: %v", err)
	}
	j, err := LoadJob(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, j, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary %+v", *sum)
	if sum.Rows != 4 || sum.Quarantined != 1 || sum.EvalRows != 5 {
		t.Fatalf("summary %+v", *sum)
	}
	if q, _ := os.ReadFile(filepath.Join(dir, "out", "quarantine.jsonl")); !strings.Contains(string(q), `"line":5`) {
		t.Errorf("quarantine.jsonl: %s", q)
	}
	for _, f := range []string{"model/config.json", "model/model.safetensors", "model/tokenizer.json", "checkpoint-60/tokenizer.json", "job.json", "metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	rows, _ := ReadRows(train)
	rows = rows[:4]
	judge, local, err := NewJudge("general-verifier", verify.JudgeConfig{VerifierModel: sum.Model, VerifierMaxTokens: 40}, complete.Options{Rows: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	var qs, gs, as []string
	for _, r := range rows {
		qs, gs, as = append(qs, r.Question), append(gs, r.Gold), append(as, r.Answer)
	}
	vs, err := verify.JudgeAll(ctx, judge, qs, gs, as, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if vs[i].Correct != r.Label {
			t.Errorf("row %d: verdict %+v, label %v", i+1, vs[i], r.Label)
		}
	}
	if st := local.Stats(); st.Prompts != 4 || st.Runs > 2 {
		t.Errorf("local stats %+v: want the batch in one run per length bucket", st)
	}
	if sum.EvalAgreement < 75 {
		t.Errorf("eval agreement %.1f%%", sum.EvalAgreement)
	}
}

// TestGRPORewardLocalVerifier: two GRPO steps of a tiny policy rewarded by general-verifier and
// by cascade, each with a local verifier folder (tiny random weights, short outputs).
func TestGRPORewardLocalVerifier(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vdir := tinyFolder(t, filepath.Join(dir, "verifier"), "qwen2", 5)
	pdir := tinyFolder(t, filepath.Join(dir, "policy"), "qwen3", 6)
	tok, err := tokenizer.Load(filepath.Join(pdir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	var prompts []grpo.Prompt
	for _, q := range [][2]string{{"2+2?", "4"}, {"Capital of France?", "Paris"}, {"3*3?", "9"}} {
		prompts = append(prompts, grpo.Prompt{Tokens: tok.Encode(q[0] + " "), Question: q[0], Gold: q[1]})
	}
	for _, name := range []string{"general-verifier", "cascade"} {
		t.Run(name, func(t *testing.T) {
			judge, local, err := NewJudge(name, verify.JudgeConfig{VerifierModel: vdir, VerifierMaxTokens: 6}, complete.Options{Rows: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer local.Close()
			m, err := qwen.Load(pdir, backend, dtypes.Float32)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := grpo.CloneModel(m)
			if err != nil {
				t.Fatal(err)
			}
			cfg := grpo.DefaultGRPO()
			cfg.Steps, cfg.PromptsPerStep, cfg.N, cfg.MiniBatches, cfg.MaxNewTokens, cfg.Optim.LR = 2, 2, 2, 1, 6, 1e-3
			eos, _ := m.Config.EOSTokenIDs()
			cfg.PadToken, cfg.StopTokens = eos[0], eos
			pol, err := grpo.NewPolicy(m, cfg.Optim, cfg.Loss)
			if err != nil {
				t.Fatal(err)
			}
			var recs []grpo.StepRecord
			count := func(s string) int { return len(tok.Encode(s)) }
			if err := grpo.GRPO(ctx, cfg, pol, &grpo.Reference{Model: ref}, decoder{tok}, prompts, Reward(judge, count), nil, io.Discard, name,
				func(r grpo.StepRecord) { recs = append(recs, r) }); err != nil {
				t.Fatal(err)
			}
			st := local.Stats()
			t.Logf("%s: steps %d, verifier %+v", name, len(recs), st)
			if len(recs) != 2 {
				t.Fatalf("%d steps", len(recs))
			}
			if name == "general-verifier" && (st.Prompts != 8 || st.Runs < 2 || st.Runs > 4) {
				t.Errorf("general-verifier: %d prompts in %d runs, want 8 in 2 to 4 (2 steps × 4 responses, runs of 4 rows, one or two length buckets)", st.Prompts, st.Runs)
			}
			// The reward on written responses: an extractable wrong answer goes to the model (for
			// the cascade, only what the rules leave open), a missing one costs 0.5.
			before := st.Prompts
			rew, correct, err := Reward(judge, count)(ctx, prompts, []string{"\\boxed{4}", "Answer: Lutetia\n", "nothing"})
			if err != nil {
				t.Fatal(err)
			}
			asked := local.Stats().Prompts - before
			want := map[string]int64{"general-verifier": 3, "cascade": 1}[name]
			if asked != want || rew[2] != -0.5 || correct[2] {
				t.Errorf("%s reward: %v %v, model asked %d times, want %d", name, rew, correct, asked, want)
			}
			if name == "cascade" && (rew[0] != 1 || !correct[0]) {
				t.Errorf("cascade: the rules accept \\boxed{4} for 4: %v %v", rew, correct)
			}
		})
	}
}

// decoder adapts the tokenizer to grpo.Tokenizer (special tokens kept, as the paper decodes).
type decoder struct{ t *tokenizer.Tokenizer }

func (d decoder) Encode(s string) []int   { return d.t.Encode(s) }
func (d decoder) Decode(ids []int) string { return d.t.Decode(ids, false) }

// TestShippedConfig: configs/verifier-sft.json reads strictly.
func TestShippedConfig(t *testing.T) {
	j, err := LoadJob("../../configs/verifier-sft.json")
	if err != nil {
		t.Fatal(err)
	}
	if j.Init != "models/Qwen/Qwen2.5-Math-1.5B" || j.SFT.Steps != 2000 || !j.Memory.Recompute {
		t.Errorf("%+v", j)
	}
}
