package chat

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var user = []Message{{Role: "user", Content: "hi"}}

func mustRender(t *testing.T, tpl *Template, msgs []Message, opts Options) string {
	t.Helper()
	out, err := tpl.Render(msgs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoadConfigString(t *testing.T) {
	dir := writeFiles(t, map[string]string{"tokenizer_config.json": `{
		"bos_token": null, "unk_token": null,
		"eos_token": "<|im_end|>",
		"pad_token": {"__type": "AddedToken", "content": "<|endoftext|>", "lstrip": false},
		"additional_special_tokens": ["<|im_start|>", {"content": "<|im_end|>"}],
		"chat_template": "{{ eos_token }}|{{ pad_token }}|{{ bos_token is defined }}|{{ additional_special_tokens | join(',') }}|{{ messages[0].content }}|{{ tools is none }}|{{ enable_thinking is defined }}"
	}`})
	tpl, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := mustRender(t, tpl, user, Options{}), "<|im_end|>|<|endoftext|>|False|<|im_start|>,<|im_end|>|hi|True|False"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	no := false
	if got := mustRender(t, tpl, user, Options{EnableThinking: &no}); !strings.HasSuffix(got, "|True") {
		t.Errorf("enable_thinking set: %q", got)
	}
	if want := filepath.Join(dir, "tokenizer_config.json") + " chat_template"; tpl.Origin() != want {
		t.Errorf("origin %q want %q", tpl.Origin(), want)
	}
}

func TestLoadNamedAndFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tokenizer_config.json": `{"chat_template": [{"name": "default", "template": "cfg-default"}, {"name": "tool_use", "template": "cfg-tool"}, {"name": "rag", "template": "cfg-rag"}]}`,
	})
	for name, want := range map[string]string{"": "cfg-default", "default": "cfg-default", "tool_use": "cfg-tool", "rag": "cfg-rag"} {
		tpl, err := LoadNamed(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustRender(t, tpl, user, Options{}); got != want {
			t.Errorf("%q: got %q want %q", name, got, want)
		}
	}
	if _, err := LoadNamed(dir, "nope"); err == nil || !strings.Contains(err.Error(), `no template named "nope" (it has: default, rag, tool_use)`) {
		t.Errorf("unknown name: %v", err)
	}
	// The newer layout: chat_template.jinja replaces the default, additional_chat_templates/ the named.
	dir2 := writeFiles(t, map[string]string{
		"tokenizer_config.json":                    `{"chat_template": [{"name": "default", "template": "cfg-default"}, {"name": "tool_use", "template": "cfg-tool"}]}`,
		"chat_template.jinja":                      "file-default\n",
		"additional_chat_templates/tool_use.jinja": "file-tool",
		"additional_chat_templates/notes.txt":      "not a template",
	})
	for name, want := range map[string]string{"": "file-default", "tool_use": "file-tool"} {
		tpl, err := LoadNamed(dir2, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := mustRender(t, tpl, user, Options{}); got != want {
			t.Errorf("%q: got %q want %q", name, got, want)
		}
	}
	// Only chat_template.jinja, no tokenizer_config.json.
	tpl, err := Load(writeFiles(t, map[string]string{"chat_template.jinja": "{{ messages | length }}"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRender(t, tpl, []Message{{Role: "user", Content: "a"}, {Role: "assistant", Content: "b"}}, Options{}); got != "2" {
		t.Errorf("got %q", got)
	}
	// A list without "default" and no name asked: an error naming what there is.
	if _, err := Load(writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "tool_use", "template": "x"}]}`})); err == nil || !strings.Contains(err.Error(), `no template named "default" (it has: tool_use)`) {
		t.Errorf("no default: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name string
		dir  string
		want []string
	}{
		{"empty folder", empty, []string{empty, "no tokenizer_config.json", "no chat_template.jinja", "no built-in template"}},
		{"config without template", writeFiles(t, map[string]string{"tokenizer_config.json": `{"eos_token": "x", "chat_template": null}`}), []string{`tokenizer_config.json has no "chat_template"`}},
		{"template of a wrong type", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": 3}`}), []string{"tokenizer_config.json", "chat_template must be a string or a list"}},
		{"list entry without template", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "default"}]}`}), []string{"chat_template[0]"}},
		{"duplicate name", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": [{"name": "a", "template": "x"}, {"name": "a", "template": "y"}]}`}), []string{`chat_template[1]: name "a" appears twice`}},
		{"bad special token", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": "x", "eos_token": 5}`}), []string{"tokenizer_config.json", "eos_token must be a string"}},
		{"bad additional token", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": "x", "additional_special_tokens": ["a", {"lstrip": true}]}`}), []string{"additional_special_tokens[1]"}},
		{"not JSON", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": `}), []string{"tokenizer_config.json"}},
		{"empty template", writeFiles(t, map[string]string{"tokenizer_config.json": `{"chat_template": ""}`}), []string{"chat_template: the chat template is empty"}},
		{"syntax error", writeFiles(t, map[string]string{"chat_template.jinja": "{% for m in messages %}{{ m }"}), []string{"chat_template.jinja"}},
		{"not a folder", filepath.Join(empty, "missing"), []string{"missing"}},
	}
	for _, c := range cases {
		_, err := Load(c.dir)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.name, err, w)
			}
		}
	}
}

func TestRenderErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"chat_template.jinja": "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with a user turn') }}{% endif %}ok"})
	tpl, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustRender(t, tpl, user, Options{}); got != "ok" {
		t.Errorf("got %q", got)
	}
	_, err = tpl.Render([]Message{{Role: "assistant", Content: "x"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "Conversation must start with a user turn") || !strings.Contains(err.Error(), "chat_template.jinja") {
		t.Errorf("raise_exception: %v", err)
	}
	if _, err := tpl.Render(nil, Options{}); err == nil {
		t.Error("no messages: no error")
	}
}

// TestEmbeddedQwen3Config reads model/tokenizer's embedded Qwen3 tokenizer_config.json the way
// callers of the embedded tokenizer do, and checks its template is the one the goldens test.
func TestEmbeddedQwen3Config(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "tokenizer", "data", "qwen3_tokenizer_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := ParseConfig("qwen3_tokenizer_config.json", raw, "")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Source() != readTemplate(t, "qwen3") {
		t.Error("the embedded Qwen3 chat_template differs from testdata/templates/qwen3.jinja")
	}
	if _, err := ParseConfig("x.json", []byte(`{"eos_token": "a"}`), ""); err == nil || !strings.Contains(err.Error(), `x.json has no "chat_template"`) {
		t.Errorf("no template: %v", err)
	}
}

func TestRenderConcurrent(t *testing.T) {
	tpl, err := Parse(readTemplate(t, "qwen3"), map[string]string{"eos_token": "<|im_end|>"})
	if err != nil {
		t.Fatal(err)
	}
	want := mustRender(t, tpl, user, Options{AddGenerationPrompt: true})
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if got, err := tpl.Render(user, Options{AddGenerationPrompt: true}); err != nil || got != want {
					errs <- got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent render gave %q", e)
	}
}
