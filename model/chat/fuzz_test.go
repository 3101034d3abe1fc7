package chat

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRenderContent: message text is data, never template syntax. Qwen3's template renders a
// lone user turn as the ChatML turn with the text verbatim, whatever the text holds, and a
// following assistant turn of any text renders without error.
func FuzzRenderContent(f *testing.F) {
	src, err := os.ReadFile(filepath.Join("testdata", "templates", "qwen3.jinja"))
	if err != nil {
		f.Fatal(err)
	}
	tpl, err := Parse(string(src), map[string]string{"eos_token": "<|im_end|>"})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "{{ messages }}", "{% raw %}x{% endraw %}", "\\boxed{}", "<think>\n</think>\n\nA",
		"<tool_response>x</tool_response>", "\x00\xff", "\r\n", "{#", "}}{{"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, user, assistant string) {
		out, err := tpl.Render([]Message{{Role: "user", Content: user}}, Options{AddGenerationPrompt: true})
		if want := "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n"; err != nil || out != want {
			t.Fatalf("user %q: got %q, %v", user, out, err)
		}
		if _, err := tpl.Render([]Message{{Role: "user", Content: user}, {Role: "assistant", Content: assistant}}, Options{}); err != nil {
			t.Fatalf("assistant %q: %v", assistant, err)
		}
	})
}
