package verifier

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/verify"
)

// BenchmarkLocalVerifier times the local General-Verifier judge (model/complete over a random
// model of the tiny and micro shapes with the real vocabulary and tokenizer): 32 verification
// prompts of the bundled qwen25_math_cot100_dev rows (answers extracted as the batch path does),
// runs of 16 rows, 32 new tokens per verification (random weights never stop early; a trained
// verifier stops at its eos). Reports verifications/s and generated tokens/s.
//
//	go test -tags noxla -run '^$' -bench LocalVerifier -benchtime 3x ./train/verifier/
func BenchmarkLocalVerifier(b *testing.B) {
	f, err := os.Open("../../verify/testdata/qwen25_math_cot100_dev.jsonl.gz")
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := verify.DecodeRows(zr, "qwen25_math_cot100_dev")
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	const n, newTokens = 32, 32
	var prompts []string
	for i := 0; i < n; i++ {
		r := rows[i*len(rows)/n]
		a, _ := verify.ExtractForJudging(r.Response)
		prompts = append(prompts, verify.VerifierPrompt(r.Question, r.Gold, a))
	}
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		b.Fatal(err)
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	for _, shape := range []string{"tiny-qwen2", "micro-qwen2"} {
		b.Run(shape, func(b *testing.B) {
			cfg := qwen.Presets()[shape]
			cfg.EOSTokenID = float64(qwen.QwenEndOfText)
			m, err := qwen.NewRandom(cfg, backend, dtypes.Float32, qwen.InitOptions{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			c, err := complete.New(m, complete.HFTokenizer(tok), complete.Options{Rows: 16})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			p := llm.Params{Temperature: llm.F64(0), MaxTokens: newTokens}
			if _, err := c.CompleteBatch(context.Background(), prompts, p); err != nil { // compile the shapes
				b.Fatal(err)
			}
			before := c.Stats()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.CompleteBatch(context.Background(), prompts, p); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds()
			st := c.Stats()
			b.ReportMetric(float64(n*b.N)/s, "verif/s")
			b.ReportMetric(float64(st.NewTokens-before.NewTokens)/s, "tok/s")
			b.ReportMetric(float64(st.PromptTokens-before.PromptTokens)/float64(n*b.N), "prompt-tok/verif")
			b.Logf("%s: %s", shape, fmt.Sprint(st))
		})
	}
}
