package complete

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

// hfTokenizer adapts model/tokenizer: Decode drops special tokens (vLLM's
// skip_special_tokens=True).
type hfTokenizer struct{ *tokenizer.Tokenizer }

func (t hfTokenizer) Decode(ids []int) string { return t.Tokenizer.Decode(ids, true) }

// CheckFolder reports whether dir is a Qwen2/Qwen3 checkpoint folder with its tokenizer, and if
// not, what is missing: config.json (model_type qwen2 or qwen3), the weights
// (model.safetensors, or model.safetensors.index.json and its shards) and tokenizer.json.
func CheckFolder(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("verifier model %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("verifier model %s is not a folder (a local model is a Hugging Face checkpoint folder: config.json, model.safetensors, tokenizer.json)", dir)
	}
	var missing []string
	if !isFile(filepath.Join(dir, "config.json")) {
		missing = append(missing, "config.json")
	}
	if !isFile(filepath.Join(dir, "model.safetensors")) && !isFile(filepath.Join(dir, "model.safetensors.index.json")) {
		missing = append(missing, "model.safetensors (or model.safetensors.index.json with its shards)")
	}
	if !isFile(filepath.Join(dir, "tokenizer.json")) {
		tok := "tokenizer.json (the Hugging Face tokenizer the prompt is encoded with"
		if isFile(filepath.Join(dir, "vocab.json")) || isFile(filepath.Join(dir, "tokenizer_config.json")) {
			tok += "; vocab.json, merges.txt and tokenizer_config.json alone are not read"
		}
		missing = append(missing, tok+")")
	}
	if len(missing) > 0 {
		return fmt.Errorf("verifier model %s is not a Qwen2/Qwen3 checkpoint folder: it lacks %s", dir, strings.Join(missing, ", "))
	}
	cfg, err := qwen.LoadConfig(dir)
	if err != nil {
		return fmt.Errorf("verifier model %s: %w", dir, err)
	}
	if cfg.ModelType != "qwen2" && cfg.ModelType != "qwen3" {
		return fmt.Errorf("verifier model %s: model_type %q is not qwen2 or qwen3", dir, cfg.ModelType)
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// generationEOS reads eos_token_id of dir/generation_config.json when the file exists (what
// transformers' generate stops at); other keys are not read.
func generationEOS(dir string) ([]int, error) {
	p := filepath.Join(dir, "generation_config.json")
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var g struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if len(g.EOS) == 0 || string(g.EOS) == "null" {
		return nil, nil
	}
	var one int
	if json.Unmarshal(g.EOS, &one) == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(g.EOS, &many); err != nil {
		return nil, fmt.Errorf("%s: eos_token_id: want a number or a list of numbers", p)
	}
	return many, nil
}

// Open loads the checkpoint folder dir (CheckFolder) on the $GOMLX_BACKEND backend with its
// tokenizer.json. The stop tokens are config.json's eos_token_id, the tokenizer_config.json
// eos_token, generation_config.json's eos_token_id and opts.Stop.
func Open(dir string, opts Options) (*Completer, error) {
	if err := CheckFolder(dir); err != nil {
		return nil, err
	}
	if opts.DType == "" {
		opts.DType = "float32"
	}
	dt, err := qwen.DTypeOf(opts.DType)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("verifier model %s: %w", dir, err)
	}
	cfg, err := qwen.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	if tok.VocabSize() > cfg.VocabSize {
		return nil, fmt.Errorf("verifier model %s: tokenizer.json has %d tokens but config.json's vocab_size is %d", dir, tok.VocabSize(), cfg.VocabSize)
	}
	gen, err := generationEOS(dir)
	if err != nil {
		return nil, err
	}
	if tok.EOSToken != "" {
		id, ok := tok.TokenID(tok.EOSToken)
		if !ok {
			return nil, fmt.Errorf("verifier model %s: tokenizer_config.json eos_token %q is not a token of tokenizer.json", dir, tok.EOSToken)
		}
		gen = append(gen, id)
	}
	opts.Stop = append(append([]int(nil), opts.Stop...), gen...)
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	m, err := qwen.Load(dir, backend, dt)
	if err != nil {
		return nil, err
	}
	return New(m, hfTokenizer{tok}, opts)
}

// HFTokenizer adapts a model/tokenizer tokenizer for New (special tokens dropped on decode).
func HFTokenizer(t *tokenizer.Tokenizer) Tokenizer { return hfTokenizer{t} }
