package job

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/greason/greason/model/tokenizer"
)

// Template renders a question's prompt with a checkpoint's own chat template.
type Template struct {
	Source string // the tokenizer_config.json it came from
	render func(userTurn string) (string, error)
}

// Prompt is the text of a question's prompt: one user turn, UserTurn(question), rendered with the
// chat template and the generation prompt (verl's apply_chat_template(chat,
// add_generation_prompt=True, tokenize=False)); the template adds its default system turn, if it
// has one.
func (t *Template) Prompt(question string) (string, error) { return t.render(UserTurn(question)) }

// LoadTemplate reads the chat_template of dir/tokenizer_config.json.
//
// This is the one place that renders chat templates for the job. Until package model/chat (a
// Jinja engine for Hugging Face templates) is merged, it renders the template text it recognises,
// Qwen3's (the Qwen3 and Qwen3-Base checkpoints ship the same text), with the tokenizer's Qwen3
// renderer, and refuses any other template with an error naming the file.
func LoadTemplate(dir string) (*Template, error) {
	path := filepath.Join(dir, "tokenizer_config.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat template: %w", err)
	}
	var cfg struct {
		ChatTemplate *string `json:"chat_template"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("chat template: %s: %w", path, err)
	}
	if cfg.ChatTemplate == nil {
		return nil, fmt.Errorf("chat template: %s has no chat_template", path)
	}
	qwen3, err := qwen3Template()
	if err != nil {
		return nil, err
	}
	if *cfg.ChatTemplate != qwen3 {
		return nil, fmt.Errorf("chat template: the chat_template of %s is not Qwen3's, the only one this build renders (any template once model/chat is merged)", path)
	}
	return &Template{Source: path, render: func(u string) (string, error) {
		return tokenizer.Qwen3Chat.Render([]tokenizer.Message{{Role: "user", Content: u}}, true), nil
	}}, nil
}

// qwen3Template is the chat_template text of the embedded Qwen3 tokenizer_config.json.
func qwen3Template() (string, error) {
	var cfg struct {
		ChatTemplate string `json:"chat_template"`
	}
	if err := json.Unmarshal(tokenizer.Qwen3TokenizerConfig(), &cfg); err != nil {
		return "", fmt.Errorf("embedded Qwen3 tokenizer_config.json: %w", err)
	}
	return cfg.ChatTemplate, nil
}
