package qwen

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// The goldens under testdata/golden come from tools/torchgold/gold.py (`just model-golden`): a
// float64 PyTorch model written from the Hugging Face architecture, sharing no code with ours.
// Each variant directory holds a checkpoint written by that script (config.json in HF style with
// some keys left to their HF defaults; safetensors written by hand in Python) and golden.json.gz.

type torchGolden struct {
	Name            string  `json:"name"`
	Torch           string  `json:"torch"`
	VocabIDs        []int   `json:"vocab_ids"` // nil: logits rows cover the whole vocabulary
	MaxAbsLogit     float64 `json:"max_abs_logit"`
	MinArgmaxMargin float64 `json:"min_argmax_margin"`
	Prompts         []struct {
		IDs        []int       `json:"ids"`
		Logits     [][]float64 `json:"logits"`      // [position from LogitsFrom][vocab or vocab_ids]
		LogitsFrom int         `json:"logits_from"` // first position with logits (long prompts keep the last few)
		Greedy     []int       `json:"greedy"`
		// GreedyMargins: torch's gap between the best and second-best logit at each greedy step.
		GreedyMargins []float64 `json:"greedy_margins"`
	} `json:"prompts"`
}

var goldenVariants = []string{"qwen2-tiny", "qwen3-tiny", "qwen2-stress", "qwen3-stress", "qwen3-vocab", "qwen2-verifier"}

// goldenModelDir returns a directory holding the variant's checkpoint: the testdata directory
// itself, or a temporary copy with *.gz files decompressed.
func goldenModelDir(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("testdata", "golden", name)
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	needCopy := false
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".safetensors.gz") {
			needCopy = true
		}
	}
	if !needCopy {
		return src
	}
	dst := t.TempDir()
	for _, e := range entries {
		if e.Name() == "golden.json.gz" {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = in
		name := e.Name()
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(in)
			if err != nil {
				t.Fatal(err)
			}
			r, name = zr, strings.TrimSuffix(name, ".gz")
		}
		out, err := os.Create(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, r); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func loadTorchGolden(t testing.TB, name string) *torchGolden {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name, "golden.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g torchGolden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatal(err)
	}
	if len(g.Prompts) == 0 {
		t.Fatalf("%s: golden has no prompts", name)
	}
	return &g
}

// TestTorchGolden compares our float32 forward pass and greedy decoding with the PyTorch
// float64 goldens: every logit of every position of every prompt (run as one left-padded batch
// and as one right-padded batch) within 1e-4, and the golden's greedy tokens (12, or 16 for
// qwen2-verifier) per prompt equal (batched KV-cache decoding).
func TestTorchGolden(t *testing.T) {
	backend := testBackend(t)
	for _, name := range goldenVariants {
		t.Run(name, func(t *testing.T) {
			g := loadTorchGolden(t, name)
			m, err := Load(goldenModelDir(t, name), backend, dtypes.Float32)
			if err != nil {
				t.Fatal(err)
			}
			var rows [][]int
			for _, p := range g.Prompts {
				rows = append(rows, p.IDs)
			}
			maxDiff, maxAbs, compared := 0.0, 0.0, 0
			for _, batch := range []Batch{LeftPad(rows, 0, 0), rightPad(rows)} {
				got, err := m.Logits(batch)
				if err != nil {
					t.Fatal(err)
				}
				for b, p := range g.Prompts {
					off := slices.Index(batch.Mask[b], true) + p.LogitsFrom
					for pos, want := range p.Logits {
						row := got[b][off+pos]
						for j, w := range want {
							v := j
							if g.VocabIDs != nil {
								v = g.VocabIDs[j]
							}
							d := math.Abs(float64(row[v]) - w)
							if d > maxDiff {
								maxDiff = d
							}
							maxAbs = math.Max(maxAbs, math.Abs(w))
							compared++
						}
						// The argmax over the whole vocabulary is the golden's next greedy token
						// at the last position.
						if p.LogitsFrom+pos == len(p.IDs)-1 && argmax(row) != p.Greedy[0] {
							t.Errorf("prompt %d: argmax %d, torch greedy %d", b, argmax(row), p.Greedy[0])
						}
					}
				}
			}
			t.Logf("%s: %d logits compared, max |logit| %.3f, max |ours - torch| %.2e (torch %s, min argmax margin %.2g)",
				name, compared, maxAbs, maxDiff, g.Torch, g.MinArgmaxMargin)
			if maxAbs < 1 {
				t.Fatalf("logits too small (%.3g) for a meaningful comparison", maxAbs)
			}
			if maxDiff > 1e-4 {
				t.Fatalf("max abs logit diff %.3g > 1e-4", maxDiff)
			}

			m.Config.EOSTokenID = nil // the goldens decode a fixed number of tokens
			var reqs []Request
			for _, p := range g.Prompts {
				reqs = append(reqs, Request{Prompt: p.IDs, Params: SampleParams{MaxNewTokens: len(p.Greedy)}})
			}
			res, err := m.Generate(context.Background(), reqs, GenerateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range g.Prompts {
				if !slices.Equal(res[i][0].Tokens, p.Greedy) {
					t.Errorf("prompt %d: greedy %v, torch %v", i, res[i][0].Tokens, p.Greedy)
				}
			}
		})
	}
}
