package job

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/gomlx/compute"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

// Policy is the loaded model with its tokenizer and chat template.
type Policy struct {
	Model    *qwen.Model
	Tok      *tokenizer.Tokenizer
	Template *Template
	// TokDir holds the tokenizer files (tokenizer.json, tokenizer_config.json, ...) that every
	// checkpoint gets a copy of.
	TokDir string
	// Stop are the rollouts' stop tokens: the tokenizer's eos_token, then the EOS ids of
	// config.json and generation_config.json (what vLLM stops at in verl's rollouts).
	Stop   []int
	Pad    int
	Source string // what it was loaded from
}

// tokenizerFiles are copied from TokDir into each checkpoint's model folder when present (the
// first two are required).
var tokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "generation_config.json", "special_tokens_map.json", "vocab.json", "merges.txt"}

// LoadPolicy loads pc: a checkpoint folder (its weights, tokenizer and chat template) or a preset
// with random weights, whose tokenizer files (the embedded Qwen3 tokenizer) are written to
// tokDir.
func LoadPolicy(pc PolicyConfig, backend compute.Backend, tokDir string) (*Policy, error) {
	dt, err := qwen.DTypeOf(orDefault(pc.DType, "float32"))
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	if pc.Model != "" {
		for _, f := range tokenizerFiles[:2] {
			if _, err := os.Stat(filepath.Join(pc.Model, f)); err != nil {
				return nil, fmt.Errorf("policy.model %s: no %s (a checkpoint folder holds config.json, the safetensors, tokenizer.json and tokenizer_config.json)", pc.Model, f)
			}
		}
		if p.Model, err = qwen.Load(pc.Model, backend, dt); err != nil {
			return nil, fmt.Errorf("policy.model: %w", err)
		}
		if pc.Preset != "" {
			want, ok := qwen.Presets()[pc.Preset]
			if !ok {
				return nil, fmt.Errorf("field policy.preset: unknown preset %q (%v)", pc.Preset, qwen.PresetNames())
			}
			if err := sameArchitecture(p.Model.Config, want); err != nil {
				return nil, fmt.Errorf("policy.model %s is not a %s checkpoint: %w", pc.Model, pc.Preset, err)
			}
		}
		p.TokDir, p.Source = pc.Model, pc.Model
	} else {
		cfg, ok := qwen.Presets()[pc.Preset]
		what := "preset " + pc.Preset
		if pc.Config != "" {
			if cfg, err = qwen.LoadConfig(pc.Config); err != nil {
				return nil, fmt.Errorf("policy.config: %w", err)
			}
			ok, what = true, pc.Config
		}
		if !ok {
			return nil, fmt.Errorf("field policy.preset: unknown preset %q (%v)", pc.Preset, qwen.PresetNames())
		}
		if p.Model, err = qwen.NewRandom(cfg, backend, dt, qwen.InitOptions{Seed: pc.InitSeed, Std: pc.InitStd}); err != nil {
			return nil, err
		}
		if err := tokenizer.WriteQwen3Files(tokDir); err != nil {
			return nil, err
		}
		p.TokDir, p.Source = tokDir, fmt.Sprintf("%s, random weights (seed %d)", what, pc.InitSeed)
	}
	if p.Tok, err = tokenizer.Load(filepath.Join(p.TokDir, "tokenizer.json")); err != nil {
		return nil, err
	}
	if p.Tok.VocabSize() > p.Model.Config.VocabSize {
		return nil, fmt.Errorf("policy: the tokenizer has %d tokens, the model's vocab_size is %d", p.Tok.VocabSize(), p.Model.Config.VocabSize)
	}
	if p.Template, err = LoadTemplate(p.TokDir); err != nil {
		return nil, err
	}
	if p.Tok.EOSToken == "" {
		return nil, fmt.Errorf("policy: %s has no eos_token: the rollouts would not know where a response ends", filepath.Join(p.TokDir, "tokenizer_config.json"))
	}
	eos, _ := p.Tok.TokenID(p.Tok.EOSToken)
	p.Stop = []int{eos}
	cfgEOS, err := p.Model.Config.EOSTokenIDs()
	if err != nil {
		return nil, err
	}
	genEOS, err := generationEOS(filepath.Join(p.TokDir, "generation_config.json"))
	if err != nil {
		return nil, err
	}
	for _, id := range append(cfgEOS, genEOS...) {
		if !slices.Contains(p.Stop, id) {
			p.Stop = append(p.Stop, id)
		}
	}
	p.Pad = eos // padded positions are masked: any id in the vocabulary serves
	if id, ok := p.Tok.TokenID("<|endoftext|>"); ok {
		p.Pad = id
	}
	return p, nil
}

// sameArchitecture reports how got differs from want in the weight shapes.
func sameArchitecture(got, want *qwen.Config) error {
	type dims struct{ kind, v, d, ff, l, h, kv, hd int }
	if got.ModelType != want.ModelType {
		return fmt.Errorf("model_type %s, want %s", got.ModelType, want.ModelType)
	}
	a := dims{0, got.VocabSize, got.HiddenSize, got.IntermediateSize, got.NumHiddenLayers, got.NumAttentionHeads, got.NumKeyValueHeads, got.HeadDimension()}
	b := dims{0, want.VocabSize, want.HiddenSize, want.IntermediateSize, want.NumHiddenLayers, want.NumAttentionHeads, want.NumKeyValueHeads, want.HeadDimension()}
	if a != b || got.TieWordEmbeddings != want.TieWordEmbeddings {
		return fmt.Errorf("shape (vocab, hidden, ff, layers, heads, kv heads, head dim) %v tied %v, want %v tied %v",
			[]int{a.v, a.d, a.ff, a.l, a.h, a.kv, a.hd}, got.TieWordEmbeddings, []int{b.v, b.d, b.ff, b.l, b.h, b.kv, b.hd}, want.TieWordEmbeddings)
	}
	return nil
}

// CopyTokenizer copies the tokenizer files of TokDir into dir (a checkpoint's model folder).
func (p *Policy) CopyTokenizer(dir string) error {
	for i, f := range tokenizerFiles {
		src := filepath.Join(p.TokDir, f)
		in, err := os.Open(src)
		if err != nil {
			if i >= 2 && os.IsNotExist(err) {
				continue
			}
			return err
		}
		tmp := filepath.Join(dir, "."+f+".tmp")
		out, err := os.Create(tmp)
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, filepath.Join(dir, f))
		}
		if err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// generationEOS reads eos_token_id (an id or a list) of a generation_config.json; none when the
// file does not exist.
func generationEOS(path string) ([]int, error) {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cfg struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cfg.EOS) == 0 || string(cfg.EOS) == "null" {
		return nil, nil
	}
	var one int
	if err := json.Unmarshal(cfg.EOS, &one); err == nil {
		return []int{one}, nil
	}
	var many []int
	if err := json.Unmarshal(cfg.EOS, &many); err != nil {
		return nil, fmt.Errorf("%s field eos_token_id: want an id or a list of ids", path)
	}
	return many, nil
}
