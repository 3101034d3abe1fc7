package serve

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/tokenizer"
)

// promptTokens posts a chat request (max_tokens 1) and returns usage.prompt_tokens.
func promptTokens(t *testing.T, url, body string) int {
	t.Helper()
	var r struct {
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal([]byte(post(t, url+"/v1/chat/completions", body, 200)), &r); err != nil {
		t.Fatal(err)
	}
	return r.Usage.PromptTokens
}

// errorMessage posts a request that must fail with 400 and returns the error message.
func errorMessage(t *testing.T, url, body string) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(post(t, url+"/v1/chat/completions", body, 400)), &e); err != nil {
		t.Fatal(err)
	}
	return e.Error.Message
}

// TestChatTemplateKwargs: enable_thinking and reasoning_content reach Qwen3's own template.
func TestChatTemplateKwargs(t *testing.T) {
	f := newFixture(t, Options{})
	no, yes := false, true
	user := []chat.Message{{Role: "user", Content: "What is 2+2?"}}
	count := func(msgs []chat.Message, thinking *bool) int { return len(f.tok.Encode(f.prompt(t, msgs, thinking))) }
	for _, c := range []struct {
		kwargs string
		want   int
	}{
		{``, count(user, nil)},
		{`,"chat_template_kwargs":{"enable_thinking":false}`, count(user, &no)},
		{`,"chat_template_kwargs":{"enable_thinking":true}`, count(user, &yes)},
	} {
		got := promptTokens(t, f.ts.URL, `{"messages":[{"role":"user","content":"What is 2+2?"}],"max_tokens":1`+c.kwargs+`}`)
		if got != c.want {
			t.Errorf("%s: prompt_tokens %d, want %d", c.kwargs, got, c.want)
		}
	}
	if count(user, &no) <= count(user, nil) {
		t.Fatal("enable_thinking=false adds no tokens: the check above is too weak")
	}
	// reasoning_content of the last assistant turn becomes its <think> block.
	msgs := []chat.Message{{Role: "user", Content: "Q"}, {Role: "assistant", Content: "A", Reasoning: "long reasoning here"}}
	got := promptTokens(t, f.ts.URL, `{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A","reasoning_content":"long reasoning here"}],"max_tokens":1}`)
	plain := []chat.Message{{Role: "user", Content: "Q"}, {Role: "assistant", Content: "A"}}
	if want := count(msgs, nil); got != want || want <= count(plain, nil) {
		t.Errorf("reasoning_content: prompt_tokens %d, want %d", got, want)
	}
}

// TestOpenChatTemplate: Open takes the chat template from the checkpoint folder; a folder
// without one serves completions and refuses chat requests with a 400 naming the folder.
func TestOpenChatTemplate(t *testing.T) {
	f := newFixture(t, Options{})
	dir := t.TempDir()
	if err := f.m.Save(dir, 0); err != nil {
		t.Fatal(err)
	}
	open := func() (*Server, string) {
		t.Helper()
		srv, err := Open(dir, "float32", "", Options{ModelName: "disk"})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(func() { ts.Close(); srv.Close() })
		return srv, ts.URL
	}
	body := `{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2?"}],"max_tokens":1}`

	// config.json + weights only.
	srv, url := open()
	if _, err := srv.ChatTemplate(); err == nil {
		t.Fatal("a folder without a chat template gave one")
	}
	if msg := errorMessage(t, url, body); !strings.Contains(msg, "no chat template") || !strings.Contains(msg, dir) || !strings.Contains(msg, "tokenizer_config.json") {
		t.Errorf("no template: %q", msg)
	}
	post(t, url+"/v1/completions", `{"prompt":"The capital of France is","max_tokens":1}`, 200)

	// The real Qwen3 tokenizer files: the same prompt as the fixture's template.
	tj, tc, err := tokenizer.Qwen3Files()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"tokenizer.json": tj, "tokenizer_config.json": tc} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv, url = open()
	if tpl, err := srv.ChatTemplate(); err != nil || tpl.Source() != f.chat.Source() {
		t.Fatalf("template from the folder: %v", err)
	}
	want := len(f.tok.Encode(f.prompt(t, []chat.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "What is 2+2?"}}, nil)))
	if got := promptTokens(t, url, body); got != want {
		t.Errorf("prompt_tokens %d, want %d", got, want)
	}

	// chat_template.jinja replaces the config's template; its raise_exception is a 400.
	jinja := "{%- if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
		"{%- for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte(jinja), 0o644); err != nil {
		t.Fatal(err)
	}
	_, url = open()
	if msg := errorMessage(t, url, body); !strings.Contains(msg, "System role not supported") {
		t.Errorf("raise_exception: %q", msg)
	}
	if got, want := promptTokens(t, url, `{"messages":[{"role":"user","content":"hi"}],"max_tokens":1}`), len(f.tok.Encode("<user>hi")); got != want {
		t.Errorf("chat_template.jinja: prompt_tokens %d, want %d", got, want)
	}
}
