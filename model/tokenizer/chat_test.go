package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestChatTemplateGolden compares Render with the jinja templates rendered by
// @huggingface/jinja (testdata/chat_golden.json, made by tools/tokgold/gold.mjs): Qwen3's
// chat_template from its tokenizer_config.json, with and without enable_thinking=false, and
// the Qwen2.5-Instruct template.
func TestChatTemplateGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "chat_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name                string `json:"name"`
		Template            string `json:"template"`
		AddGenerationPrompt bool   `json:"add_generation_prompt"`
		Messages            []struct {
			Role             string `json:"role"`
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
		} `json:"messages"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d chat cases", len(cases))
	}
	templates := map[string]ChatTemplate{
		"qwen3":             Qwen3Chat,
		"qwen3_no_thinking": {Style: StyleQwen3, DisableThinking: true},
		"qwen2.5":           Qwen25Chat,
	}
	for _, c := range cases {
		tpl, ok := templates[c.Template]
		if !ok {
			t.Fatalf("unknown template %q", c.Template)
		}
		msgs := make([]Message, len(c.Messages))
		for i, m := range c.Messages {
			msgs[i] = Message{Role: m.Role, Content: m.Content, Reasoning: m.ReasoningContent}
		}
		if got := tpl.Render(msgs, c.AddGenerationPrompt); got != c.Text {
			t.Errorf("%s/%s gen=%v:\n got %q\nwant %q", c.Name, c.Template, c.AddGenerationPrompt, got, c.Text)
		}
	}
}

func TestApplyChatTemplateDefaults(t *testing.T) {
	tok := mustQwen3(t)
	msgs := []Message{{Role: "user", Content: "2+2?"}}
	if got, want := tok.ApplyChatTemplate(msgs, true), "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"; got != want {
		t.Errorf("Qwen3 default: got %q want %q", got, want)
	}
	q25 := tok.WithChat(Qwen25Chat)
	want := "<|im_start|>system\n" + Qwen25DefaultSystem + "<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n"
	if got := q25.ApplyChatTemplate(msgs, true); got != want {
		t.Errorf("Qwen2.5: got %q want %q", got, want)
	}
	// The default system turn is an option: a Qwen2.5-style template without it.
	noSys := tok.WithChat(ChatTemplate{Style: StyleQwen25})
	if got, want := noSys.ApplyChatTemplate(msgs, false), "<|im_start|>user\n2+2?<|im_end|>\n"; got != want {
		t.Errorf("no default system: got %q want %q", got, want)
	}
	// WithChat leaves the shared tokenizer alone.
	if tok.Chat != Qwen3Chat {
		t.Errorf("LoadQwen3().Chat changed to %+v", tok.Chat)
	}
	// The rendered prompt encodes with the ChatML markers as single ids.
	ids := tok.Encode(want)
	im, _ := tok.TokenID("<|im_start|>")
	if ids[0] != im || ids[0] != 151644 {
		t.Errorf("prompt starts with id %d, want <|im_start|> (151644)", ids[0])
	}
	if got := q25.Decode(ids, false); got != want {
		t.Errorf("decode(encode(prompt)) = %q", got)
	}
}
