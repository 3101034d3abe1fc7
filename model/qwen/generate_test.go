package qwen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

func TestGreedyCacheEqualsNoCache(t *testing.T) {
	backend := testBackend(t)
	for _, kind := range []string{"qwen2", "qwen3"} {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
			t.Run(fmt.Sprintf("%s/%s", kind, dt), func(t *testing.T) {
				cfg := tinyConfig(kind, 97)
				cfg.EOSTokenID = nil // run to max length so every step is compared
				m, err := NewRandom(cfg, backend, dt, InitOptions{Seed: 3, Std: 0.3, PerturbNorms: true})
				if err != nil {
					t.Fatal(err)
				}
				var reqs []Request
				for _, p := range testPrompts {
					reqs = append(reqs, Request{Prompt: p, Params: SampleParams{MaxNewTokens: 20}})
				}
				cached, err := m.Generate(context.Background(), reqs, GenerateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				plain, err := m.Generate(context.Background(), reqs, GenerateOptions{NoCache: true})
				if err != nil {
					t.Fatal(err)
				}
				distinct := map[int]bool{}
				for i := range reqs {
					c, p := cached[i][0], plain[i][0]
					if len(c.Tokens) != 20 || c.FinishReason != "length" {
						t.Fatalf("prompt %d: %d tokens, finish %q", i, len(c.Tokens), c.FinishReason)
					}
					if !slices.Equal(c.Tokens, p.Tokens) {
						t.Fatalf("prompt %d: cache %v != no cache %v", i, c.Tokens, p.Tokens)
					}
					for _, tok := range c.Tokens {
						distinct[tok] = true
					}
				}
				if len(distinct) < 3 {
					t.Fatalf("degenerate generations (%d distinct tokens): test would be weak", len(distinct))
				}
			})
		}
	}
}

func TestSamplingOptions(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 53)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 5, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	hot := SampleParams{Temperature: 1.5, Seed: 42, MaxNewTokens: 12}
	a, err := m.Generate(ctx, []Request{{Prompt: []int{1, 2, 3}, N: 4, Params: hot}}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Generate(ctx, []Request{{Prompt: []int{1, 2, 3}, N: 4, Params: hot}, {Prompt: []int{9}, Params: hot}}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a[0]) != 4 || len(b[0]) != 4 || len(b[1]) != 1 {
		t.Fatalf("sample counts %d %d %d", len(a[0]), len(b[0]), len(b[1]))
	}
	distinct := map[string]bool{}
	for i := range a[0] {
		if !slices.Equal(a[0][i].Tokens, b[0][i].Tokens) {
			t.Fatalf("sample %d not reproducible from the seed across batch compositions: %v vs %v", i, a[0][i].Tokens, b[0][i].Tokens)
		}
		distinct[fmt.Sprint(a[0][i].Tokens)] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("n=4 samples at temperature 1.5 are all identical: %v", a[0])
	}
	// top_k=1 equals greedy.
	greedy, _ := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8}}}, GenerateOptions{})
	k1, _ := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{Temperature: 2, TopK: 1, Seed: 9, MaxNewTokens: 8}}}, GenerateOptions{})
	if !slices.Equal(greedy[0][0].Tokens, k1[0][0].Tokens) {
		t.Fatalf("top_k=1 %v != greedy %v", k1[0][0].Tokens, greedy[0][0].Tokens)
	}
	// Stop token: cut at the first occurrence of the 3rd greedy token, which is not returned.
	g := greedy[0][0].Tokens
	st, _ := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8, StopTokens: []int{g[2]}}}}, GenerateOptions{})
	want := g[:slices.Index(g, g[2])]
	if !slices.Equal(st[0][0].Tokens, want) || st[0][0].FinishReason != "stop" {
		t.Fatalf("stop token: got %v (%s), want %v (stop)", st[0][0].Tokens, st[0][0].FinishReason, want)
	}
	// Stop string with a decoder mapping token i to a letter.
	decode := func(ids []int) string {
		var sb strings.Builder
		for _, id := range ids {
			sb.WriteByte(byte('A' + id%26))
		}
		return sb.String()
	}
	full := decode(g)
	stopStr := full[3:5]
	ss, err := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8, StopStrings: []string{stopStr}}}}, GenerateOptions{Decode: decode})
	if err != nil {
		t.Fatal(err)
	}
	if wantText := full[:strings.Index(full, stopStr)]; ss[0][0].Text != wantText || ss[0][0].FinishReason != "stop" {
		t.Fatalf("stop string %q: got %q (%s), want %q", stopStr, ss[0][0].Text, ss[0][0].FinishReason, wantText)
	}
	// Bad requests.
	for name, r := range map[string]Request{
		"empty prompt": {Params: SampleParams{MaxNewTokens: 1}},
		"bad token":    {Prompt: []int{53}, Params: SampleParams{MaxNewTokens: 1}},
		"no max":       {Prompt: []int{1}},
		"too long":     {Prompt: []int{1}, Params: SampleParams{MaxNewTokens: 600}},
	} {
		if _, err := m.Generate(ctx, []Request{r}, GenerateOptions{}); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

func TestSampleToken(t *testing.T) {
	logits := []float32{0.1, 3, 2.9, -1, 0.5, 2.95}
	r := rand.New(rand.NewPCG(1, 1))
	counts := map[int]int{}
	for i := 0; i < 3000; i++ {
		counts[SampleToken(logits, SampleParams{Temperature: 1, TopK: 2}, r)]++
	}
	if len(counts) != 2 || counts[1] == 0 || counts[5] == 0 {
		t.Fatalf("top_k=2 drew %v, want only tokens 1 and 5", counts)
	}
	counts = map[int]int{}
	for i := 0; i < 3000; i++ {
		counts[SampleToken(logits, SampleParams{Temperature: 1, TopP: 0.05}, r)]++
	}
	if len(counts) != 1 || counts[1] != 3000 {
		t.Fatalf("top_p=0.05 drew %v, want only token 1", counts)
	}
	counts = map[int]int{}
	for i := 0; i < 6000; i++ {
		counts[SampleToken(logits, SampleParams{Temperature: 1}, r)]++
	}
	// Token 3 has probability ~0.003: expect it rarely; token 1 ~0.35.
	if f := float64(counts[1]) / 6000; f < 0.3 || f > 0.4 {
		t.Fatalf("token 1 frequency %.3f, want about 0.35", f)
	}
	if SampleToken(logits, SampleParams{}, r) != 1 {
		t.Fatal("greedy should pick token 1")
	}
}

// TestSampleTokenUnchanged: SampleToken (with its allocation-free full-vocabulary path) draws the
// same token as the previous implementation and leaves the RNG in the same state, for every
// sampling option, on random and on tied logits.
func TestSampleTokenUnchanged(t *testing.T) {
	src := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 400; trial++ {
		V := 1 + src.IntN(700)
		logits := make([]float32, V)
		for i := range logits {
			logits[i] = float32(src.NormFloat64() * 3)
			if trial%5 == 0 {
				logits[i] = float32(src.IntN(3)) // ties
			}
		}
		p := SampleParams{Temperature: []float64{0, 0.3, 1, 1.7}[trial%4]}
		switch trial % 3 {
		case 1:
			p.TopK = src.IntN(V + 3)
		case 2:
			p.TopP = src.Float64()
		}
		seed := src.Uint64()
		a, b := rand.New(rand.NewPCG(seed, 1)), rand.New(rand.NewPCG(seed, 1))
		for k := 0; k < 5; k++ {
			if x, y := SampleToken(logits, p, a), sampleTokenBefore(logits, p, b); x != y {
				t.Fatalf("trial %d draw %d (%+v, V %d): %d, before %d", trial, k, p, V, x, y)
			}
		}
		if a.Uint64() != b.Uint64() {
			t.Fatalf("trial %d: RNG states differ", trial)
		}
	}
}

// sampleTokenBefore is SampleToken as it was before sampleFull, kept to check that the new
// version draws the same tokens from the same RNG states.
func sampleTokenBefore(logits []float32, p SampleParams, r *rand.Rand) int {
	if p.Temperature <= 0 {
		best := 0
		for i, v := range logits {
			if v > logits[best] {
				best = i
			}
		}
		return best
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	if p.TopK > 0 || (p.TopP > 0 && p.TopP < 1) {
		slices.SortFunc(idx, func(a, b int) int {
			switch {
			case logits[a] > logits[b]:
				return -1
			case logits[a] < logits[b]:
				return 1
			}
			return a - b
		})
		if p.TopK > 0 && p.TopK < len(idx) {
			idx = idx[:p.TopK]
		}
	}
	mx := math.Inf(-1)
	for _, i := range idx {
		mx = math.Max(mx, float64(logits[i]))
	}
	probs := make([]float64, len(idx))
	sum := 0.0
	for j, i := range idx {
		probs[j] = math.Exp((float64(logits[i]) - mx) / p.Temperature)
		sum += probs[j]
	}
	if p.TopP > 0 && p.TopP < 1 {
		// idx is sorted by decreasing logit: keep the smallest prefix with mass >= top_p.
		acc, cut := 0.0, len(idx)
		for j := range probs {
			acc += probs[j] / sum
			if acc >= p.TopP {
				cut = j + 1
				break
			}
		}
		idx, probs = idx[:cut], probs[:cut]
		sum = 0
		for _, q := range probs {
			sum += q
		}
	}
	u := r.Float64() * sum
	for j, q := range probs {
		u -= q
		if u < 0 {
			return idx[j]
		}
	}
	return idx[len(idx)-1]
}
