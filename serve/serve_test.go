package serve

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

type fixture struct {
	m    *qwen.Model
	tok  *tokenizer.Tokenizer
	chat *chat.Template // Qwen3's own, from the embedded tokenizer_config.json
	srv  *Server
	ts   *httptest.Server
	cl   *llm.Client
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	backend, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	cfg := qwen.Presets()["tiny-qwen3"]
	m, err := qwen.NewRandom(cfg, backend, dtypes.Float32, qwen.InitOptions{Seed: 21, Std: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := chat.ParseConfig("embedded qwen3_tokenizer_config.json", tokenizer.Qwen3Config(), "")
	if err != nil {
		t.Fatal(err)
	}
	opts.ModelName = "tiny"
	if opts.Chat == nil {
		opts.Chat = tpl
	}
	srv, err := NewServer(m, tok, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	cl := llm.New(ts.URL+"/v1", "tiny")
	cl.MaxRetries = 0
	return &fixture{m: m, tok: tok, chat: tpl, srv: srv, ts: ts, cl: cl}
}

// prompt renders msgs with the fixture's chat template and the generation prompt.
func (f *fixture) prompt(t *testing.T, msgs []chat.Message, thinking *bool) string {
	t.Helper()
	p, err := f.chat.Render(msgs, chat.Options{AddGenerationPrompt: true, EnableThinking: thinking})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// direct runs the model on the same prompt without the server (greedy).
func (f *fixture) direct(t *testing.T, prompt string, maxTokens int) qwen.Sample {
	t.Helper()
	out, err := f.m.Generate(context.Background(), []qwen.Request{{Prompt: f.tok.Encode(prompt),
		Params: qwen.SampleParams{MaxNewTokens: maxTokens, StopTokens: f.tok.EOSIDs()}}},
		qwen.GenerateOptions{Decode: func(ids []int) string { return f.tok.Decode(ids, true) }})
	if err != nil {
		t.Fatal(err)
	}
	return out[0][0]
}

func TestServeChatAndCompletions(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	msgs := []llm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "What is 2+2?"}}
	cr, err := f.cl.Chat(ctx, msgs, llm.Params{Temperature: llm.F64(0), MaxTokens: 12})
	if err != nil {
		t.Fatal(err)
	}
	tmsgs := []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "What is 2+2?"}}
	want := f.direct(t, f.prompt(t, tmsgs, nil), 12)
	if cr.Text != want.Text || cr.FinishReason != want.FinishReason || cr.CompletionTokens != len(want.Tokens) {
		t.Fatalf("chat: got %q (%s, %d tokens), want %q (%s, %d tokens)", cr.Text, cr.FinishReason, cr.CompletionTokens, want.Text, want.FinishReason, len(want.Tokens))
	}
	if cr.PromptTokens != len(f.tok.Encode(f.prompt(t, tmsgs, nil))) {
		t.Fatalf("prompt_tokens %d", cr.PromptTokens)
	}
	if cr.Text == "" {
		t.Fatal("empty completion: the comparison is too weak")
	}

	comp, err := f.cl.Complete(ctx, "The capital of France is", llm.Params{Temperature: llm.F64(0), MaxTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	want = f.direct(t, "The capital of France is", 10)
	if comp.Text != want.Text || comp.FinishReason != want.FinishReason {
		t.Fatalf("completion: got %q (%s), want %q (%s)", comp.Text, comp.FinishReason, want.Text, want.FinishReason)
	}

	// Stop string: cut the greedy text before its 3rd-4th characters.
	runes := []rune(want.Text)
	if len(runes) >= 4 && want.FinishReason == "length" {
		stop := string(runes[2:4])
		st, err := f.cl.Complete(ctx, "The capital of France is", llm.Params{Temperature: llm.F64(0), MaxTokens: 10, Stop: []string{stop}})
		if err != nil {
			t.Fatal(err)
		}
		if exp := want.Text[:strings.Index(want.Text, stop)]; st.Text != exp || st.FinishReason != "stop" {
			t.Fatalf("stop %q: got %q (%s), want %q (stop)", stop, st.Text, st.FinishReason, exp)
		}
	} else {
		t.Fatalf("greedy text %q (%s) too short for the stop-string check", want.Text, want.FinishReason)
	}

	// Seeded sampling is reproducible; n samples come back.
	p := llm.Params{Temperature: llm.F64(1), TopP: llm.F64(0.9), Seed: llm.I64(7), MaxTokens: 6}
	a, err := f.cl.Complete(ctx, "Once upon a time", p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.cl.Complete(ctx, "Once upon a time", p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Text != b.Text {
		t.Fatalf("same seed, different text: %q vs %q", a.Text, b.Text)
	}
	body := post(t, f.ts.URL+"/v1/completions", `{"model":"tiny","prompt":"Hi","n":3,"max_tokens":4,"temperature":1,"seed":1}`, 200)
	var resp struct {
		Choices []struct{ Index int } `json:"choices"`
	}
	json.Unmarshal([]byte(body), &resp)
	if len(resp.Choices) != 3 || resp.Choices[2].Index != 2 {
		t.Fatalf("n=3: %s", body)
	}
}

func post(t *testing.T, url, body string, wantStatus int) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("POST %s %s: status %d, want %d: %s", url, body, resp.StatusCode, wantStatus, b)
	}
	return string(b)
}

func TestServeModelsAndErrors(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := http.Get(f.ts.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var models struct {
		Data []struct{ ID string } `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	if len(models.Data) != 1 || models.Data[0].ID != "tiny" {
		t.Fatalf("/v1/models: %+v", models)
	}
	cases := []struct {
		path, body string
		status     int
		mention    string
	}{
		{"/v1/completions", `{"prompt":`, 400, "JSON"},
		{"/v1/completions", `{"model":"other","prompt":"x"}`, 404, "other"},
		{"/v1/completions", `{"prompt":""}`, 400, "prompt"},
		{"/v1/completions", `{"prompt":42}`, 400, "prompt"},
		{"/v1/completions", `{"prompt":"x","max_tokens":0}`, 400, "max_tokens"},
		{"/v1/completions", `{"prompt":"x","max_tokens":100000}`, 400, "context length"},
		{"/v1/completions", `{"prompt":"x","temperature":-1}`, 400, "temperature"},
		{"/v1/completions", `{"prompt":"x","top_p":0}`, 400, "top_p"},
		{"/v1/completions", `{"prompt":"x","n":0}`, 400, "n must be"},
		{"/v1/completions", `{"prompt":"x","stop":5}`, 400, "stop"},
		{"/v1/completions", `{"prompt":"x","max_tokens":-1}`, 400, "at least 1"},
		{"/v1/completions", `{"prompt":"x","max_tokens":4096}`, 400, "lower max_tokens to at most 4095"},
		{"/v1/completions", `{"prompt":"x","max_tokens":5,"max_completion_tokens":6}`, 400, "differ"},
		{"/v1/completions", `{"prompt":"x","max_tokens":"5"}`, 400, "max_tokens"},
		{"/v1/completions", `{"prompt":[1,2],"max_tokens":4095}`, 400, "context length is 4096"},
		{"/v1/completions", `{"prompt":"x","stream_options":{"include_usage":true}}`, 400, "stream=true"},
		{"/v1/completions", `{"prompt":"x","stream":true,"stream_options":{"continuous_usage_stats":true}}`, 400, "continuous_usage_stats"},
		{"/v1/completions", `{"prompt":"x","logprobs":21}`, 400, "logprobs"},
		{"/v1/completions", `{"prompt":"x","echo":true}`, 400, "echo"},
		{"/v1/completions", `{"prompt":"x","best_of":3}`, 400, "best_of"},
		{"/v1/completions", `{"prompt":"x","presence_penalty":0.5}`, 400, "presence_penalty"},
		{"/v1/completions", `{"prompt":"x","min_p":0.1}`, 400, "unknown field \"min_p\""},
		{"/v1/completions", `{"prompt":["a","b"]}`, 400, "one prompt per request"},
		{"/v1/completions", `{"prompt":[1,-2]}`, 400, "outside the vocabulary"},
		{"/v1/completions", `{"prompt":"x","stop":[""]}`, 400, "stop[0] is empty"},
		{"/v1/completions", `{"prompt":"x","n":17}`, 400, "n must be"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}`, 400, "tools"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`, 400, "response_format"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"top_logprobs":2}`, 400, "logprobs=true"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":30}`, 400, "top_logprobs"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x","name":"bob"}]}`, 400, "messages[0].name"},
		{"/v1/chat/completions", `{"messages":[{"role":"user"}]}`, 400, "content is required"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"chat_template_kwargs":{"tools":1}}`, 400, "chat_template_kwargs.tools"},
		{"/v1/chat/completions", `{"messages":[]}`, 400, "messages"},
		{"/v1/chat/completions", `{"messages":[{"role":"tool","content":"x"}]}`, 400, "role"},
		{"/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "image_url"},
	}
	for _, c := range cases {
		body := post(t, f.ts.URL+c.path, c.body, c.status)
		var e struct {
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error.Message, c.mention) || e.Error.Type == "" {
			t.Errorf("%s %s: error body %s does not mention %q", c.path, c.body, body, c.mention)
		}
	}
	resp, err = http.Get(f.ts.URL + "/v1/completions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/completions: %d", resp.StatusCode)
	}
	// The llm client surfaces 4xx as StatusError without retrying.
	_, err = f.cl.Chat(context.Background(), []llm.Message{{Role: "user", Content: "x"}}, llm.Params{MaxTokens: -3})
	var se *llm.StatusError
	if !errors.As(err, &se) || se.Code != 400 {
		t.Fatalf("want a 400 StatusError, got %v", err)
	}
}

func TestServeBatchesConcurrentRequests(t *testing.T) {
	f := newFixture(t, Options{BatchWindow: 300 * time.Millisecond, MaxBatch: 8})
	prompts := []string{"alpha", "beta gamma", "delta epsilon zeta eta", "theta", "iota kappa"}
	got := make([]string, len(prompts))
	var wg sync.WaitGroup
	errs := make(chan error, len(prompts))
	for i, p := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.cl.Complete(context.Background(), p, llm.Params{Temperature: llm.F64(0), MaxTokens: 6})
			if err != nil {
				errs <- err
				return
			}
			got[i] = r.Text
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := f.srv.Stats()
	t.Logf("stats: %+v", st)
	if st.MaxBatchReqs < 2 || st.Batches >= int64(len(prompts)) {
		t.Fatalf("concurrent requests were not batched: %+v", st)
	}
	// Batched greedy results equal each prompt decoded alone.
	for i, p := range prompts {
		if want := f.direct(t, p, 6).Text; got[i] != want {
			t.Fatalf("prompt %q: batched %q, alone %q", p, got[i], want)
		}
	}
}

func TestOpenFromDirectory(t *testing.T) {
	f := newFixture(t, Options{})
	dir := t.TempDir()
	if err := f.m.Save(dir, 0); err != nil {
		t.Fatal(err)
	}
	srv, err := Open(dir, "float32", "", Options{ModelName: "disk"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cl := llm.New(ts.URL+"/v1", "disk")
	cl.MaxRetries = 0
	got, err := cl.Complete(context.Background(), "The capital of France is", llm.Params{Temperature: llm.F64(0), MaxTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The model loaded from disk answers like the in-memory one it was saved from.
	if want := f.direct(t, "The capital of France is", 10); got.Text != want.Text {
		t.Fatalf("loaded model: %q, in-memory model: %q", got.Text, want.Text)
	}
	if _, err := Open(dir, "float32", filepath.Join(dir, "missing-tokenizer.json"), Options{}); err == nil {
		t.Fatal("expected an error for a missing tokenizer file")
	}
	if _, err := Open(t.TempDir(), "float32", "", Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Fatalf("expected an error naming config.json, got %v", err)
	}
	if _, err := Open(dir, "float16", "", Options{}); err == nil || !strings.Contains(err.Error(), "float16") {
		t.Fatalf("expected a dtype error, got %v", err)
	}
}
