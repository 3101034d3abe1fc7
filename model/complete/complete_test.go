package complete

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

// tinyModel is the tiny-qwen2 preset (real vocabulary) with random weights large enough that
// greedy decoding wanders over many tokens; eos as given.
func tinyModel(t testing.TB, maxPos int, eos any) *qwen.Model {
	t.Helper()
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	cfg := qwen.Presets()["tiny-qwen2"]
	cfg.EOSTokenID = eos
	if maxPos > 0 {
		cfg.MaxPositionEmbeddings = maxPos
	}
	m, err := qwen.NewRandom(cfg, b, dtypes.Float32, qwen.InitOptions{Seed: 7, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func qwenTokenizer(t testing.TB) Tokenizer {
	t.Helper()
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	return HFTokenizer(tok)
}

// prompts of 1 to ~150 tokens (three length buckets of 64).
func testPrompts(n int) []string {
	r := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the ground truth answer is 4.9 J while the student wrote N·m ; verify equivalence of x^2 + 1 and \\frac{1}{2} Final Decision : Yes No None Paris")
	var out []string
	for i := 0; i < n; i++ {
		k := 1 + r.IntN(110)
		var b strings.Builder
		for j := 0; j < k; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		out = append(out, b.String())
	}
	return out
}

var greedy = llm.Params{Temperature: llm.F64(0), MaxTokens: 20}

// byteTokenizer maps bytes to ids 0..255 (a small vocabulary keeps the batch test fast).
type byteTokenizer struct{}

func (byteTokenizer) Encode(s string) []int {
	ids := make([]int, len(s))
	for i := range ids {
		ids[i] = int(s[i])
	}
	return ids
}

func (byteTokenizer) Decode(ids []int) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b)
}

// TestBatchInvariance: the same prompts completed alone, in batches of 3 and of 16, in another
// order, and as concurrent Complete calls give the same output, token for token (text and
// token count). Prompts of 1 to 120 bytes fall in two length buckets; runs have 4 rows, so a
// batch of 16 takes several runs whose rows differ from those of the batches of 3.
func TestBatchInvariance(t *testing.T) {
	ctx := context.Background()
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	cfg := qwen.Presets()["tiny-qwen2"]
	cfg.VocabSize, cfg.EOSTokenID = 256, nil
	m, err := qwen.NewRandom(cfg, b, dtypes.Float32, qwen.InitOptions{Seed: 7, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(m, byteTokenizer{}, Options{Rows: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Every completion's log-probabilities, bit for bit: greedy text alone would hide a change
	// in the arithmetic smaller than the gap between the two best tokens.
	var mu sync.Mutex
	lps := map[string]string{}
	c.onSample = func(prompt []int, s qwen.Sample) {
		key, val := fmt.Sprint(prompt), fmt.Sprintf("%v", s.Logprobs)
		mu.Lock()
		defer mu.Unlock()
		if old, ok := lps[key]; ok && old != val {
			t.Errorf("prompt %v: log-probabilities differ between batches:\n%s\n%s", prompt, old, val)
		}
		lps[key] = val
	}
	ps := testPrompts(20)
	for i, p := range ps {
		ps[i] = p[:min(len(p), 1+(37*i)%120)]
	}
	alone := make([]llm.Response, len(ps))
	for i, p := range ps {
		r, err := c.CompleteBatch(ctx, []string{p}, greedy)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = r[0]
	}
	same := func(how string, i int, r llm.Response) {
		t.Helper()
		if r.Text != alone[i].Text || r.CompletionTokens != alone[i].CompletionTokens || r.FinishReason != alone[i].FinishReason {
			t.Errorf("%s, prompt %d: %q (%d tokens, %s), alone %q (%d tokens, %s)", how, i, r.Text, r.CompletionTokens, r.FinishReason,
				alone[i].Text, alone[i].CompletionTokens, alone[i].FinishReason)
		}
	}
	distinct := map[string]bool{}
	for i, r := range alone {
		distinct[r.Text] = true
		if r.CompletionTokens != greedy.MaxTokens || r.FinishReason != "length" {
			t.Fatalf("prompt %d: %d tokens (%s), want %d (no eos in this model)", i, r.CompletionTokens, r.FinishReason, greedy.MaxTokens)
		}
	}
	if len(distinct) < len(ps)/2 {
		t.Fatalf("only %d distinct outputs for %d prompts: the test would be weak", len(distinct), len(ps))
	}
	for lo := 0; lo < len(ps); lo += 3 {
		hi := min(lo+3, len(ps))
		r, err := c.CompleteBatch(ctx, ps[lo:hi], greedy)
		if err != nil {
			t.Fatal(err)
		}
		for k := range r {
			same("batch of 3", lo+k, r[k])
		}
	}
	perm := rand.New(rand.NewPCG(5, 6)).Perm(len(ps))
	shuffled := make([]string, len(ps))
	for k, i := range perm {
		shuffled[k] = ps[i]
	}
	for lo := 0; lo < len(ps); lo += 16 {
		hi := min(lo+16, len(ps))
		r, err := c.CompleteBatch(ctx, shuffled[lo:hi], greedy)
		if err != nil {
			t.Fatal(err)
		}
		for k := range r {
			same("shuffled batch of 16", perm[lo+k], r[k])
		}
	}
	runs := c.Stats().Runs
	var wg sync.WaitGroup
	got := make([]llm.Response, len(ps))
	errs := make([]error, len(ps))
	for i := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = c.Complete(ctx, ps[i], greedy)
		}()
	}
	wg.Wait()
	for i := range ps {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		same("concurrent Complete", i, got[i])
	}
	if n := c.Stats().Runs - runs; n >= int64(len(ps)) {
		t.Errorf("%d concurrent calls took %d runs: they did not share runs", len(ps), n)
	}
}

// TestContext: max_tokens is cut to what the context leaves (counted), a prompt that fills the
// context is an error naming it, or with Overlong "fail" an empty "overlong" completion.
func TestContext(t *testing.T) {
	ctx := context.Background()
	tok := qwenTokenizer(t)
	m := tinyModel(t, 64, nil)
	c, err := New(m, tok, Options{Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	words := func(n int) string { return strings.TrimSpace(strings.Repeat(" the", n)) }
	if n := len(tok.Encode(words(60))); n != 60 {
		t.Fatalf("%d tokens for 60 words", n)
	}
	r, err := c.CompleteBatch(ctx, []string{words(60), words(10)}, greedy)
	if err != nil {
		t.Fatal(err)
	}
	if r[0].CompletionTokens != 4 || r[0].FinishReason != "length" || r[1].CompletionTokens != 20 {
		t.Fatalf("capped: %+v / %+v", r[0], r[1])
	}
	if s := c.Stats(); s.Capped != 1 || s.Overlong != 0 {
		t.Fatalf("stats %+v", s)
	}
	_, err = c.CompleteBatch(ctx, []string{words(10), words(64)}, greedy)
	if err == nil || !strings.Contains(err.Error(), "prompt 2 has 64 tokens") || !strings.Contains(err.Error(), "64-token context") {
		t.Fatalf("overlong prompt: %v", err)
	}
	if _, err := c.Complete(ctx, words(70), greedy); err == nil || !strings.Contains(err.Error(), "70 tokens") {
		t.Fatalf("overlong Complete: %v", err)
	}
	f, err := New(m, tok, Options{Overlong: "fail", Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err = f.CompleteBatch(ctx, []string{words(64), words(3)}, greedy)
	if err != nil || r[0].FinishReason != "overlong" || r[0].Text != "" || r[1].CompletionTokens != 20 || f.Stats().Overlong != 1 {
		t.Fatalf("overlong fail: %+v %v (stats %+v)", r, err, f.Stats())
	}
}

// TestStopTokens: a stop token ends the completion and is not output; the config's eos is one.
func TestStopTokens(t *testing.T) {
	ctx := context.Background()
	tok := qwenTokenizer(t)
	m := tinyModel(t, 0, nil)
	c, err := New(m, tok, Options{Rows: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := "What is 2+2?"
	ids := tok.Encode(p)
	out, err := m.Generate(ctx, []qwen.Request{{Prompt: ids, Params: qwen.SampleParams{MaxNewTokens: 3}}}, qwen.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	third := out[0][0].Tokens[2]
	m2 := tinyModel(t, 0, float64(third)) // the same weights, the third token as eos
	c2, err := New(m2, tok, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	r, err := c2.Complete(ctx, p, greedy)
	if err != nil {
		t.Fatal(err)
	}
	if r.FinishReason != "stop" || r.CompletionTokens != 2 || r.Text != tok.Decode(out[0][0].Tokens[:2]) {
		t.Fatalf("eos %d: %+v, want the first two tokens %v", third, r, out[0][0].Tokens[:2])
	}
	c3, err := New(m, tok, Options{Stop: []int{out[0][0].Tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if r, err := c3.Complete(ctx, p, greedy); err != nil || r.Text != "" || r.FinishReason != "stop" {
		t.Fatalf("Options.Stop: %+v %v", r, err)
	}
}

// TestCheckFolder: a folder that is not a Qwen2/Qwen3 checkpoint with its tokenizer gets an
// error naming what is missing; a complete one opens and completes.
func TestCheckFolder(t *testing.T) {
	dir := t.TempDir()
	if err := CheckFolder(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("missing folder accepted")
	}
	err := CheckFolder(dir)
	for _, want := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("empty folder: %v, want it to name %s", err, want)
		}
	}
	m := tinyModel(t, 0, float64(qwen.QwenEndOfText))
	if err := m.Save(dir, 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vocab.json"), []byte("{}"), 0o644)
	err = CheckFolder(dir)
	if err == nil || !strings.Contains(err.Error(), "lacks tokenizer.json") || strings.Contains(err.Error(), "lacks config.json") || !strings.Contains(err.Error(), "vocab.json") {
		t.Fatalf("no tokenizer.json: %v", err)
	}
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("Open without tokenizer.json succeeded")
	}
	tj, err := tokenizer.Qwen3JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": [151643, 151645], "max_new_tokens": 2048}`), 0o644)
	c, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := fmt.Sprint(c.StopTokens()); got != "[151643 151645]" {
		t.Errorf("stop tokens %s", got)
	}
	if c.Context() != 4096 {
		t.Errorf("context %d", c.Context())
	}
	if _, err := c.Complete(context.Background(), "Hello", llm.Params{Temperature: llm.F64(0), MaxTokens: 3}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type": "llama"}`), 0o644)
	if err := CheckFolder(dir); err == nil || !strings.Contains(err.Error(), "llama") {
		t.Fatalf("llama config: %v", err)
	}
}
