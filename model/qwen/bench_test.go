package qwen

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gomlx/compute/dtypes"
)

// BenchmarkDecode measures KV-cache decoding speed: decode_tok/s counts the tokens of all rows
// generated after the first one (each iteration times a 1-token and a (1+new)-token generation
// and divides the extra tokens by the extra time, so prefill is excluded).
func BenchmarkDecode(b *testing.B) {
	backend := testBackend(b)
	const promptLen, newTokens = 16, 32
	for _, preset := range []string{"tiny-qwen3", "micro-qwen3"} {
		for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
			for _, batch := range []int{1, 8} {
				b.Run(fmt.Sprintf("%s/%s/B%d", preset, dt, batch), func(b *testing.B) {
					cfg := *Presets()[preset]
					cfg.EOSTokenID = nil // never stop early
					m, err := NewRandom(&cfg, backend, dt, InitOptions{Seed: 1})
					if err != nil {
						b.Fatal(err)
					}
					reqs := make([]Request, batch)
					for i := range reqs {
						p := make([]int, promptLen)
						for j := range p {
							p[j] = (i*31 + j*7) % 1000
						}
						reqs[i] = Request{Prompt: p}
					}
					gen := func(n int) time.Duration {
						for i := range reqs {
							reqs[i].Params.MaxNewTokens = n
						}
						start := time.Now()
						if _, err := m.Generate(context.Background(), reqs, GenerateOptions{}); err != nil {
							b.Fatal(err)
						}
						return time.Since(start)
					}
					gen(1 + newTokens) // compile prefill and decode graphs
					b.ResetTimer()
					var extra time.Duration
					for i := 0; i < b.N; i++ {
						extra += gen(1+newTokens) - gen(1)
					}
					b.ReportMetric(float64(batch*newTokens*b.N)/extra.Seconds(), "decode_tok/s")
					b.ReportMetric(float64(m.NumParameters())/1e6, "Mparams")
				})
			}
		}
	}
}
