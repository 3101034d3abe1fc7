// Package chat renders conversations with a checkpoint's own Jinja chat template, as Hugging Face
// transformers' apply_chat_template does: the template text from the checkpoint folder
// (tokenizer_config.json's "chat_template", or chat_template.jinja), the context transformers
// builds (messages, tools=None, documents=None, add_generation_prompt, the tokenizer's special
// tokens, the caller's template kwargs) and the Jinja environment it sets up (trim_blocks and
// lstrip_blocks on, loop controls, tojson as json.dumps with ensure_ascii=False, raise_exception,
// strftime_now). The Jinja engine is github.com/ardanlabs/jinja, a Go engine made for LLM chat
// templates; renderings are checked byte for byte against @huggingface/jinja and Python's Jinja2
// (testdata/golden.json, tools/chatgold).
//
// There is no built-in template: a folder without one is an error (see Load).
package chat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ardanlabs/jinja"
)

// Message is one chat turn.
type Message struct {
	Role    string // "system", "user", "assistant", "tool"; the template decides what each means
	Content string
	// Reasoning, when not empty, is passed as the turn's reasoning_content (Qwen3's template
	// renders it as the assistant turn's <think> block). Empty: the key is absent.
	Reasoning string
}

// Options are apply_chat_template's arguments.
type Options struct {
	// AddGenerationPrompt appends the opening of an assistant turn (add_generation_prompt).
	AddGenerationPrompt bool
	// EnableThinking, when set, is passed as the template kwarg enable_thinking (Qwen3: false
	// renders an empty <think></think> block after the generation prompt). Nil: not passed, so
	// the template sees it undefined, as transformers does without the kwarg.
	EnableThinking *bool
}

// Template is a compiled chat template with the special tokens it may read. It is safe for
// concurrent use.
type Template struct {
	src    string
	origin string // where the text came from, for errors and Origin
	tpl    *jinja.Template
	vars   map[string]jinja.Value
}

// Parse compiles a chat template. special holds the tokenizer's special tokens by their
// tokenizer_config.json names ("bos_token", "eos_token", "pad_token", ...); pass only those that
// are set, as transformers does (a template reading an unset one sees it undefined).
func Parse(src string, special map[string]string) (*Template, error) {
	vars := make(map[string]jinja.Value, len(special))
	for k, v := range special {
		vars[k] = jinja.NewString(v)
	}
	return compile("chat template", src, vars)
}

func compile(origin, src string, vars map[string]jinja.Value) (*Template, error) {
	if src == "" {
		return nil, fmt.Errorf("%s: the chat template is empty", origin)
	}
	tpl, err := jinja.Compile(jinjaSource(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", origin, err)
	}
	return &Template{src: src, origin: origin, tpl: tpl, vars: vars}, nil
}

// jinjaSource applies what Jinja2's lexer does to a template source before the engine sees it
// (the engine does neither): every line ending ("\r\n", "\r", "\n") becomes "\n", and one
// trailing newline is dropped (keep_trailing_newline=False, the default transformers keeps).
func jinjaSource(src string) string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	return strings.TrimSuffix(src, "\n")
}

// Source is the template text.
func (t *Template) Source() string { return t.src }

// Origin says where the template came from ("DIR/chat_template.jinja",
// "DIR/tokenizer_config.json chat_template", ...).
func (t *Template) Origin() string { return t.origin }

// Render renders msgs as apply_chat_template(msgs, tokenize=False, add_generation_prompt=...,
// enable_thinking=...) does. A template's raise_exception and any evaluation error are returned
// as errors naming the template's origin.
func (t *Template) Render(msgs []Message, opts Options) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("chat: no messages to render")
	}
	list := make([]jinja.Value, len(msgs))
	for i, m := range msgs {
		d := jinja.NewDict()
		d.AsDict().Set("role", jinja.NewString(m.Role))
		d.AsDict().Set("content", jinja.NewString(m.Content))
		if m.Reasoning != "" {
			d.AsDict().Set("reasoning_content", jinja.NewString(m.Reasoning))
		}
		list[i] = d
	}
	ctx := map[string]jinja.Value{
		"messages":              jinja.NewList(list),
		"tools":                 jinja.None(),
		"documents":             jinja.None(),
		"add_generation_prompt": jinja.NewBool(opts.AddGenerationPrompt),
	}
	if opts.EnableThinking != nil {
		ctx["enable_thinking"] = jinja.NewBool(*opts.EnableThinking)
	}
	return t.render(ctx)
}

// render runs the template over ctx plus the special tokens and our globals.
func (t *Template) render(ctx map[string]jinja.Value) (string, error) {
	data := make(map[string]jinja.Value, len(ctx)+len(t.vars)+1)
	for k, v := range t.vars {
		data[k] = v
	}
	data["strftime_now"] = strftimeNow
	for k, v := range ctx {
		data[k] = v
	}
	out, err := t.tpl.RenderValues(data)
	if err != nil {
		return "", fmt.Errorf("%s: render: %w", t.origin, err)
	}
	return out, nil
}
