package qwen

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/safetensors"
)

var testPrompts = [][]int{
	{5, 17, 3, 88, 41, 9, 60},
	{12, 7},
	{33, 2, 90, 14, 71},
}

func TestForwardParityWithReference(t *testing.T) {
	backend := testBackend(t)
	for _, kind := range []string{"qwen2", "qwen3"} {
		t.Run(kind, func(t *testing.T) {
			cfg := tinyConfig(kind, 97)
			dir := savedRandomModel(t, backend, cfg, 7, 20000) // sharded: also exercises the index
			if _, err := os.Stat(filepath.Join(dir, "model.safetensors.index.json")); err != nil {
				t.Fatalf("expected a sharded checkpoint: %v", err)
			}
			m, err := Load(dir, backend, dtypes.Float32)
			if err != nil {
				t.Fatal(err)
			}
			ref := loadRefWeights(t, dir)
			maxDiff, maxAbs := 0.0, 0.0
			// Left padding (sampling) and right padding (training batches).
			for _, batch := range []Batch{LeftPad(testPrompts, 0, 0), rightPad(testPrompts)} {
				got, err := m.Logits(batch)
				if err != nil {
					t.Fatal(err)
				}
				for b, p := range testPrompts {
					want := refForward(t, cfg, ref, p)
					off := slices.Index(batch.Mask[b], true)
					for i := range p {
						for v := 0; v < cfg.VocabSize; v++ {
							d := math.Abs(float64(got[b][off+i][v]) - want[i][v])
							maxDiff = math.Max(maxDiff, d)
							maxAbs = math.Max(maxAbs, math.Abs(want[i][v]))
						}
					}
				}
			}
			t.Logf("%s: max |logit| %.3f, max |GoMLX - float64 reference| %.2e", kind, maxAbs, maxDiff)
			if maxAbs < 0.5 {
				t.Fatalf("logits too small (%.3g) for a meaningful comparison", maxAbs)
			}
			if maxDiff > 1e-4 {
				t.Fatalf("parity: max abs diff %.3g > 1e-4", maxDiff)
			}
		})
	}
}

// rightPad pads rows on the right with token 0.
func rightPad(rows [][]int) Batch {
	T := 0
	for _, r := range rows {
		T = max(T, len(r))
	}
	var b Batch
	for _, r := range rows {
		tok, mask := make([]int32, T), make([]bool, T)
		for i, id := range r {
			tok[i], mask[i] = int32(id), true
		}
		b.Tokens, b.Mask = append(b.Tokens, tok), append(b.Mask, mask)
	}
	b.Positions = Positions(b.Mask)
	return b
}

func TestBFloat16CloseToFloat32(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 97)
	dir := savedRandomModel(t, backend, cfg, 11, 0)
	m32, err := Load(dir, backend, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	m16, err := Load(dir, backend, dtypes.BFloat16)
	if err != nil {
		t.Fatal(err)
	}
	batch := LeftPad(testPrompts, 0, 0)
	l32, err := m32.Logits(batch)
	if err != nil {
		t.Fatal(err)
	}
	l16, err := m16.Logits(batch)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, maxAbs := 0.0, 0.0
	agree, total := 0, 0
	for b, p := range testPrompts {
		off := len(batch.Tokens[b]) - len(p)
		for i := off; i < len(batch.Tokens[b]); i++ {
			for v := range l32[b][i] {
				maxDiff = math.Max(maxDiff, math.Abs(float64(l32[b][i][v]-l16[b][i][v])))
				maxAbs = math.Max(maxAbs, math.Abs(float64(l32[b][i][v])))
			}
			if argmax(l32[b][i]) == argmax(l16[b][i]) {
				agree++
			}
			total++
		}
	}
	t.Logf("bf16 vs f32: max |logit| %.3f, max diff %.3g, argmax agreement %d/%d", maxAbs, maxDiff, agree, total)
	if maxDiff > 0.05*maxAbs {
		t.Fatalf("bf16 logits differ by %.3g (max |logit| %.3g)", maxDiff, maxAbs)
	}
	if maxDiff == 0 {
		t.Fatal("bf16 logits identical to f32: bf16 path not exercised")
	}
	// Save in bf16 and reload: tensors are written as BF16.
	out := t.TempDir()
	if err := m16.Save(out, 0); err != nil {
		t.Fatal(err)
	}
	cfg2, err := LoadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.TorchDType != "bfloat16" {
		t.Fatalf("torch_dtype %q", cfg2.TorchDType)
	}
}

func argmax(v []float32) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

func TestLoadErrors(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen2", 31)
	dir := savedRandomModel(t, backend, cfg, 1, 0)

	// Config that implies a different shape.
	bad := *cfg
	bad.IntermediateSize = 40
	if err := bad.Save(dir); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, backend, dtypes.Float32)
	if err == nil || !strings.Contains(err.Error(), "mlp.gate_proj.weight") || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("want a shape error naming the tensor, got %v", err)
	}
	// Config for qwen3 on a qwen2 checkpoint: q_norm is missing.
	bad = *cfg
	bad.ModelType = "qwen3"
	bad.Save(dir)
	_, err = Load(dir, backend, dtypes.Float32)
	if err == nil || !strings.Contains(err.Error(), "missing tensor") {
		t.Fatalf("want a missing-tensor error, got %v", err)
	}
	// Invalid config fields are named.
	for field, js := range map[string]string{
		"model_type":          `{"model_type":"llama"}`,
		"num_key_value_heads": `{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":0,"rms_norm_eps":1e-6,"rope_theta":1e4}`,
		"rope_theta":          `{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"rms_norm_eps":1e-6,"rope_theta":-1}`,
		"eos_token_id":        `{"model_type":"qwen2","vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"rms_norm_eps":1e-6,"rope_theta":1e4,"eos_token_id":"x"}`,
	} {
		_, err := ParseConfig("config.json", []byte(js))
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "config.json") {
			t.Errorf("%s: want an error naming the field and file, got %v", field, err)
		}
	}
}

// FuzzParseConfig: arbitrary config.json content never panics, and accepted configs have
// consistent weight shapes.
func FuzzParseConfig(f *testing.F) {
	for _, kind := range []string{"qwen2", "qwen3"} {
		data, _ := json.Marshal(tinyConfig(kind, 97))
		f.Add(data)
	}
	f.Add([]byte(`{"model_type":"qwen3","eos_token_id":[1,"x"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig("config.json", b)
		if err != nil {
			return
		}
		for _, w := range c.Weights() {
			for _, d := range w.Shape {
				if d <= 0 {
					t.Fatalf("accepted config gives %s shape %v", w.Name, w.Shape)
				}
			}
		}
	})
}

// copyWithTensors copies the golden checkpoint src into a new directory, adding extra tensors
// to its single model.safetensors.
func copyWithTensors(t *testing.T, src string, extra ...safetensors.Tensor) string {
	t.Helper()
	ck, err := safetensors.OpenDir(src)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	var ts []safetensors.Tensor
	for _, n := range ck.Names() {
		info, raw, err := ck.Raw(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, safetensors.Tensor{Name: n, DType: info.DType, Shape: info.Shape, Data: raw})
	}
	dir := t.TempDir()
	if err := safetensors.WriteDir(dir, append(ts, extra...), 0); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A tensor the config does not use is an error naming it (transformers would drop it with a
// warning: for a Qwen3 o_proj.bias under attention_bias=false that silently changes the model).
func TestLoadRejectsUnusedTensors(t *testing.T) {
	backend := testBackend(t)
	src := filepath.Join("testdata", "golden", "qwen3-tiny") // attention_bias false, tied, 2 layers
	if _, err := Load(src, backend, dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	f32 := func(name string, shape ...int) safetensors.Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		raw, _ := safetensors.FromFloat32("F32", make([]float32, n))
		return safetensors.Tensor{Name: name, DType: "F32", Shape: shape, Data: raw}
	}
	for _, extra := range []safetensors.Tensor{
		f32("model.layers.0.self_attn.o_proj.bias", 32),
		f32("model.layers.2.mlp.up_proj.weight", 64, 32),
		f32("model.layers.1.self_attn.rotary_emb.inv_freq", 64),
	} {
		_, err := Load(copyWithTensors(t, src, extra), backend, dtypes.Float32)
		if err == nil || !strings.Contains(err.Error(), extra.Name) || !strings.Contains(err.Error(), "not used") {
			t.Errorf("extra %s: want an error naming it, got %v", extra.Name, err)
		}
	}
	// Tied checkpoint with lm_head.weight: accepted when it is the embedding, an error otherwise.
	ck, err := safetensors.OpenDir(src)
	if err != nil {
		t.Fatal(err)
	}
	info, emb, err := ck.Raw("model.embed_tokens.weight")
	ck.Close()
	if err != nil {
		t.Fatal(err)
	}
	same := safetensors.Tensor{Name: "lm_head.weight", DType: info.DType, Shape: info.Shape, Data: emb}
	if _, err := Load(copyWithTensors(t, src, same), backend, dtypes.Float32); err != nil {
		t.Errorf("tied lm_head equal to the embedding: %v", err)
	}
	diff := same
	diff.Data = append([]byte(nil), emb...)
	diff.Data[0] ^= 1
	if _, err := Load(copyWithTensors(t, src, diff), backend, dtypes.Float32); err == nil || !strings.Contains(err.Error(), "lm_head.weight differs") {
		t.Errorf("tied lm_head different from the embedding: %v", err)
	}
}
