package chat

import "testing"

// BenchmarkRender renders the paper's training prompt (one user turn, generation prompt) with each
// checkpoint template.
func BenchmarkRender(b *testing.B) {
	msgs := []Message{{Role: "user", Content: "A train travels 120 km in 1.5 hours. What is its average speed in km/h?" +
		" Please reason step by step, and put your final answer within \\boxed{}."}}
	for _, name := range []string{"qwen3", "qwen2.5", "qwen2.5-math"} {
		tpl, err := Parse(readTemplate(b, name), map[string]string{"eos_token": "<|im_end|>"})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tpl.Render(msgs, Options{AddGenerationPrompt: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
