package tokenizer

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestWriteQwen3Files: the written folder loads as the embedded tokenizer (same ids, same
// eos_token) and its tokenizer_config.json is the embedded one byte for byte (chat_template
// included).
func TestWriteQwen3Files(t *testing.T) {
	dir := t.TempDir()
	if err := WriteQwen3Files(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	emb := mustQwen3(t)
	text := "<|im_start|>user\nDivide 347 by 100 Please reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
	if a, b := got.Encode(text), emb.Encode(text); !slices.Equal(a, b) {
		t.Fatalf("written tokenizer encodes %v, embedded %v", a, b)
	}
	if got.EOSToken != emb.EOSToken || got.VocabSize() != emb.VocabSize() {
		t.Fatalf("eos %q / %q, vocab %d / %d", got.EOSToken, emb.EOSToken, got.VocabSize(), emb.VocabSize())
	}
	cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
	if err != nil || !bytes.Equal(cfg, qwen3ConfigJSON) || !bytes.Contains(cfg, []byte(`"chat_template"`)) {
		t.Fatalf("tokenizer_config.json differs from the embedded one (%v)", err)
	}
}
