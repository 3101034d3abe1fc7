package tokenizer

import "strings"

// Message is one chat turn. Role is "system", "user", "assistant" or "tool"; the jinja
// templates drop turns of any other role, and so does ApplyChatTemplate.
type Message struct {
	Role    string
	Content string
	// Reasoning is an assistant turn's reasoning_content (Qwen3 only). When empty, Qwen3
	// takes the reasoning from a "<think>…</think>" prefix of Content, as its template does.
	Reasoning string
}

// ChatStyle selects which Qwen ChatML template is reproduced.
type ChatStyle int

const (
	// StyleQwen3 is the chat_template of Qwen3's tokenizer_config.json (no tools): assistant
	// turns after the last user query carry a <think> block, earlier ones have it stripped.
	StyleQwen3 ChatStyle = iota
	// StyleQwen25 is the Qwen2.5-Instruct chat_template (no tools): assistant turns verbatim,
	// and a default system turn when the conversation has none.
	StyleQwen25
)

// Qwen25DefaultSystem is the system prompt the Qwen2.5-Instruct template inserts when the
// conversation starts without a system message.
const Qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

// ChatTemplate reproduces a Qwen chat template for plain text turns (no tools).
type ChatTemplate struct {
	Style ChatStyle
	// DefaultSystem, when not empty, is rendered as a system turn if messages[0] is not a
	// system message. Qwen25Chat sets it; the Qwen3 template (and so Qwen3-Base) has none.
	DefaultSystem string
	// DisableThinking renders Qwen3's enable_thinking=false: the generation prompt is
	// followed by an empty "<think>\n\n</think>\n\n" block. Ignored by StyleQwen25.
	DisableThinking bool
}

// Qwen3Chat is the Qwen3 template as shipped (thinking enabled, no default system turn).
var Qwen3Chat = ChatTemplate{Style: StyleQwen3}

// Qwen25Chat is the Qwen2.5-Instruct template with its default system prompt.
var Qwen25Chat = ChatTemplate{Style: StyleQwen25, DefaultSystem: Qwen25DefaultSystem}

// ApplyChatTemplate renders msgs with the tokenizer's template (t.Chat), like HF
// `apply_chat_template(msgs, tokenize=False, add_generation_prompt=...)`.
func (t *Tokenizer) ApplyChatTemplate(msgs []Message, addGenerationPrompt bool) string {
	return t.Chat.Render(msgs, addGenerationPrompt)
}

// Render renders msgs as the jinja template would; addGenerationPrompt appends the opening
// of an assistant turn.
func (c ChatTemplate) Render(msgs []Message, addGenerationPrompt bool) string {
	var b strings.Builder
	turn := func(role, content string) {
		b.WriteString("<|im_start|>" + role + "\n" + content + "<|im_end|>\n")
	}
	if len(msgs) > 0 && msgs[0].Role == "system" {
		turn("system", msgs[0].Content)
	} else if c.DefaultSystem != "" {
		turn("system", c.DefaultSystem)
	}
	lastQuery := len(msgs) - 1 // Qwen3: index of the last user turn that is not a tool response
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.Role == "user" && !(strings.HasPrefix(m.Content, "<tool_response>") && strings.HasSuffix(m.Content, "</tool_response>")) {
			lastQuery = i
			break
		}
	}
	for i, m := range msgs {
		switch {
		case m.Role == "user" || (m.Role == "system" && i > 0):
			turn(m.Role, m.Content)
		case m.Role == "assistant" && c.Style == StyleQwen25:
			turn(m.Role, m.Content)
		case m.Role == "assistant":
			content, reasoning := splitThink(m)
			b.WriteString("<|im_start|>assistant\n")
			if i > lastQuery && (i == len(msgs)-1 || reasoning != "") {
				b.WriteString("<think>\n" + strings.Trim(reasoning, "\n") + "\n</think>\n\n" + strings.TrimLeft(content, "\n"))
			} else {
				b.WriteString(content)
			}
			b.WriteString("<|im_end|>\n")
		case m.Role == "tool":
			if i == 0 || msgs[i-1].Role != "tool" {
				b.WriteString("<|im_start|>user")
			}
			b.WriteString("\n<tool_response>\n" + m.Content + "\n</tool_response>")
			if i == len(msgs)-1 || msgs[i+1].Role != "tool" {
				b.WriteString("<|im_end|>\n")
			}
		}
	}
	if addGenerationPrompt {
		b.WriteString("<|im_start|>assistant\n")
		if c.Style == StyleQwen3 && c.DisableThinking {
			b.WriteString("<think>\n\n</think>\n\n")
		}
	}
	return b.String()
}

// splitThink returns an assistant turn's content and reasoning the way the Qwen3 template
// derives them: content after the last "</think>" (leading newlines dropped), reasoning
// between the last "<think>" and the first "</think>".
func splitThink(m Message) (content, reasoning string) {
	if m.Reasoning != "" {
		return m.Content, m.Reasoning
	}
	if !strings.Contains(m.Content, "</think>") {
		return m.Content, ""
	}
	content = strings.TrimLeft(m.Content[strings.LastIndex(m.Content, "</think>")+len("</think>"):], "\n")
	before := strings.TrimRight(m.Content[:strings.Index(m.Content, "</think>")], "\n")
	if k := strings.LastIndex(before, "<think>"); k >= 0 {
		before = before[k+len("<think>"):]
	}
	return content, strings.TrimLeft(before, "\n")
}
