package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
)

// Qwen3Files are the file names WriteQwen3Files writes: the files of a Hugging Face checkpoint
// folder that hold its tokenizer and its chat template.
var Qwen3Files = []string{"tokenizer.json", "tokenizer_config.json"}

// WriteQwen3Files writes the embedded Qwen3 tokenizer (tokenizer.json) and its
// tokenizer_config.json (eos_token, chat_template, ...) into dir, as a checkpoint folder holds
// them: a model trained from random weights with this tokenizer is then a complete checkpoint.
func WriteQwen3Files(dir string) error {
	raw, err := gunzip(qwen3TokenizerGz)
	if err != nil {
		return fmt.Errorf("tokenizer: embedded qwen3_tokenizer.json.gz: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, b := range [][]byte{raw, qwen3ConfigJSON} {
		p := filepath.Join(dir, Qwen3Files[i])
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, b, 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}

// Qwen3TokenizerConfig returns a copy of the embedded Qwen3 tokenizer_config.json.
func Qwen3TokenizerConfig() []byte { return append([]byte(nil), qwen3ConfigJSON...) }
