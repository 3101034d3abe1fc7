// Package qwen implements the Qwen2 and Qwen3 decoder-only transformers in GoMLX, driven by a
// Hugging Face config.json and HF safetensors weights (tensor names as in transformers), plus a
// batched KV-cache sampler.
//
// The forward pass is a plain graph function ([Forward]) over variables of a model.Store named
// exactly like the HF tensors, so a trainer can call it inside its own training graph and take
// gradients of every weight.
package qwen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/greason/greason/model/safetensors"
)

// Config holds the fields of a HF Qwen2/Qwen3 config.json that the architecture needs.
//
// A Config built in Go means what its fields say (HeadDim 0: hidden_size / num_attention_heads).
// [ParseConfig] reads a config.json the way Hugging Face transformers does: absent keys get the
// Qwen2Config/Qwen3Config defaults (see [ParseConfig]), rope_parameters/rope_scaling are resolved
// to RopeTheta, and keys that do not change the forward pass are kept verbatim in Extra.
type Config struct {
	ModelType             string   `json:"model_type"` // "qwen2" or "qwen3"
	Architectures         []string `json:"architectures,omitempty"`
	VocabSize             int      `json:"vocab_size"`
	HiddenSize            int      `json:"hidden_size"`
	IntermediateSize      int      `json:"intermediate_size"`
	NumHiddenLayers       int      `json:"num_hidden_layers"`
	NumAttentionHeads     int      `json:"num_attention_heads"`
	NumKeyValueHeads      int      `json:"num_key_value_heads"`
	HeadDim               int      `json:"head_dim,omitempty"` // 0: hidden_size / num_attention_heads
	RMSNormEps            float64  `json:"rms_norm_eps"`
	RopeTheta             float64  `json:"rope_theta"`
	MaxPositionEmbeddings int      `json:"max_position_embeddings"`
	TieWordEmbeddings     bool     `json:"tie_word_embeddings"`
	AttentionBias         *bool    `json:"attention_bias,omitempty"` // Qwen3: biases on q/k/v and o_proj; Qwen2 always has q/k/v biases
	HiddenAct             string   `json:"hidden_act"`
	TorchDType            string   `json:"torch_dtype,omitempty"`
	BOSTokenID            *int     `json:"bos_token_id,omitempty"`
	EOSTokenID            any      `json:"eos_token_id,omitempty"` // int or list of ints
	InitializerRange      float64  `json:"initializer_range,omitempty"`

	// Extra holds the other keys of the parsed config.json (known to transformers, checked, and
	// without effect on the forward pass: transformers_version, use_cache, sliding_window, ...)
	// verbatim; Save writes them back.
	Extra map[string]json.RawMessage `json:"-"`
}

// Hugging Face defaults of the keys a config.json may omit: the keyword defaults of
// transformers' Qwen2Config and Qwen3Config (models/qwen2/configuration_qwen2.py,
// models/qwen3/configuration_qwen3.py, identical in v4.51 and v5 except that v5 moved
// rope_theta into rope_parameters) and of RotaryEmbeddingConfigMixin.default_theta.
const (
	hfDefaultVocabSize        = 151936
	hfDefaultHiddenSize       = 4096
	hfDefaultIntermediateSize = 22016
	hfDefaultNumHiddenLayers  = 32
	hfDefaultNumHeads         = 32
	hfDefaultNumKVHeads       = 32 // absent: 32; explicit null: num_attention_heads
	hfDefaultQwen3HeadDim     = 128
	hfDefaultHiddenAct        = "silu"
	hfDefaultMaxPositions     = 32768
	hfDefaultInitRange        = 0.02
	hfDefaultRMSNormEps       = 1e-6
	hfDefaultRopeTheta        = 10000.0
	hfDefaultSlidingWindow    = 4096 // only used when use_sliding_window is true
	hfDefaultMaxWindowLayers  = 28
)

// configFieldKeys are the config.json keys decoded into Config fields.
var configFieldKeys = map[string]bool{
	"model_type": true, "architectures": true, "vocab_size": true, "hidden_size": true,
	"intermediate_size": true, "num_hidden_layers": true, "num_attention_heads": true,
	"num_key_value_heads": true, "head_dim": true, "rms_norm_eps": true, "rope_theta": true,
	"max_position_embeddings": true, "tie_word_embeddings": true, "attention_bias": true,
	"hidden_act": true, "torch_dtype": true, "bos_token_id": true, "eos_token_id": true,
	"initializer_range": true,
}

// configCheckedKeys are Qwen2Config/Qwen3Config keys whose values ParseConfig checks against what
// the model implements (and resolves, for the RoPE keys) before keeping them in Extra.
var configCheckedKeys = map[string]bool{
	"rope_parameters": true, "rope_scaling": true, // RoPE: only rope_type "default"
	"use_sliding_window": true, "sliding_window": true, "max_window_layers": true, "layer_types": true, // no sliding layer
	"attention_dropout": true, // 0 only (we train without dropout)
	"use_mrope":         true, // false only (Qwen2.5 configs carry "use_mrope": false)
	"dtype":             true, // transformers v5's name for torch_dtype
}

// configInfoKeys are keys of transformers' PretrainedConfig (configuration_utils.py) and of the
// published Qwen config.json files that do not change a decoder-only forward pass; they are kept
// in Extra. Keys that would change it (is_encoder_decoder, add_cross_attention, pruned_heads,
// quantization_config, auto_map) are checked or rejected in ParseConfig.
var configInfoKeys = map[string]bool{
	"transformers_version": true, "_name_or_path": true, "_commit_hash": true, "_attn_implementation": true,
	"use_cache": true, "pad_token_id": true, "sep_token_id": true, "decoder_start_token_id": true,
	"is_decoder": true, "return_dict": true, "output_hidden_states": true, "output_attentions": true,
	"torchscript": true, "use_bfloat16": true, "tf_legacy_loss": true, "chunk_size_feed_forward": true,
	"tie_encoder_decoder": true, "finetuning_task": true, "id2label": true, "label2id": true,
	"tokenizer_class": true, "prefix": true, "task_specific_params": true, "problem_type": true,
	"cross_attention_hidden_size": true,
	// generation defaults that old transformers versions wrote into config.json
	"max_length": true, "min_length": true, "do_sample": true, "early_stopping": true, "num_beams": true,
	"num_beam_groups": true, "diversity_penalty": true, "temperature": true, "top_k": true, "top_p": true,
	"typical_p": true, "repetition_penalty": true, "length_penalty": true, "no_repeat_ngram_size": true,
	"encoder_no_repeat_ngram_size": true, "bad_words_ids": true, "num_return_sequences": true,
	"output_scores": true, "return_dict_in_generate": true, "forced_bos_token_id": true,
	"forced_eos_token_id": true, "remove_invalid_values": true, "exponential_decay_length_penalty": true,
	"suppress_tokens": true, "begin_suppress_tokens": true,
}

// configMustBeOff are PretrainedConfig keys accepted only with a value that leaves the model a
// plain decoder (false, null, or empty).
var configMustBeOff = map[string]bool{"is_encoder_decoder": true, "add_cross_attention": true, "pruned_heads": true}

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

// ParseConfig parses config.json content as transformers' Qwen2Config/Qwen3Config would; name is
// used in error messages.
//
// Defaults of absent keys (transformers v4.51/v5): vocab_size 151936, hidden_size 4096,
// intermediate_size 22016, num_hidden_layers 32, num_attention_heads 32, num_key_value_heads 32
// (null: num_attention_heads), head_dim 128 for qwen3 (hidden_size/num_attention_heads for qwen2,
// whose attention reads getattr(config, "head_dim", hidden/heads)), hidden_act silu,
// max_position_embeddings 32768, rms_norm_eps 1e-6, rope_theta 10000, tie_word_embeddings false,
// attention_bias false (qwen3; it puts biases on q/k/v and o_proj), initializer_range 0.02.
//
// RoPE: rope_theta may be top-level (v4) or inside rope_parameters (v5) or the legacy
// rope_scaling dict (which v5 reads as rope_parameters); rope_type (or legacy "type") must be
// "default"; per-layer-type dicts ({"full_attention": {...}}) are accepted when they agree.
// Sliding-window attention is rejected when any layer would use it (use_sliding_window with
// max_window_layers < num_hidden_layers, or layer_types naming sliding_attention).
// A key that transformers does not know for these models is an error naming it.
func ParseConfig(name string, data []byte) (*Config, error) {
	c, err := parseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

func parseConfig(data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	isNull := func(k string) bool { v, ok := raw[k]; return ok && string(bytes.TrimSpace(v)) == "null" }
	var unknown []string
	for k := range raw {
		switch {
		case configFieldKeys[k], configCheckedKeys[k], configInfoKeys[k], configMustBeOff[k]:
		case k == "quantization_config" || k == "quantization":
			return nil, fmt.Errorf("key %s: quantized checkpoints are not supported (want float32/bfloat16/float16 weights)", k)
		case k == "auto_map":
			return nil, fmt.Errorf("key auto_map: the checkpoint needs custom modeling code (trust_remote_code), not the transformers Qwen2/Qwen3 architecture")
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown key(s) %s: not keys of transformers' Qwen2Config/Qwen3Config or PretrainedConfig", strings.Join(unknown, ", "))
	}
	for k := range configMustBeOff {
		if v, ok := raw[k]; ok {
			switch strings.TrimSpace(string(v)) {
			case "false", "null", "{}", "[]":
			default:
				return nil, fmt.Errorf("key %s = %s is not supported (plain decoder-only models only)", k, v)
			}
		}
	}
	var mt struct {
		ModelType string `json:"model_type"`
	}
	if err := json.Unmarshal(data, &mt); err != nil {
		return nil, fmt.Errorf("field model_type: %w", err)
	}
	c := &Config{ModelType: mt.ModelType, VocabSize: hfDefaultVocabSize, HiddenSize: hfDefaultHiddenSize,
		IntermediateSize: hfDefaultIntermediateSize, NumHiddenLayers: hfDefaultNumHiddenLayers,
		NumAttentionHeads: hfDefaultNumHeads, NumKeyValueHeads: hfDefaultNumKVHeads, HiddenAct: hfDefaultHiddenAct,
		MaxPositionEmbeddings: hfDefaultMaxPositions, InitializerRange: hfDefaultInitRange,
		RMSNormEps: hfDefaultRMSNormEps, RopeTheta: hfDefaultRopeTheta}
	switch c.ModelType {
	case "qwen3":
		c.HeadDim = hfDefaultQwen3HeadDim
		f := false
		c.AttentionBias = &f
	case "qwen2":
		if _, ok := raw["attention_bias"]; ok {
			return nil, fmt.Errorf("key attention_bias is not a Qwen2 key (Qwen2 always has q/k/v biases and no o_proj bias): remove it")
		}
	default:
		return nil, fmt.Errorf("model_type %q is not supported (want qwen2 or qwen3)", c.ModelType)
	}
	for _, k := range []string{"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
		"head_dim", "rms_norm_eps", "rope_theta", "max_position_embeddings", "tie_word_embeddings", "attention_bias",
		"hidden_act", "initializer_range", "model_type"} {
		if isNull(k) {
			return nil, fmt.Errorf("field %s is null", k)
		}
	}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	if v, ok := raw["head_dim"]; ok && c.HeadDim <= 0 {
		return nil, fmt.Errorf("field head_dim must be > 0, got %s", v)
	}
	if isNull("num_key_value_heads") {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if err := resolveDType(c, raw); err != nil {
		return nil, err
	}
	for _, a := range c.Architectures {
		want := map[string]string{"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}[c.ModelType]
		if a != want {
			return nil, fmt.Errorf("field architectures: %q is not supported for model_type %s (want %s)", a, c.ModelType, want)
		}
	}
	if err := resolveRope(c, raw); err != nil {
		return nil, err
	}
	if err := checkNoSlidingLayers(c, raw); err != nil {
		return nil, err
	}
	if v, ok := raw["attention_dropout"]; ok {
		var d float64
		if err := json.Unmarshal(v, &d); err != nil || d != 0 {
			return nil, fmt.Errorf("field attention_dropout = %s is not supported (only 0)", v)
		}
	}
	if v, ok := raw["use_mrope"]; ok {
		var b bool
		if err := json.Unmarshal(v, &b); err != nil || b {
			return nil, fmt.Errorf("field use_mrope = %s is not supported (multimodal RoPE; only false)", v)
		}
	}
	for k, v := range raw {
		if !configFieldKeys[k] && k != "rope_parameters" && k != "rope_scaling" && k != "dtype" {
			if c.Extra == nil {
				c.Extra = map[string]json.RawMessage{}
			}
			c.Extra[k] = v
		}
	}
	return c, nil
}

// resolveDType accepts transformers v5's "dtype" as torch_dtype.
func resolveDType(c *Config, raw map[string]json.RawMessage) error {
	v, ok := raw["dtype"]
	if !ok || string(bytes.TrimSpace(v)) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return fmt.Errorf("field dtype: %w", err)
	}
	if c.TorchDType != "" && c.TorchDType != s {
		return fmt.Errorf("fields dtype (%q) and torch_dtype (%q) disagree", s, c.TorchDType)
	}
	c.TorchDType = s
	return nil
}

// layerTypeNames are the keys of a per-layer-type rope_parameters dict.
var layerTypeNames = map[string]bool{"full_attention": true, "sliding_attention": true}

// resolveRope sets c.RopeTheta from rope_scaling / rope_parameters (transformers v5:
// rope_parameters = rope_scaling or rope_parameters; its rope_theta wins over the top-level key,
// which we require to agree) and rejects every RoPE variant but "default".
func resolveRope(c *Config, raw map[string]json.RawMessage) error {
	key := ""
	var rp map[string]any
	for _, k := range []string{"rope_scaling", "rope_parameters"} {
		v, ok := raw[k]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("field %s: want an object or null: %w", k, err)
		}
		if len(m) > 0 {
			key, rp = k, m
			break
		}
	}
	if rp == nil {
		return nil
	}
	// Per-layer-type form: {"full_attention": {...}, "sliding_attention": {...}}.
	nested := true
	for k := range rp {
		if !layerTypeNames[k] {
			nested = false
		}
	}
	var dicts []map[string]any
	if nested {
		for _, lt := range []string{"full_attention", "sliding_attention"} {
			if v, ok := rp[lt]; ok {
				m, ok := v.(map[string]any)
				if !ok {
					return fmt.Errorf("field %s.%s: want an object", key, lt)
				}
				dicts = append(dicts, m)
			}
		}
	} else {
		dicts = []map[string]any{rp}
	}
	theta := math.NaN()
	for _, m := range dicts {
		rt := "default"
		for _, k := range []string{"type", "rope_type"} { // rope_type wins over the legacy type
			if v, ok := m[k]; ok {
				s, ok := v.(string)
				if !ok {
					return fmt.Errorf("field %s.%s: want a string, got %v", key, k, v)
				}
				rt = s
			}
		}
		if rt != "default" {
			return fmt.Errorf("field %s: rope_type %q is not implemented (only \"default\" RoPE; no linear/dynamic/yarn/longrope/llama3 scaling)", key, rt)
		}
		for k, v := range m {
			switch k {
			case "type", "rope_type":
			case "rope_theta":
				f, ok := v.(float64)
				if !ok || f <= 0 {
					return fmt.Errorf("field %s.rope_theta: want a positive number, got %v", key, v)
				}
				if !math.IsNaN(theta) && f != theta {
					return fmt.Errorf("field %s: layer types have different rope_theta (%g, %g)", key, theta, f)
				}
				theta = f
			case "partial_rotary_factor":
				if f, ok := v.(float64); !ok || f != 1 {
					return fmt.Errorf("field %s.partial_rotary_factor = %v is not supported (only 1)", key, v)
				}
			default:
				return fmt.Errorf("field %s: key %q is not a parameter of default RoPE", key, k)
			}
		}
	}
	if math.IsNaN(theta) {
		return nil // top-level rope_theta or the default
	}
	if _, ok := raw["rope_theta"]; ok && c.RopeTheta != theta {
		return fmt.Errorf("fields rope_theta (%g) and %s.rope_theta (%g) disagree", c.RopeTheta, key, theta)
	}
	c.RopeTheta = theta
	return nil
}

// checkNoSlidingLayers rejects configs in which some layer uses sliding-window attention, as
// transformers decides it: sliding_window applies only when use_sliding_window is true, to the
// layers whose layer_types entry is "sliding_attention" (default: layers >= max_window_layers).
func checkNoSlidingLayers(c *Config, raw map[string]json.RawMessage) error {
	var use bool
	if v, ok := raw["use_sliding_window"]; ok && string(bytes.TrimSpace(v)) != "null" {
		if err := json.Unmarshal(v, &use); err != nil {
			return fmt.Errorf("field use_sliding_window: %w", err)
		}
	}
	window := hfDefaultSlidingWindow
	hasWindow := true
	if v, ok := raw["sliding_window"]; ok {
		if string(bytes.TrimSpace(v)) == "null" {
			hasWindow = false
		} else if err := json.Unmarshal(v, &window); err != nil {
			return fmt.Errorf("field sliding_window: %w", err)
		}
	}
	maxWindow := hfDefaultMaxWindowLayers
	if v, ok := raw["max_window_layers"]; ok && string(bytes.TrimSpace(v)) != "null" {
		if err := json.Unmarshal(v, &maxWindow); err != nil {
			return fmt.Errorf("field max_window_layers: %w", err)
		}
	}
	var types []string
	if v, ok := raw["layer_types"]; ok && string(bytes.TrimSpace(v)) != "null" {
		if err := json.Unmarshal(v, &types); err != nil {
			return fmt.Errorf("field layer_types: %w", err)
		}
		if len(types) != c.NumHiddenLayers {
			return fmt.Errorf("field layer_types has %d entries for %d layers", len(types), c.NumHiddenLayers)
		}
		for i, t := range types {
			if !layerTypeNames[t] {
				return fmt.Errorf("field layer_types[%d] = %q (want full_attention or sliding_attention)", i, t)
			}
		}
	}
	if !use || !hasWindow {
		return nil // sliding_window is None: every layer attends fully
	}
	first := -1 // the first sliding layer
	if types != nil {
		first = slices.Index(types, "sliding_attention")
	} else if maxWindow < c.NumHiddenLayers {
		first = max(maxWindow, 0)
	}
	if first >= 0 {
		return fmt.Errorf("sliding-window attention is not implemented: use_sliding_window=true with sliding_window=%d makes layer %d a sliding layer (max_window_layers=%d)", window, first, maxWindow)
	}
	return nil
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
	if !(c.RMSNormEps > 0) {
		return fmt.Errorf("field rms_norm_eps must be > 0, got %g", c.RMSNormEps)
	}
	if !(c.RopeTheta > 0) {
		return fmt.Errorf("field rope_theta must be > 0, got %g", c.RopeTheta)
	}
	if c.MaxPositionEmbeddings < 0 {
		return fmt.Errorf("field max_position_embeddings must be >= 0, got %d", c.MaxPositionEmbeddings)
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		return fmt.Errorf("field hidden_act %q is not supported (only silu)", c.HiddenAct)
	}
	if c.ModelType == "qwen2" && c.AttentionBias != nil {
		return fmt.Errorf("field attention_bias is a Qwen3 key (Qwen2 always has q/k/v biases and no o_proj bias)")
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

// QKVBias reports whether q/k/v projections have biases (always for Qwen2; attention_bias for Qwen3).
func (c *Config) QKVBias() bool {
	if c.ModelType == "qwen2" {
		return true
	}
	return c.AttentionBias != nil && *c.AttentionBias
}

// OProjBias reports whether o_proj has a bias: Qwen3 with attention_bias (transformers'
// Qwen3Attention gives q/k/v/o_proj all bias=config.attention_bias); never for Qwen2.
func (c *Config) OProjBias() bool {
	return c.ModelType == "qwen3" && c.AttentionBias != nil && *c.AttentionBias
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

// Save writes the config as dir/config.json atomically, with the keys kept in Extra. head_dim
// is always written for qwen3 (transformers' default for an absent head_dim is 128, not
// hidden_size/num_attention_heads).
func (c *Config) Save(dir string) error {
	data, err := c.MarshalConfig()
	if err != nil {
		return err
	}
	return safetensors.WriteAtomic(filepath.Join(dir, "config.json"), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// MarshalConfig returns the config.json content Save writes (keys sorted, indented).
func (c *Config) MarshalConfig() ([]byte, error) {
	cfg := *c
	if cfg.ModelType == "qwen3" {
		cfg.HeadDim = cfg.HeadDimension()
	}
	fields, err := json.Marshal(&cfg)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(fields, &m); err != nil {
		return nil, err
	}
	for k, v := range c.Extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
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
		if c.OProjBias() {
			ws = append(ws, WeightShape{p + "self_attn.o_proj.bias", []int{d}, "bias"})
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
