package job

import (
	"github.com/greason/greason/model/chat"
)

// Template renders a question's prompt with a checkpoint's own chat template (model/chat, the
// Jinja engine for Hugging Face chat templates).
type Template struct {
	Source string // where the template came from (model/chat's Origin)
	tpl    *chat.Template
}

// Prompt is the text of a question's prompt: one user turn, UserTurn(question), rendered with the
// chat template and the generation prompt (verl's apply_chat_template(chat,
// add_generation_prompt=True, tokenize=False), no enable_thinking kwarg); the template adds its
// default system turn, if it has one.
func (t *Template) Prompt(question string) (string, error) {
	return t.tpl.Render([]chat.Message{{Role: "user", Content: UserTurn(question)}}, chat.Options{AddGenerationPrompt: true})
}

// LoadTemplate reads the chat template of the checkpoint folder dir (tokenizer_config.json's
// chat_template, or chat_template.jinja, as chat.Load reads them); a folder without one is an
// error naming it.
func LoadTemplate(dir string) (*Template, error) {
	tpl, err := chat.Load(dir)
	if err != nil {
		return nil, err
	}
	return &Template{Source: tpl.Origin(), tpl: tpl}, nil
}
