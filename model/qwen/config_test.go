package qwen

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// Published config.json files, as on the Hugging Face hub (Qwen/Qwen2.5-7B, Qwen/Qwen3-0.6B).
const (
	qwen25_7BConfig = `{
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 3584, "initializer_range": 0.02,
  "intermediate_size": 18944, "max_position_embeddings": 131072, "max_window_layers": 28,
  "model_type": "qwen2", "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
  "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": false,
  "torch_dtype": "bfloat16", "transformers_version": "4.43.1", "use_cache": true, "use_mrope": false,
  "use_sliding_window": false, "vocab_size": 152064}`
	qwen3_06BConfig = `{
  "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
  "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
  "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
  "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
  "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
  "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": true,
  "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": true,
  "use_sliding_window": false, "vocab_size": 151936}`
)

// sameArch compares the fields that fix the architecture and the RoPE.
func sameArch(a, b *Config) bool {
	return a.ModelType == b.ModelType && a.VocabSize == b.VocabSize && a.HiddenSize == b.HiddenSize &&
		a.IntermediateSize == b.IntermediateSize && a.NumHiddenLayers == b.NumHiddenLayers &&
		a.NumAttentionHeads == b.NumAttentionHeads && a.NumKeyValueHeads == b.NumKeyValueHeads &&
		a.HeadDimension() == b.HeadDimension() && a.RMSNormEps == b.RMSNormEps && a.RopeTheta == b.RopeTheta &&
		a.MaxPositionEmbeddings == b.MaxPositionEmbeddings && a.TieWordEmbeddings == b.TieWordEmbeddings &&
		a.QKVBias() == b.QKVBias() && a.OProjBias() == b.OProjBias()
}

func TestPublishedConfigsMatchPresets(t *testing.T) {
	for preset, js := range map[string]string{"qwen2.5-7b": qwen25_7BConfig, "qwen3-0.6b": qwen3_06BConfig} {
		c, err := ParseConfig(preset+"/config.json", []byte(js))
		if err != nil {
			t.Fatalf("%s: %v", preset, err)
		}
		if p := Presets()[preset]; !sameArch(c, p) {
			t.Errorf("%s: parsed %+v, preset %+v", preset, c, p)
		}
		if c.Extra["transformers_version"] == nil || c.Extra["use_sliding_window"] == nil {
			t.Errorf("%s: informational keys not kept: %v", preset, c.Extra)
		}
		// Save writes them back; the result parses to the same config.
		data, err := c.MarshalConfig()
		if err != nil {
			t.Fatal(err)
		}
		c2, err := ParseConfig("saved", data)
		if err != nil || !sameArch(c, c2) || string(c2.Extra["transformers_version"]) != string(c.Extra["transformers_version"]) {
			t.Fatalf("%s: round trip: %v\n%s", preset, err, data)
		}
	}
}

// parseWith parses the Qwen3-0.6B config with keys replaced (a nil value deletes the key).
func parseWith(t *testing.T, base string, set map[string]any) (*Config, error) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else if v == "null" {
			m[k] = nil
		} else {
			m[k] = v
		}
	}
	data, _ := json.Marshal(m)
	return ParseConfig("dir/config.json", data)
}

func TestConfigHFDefaults(t *testing.T) {
	must := func(c *Config, err error) *Config {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// Qwen3 without head_dim: transformers' default 128, not hidden/heads.
	c := must(parseWith(t, qwen3_06BConfig, map[string]any{"head_dim": nil, "hidden_size": 512}))
	if c.HeadDimension() != 128 {
		t.Errorf("qwen3 head_dim default: %d, want 128", c.HeadDimension())
	}
	// Qwen2 without head_dim: hidden/heads; with head_dim: honoured.
	c = must(parseWith(t, qwen25_7BConfig, nil))
	if c.HeadDimension() != 3584/28 {
		t.Errorf("qwen2 head dim %d", c.HeadDimension())
	}
	c = must(parseWith(t, qwen25_7BConfig, map[string]any{"head_dim": 64}))
	if c.HeadDimension() != 64 {
		t.Errorf("qwen2 explicit head_dim %d", c.HeadDimension())
	}
	// Absent keys take Qwen3Config's defaults; num_key_value_heads null means num_attention_heads.
	c = must(parseWith(t, `{"model_type":"qwen3"}`, nil))
	if c.VocabSize != 151936 || c.HiddenSize != 4096 || c.IntermediateSize != 22016 || c.NumHiddenLayers != 32 ||
		c.NumAttentionHeads != 32 || c.NumKeyValueHeads != 32 || c.HeadDimension() != 128 || c.RopeTheta != 10000 ||
		c.RMSNormEps != 1e-6 || c.MaxPositionEmbeddings != 32768 || c.TieWordEmbeddings || c.QKVBias() || c.HiddenAct != "silu" {
		t.Errorf("qwen3 defaults: %+v", c)
	}
	c = must(parseWith(t, qwen3_06BConfig, map[string]any{"num_key_value_heads": "null"}))
	if c.NumKeyValueHeads != 16 {
		t.Errorf("num_key_value_heads null: %d, want num_attention_heads", c.NumKeyValueHeads)
	}
	c = must(parseWith(t, qwen3_06BConfig, map[string]any{"num_key_value_heads": nil, "num_attention_heads": 64}))
	if c.NumKeyValueHeads != 32 {
		t.Errorf("num_key_value_heads absent: %d, want 32", c.NumKeyValueHeads)
	}
	// attention_bias gives Qwen3 q/k/v and o_proj biases.
	c = must(parseWith(t, qwen3_06BConfig, map[string]any{"attention_bias": true}))
	names := map[string]bool{}
	for _, w := range c.Weights() {
		names[w.Name] = true
	}
	for _, n := range []string{"q_proj.bias", "k_proj.bias", "v_proj.bias", "o_proj.bias"} {
		if !names["model.layers.27.self_attn."+n] {
			t.Errorf("attention_bias: no %s", n)
		}
	}
	if q2 := must(parseWith(t, qwen25_7BConfig, nil)); !q2.QKVBias() || q2.OProjBias() {
		t.Errorf("qwen2: q/k/v bias %v, o_proj bias %v", q2.QKVBias(), q2.OProjBias())
	}
	// transformers v5's "dtype".
	c = must(parseWith(t, qwen3_06BConfig, map[string]any{"torch_dtype": nil, "dtype": "bfloat16"}))
	if c.TorchDType != "bfloat16" {
		t.Errorf("dtype: %q", c.TorchDType)
	}
}

func TestConfigRope(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   map[string]any
		theta float64
		err   string
	}{
		{"v4 top level", nil, 1e6, ""},
		{"absent: default 10000", map[string]any{"rope_theta": nil}, 10000, ""},
		{"v5 rope_parameters", map[string]any{"rope_theta": nil, "rope_parameters": map[string]any{"rope_type": "default", "rope_theta": 5e6}}, 5e6, ""},
		{"rope_parameters without theta", map[string]any{"rope_parameters": map[string]any{"rope_type": "default"}}, 1e6, ""},
		{"legacy type key", map[string]any{"rope_scaling": map[string]any{"type": "default"}}, 1e6, ""},
		{"per layer type", map[string]any{"rope_theta": nil, "rope_parameters": map[string]any{"full_attention": map[string]any{"rope_type": "default", "rope_theta": 2e6}}}, 2e6, ""},
		{"both agree", map[string]any{"rope_parameters": map[string]any{"rope_type": "default", "rope_theta": 1e6}}, 1e6, ""},
		{"both disagree", map[string]any{"rope_parameters": map[string]any{"rope_type": "default", "rope_theta": 2e6}}, 0, "disagree"},
		{"yarn", map[string]any{"rope_scaling": map[string]any{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}}, 0, `rope_type "yarn" is not implemented`},
		{"linear via type", map[string]any{"rope_scaling": map[string]any{"type": "linear", "factor": 2.0}}, 0, `"linear" is not implemented`},
		{"partial rotary", map[string]any{"rope_parameters": map[string]any{"rope_type": "default", "partial_rotary_factor": 0.5}}, 0, "partial_rotary_factor"},
		{"unknown rope key", map[string]any{"rope_parameters": map[string]any{"rope_type": "default", "factor": 2.0}}, 0, `key "factor"`},
	} {
		c, err := parseWith(t, qwen3_06BConfig, tc.set)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "dir/config.json") {
				t.Errorf("%s: want error %q naming the file, got %v", tc.name, tc.err, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.RopeTheta != tc.theta {
			t.Errorf("%s: rope_theta %g, want %g", tc.name, c.RopeTheta, tc.theta)
		}
		// What Save writes reads back with the same theta (rope_theta at the top level).
		data, _ := c.MarshalConfig()
		if c2, err := ParseConfig("saved", data); err != nil || c2.RopeTheta != tc.theta {
			t.Errorf("%s: saved config: %v %v\n%s", tc.name, err, c2, data)
		}
	}
}

func TestConfigRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		base string
		set  map[string]any
		err  string
	}{
		{"unknown key", qwen3_06BConfig, map[string]any{"unsloth_fixed": true, "my_flag": 1}, "unknown key(s) my_flag, unsloth_fixed"},
		{"quantized", qwen3_06BConfig, map[string]any{"quantization_config": map[string]any{"bits": 4}}, "quantized"},
		{"custom code", qwen3_06BConfig, map[string]any{"auto_map": map[string]any{"AutoConfig": "x.Y"}}, "auto_map"},
		{"sliding layers", qwen3_06BConfig, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 21}, "layer 21 a sliding layer"},
		{"sliding default window", qwen3_06BConfig, map[string]any{"use_sliding_window": true, "sliding_window": nil, "max_window_layers": 0}, "sliding_window=4096"},
		{"layer_types sliding", qwen3_06BConfig, map[string]any{"use_sliding_window": true, "sliding_window": 64, "max_window_layers": 28,
			"layer_types": append([]any{"sliding_attention"}, repeatAny("full_attention", 27)...)}, "layer 0"},
		{"layer_types length", qwen3_06BConfig, map[string]any{"layer_types": []any{"full_attention"}}, "layer_types has 1 entries"},
		{"dropout", qwen3_06BConfig, map[string]any{"attention_dropout": 0.1}, "attention_dropout"},
		{"mrope", qwen25_7BConfig, map[string]any{"use_mrope": true}, "use_mrope"},
		{"gelu", qwen3_06BConfig, map[string]any{"hidden_act": "gelu"}, "hidden_act"},
		{"classifier", qwen3_06BConfig, map[string]any{"architectures": []any{"Qwen3ForSequenceClassification"}}, "architectures"},
		{"qwen2 attention_bias", qwen25_7BConfig, map[string]any{"attention_bias": false}, "attention_bias"},
		{"encoder-decoder", qwen3_06BConfig, map[string]any{"is_encoder_decoder": true}, "is_encoder_decoder"},
		{"null size", qwen3_06BConfig, map[string]any{"hidden_size": "null"}, "hidden_size is null"},
		{"zero head_dim", qwen3_06BConfig, map[string]any{"head_dim": 0}, "head_dim must be > 0"},
		{"dtype conflict", qwen3_06BConfig, map[string]any{"dtype": "float32"}, "disagree"},
		{"llama", qwen3_06BConfig, map[string]any{"model_type": "llama"}, "model_type"},
	} {
		_, err := parseWith(t, tc.base, tc.set)
		if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "dir/config.json") {
			t.Errorf("%s: want an error containing %q and the file name, got %v", tc.name, tc.err, err)
		}
	}
	// Accepted: sliding window switched on but no layer at or beyond max_window_layers; PretrainedConfig keys.
	if _, err := parseWith(t, qwen3_06BConfig, map[string]any{"use_sliding_window": true, "sliding_window": 4096, "max_window_layers": 28}); err != nil {
		t.Errorf("use_sliding_window with max_window_layers = num_hidden_layers: %v", err)
	}
	if _, err := parseWith(t, qwen3_06BConfig, map[string]any{"_name_or_path": "Qwen/Qwen3-0.6B", "pad_token_id": 151643, "is_decoder": true, "pruned_heads": map[string]any{}}); err != nil {
		t.Errorf("PretrainedConfig keys: %v", err)
	}
}

func repeatAny(s string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// A Go-built qwen3 config without HeadDim means hidden/heads; Save must write that explicitly,
// or transformers (and ParseConfig) would read head_dim 128.
func TestSaveWritesQwen3HeadDim(t *testing.T) {
	c := tinyConfig("qwen3", 50)
	c.HeadDim = 0
	data, err := c.MarshalConfig()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := ParseConfig("saved", data)
	if err != nil {
		t.Fatal(err)
	}
	if c2.HeadDimension() != c.HeadDimension() || !strings.Contains(string(data), `"head_dim": 8`) {
		t.Fatalf("head dim %d after save, want %d\n%s", c2.HeadDimension(), c.HeadDimension(), data)
	}
}

// TestPresetShapes checks every preset against the total parameter counts published for the
// models (model cards: Qwen2.5 "Number of Parameters", Qwen3 "Number of Parameters"; the 14B
// counts also as the hub's safetensors total 14.77B), to the precision given there.
func TestPresetShapes(t *testing.T) {
	published := map[string]struct{ billions, precision float64 }{
		"qwen2.5-0.5b": {0.49, 0.01}, "qwen2.5-1.5b": {1.54, 0.01}, "qwen2.5-7b": {7.61, 0.01}, "qwen2.5-14b": {14.77, 0.01},
		// Qwen2.5-Math-1.5B's card says 1.54B; General-Verifier is that model fine-tuned.
		"qwen2.5-math-1.5b": {1.54, 0.01}, "general-verifier-1.5b": {1.54, 0.01},
		"qwen3-0.6b": {0.6, 0.1}, "qwen3-1.7b": {1.7, 0.1}, "qwen3-4b": {4.0, 0.1}, "qwen3-8b": {8.2, 0.1}, "qwen3-14b": {14.8, 0.1},
	}
	seen := 0
	for _, p := range PresetList() {
		if err := p.Config.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		// The preset survives config.json (what model init writes) unchanged.
		data, err := p.Config.MarshalConfig()
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(p.Name, data)
		if err != nil || !sameArch(c, p.Config) {
			t.Errorf("%s: config.json round trip: %v", p.Name, err)
		}
		if p.Source == "test" {
			continue
		}
		if !strings.HasPrefix(p.Source, "Qwen/") && p.Source != "TIGER-Lab/general-verifier" {
			t.Errorf("%s: source %q", p.Name, p.Source)
		}
		key := strings.TrimSuffix(p.Name, "-base")
		want, ok := published[key]
		if !ok {
			t.Errorf("%s: no published count to check", p.Name)
			continue
		}
		got := float64(p.Config.NumParameters()) / 1e9
		// The cards truncate or round: accept the published figure +- one unit of its last digit.
		if math.Abs(got-want.billions) > want.precision {
			t.Errorf("%s: %.3fB parameters, published %.2fB", p.Name, got, want.billions)
		}
		seen++
	}
	if seen != 16 {
		t.Errorf("checked %d published presets, want 16", seen)
	}
}
