// Package qwen implements the Qwen2 and Qwen3 decoder-only transformers in GoMLX, driven by a
// Hugging Face config.json and HF safetensors weights (tensor names as in transformers), plus a
// batched KV-cache sampler.
//
// The forward pass is a plain graph function ([Forward]) over variables of a model.Store named
// exactly like the HF tensors, so a trainer can call it inside its own training graph and take
// gradients of every weight.
package qwen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/greason/greason/train/safetensors"
)

// Config holds the fields of a HF Qwen2/Qwen3 config.json that the architecture needs.
type Config struct {
	ModelType             string   `json:"model_type"` // "qwen2" or "qwen3"
	Architectures         []string `json:"architectures,omitempty"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim,omitempty"` // Qwen3; Qwen2 uses hidden/heads
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	AttentionBias         *bool    `json:"attention_bias,omitempty"` // Qwen3; Qwen2 always has q/k/v biases
	HiddenAct             string   `json:"hidden_act"`
	TorchDType            string   `json:"torch_dtype,omitempty"`
	BOSTokenID            *int     `json:"bos_token_id,omitempty"`
	EOSTokenID            any      `json:"eos_token_id,omitempty"` // int or list of ints
	UseSlidingWindow      bool     `json:"use_sliding_window,omitempty"`
	RopeScaling           any      `json:"rope_scaling,omitempty"`
	InitializerRange      float64  `json:"initializer_range,omitempty"`
}

// LoadConfig reads and validates dir/config.json (or a config file path).
func LoadConfig(path string) (*Config, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(path, data)
}

// ParseConfig parses config.json content; name is used in error messages.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &c, nil
}

// Validate checks the fields; errors name the field.
func (c *Config) Validate() error {
	switch c.ModelType {
	case "qwen2", "qwen3":
	default:
		return fmt.Errorf("model_type %q is not supported (want qwen2 or qwen3)", c.ModelType)
	}
	pos := map[string]int{
		"vocab_size": c.VocabSize, "hidden_size": c.HiddenSize, "intermediate_size": c.IntermediateSize,
		"num_hidden_layers": c.NumHiddenLayers, "num_attention_heads": c.NumAttentionHeads,
		"num_key_value_heads": c.NumKeyValueHeads,
	}
	for _, k := range []string{"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads"} {
		if pos[k] <= 0 {
			return fmt.Errorf("field %s must be > 0, got %d", k, pos[k])
		}
	}
	if c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return fmt.Errorf("field num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)", c.NumAttentionHeads, c.NumKeyValueHeads)
	}
	if c.HeadDim < 0 {
		return fmt.Errorf("field head_dim must be > 0, got %d", c.HeadDim)
	}
	if c.HeadDim == 0 && c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("field hidden_size (%d) must be a multiple of num_attention_heads (%d) when head_dim is absent", c.HiddenSize, c.NumAttentionHeads)
	}
	if c.HeadDimension()%2 != 0 {
		return fmt.Errorf("head dimension %d must be even for RoPE", c.HeadDimension())
	}
	if c.RMSNormEps <= 0 {
		return fmt.Errorf("field rms_norm_eps must be > 0, got %g", c.RMSNormEps)
	}
	if c.RopeTheta <= 0 {
		return fmt.Errorf("field rope_theta must be > 0, got %g", c.RopeTheta)
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		return fmt.Errorf("field hidden_act %q is not supported (only silu)", c.HiddenAct)
	}
	if c.UseSlidingWindow {
		return fmt.Errorf("field use_sliding_window=true is not supported")
	}
	if c.RopeScaling != nil {
		return fmt.Errorf("field rope_scaling is not supported (got %v)", c.RopeScaling)
	}
	if _, err := c.EOSTokenIDs(); err != nil {
		return err
	}
	return nil
}

// HeadDimension is head_dim if set, else hidden_size / num_attention_heads.
func (c *Config) HeadDimension() int {
	if c.HeadDim > 0 {
		return c.HeadDim
	}
	return c.HiddenSize / c.NumAttentionHeads
}

// QKVBias reports whether q/k/v projections have biases (always for Qwen2).
func (c *Config) QKVBias() bool {
	if c.ModelType == "qwen2" {
		return true
	}
	return c.AttentionBias != nil && *c.AttentionBias
}

// QKNorm reports whether the model has per-head q_norm/k_norm (Qwen3).
func (c *Config) QKNorm() bool { return c.ModelType == "qwen3" }

// EOSTokenIDs returns eos_token_id as a list.
func (c *Config) EOSTokenIDs() ([]int, error) {
	switch v := c.EOSTokenID.(type) {
	case nil:
		return nil, nil
	case float64:
		return []int{int(v)}, nil
	case []any:
		out := make([]int, 0, len(v))
		for _, x := range v {
			f, ok := x.(float64)
			if !ok {
				return nil, fmt.Errorf("field eos_token_id: list element %v is not a number", x)
			}
			out = append(out, int(f))
		}
		return out, nil
	case int:
		return []int{v}, nil
	case []int:
		return v, nil
	}
	return nil, fmt.Errorf("field eos_token_id: want a number or a list of numbers, got %T", c.EOSTokenID)
}

// Save writes the config as dir/config.json atomically.
func (c *Config) Save(dir string) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return safetensors.WriteAtomic(filepath.Join(dir, "config.json"), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WeightShape is one expected HF tensor of the architecture.
type WeightShape struct {
	Name  string
	Shape []int
	Kind  string // "embed", "linear", "bias", "norm"
}

// Weights lists every tensor the architecture expects, with HF names and shapes.
func (c *Config) Weights() []WeightShape {
	d, hd := c.HiddenSize, c.HeadDimension()
	h, kv, ff := c.NumAttentionHeads, c.NumKeyValueHeads, c.IntermediateSize
	ws := []WeightShape{{"model.embed_tokens.weight", []int{c.VocabSize, d}, "embed"}}
	for l := 0; l < c.NumHiddenLayers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		ws = append(ws,
			WeightShape{p + "input_layernorm.weight", []int{d}, "norm"},
			WeightShape{p + "self_attn.q_proj.weight", []int{h * hd, d}, "linear"},
			WeightShape{p + "self_attn.k_proj.weight", []int{kv * hd, d}, "linear"},
			WeightShape{p + "self_attn.v_proj.weight", []int{kv * hd, d}, "linear"},
			WeightShape{p + "self_attn.o_proj.weight", []int{d, h * hd}, "linear"},
		)
		if c.QKVBias() {
			ws = append(ws,
				WeightShape{p + "self_attn.q_proj.bias", []int{h * hd}, "bias"},
				WeightShape{p + "self_attn.k_proj.bias", []int{kv * hd}, "bias"},
				WeightShape{p + "self_attn.v_proj.bias", []int{kv * hd}, "bias"},
			)
		}
		if c.QKNorm() {
			ws = append(ws,
				WeightShape{p + "self_attn.q_norm.weight", []int{hd}, "norm"},
				WeightShape{p + "self_attn.k_norm.weight", []int{hd}, "norm"},
			)
		}
		ws = append(ws,
			WeightShape{p + "post_attention_layernorm.weight", []int{d}, "norm"},
			WeightShape{p + "mlp.gate_proj.weight", []int{ff, d}, "linear"},
			WeightShape{p + "mlp.up_proj.weight", []int{ff, d}, "linear"},
			WeightShape{p + "mlp.down_proj.weight", []int{d, ff}, "linear"},
		)
	}
	ws = append(ws, WeightShape{"model.norm.weight", []int{d}, "norm"})
	if !c.TieWordEmbeddings {
		ws = append(ws, WeightShape{"lm_head.weight", []int{c.VocabSize, d}, "linear"})
	}
	return ws
}

// Qwen special tokens shared by Qwen2.5 and Qwen3 vocabularies (151,936 rows).
const (
	QwenVocabSize = 151936
	QwenEndOfText = 151643 // <|endoftext|>
	QwenIMEnd     = 151645 // <|im_end|>
)

// Presets are small configs with the real Qwen vocabulary, for tests and micro runs with the
// Qwen tokenizer ("tiny-*": 2 layers, hidden 32; "micro-*": 4 layers, hidden 128).
func Presets() map[string]*Config {
	f := false
	eos := []any{float64(QwenIMEnd), float64(QwenEndOfText)}
	mk := func(kind string, hidden, layers, heads, kv, headDim, ff int) *Config {
		c := &Config{ModelType: kind, VocabSize: QwenVocabSize, HiddenSize: hidden, IntermediateSize: ff,
			NumHiddenLayers: layers, NumAttentionHeads: heads, NumKeyValueHeads: kv, HeadDim: headDim,
			RMSNormEps: 1e-6, RopeTheta: 1000000, MaxPositionEmbeddings: 4096, TieWordEmbeddings: true,
			HiddenAct: "silu", EOSTokenID: eos, InitializerRange: 0.02}
		if kind == "qwen3" {
			c.Architectures = []string{"Qwen3ForCausalLM"}
			c.AttentionBias = &f
		} else {
			c.Architectures = []string{"Qwen2ForCausalLM"}
		}
		return c
	}
	return map[string]*Config{
		"tiny-qwen2":  mk("qwen2", 32, 2, 4, 2, 0, 64),
		"tiny-qwen3":  mk("qwen3", 32, 2, 4, 2, 16, 64),
		"micro-qwen2": mk("qwen2", 128, 4, 4, 2, 0, 384),
		"micro-qwen3": mk("qwen3", 128, 4, 4, 2, 32, 384),
	}
}

// ConfigFromFlag resolves a preset name or a config.json path.
func ConfigFromFlag(s string) (*Config, error) {
	if c, ok := Presets()[s]; ok {
		return c, c.Validate()
	}
	if _, err := os.Stat(s); err != nil {
		names := make([]string, 0)
		for k := range Presets() {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("config %q is neither a file nor a preset (%s)", s, strings.Join(names, ", "))
	}
	return LoadConfig(s)
}
