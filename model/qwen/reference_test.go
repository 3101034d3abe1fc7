package qwen

import (
	"fmt"
	"math"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/safetensors"
)

// This file is an independent reference: a plain float64 Qwen2/Qwen3 forward pass written with
// loops from the HF modeling code (no GoMLX), used to check the graph implementation.

type refWeights map[string][]float64

func loadRefWeights(t testing.TB, dir string) refWeights {
	t.Helper()
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	w := refWeights{}
	for _, n := range ck.Names() {
		info, raw, err := ck.Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.ToFloat32(info.DType, raw)
		if err != nil {
			t.Fatal(err)
		}
		v := make([]float64, len(f))
		for i := range f {
			v[i] = float64(f[i])
		}
		w[n] = v
	}
	return w
}

func (w refWeights) get(t testing.TB, name string) []float64 {
	v, ok := w[name]
	if !ok {
		t.Fatalf("reference: missing %s", name)
	}
	return v
}

// matVec computes W x (+ b) for W [out, in] row-major.
func matVec(W, x, b []float64, out int) []float64 {
	in := len(x)
	y := make([]float64, out)
	for o := 0; o < out; o++ {
		s := 0.0
		for i := 0; i < in; i++ {
			s += W[o*in+i] * x[i]
		}
		if b != nil {
			s += b[o]
		}
		y[o] = s
	}
	return y
}

func refRMSNorm(x, w []float64, eps float64) []float64 {
	ss := 0.0
	for _, v := range x {
		ss += v * v
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+eps)
	y := make([]float64, len(x))
	for i := range x {
		y[i] = x[i] * r * w[i]
	}
	return y
}

func refRoPE(x []float64, pos int, theta float64) {
	hd := len(x)
	half := hd / 2
	for j := 0; j < half; j++ {
		a := float64(pos) * math.Pow(theta, -float64(2*j)/float64(hd))
		c, s := math.Cos(a), math.Sin(a)
		x1, x2 := x[j], x[j+half]
		x[j] = x1*c - x2*s
		x[j+half] = x2*c + x1*s
	}
}

// refForward returns logits [T][V] for one unpadded sequence at positions 0..T-1.
func refForward(t testing.TB, cfg *Config, w refWeights, tokens []int) [][]float64 {
	D, V := cfg.HiddenSize, cfg.VocabSize
	H, KV, hd, FF := cfg.NumAttentionHeads, cfg.NumKeyValueHeads, cfg.HeadDimension(), cfg.IntermediateSize
	G := H / KV
	T := len(tokens)
	E := w.get(t, "model.embed_tokens.weight")
	x := make([][]float64, T)
	for i, id := range tokens {
		x[i] = append([]float64(nil), E[id*D:(id+1)*D]...)
	}
	opt := func(name string) []float64 {
		if v, ok := w[name]; ok {
			return v
		}
		return nil
	}
	for l := 0; l < cfg.NumHiddenLayers; l++ {
		p := fmt.Sprintf("model.layers.%d.", l)
		q := make([][]float64, T)
		k := make([][]float64, T)
		v := make([][]float64, T)
		for i := 0; i < T; i++ {
			h := refRMSNorm(x[i], w.get(t, p+"input_layernorm.weight"), cfg.RMSNormEps)
			q[i] = matVec(w.get(t, p+"self_attn.q_proj.weight"), h, opt(p+"self_attn.q_proj.bias"), H*hd)
			k[i] = matVec(w.get(t, p+"self_attn.k_proj.weight"), h, opt(p+"self_attn.k_proj.bias"), KV*hd)
			v[i] = matVec(w.get(t, p+"self_attn.v_proj.weight"), h, opt(p+"self_attn.v_proj.bias"), KV*hd)
			for hh := 0; hh < H; hh++ {
				seg := q[i][hh*hd : (hh+1)*hd]
				if cfg.QKNorm() {
					copy(seg, refRMSNorm(seg, w.get(t, p+"self_attn.q_norm.weight"), cfg.RMSNormEps))
				}
				refRoPE(seg, i, cfg.RopeTheta)
			}
			for hh := 0; hh < KV; hh++ {
				seg := k[i][hh*hd : (hh+1)*hd]
				if cfg.QKNorm() {
					copy(seg, refRMSNorm(seg, w.get(t, p+"self_attn.k_norm.weight"), cfg.RMSNormEps))
				}
				refRoPE(seg, i, cfg.RopeTheta)
			}
		}
		for i := 0; i < T; i++ {
			attn := make([]float64, H*hd)
			for hh := 0; hh < H; hh++ {
				kvh := hh / G
				scores := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					s := 0.0
					for d := 0; d < hd; d++ {
						s += q[i][hh*hd+d] * k[j][kvh*hd+d]
					}
					scores[j] = s / math.Sqrt(float64(hd))
					mx = math.Max(mx, scores[j])
				}
				sum := 0.0
				for j := range scores {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				for j := range scores {
					for d := 0; d < hd; d++ {
						attn[hh*hd+d] += scores[j] / sum * v[j][kvh*hd+d]
					}
				}
			}
			o := matVec(w.get(t, p+"self_attn.o_proj.weight"), attn, nil, D)
			for d := range o {
				x[i][d] += o[d]
			}
			h := refRMSNorm(x[i], w.get(t, p+"post_attention_layernorm.weight"), cfg.RMSNormEps)
			gate := matVec(w.get(t, p+"mlp.gate_proj.weight"), h, nil, FF)
			up := matVec(w.get(t, p+"mlp.up_proj.weight"), h, nil, FF)
			for f := range gate {
				gate[f] = gate[f] / (1 + math.Exp(-gate[f])) * up[f]
			}
			down := matVec(w.get(t, p+"mlp.down_proj.weight"), gate, nil, D)
			for d := range down {
				x[i][d] += down[d]
			}
		}
	}
	head := "lm_head.weight"
	if cfg.TieWordEmbeddings {
		head = "model.embed_tokens.weight"
	}
	logits := make([][]float64, T)
	for i := 0; i < T; i++ {
		h := refRMSNorm(x[i], w.get(t, "model.norm.weight"), cfg.RMSNormEps)
		logits[i] = matVec(w.get(t, head), h, nil, V)
	}
	return logits
}

// tinyConfig returns small test configs. qwen2: q/k/v biases, untied head, GQA 4/2.
// qwen3: q/k norms, tied head, head_dim 16 != hidden/heads, GQA 4/1.
func tinyConfig(kind string, vocab int) *Config {
	eos := float64(vocab - 1)
	switch kind {
	case "qwen2":
		return &Config{ModelType: "qwen2", VocabSize: vocab, HiddenSize: 32, IntermediateSize: 48,
			NumHiddenLayers: 2, NumAttentionHeads: 4, NumKeyValueHeads: 2, RMSNormEps: 1e-6,
			RopeTheta: 10000, MaxPositionEmbeddings: 512, HiddenAct: "silu", EOSTokenID: eos}
	case "qwen3":
		f := false
		return &Config{ModelType: "qwen3", VocabSize: vocab, HiddenSize: 32, IntermediateSize: 64,
			NumHiddenLayers: 2, NumAttentionHeads: 4, NumKeyValueHeads: 1, HeadDim: 16, RMSNormEps: 1e-6,
			RopeTheta: 1000000, MaxPositionEmbeddings: 512, TieWordEmbeddings: true, AttentionBias: &f,
			HiddenAct: "silu", EOSTokenID: []any{eos}}
	}
	panic(kind)
}

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// savedRandomModel writes a random model with every weight perturbed and returns its directory.
func savedRandomModel(t testing.TB, backend compute.Backend, cfg *Config, seed uint64, shard int64) string {
	t.Helper()
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: seed, Std: 0.2, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir, shard); err != nil {
		t.Fatal(err)
	}
	return dir
}
