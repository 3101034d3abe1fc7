package qwen

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
)

// TestLogprobsAndSteps: Request.Logprobs equals the log-softmax of a full forward pass over
// prompt + generated tokens (no KV cache), the top tokens are the most likely ones in order,
// and OnStep reports every token, then the finish, in order.
func TestLogprobsAndSteps(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 61)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 8, Std: 0.4, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	var steps []Step
	req := Request{Prompt: []int{4, 9, 30}, N: 2, Params: SampleParams{Temperature: 1, Seed: 3, MaxNewTokens: 7},
		Logprobs: true, TopLogprobs: 4, OnStep: func(s Step) { steps = append(steps, s) }}
	out, err := m.Generate(context.Background(), []Request{req, {Prompt: []int{1}, Params: SampleParams{MaxNewTokens: 3}}}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out[1][0].Logprobs != nil {
		t.Fatal("logprobs returned for a request that did not ask")
	}
	for s, smp := range out[0] {
		if len(smp.Logprobs) != len(smp.Tokens) || len(smp.Tokens) != 7 {
			t.Fatalf("sample %d: %d tokens, %d logprobs", s, len(smp.Tokens), len(smp.Logprobs))
		}
		seq := append(slices.Clone(req.Prompt), smp.Tokens...)
		logits, err := m.Logits(LeftPad([][]int{seq}, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for k, lp := range smp.Logprobs {
			row := logits[0][len(req.Prompt)-1+k]
			lse := 0.0
			for _, v := range row {
				lse += math.Exp(float64(v))
			}
			lse = math.Log(lse)
			if lp.Token != smp.Tokens[k] || math.Abs(lp.Logprob-(float64(row[lp.Token])-lse)) > 1e-4 {
				t.Fatalf("sample %d token %d: logprob %+v, want %g", s, k, lp, float64(row[lp.Token])-lse)
			}
			order := make([]int, len(row))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int {
				if row[a] > row[b] {
					return -1
				} else if row[a] < row[b] {
					return 1
				}
				return 0
			})
			if len(lp.Top) != 4 {
				t.Fatalf("%d top logprobs", len(lp.Top))
			}
			for j, tp := range lp.Top {
				if tp.Token != order[j] || math.Abs(tp.Logprob-(float64(row[order[j]])-lse)) > 1e-4 {
					t.Fatalf("sample %d token %d top %d: %+v, want token %d", s, k, j, tp, order[j])
				}
			}
		}
	}
	// Steps: 7 tokens per sample then the finish on the 7th, for both samples, in order.
	per := map[int][]int{}
	for _, st := range steps {
		if st.Finish != "" && (st.Finish != "length" || len(per[st.Sample]) != 6) {
			t.Fatalf("sample %d finished %q after %d steps", st.Sample, st.Finish, len(per[st.Sample]))
		}
		if st.Logprob == nil || st.Logprob.Token != st.Token {
			t.Fatalf("step %+v without its logprob", st)
		}
		per[st.Sample] = append(per[st.Sample], st.Token)
	}
	for s := range 2 {
		if !slices.Equal(per[s], out[0][s].Tokens) {
			t.Fatalf("sample %d: steps %v, tokens %v", s, per[s], out[0][s].Tokens)
		}
	}
}

// TestRequestCancel: a request whose context is cancelled stops at the next step while the
// other request of the batch runs to its end; a batch of cancelled requests stops decoding.
func TestRequestCancel(t *testing.T) {
	backend := testBackend(t)
	cfg := tinyConfig("qwen3", 61)
	cfg.EOSTokenID = nil
	m, err := NewRandom(cfg, backend, dtypes.Float32, InitOptions{Seed: 8, Std: 0.4, PerturbNorms: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steps := 0
	a := Request{Prompt: []int{4, 9}, Params: SampleParams{MaxNewTokens: 40}, Ctx: ctx, OnStep: func(s Step) {
		if steps++; steps == 3 {
			cancel()
		}
	}}
	b := Request{Prompt: []int{5}, Params: SampleParams{MaxNewTokens: 20}}
	out, err := m.Generate(context.Background(), []Request{a, b}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0][0]; got.FinishReason != "cancelled" || len(got.Tokens) != 3 || steps != 4 {
		t.Fatalf("cancelled request: %d tokens, finish %q, %d steps reported", len(got.Tokens), got.FinishReason, steps)
	}
	if got := out[1][0]; got.FinishReason != "length" || len(got.Tokens) != 20 {
		t.Fatalf("other request: %d tokens, finish %q", len(got.Tokens), got.FinishReason)
	}
	// Alone, the cancelled request ends the decoding loop: fewer model calls than max tokens.
	ctx2, cancel2 := context.WithCancel(context.Background())
	calls := 0
	a.Ctx, a.OnStep = ctx2, func(Step) {
		if calls++; calls == 2 {
			cancel2()
		}
	}
	out, err = m.Generate(context.Background(), []Request{a}, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || len(out[0][0].Tokens) != 2 {
		t.Fatalf("alone: %d steps, %d tokens", calls, len(out[0][0].Tokens))
	}
}
