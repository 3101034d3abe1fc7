package qwen

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Qwen special tokens shared by Qwen2.5 and Qwen3 vocabularies (151,936 rows).
const (
	QwenVocabSize = 151936
	QwenEndOfText = 151643 // <|endoftext|>
	QwenIMEnd     = 151645 // <|im_end|>
)

// Preset is a named config with where its numbers come from.
type Preset struct {
	Name   string
	Source string // the Hugging Face repository whose config.json the shapes copy, or "test"
	Config *Config
}

// hfShape is the part of a published config.json that fixes the architecture.
type hfShape struct {
	kind                              string
	hidden, ff, layers, heads, kv, hd int
	vocab                             int
	tied                              bool
	maxPos                            int
	eps                               float64
	eos                               int
	theta                             float64 // rope_theta; 0 means 1e6
}

// publishedShapes copies the config.json of the Qwen repositories on the Hugging Face hub (the
// hub is not reachable from here; the values were read from public copies of those files, and the
// parameter totals they imply are checked against the model cards in presets_test.go). All but
// the Qwen2.5-Math shapes use rope_theta 1e6, hidden_act silu, bos_token_id 151643, no sliding window, attention_bias false
// (qwen3); the Qwen3 repositories set head_dim 128 explicitly.
var publishedShapes = []struct {
	name, repo string
	s          hfShape
}{
	// Qwen2.5 base models (the paper's Qwen2.5 bases are the 7B and 14B).
	{"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B", hfShape{"qwen2", 896, 4864, 24, 14, 2, 0, 151936, true, 32768, 1e-6, QwenEndOfText, 0}},
	{"qwen2.5-1.5b", "Qwen/Qwen2.5-1.5B", hfShape{"qwen2", 1536, 8960, 28, 12, 2, 0, 151936, true, 131072, 1e-6, QwenEndOfText, 0}},
	{"qwen2.5-7b", "Qwen/Qwen2.5-7B", hfShape{"qwen2", 3584, 18944, 28, 28, 4, 0, 152064, false, 131072, 1e-6, QwenEndOfText, 0}},
	{"qwen2.5-14b", "Qwen/Qwen2.5-14B", hfShape{"qwen2", 5120, 13824, 48, 40, 8, 0, 152064, false, 131072, 1e-5, QwenEndOfText, 0}},
	// Qwen3 post-trained (hybrid thinking) models.
	{"qwen3-0.6b", "Qwen/Qwen3-0.6B", hfShape{"qwen3", 1024, 3072, 28, 16, 8, 128, 151936, true, 40960, 1e-6, QwenIMEnd, 0}},
	{"qwen3-1.7b", "Qwen/Qwen3-1.7B", hfShape{"qwen3", 2048, 6144, 28, 16, 8, 128, 151936, true, 40960, 1e-6, QwenIMEnd, 0}},
	{"qwen3-4b", "Qwen/Qwen3-4B", hfShape{"qwen3", 2560, 9728, 36, 32, 8, 128, 151936, true, 40960, 1e-6, QwenIMEnd, 0}},
	{"qwen3-8b", "Qwen/Qwen3-8B", hfShape{"qwen3", 4096, 12288, 36, 32, 8, 128, 151936, false, 40960, 1e-6, QwenIMEnd, 0}},
	{"qwen3-14b", "Qwen/Qwen3-14B", hfShape{"qwen3", 5120, 17408, 40, 40, 8, 128, 151936, false, 40960, 1e-6, QwenIMEnd, 0}},
	// Qwen3 base models (the paper's Qwen3 bases are the 4B and 14B): same shapes, 32K context,
	// <|endoftext|> as EOS.
	{"qwen3-0.6b-base", "Qwen/Qwen3-0.6B-Base", hfShape{"qwen3", 1024, 3072, 28, 16, 8, 128, 151936, true, 32768, 1e-6, QwenEndOfText, 0}},
	{"qwen3-1.7b-base", "Qwen/Qwen3-1.7B-Base", hfShape{"qwen3", 2048, 6144, 28, 16, 8, 128, 151936, true, 32768, 1e-6, QwenEndOfText, 0}},
	{"qwen3-4b-base", "Qwen/Qwen3-4B-Base", hfShape{"qwen3", 2560, 9728, 36, 32, 8, 128, 151936, true, 32768, 1e-6, QwenEndOfText, 0}},
	{"qwen3-8b-base", "Qwen/Qwen3-8B-Base", hfShape{"qwen3", 4096, 12288, 36, 32, 8, 128, 151936, false, 32768, 1e-6, QwenEndOfText, 0}},
	{"qwen3-14b-base", "Qwen/Qwen3-14B-Base", hfShape{"qwen3", 5120, 17408, 40, 40, 8, 128, 151936, false, 32768, 1e-6, QwenEndOfText, 0}},
	// General-Verifier (TIGER-Lab/general-verifier, the paper's model-based reward) is fine-tuned
	// from Qwen2.5-Math-1.5B and keeps its config (../shared/paper/protocol.md §1.1): Qwen2, 28
	// layers, hidden 1536, 12/2 heads, intermediate 8960, tied, vocabulary 151,936, rope_theta
	// 10000 and a 4,096-token context (prompt + generation), bos = eos = <|endoftext|>.
	{"qwen2.5-math-1.5b", "Qwen/Qwen2.5-Math-1.5B", hfShape{"qwen2", 1536, 8960, 28, 12, 2, 0, 151936, true, 4096, 1e-6, QwenEndOfText, 10000}},
	{"general-verifier-1.5b", "TIGER-Lab/general-verifier", hfShape{"qwen2", 1536, 8960, 28, 12, 2, 0, 151936, true, 4096, 1e-6, QwenEndOfText, 10000}},
}

// PresetList returns every preset, sorted by name: the published Qwen2.5/Qwen3 shapes above and
// the small test configs with the real Qwen vocabulary ("tiny-*": 2 layers, hidden 32;
// "micro-*": 4 layers, hidden 128).
func PresetList() []Preset {
	bos := QwenEndOfText
	var out []Preset
	for _, p := range publishedShapes {
		s := p.s
		theta := s.theta
		if theta == 0 {
			theta = 1e6
		}
		c := &Config{ModelType: s.kind, VocabSize: s.vocab, HiddenSize: s.hidden, IntermediateSize: s.ff,
			NumHiddenLayers: s.layers, NumAttentionHeads: s.heads, NumKeyValueHeads: s.kv, HeadDim: s.hd,
			RMSNormEps: s.eps, RopeTheta: theta, MaxPositionEmbeddings: s.maxPos, TieWordEmbeddings: s.tied,
			HiddenAct: "silu", BOSTokenID: &bos, EOSTokenID: float64(s.eos), InitializerRange: 0.02}
		if s.kind == "qwen3" {
			f := false
			c.AttentionBias = &f
			c.Architectures = []string{"Qwen3ForCausalLM"}
		} else {
			c.Architectures = []string{"Qwen2ForCausalLM"}
		}
		out = append(out, Preset{Name: p.name, Source: p.repo, Config: c})
	}
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
	out = append(out,
		Preset{"tiny-qwen2", "test", mk("qwen2", 32, 2, 4, 2, 0, 64)},
		Preset{"tiny-qwen3", "test", mk("qwen3", 32, 2, 4, 2, 16, 64)},
		Preset{"micro-qwen2", "test", mk("qwen2", 128, 4, 4, 2, 0, 384)},
		Preset{"micro-qwen3", "test", mk("qwen3", 128, 4, 4, 2, 32, 384)},
	)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Presets returns the preset configs by name (fresh copies on every call).
func Presets() map[string]*Config {
	m := map[string]*Config{}
	for _, p := range PresetList() {
		m[p.Name] = p.Config
	}
	return m
}

// PresetNames lists the preset names, sorted.
func PresetNames() []string {
	var names []string
	for _, p := range PresetList() {
		names = append(names, p.Name)
	}
	return names
}

// ConfigFromFlag resolves a preset name or a config.json path.
func ConfigFromFlag(s string) (*Config, error) {
	if c, ok := Presets()[s]; ok {
		return c, c.Validate()
	}
	if _, err := os.Stat(s); err != nil {
		return nil, fmt.Errorf("config %q is neither a file nor a preset (%s)", s, strings.Join(PresetNames(), ", "))
	}
	return LoadConfig(s)
}

// NumParameters is the number of weights the config implies (the sum over [Config.Weights]).
func (c *Config) NumParameters() int64 {
	var n int64
	for _, w := range c.Weights() {
		k := int64(1)
		for _, d := range w.Shape {
			k *= int64(d)
		}
		n += k
	}
	return n
}
