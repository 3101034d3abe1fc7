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

// nativeLogits runs the native decoder over each row (prefilled as one prompt) and returns the
// logits of every position, [row][position][V].
func nativeLogits(t testing.TB, m *Model, rows [][]int) [][][]float32 {
	t.Helper()
	w, err := m.nativeWeightsFor()
	if err != nil {
		t.Fatal(err)
	}
	S := 0
	for _, r := range rows {
		S = max(S, len(r))
	}
	run := newNativeRun(w, S)
	var toks []nativeToken
	var heads []int
	for _, r := range rows {
		c := run.getCache()
		for pos, id := range r {
			heads = append(heads, len(toks))
			toks = append(toks, nativeToken{id: int32(id), cache: c, pos: pos})
		}
	}
	lg := run.forward(toks, heads)
	V := m.Config.VocabSize
	out := make([][][]float32, len(rows))
	k := 0
	for i, r := range rows {
		for range r {
			out[i] = append(out[i], slices.Clone(lg[k*V:(k+1)*V]))
			k++
		}
	}
	return out
}

// TestNativeDecoderMatchesTorchGolden compares the native decoder (bfloat16 weights and KV cache,
// float32 activations) with the float64 PyTorch goldens, and with our graph forward pass run in
// bfloat16 (weights and activations): the native logits must be within bfloat16 rounding of
// torch's (a bound relative to the largest logit) and no further from them than the bfloat16
// graph's; greedy decoding must give torch's tokens wherever torch's argmax margin is larger than
// that error.
func TestNativeDecoderMatchesTorchGolden(t *testing.T) {
	backend := testBackend(t)
	for _, name := range goldenVariants {
		t.Run(name, func(t *testing.T) {
			g := loadTorchGolden(t, name)
			dir := goldenModelDir(t, name)
			m, err := Load(dir, backend, dtypes.Float32)
			if err != nil {
				t.Fatal(err)
			}
			mb, err := Load(dir, backend, dtypes.BFloat16)
			if err != nil {
				t.Fatal(err)
			}
			var rows [][]int
			for _, p := range g.Prompts {
				rows = append(rows, p.IDs)
			}
			nat := nativeLogits(t, m, rows)
			graphBF, err := mb.Logits(LeftPad(rows, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			maxNat, maxGraph, maxAbs := 0.0, 0.0, 0.0
			for b, p := range g.Prompts {
				off := len(graphBF[b]) - len(p.IDs)
				for pos, want := range p.Logits {
					for j, wv := range want {
						v := j
						if g.VocabIDs != nil {
							v = g.VocabIDs[j]
						}
						at := p.LogitsFrom + pos
						maxNat = math.Max(maxNat, math.Abs(float64(nat[b][at][v])-wv))
						maxGraph = math.Max(maxGraph, math.Abs(float64(graphBF[b][off+at][v])-wv))
						maxAbs = math.Max(maxAbs, math.Abs(wv))
					}
				}
			}
			t.Logf("%s: max |logit| %.3f; max |native bf16 − torch| %.3g, max |graph bf16 − torch| %.3g (simd kernels %v)",
				name, maxAbs, maxNat, maxGraph, simdKernels)
			if maxNat > 0.03*maxAbs {
				t.Errorf("native logits differ from torch by %.3g > 3%% of the largest logit %.3g", maxNat, maxAbs)
			}
			if maxNat > maxGraph {
				t.Errorf("native bf16 (%.3g) is further from torch than the bfloat16 graph (%.3g)", maxNat, maxGraph)
			}
			// Greedy decoding: token by token, as long as torch's margin exceeds twice our error.
			m.Config.EOSTokenID = nil
			var reqs []Request
			for _, p := range g.Prompts {
				reqs = append(reqs, Request{Prompt: p.IDs, Params: SampleParams{MaxNewTokens: len(p.Greedy)}})
			}
			res, err := m.Generate(context.Background(), reqs, GenerateOptions{DecodeDType: dtypes.BFloat16})
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for i, p := range g.Prompts {
				for k, want := range p.Greedy {
					if k < len(p.GreedyMargins) && p.GreedyMargins[k] < 2*maxNat {
						break // a near tie: bfloat16 may pick the other token, and every later one differs
					}
					if res[i][0].Tokens[k] != want {
						t.Errorf("prompt %d token %d: native %d, torch %d (margin %.3g)", i, k, res[i][0].Tokens[k], want, p.GreedyMargins[k])
						break
					}
					checked++
				}
			}
			t.Logf("%d greedy tokens equal torch's", checked)
			if checked == 0 {
				t.Error("no greedy token checked")
			}
		})
	}
}

// TestNativeBatchInvariance: a sample's tokens do not depend on the batch around it (any
// MaxBatch), and prefilling a sequence gives bit for bit the logits of decoding it token by token.
func TestNativeBatchInvariance(t *testing.T) {
	backend := testBackend(t)
	for _, kind := range []string{"qwen2", "qwen3"} {
		t.Run(kind, func(t *testing.T) {
			cfg := tinyConfig(kind, 97)
			m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 7, Std: 0.3, PerturbNorms: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var reqs []Request
			for i, p := range testPrompts {
				reqs = append(reqs, Request{Prompt: p, N: 3, Params: SampleParams{Temperature: 1, Seed: uint64(10 + i), MaxNewTokens: 6 + 5*i, StopTokens: []int{3, 7, 11, 13}}})
			}
			ref, err := m.Generate(ctx, reqs, GenerateOptions{DecodeDType: dtypes.BFloat16})
			if err != nil {
				t.Fatal(err)
			}
			stops := 0
			for _, mb := range []int{1, 2, 5} {
				got, err := m.Generate(ctx, reqs, GenerateOptions{DecodeDType: dtypes.BFloat16, MaxBatch: mb})
				if err != nil {
					t.Fatal(err)
				}
				for i := range reqs {
					for s := range got[i] {
						a, b := ref[i][s], got[i][s]
						if !slices.Equal(a.Tokens, b.Tokens) || a.FinishReason != b.FinishReason {
							t.Fatalf("max batch %d, request %d sample %d: %v (%s), all at once %v (%s)", mb, i, s, b.Tokens, b.FinishReason, a.Tokens, a.FinishReason)
						}
						if a.FinishReason == "stop" {
							stops++
						}
					}
				}
			}
			t.Logf("%d of %d samples stopped early", stops/3, 3*len(reqs))
			if stops == 0 {
				t.Error("no sample stopped early: continuous batching was not exercised")
			}
			// Prefill = token-by-token decoding, bit for bit.
			seq := []int{5, 17, 3, 88, 41, 9, 60}
			pre := nativeLogits(t, m, [][]int{seq})[0]
			w, _ := m.nativeWeightsFor()
			run := newNativeRun(w, len(seq))
			c := run.getCache()
			for pos, id := range seq {
				lg := run.forward([]nativeToken{{id: int32(id), cache: c, pos: pos}}, []int{0})
				if !slices.Equal(lg, pre[pos]) {
					t.Fatalf("position %d: token-by-token logits differ from prefill", pos)
				}
			}
		})
	}
}

// TestNativeLogProbs: the teacher-forced log-probs of the native decoder equal, bit for bit, the
// log-probs its own sampling reported for the same tokens (Request.Logprobs).
func TestNativeLogProbs(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen2", 61)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 4, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Generate(context.Background(), []Request{{Prompt: []int{3, 9, 27}, N: 3, Logprobs: true,
		Params: SampleParams{Temperature: 1, Seed: 8, MaxNewTokens: 9}}}, GenerateOptions{DecodeDType: dtypes.BFloat16})
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]int
	for _, s := range res[0] {
		rows = append(rows, append([]int{3, 9, 27}, s.Tokens...))
	}
	lps, err := m.NativeLogProbs(rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range res[0] {
		for k, lp := range s.Logprobs {
			if got := lps[i][2+k]; got != lp.Logprob {
				t.Fatalf("sample %d token %d: teacher-forced %v, sampled %v", i, k, got, lp.Logprob)
			}
		}
	}
	if _, err := m.NativeLogProbs([][]int{{1, 61}}, 1); err == nil {
		t.Fatal("a token outside the vocabulary was accepted")
	}
}

// TestSampleNative: the native sampler's draws follow softmax(logits/τ): frequencies over 20,000
// draws within 4 standard errors of the probabilities, and greedy / top-k draws are SampleToken's.
func TestSampleNative(t *testing.T) {
	logits := []float32{0.1, 3, 2.9, -1, 0.5, 2.95, -30}
	for _, temp := range []float64{1, 0.7} {
		r := rand.New(rand.NewPCG(5, 6))
		counts := make([]int, len(logits))
		const n = 20000
		for i := 0; i < n; i++ {
			counts[sampleNative(logits, SampleParams{Temperature: temp}, r)]++
		}
		z := 0.0
		for _, v := range logits {
			z += math.Exp(float64(v) / temp)
		}
		for i, v := range logits {
			p := math.Exp(float64(v)/temp) / z
			if se := math.Sqrt(p * (1 - p) / n); math.Abs(float64(counts[i])/n-p) > 4*se+1e-9 {
				t.Fatalf("τ %g token %d: frequency %.4f, probability %.4f", temp, i, float64(counts[i])/n, p)
			}
		}
	}
	a, b := rand.New(rand.NewPCG(1, 1)), rand.New(rand.NewPCG(1, 1))
	for _, p := range []SampleParams{{}, {Temperature: 1, TopK: 2}, {Temperature: 1, TopP: 0.5}} {
		for i := 0; i < 50; i++ {
			if x, y := sampleNative(logits, p, a), SampleToken(logits, p, b); x != y {
				t.Fatalf("%+v: %d vs SampleToken %d", p, x, y)
			}
		}
	}
}

// TestNativeKernels compares the kernels in use (AVX-512 when built with GOEXPERIMENT=simd on a
// CPU that has it) with float64 arithmetic on the same bfloat16 values, for shapes with tails.
func TestNativeKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range [][3]int{{1, 1, 16}, {4, 4, 16}, {5, 7, 40}, {9, 13, 3}, {4, 8, 512}, {3, 70, 33}} {
		M, N, K2 := sh[0], sh[1], sh[2]
		x := make([]float32, M*2*K2)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		wf := make([]float32, N*2*K2)
		for i := range wf {
			wf[i] = fromBF16(toBF16(float32(r.NormFloat64())))
		}
		a := newBF16Mat(N, 2*K2)
		for n := 0; n < N; n++ {
			a.setRowF32(n, wf[n*2*K2:(n+1)*2*K2])
			back := make([]float32, 2*K2)
			a.rowF32(n, back)
			if !slices.Equal(back, wf[n*2*K2:(n+1)*2*K2]) {
				t.Fatalf("%v: row %d does not read back", sh, n)
			}
		}
		y := make([]float32, M*N+1)
		y[M*N] = 42 // beyond the output: must stay
		xe, xo := make([]float32, M*a.K2p), make([]float32, M*a.K2p)
		newPool().matmul(y, N, x, M, a, xe, xo)
		if y[M*N] != 42 {
			t.Fatalf("%v: matmul wrote past its output", sh)
		}
		for m := 0; m < M; m++ {
			for n := 0; n < N; n++ {
				want := 0.0
				for k := 0; k < 2*K2; k++ {
					want += float64(x[m*2*K2+k]) * float64(wf[n*2*K2+k])
				}
				if d := math.Abs(float64(y[m*N+n]) - want); d > 1e-4*math.Sqrt(float64(2*K2)) {
					t.Fatalf("%v: y[%d,%d] = %g, want %g", sh, m, n, y[m*N+n], want)
				}
			}
		}
		// dotQK and axpyV on a row.
		q := x[:2*K2]
		kb := make([]uint16, 2*K2)
		want := 0.0
		for i := range kb {
			kb[i] = toBF16(float32(r.NormFloat64()))
			want += float64(q[i]) * float64(fromBF16(kb[i]))
		}
		if d := math.Abs(float64(dotQK(q, kb)) - want); d > 1e-4*math.Sqrt(float64(2*K2)) {
			t.Fatalf("dotQK %g, want %g", dotQK(q, kb), want)
		}
		out := slices.Clone(q)
		axpyV(out, 0.5, kb)
		for i := range out {
			if d := math.Abs(float64(out[i]) - (float64(q[i]) + 0.5*float64(fromBF16(kb[i])))); d > 1e-6 {
				t.Fatalf("axpyV[%d] = %g", i, out[i])
			}
		}
	}
	if toBF16(1.00390625) != 0x3f80 || toBF16(1.01171875) != 0x3f82 || toBF16(float32(math.Inf(1))) != 0x7f80 {
		t.Fatalf("bfloat16 rounding: %#x %#x %#x", toBF16(1.00390625), toBF16(1.01171875), toBF16(float32(math.Inf(1))))
	}
}

// TestNativeGenerateOptions: stop tokens and strings, log-probs, callbacks, cancellation and
// option errors behave as with the graph decoder.
func TestNativeGenerateOptions(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 53)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 5, Std: 0.3, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bf := GenerateOptions{DecodeDType: dtypes.BFloat16}
	greedy, err := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8}, Logprobs: true, TopLogprobs: 2}}, bf)
	if err != nil {
		t.Fatal(err)
	}
	g := greedy[0][0]
	if len(g.Tokens) != 8 || g.FinishReason != "length" || len(g.Logprobs) != 8 {
		t.Fatalf("greedy: %+v", g)
	}
	for i, lp := range g.Logprobs {
		if lp.Token != g.Tokens[i] || len(lp.Top) != 2 || lp.Top[0].Token != g.Tokens[i] || lp.Logprob > 0 {
			t.Fatalf("logprob %d: %+v (token %d)", i, lp, g.Tokens[i])
		}
	}
	st, _ := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8, StopTokens: []int{g.Tokens[2]}}}}, bf)
	if want := g.Tokens[:slices.Index(g.Tokens, g.Tokens[2])]; !slices.Equal(st[0][0].Tokens, want) || st[0][0].FinishReason != "stop" {
		t.Fatalf("stop token: %v (%s), want %v", st[0][0].Tokens, st[0][0].FinishReason, want)
	}
	decode := func(ids []int) string {
		var sb strings.Builder
		for _, id := range ids {
			sb.WriteByte(byte('A' + id%26))
		}
		return sb.String()
	}
	full := decode(g.Tokens)
	opts := bf
	opts.Decode = decode
	var steps []Step
	ss, err := m.Generate(ctx, []Request{{Prompt: []int{4, 5}, Params: SampleParams{MaxNewTokens: 8, StopStrings: []string{full[3:5]}},
		OnStep: func(s Step) { steps = append(steps, s) }}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want := full[:strings.Index(full, full[3:5])]; ss[0][0].Text != want || ss[0][0].FinishReason != "stop" {
		t.Fatalf("stop string: %q (%s), want %q", ss[0][0].Text, ss[0][0].FinishReason, want)
	}
	if len(steps) == 0 || steps[len(steps)-1].Finish != "stop" {
		t.Fatalf("callbacks: %+v", steps)
	}
	cctx, cancel := context.WithCancel(ctx)
	n := 0
	res, err := m.Generate(ctx, []Request{
		{Prompt: []int{1, 2}, Ctx: cctx, Params: SampleParams{MaxNewTokens: 20}, OnStep: func(Step) {
			if n++; n == 3 {
				cancel()
			}
		}},
		{Prompt: []int{3}, Params: SampleParams{MaxNewTokens: 20}},
	}, bf)
	if err != nil {
		t.Fatal(err)
	}
	if res[0][0].FinishReason != "cancelled" || len(res[0][0].Tokens) != 3 || len(res[1][0].Tokens) != 20 {
		t.Fatalf("cancel: %d tokens (%s), other %d", len(res[0][0].Tokens), res[0][0].FinishReason, len(res[1][0].Tokens))
	}
	for name, o := range map[string]GenerateOptions{
		"float16":        {DecodeDType: dtypes.Float16},
		"max batch":      {MaxBatch: 2},
		"no cache":       {DecodeDType: dtypes.BFloat16, NoCache: true},
		"negative batch": {DecodeDType: dtypes.BFloat16, MaxBatch: -1},
	} {
		if _, err := m.Generate(ctx, []Request{{Prompt: []int{1}, Params: SampleParams{MaxNewTokens: 2}}}, o); err == nil {
			t.Errorf("%s: expected an error", name)
		} else if !strings.Contains(err.Error(), "generate:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// BenchmarkNativeMatmul: one decode-step product of 4 rows with a Qwen3-0.6B MLP weight
// (3072 × 1024 bfloat16, 6 MiB) on every worker of the pool; weight_GB/s counts the weight bytes.
func BenchmarkNativeMatmul(b *testing.B) {
	for _, sh := range [][3]int{{4, 3072, 1024}, {4, 151936, 1024}, {64, 3072, 1024}} {
		M, N, K := sh[0], sh[1], sh[2]
		b.Run(fmt.Sprintf("M%d_N%d_K%d", M, N, K), func(b *testing.B) {
			a := newBF16Mat(N, K)
			for i := range a.w {
				a.w[i] = uint32(toBF16(float32(i%7)*0.01)) | uint32(toBF16(float32(i%5)*0.02))<<16
			}
			x := make([]float32, M*K)
			for i := range x {
				x[i] = float32(i%11) * 0.1
			}
			y := make([]float32, M*N)
			xe, xo := make([]float32, M*a.K2p), make([]float32, M*a.K2p)
			p := newPool()
			b.ResetTimer()
			for range b.N {
				p.matmul(y, N, x, M, a, xe, xo)
			}
			b.ReportMetric(float64(2*N*K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "weight_GB/s")
			b.ReportMetric(float64(2*M*N*K)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSampleToken: one draw from Qwen-sized logits at temperature 1.
func BenchmarkSampleToken(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, QwenVocabSize)
	for i := range logits {
		logits[i] = float32(r.NormFloat64())
	}
	for range b.N {
		SampleToken(logits, SampleParams{Temperature: 1}, r)
	}
}

func TestExpf(t *testing.T) {
	worst := 0.0
	for x := -103.0; x <= 88.7; x += 0.001237 {
		got, want := float64(expf(float32(x))), math.Exp(float64(float32(x)))
		if want < 1e-37 {
			if math.Abs(got-want) > 1e-44 {
				t.Fatalf("expf(%g) = %g, want %g", x, got, want)
			}
			continue
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 3e-7 {
		t.Fatalf("expf relative error %.3g > 3e-7", worst)
	}
	if expf(float32(math.Inf(-1))) != 0 || !math.IsInf(float64(expf(89)), 1) || expf(float32(math.NaN())) == expf(float32(math.NaN())) {
		t.Fatal("expf special values")
	}
	t.Logf("max relative error %.3g", worst)
}

// BenchmarkSampleNative: the native decoder's draw from Qwen-sized logits at temperature 1.
func BenchmarkSampleNative(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, QwenVocabSize)
	for i := range logits {
		logits[i] = float32(r.NormFloat64())
	}
	for range b.N {
		sampleNative(logits, SampleParams{Temperature: 1}, r)
	}
}
