package tokenizer

import (
	"os"
	"path/filepath"
)

// WriteQwen3Files writes the embedded Qwen3 tokenizer (tokenizer.json) and its
// tokenizer_config.json (eos_token, chat_template, ...) into dir, as a checkpoint folder holds
// them (Qwen3Files): a model trained from random weights with this tokenizer is then a complete
// checkpoint. Each file is written to a temporary name and renamed.
func WriteQwen3Files(dir string) error {
	tj, tc, err := Qwen3Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"tokenizer.json", tj}, {"tokenizer_config.json", tc}} {
		p := filepath.Join(dir, f.name)
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, f.b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}
