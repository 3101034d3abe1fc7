package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

func TestModelInitWritesLoadableModel(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", dir, "--seed", "3", "--dtype", "bfloat16")
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := qwen.Load(dir, backend, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.ModelType != "qwen2" || m.Config.TorchDType != "bfloat16" || m.Config.VocabSize != qwen.QwenVocabSize {
		t.Fatalf("config: %+v", m.Config)
	}
	res, err := m.Generate(context.Background(), []qwen.Request{{Prompt: []int{1, 2, 3}, Params: qwen.SampleParams{MaxNewTokens: 3}}}, qwen.GenerateOptions{})
	if err != nil || len(res[0][0].Tokens) == 0 {
		t.Fatalf("generate on the initialised model: %v %v", res, err)
	}
	// Same seed, same weights: a second init gives identical files' logits.
	dir2 := t.TempDir()
	if out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", dir2, "--seed", "3", "--dtype", "bfloat16"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	m2, err := qwen.Load(dir2, backend, dtypes.Float32)
	if err != nil {
		t.Fatal(err)
	}
	b := qwen.LeftPad([][]int{{5, 6, 7}}, 0, 0)
	l1, _ := m.Logits(b)
	l2, _ := m2.Logits(b)
	for i := range l1[0][2] {
		if l1[0][2][i] != l2[0][2][i] {
			t.Fatal("same seed gave different weights")
		}
	}
	// The folder is a complete checkpoint: the real Qwen3 tokenizer files with their chat template.
	if !strings.Contains(out, "wrote the Qwen3 tokenizer files") {
		t.Errorf("init output: %s", out)
	}
	tpl, err := chat.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := chat.ParseConfig("embedded", tokenizer.Qwen3Config(), ""); err != nil || tpl.Source() != want.Source() {
		t.Errorf("chat template of the written folder differs from the embedded Qwen3 one (%v)", err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	q3, _ := tokenizer.LoadQwen3()
	if text := "<|im_start|>user\nHello, wörld!<|im_end|>"; !slices.Equal(tok.Encode(text), q3.Encode(text)) || tok.EOSToken != "<|im_end|>" {
		t.Errorf("written tokenizer differs from the embedded one")
	}
	// --no-tokenizer, and a vocabulary too small for the Qwen3 ids: config and weights only.
	small := filepath.Join("..", "..", "model", "qwen", "testdata", "golden", "qwen3-stress", "config.json")
	for _, args := range [][]string{{"--config", "tiny-qwen3", "--no-tokenizer"}, {"--config", small}} {
		d := t.TempDir()
		out, err := runCLI(t, append([]string{"model", "init", "--out", d}, args...)...)
		if err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		if _, err := os.Stat(filepath.Join(d, "tokenizer_config.json")); err == nil {
			t.Errorf("%v wrote tokenizer files", args)
		}
		if _, err := chat.Load(d); err == nil || !strings.Contains(err.Error(), "no tokenizer_config.json") {
			t.Errorf("%v: chat.Load: %v", args, err)
		}
		if args[1] == small && !strings.Contains(out, "no tokenizer files: vocab_size 320") {
			t.Errorf("small vocabulary: %s", out)
		}
	}
	if _, err := runCLI(t, "model", "init", "--config", "nope", "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "preset") {
		t.Fatalf("bad config: %v", err)
	}
	if _, err := runCLI(t, "model", "pull", "bad"); err == nil || !strings.Contains(err.Error(), "ORG/NAME") {
		t.Fatalf("bad repo: %v", err)
	}
}

// `model logits` on a committed PyTorch golden checkpoint (Qwen3, attention_bias with o_proj
// bias, untied, bfloat16, sharded; see tools/torchgold) gives the golden's logits and greedy tokens.
func TestModelLogitsMatchesTorchGolden(t *testing.T) {
	dir := filepath.Join("..", "..", "model", "qwen", "testdata", "golden", "qwen3-stress")
	f, err := os.Open(filepath.Join(dir, "golden.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Prompts []struct {
			IDs    []int       `json:"ids"`
			Logits [][]float64 `json:"logits"`
			Greedy []int       `json:"greedy"`
		} `json:"prompts"`
	}
	if err := json.NewDecoder(zr).Decode(&golden); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := golden.Prompts[2]
	var ids []string
	for _, id := range p.IDs {
		ids = append(ids, strconv.Itoa(id))
	}
	outFile := filepath.Join(t.TempDir(), "logits.json")
	out, err := runCLI(t, "model", "logits", "--model", dir, "--ids", strings.Join(ids, ","), "--all", "--out", outFile)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got struct {
		IDs    []int       `json:"ids"`
		Logits [][]float64 `json:"logits"`
		Greedy []int       `json:"greedy"`
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.IDs, p.IDs) || len(got.Logits) != len(p.IDs) || len(got.Greedy) != len(p.IDs) {
		t.Fatalf("shape: ids %v, %d rows, %d greedy", got.IDs, len(got.Logits), len(got.Greedy))
	}
	maxDiff := 0.0
	for pos := range p.Logits {
		if len(got.Logits[pos]) != len(p.Logits[pos]) {
			t.Fatalf("position %d: %d logits, golden %d", pos, len(got.Logits[pos]), len(p.Logits[pos]))
		}
		best := 0
		for v, w := range p.Logits[pos] {
			maxDiff = math.Max(maxDiff, math.Abs(got.Logits[pos][v]-w))
			if w > p.Logits[pos][best] {
				best = v
			}
		}
		if got.Greedy[pos] != best {
			t.Errorf("position %d: greedy %d, torch argmax %d", pos, got.Greedy[pos], best)
		}
	}
	if got.Greedy[len(p.IDs)-1] != p.Greedy[0] {
		t.Errorf("next token %d, torch greedy %d", got.Greedy[len(p.IDs)-1], p.Greedy[0])
	}
	t.Logf("model logits vs torch: max abs diff %.2e over %d positions", maxDiff, len(p.IDs))
	if maxDiff > 1e-4 {
		t.Fatalf("max abs logit diff %.3g > 1e-4", maxDiff)
	}
	if !strings.Contains(out, fmt.Sprintf("greedy %d", p.Greedy[0])) {
		t.Errorf("printed summary lacks the greedy token:\n%s", out)
	}

	// Without --all: only the last position.
	out, err = runCLI(t, "model", "logits", "--model", dir, "--ids", strings.Join(ids, ","), "--out", outFile)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	data, _ = os.ReadFile(outFile)
	if err := json.Unmarshal(data, &got); err != nil || len(got.Logits) != 1 || got.Greedy[0] != p.Greedy[0] {
		t.Fatalf("last position only: %v %d rows %v", err, len(got.Logits), got.Greedy)
	}
	// Bad input.
	for _, args := range [][]string{
		{"--ids", "1,2,999"}, // outside the 320-token vocabulary
		{"--ids", "1,x"},     // not a number
		{"--text", "hi"},     // the Qwen tokenizer's ids exceed this model's vocabulary
		{"--ids", "1", "--text", "hi"},
		{},
	} {
		if _, err := runCLI(t, append([]string{"model", "logits", "--model", dir}, args...)...); err == nil {
			t.Errorf("%v: expected an error", args)
		}
	}
}
