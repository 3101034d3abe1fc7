package harness

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/greason/greason/benchmarks"
)

// BenchmarkRescoreMMLUPro measures re-scoring throughput on one goroutine: all 12,032 MMLU-Pro
// items, each with a ~1.2 KB chain-of-thought response ending in a boxed letter (a tenth with
// no box, which takes the "Final Answer" and fallback paths).
func BenchmarkRescoreMMLUPro(b *testing.B) {
	bench, err := benchmarks.Get("mmlu-pro")
	if err != nil {
		b.Fatal(err)
	}
	items, err := bench.Load()
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("We compare the options one by one and eliminate those that contradict the premises. ", 14)
	resps := make([]string, len(items))
	bytes := 0
	for i, it := range items {
		if i%10 == 9 {
			resps[i] = body + "I am not sure; maybe the third option.\n"
		} else {
			resps[i] = fmt.Sprintf("%sTherefore the answer is \\boxed{%s}.", body, it.Gold)
		}
		bytes += len(resps[i])
	}
	ctx := context.Background()
	sc := benchmarks.Scorer{Seed: 1}
	b.SetBytes(int64(bytes))
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for k, it := range items {
			if _, err := bench.Score(ctx, it, resps[k], sc); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}
