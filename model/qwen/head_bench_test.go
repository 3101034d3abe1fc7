package qwen

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkChunkedHead times the chunked LM head's forward (ChunkedHeadStats) and backward
// (HeadStatsVJP) on N positions of a D-wide model with the Qwen vocabulary, in chunks of 16,384:
// what a Qwen-vocabulary training step spends on its head.
func BenchmarkChunkedHead(b *testing.B) {
	backend := testBackend(b)
	const V, chunk = QwenVocabSize, 16384
	for _, nd := range [][2]int{{1024, 32}, {1024, 64}} {
		N, D := nd[0], nd[1]
		b.Run(fmt.Sprintf("N%d_D%d", N, D), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			h := make([]float32, N*D)
			w := make([]float32, V*D)
			for i := range h {
				h[i] = float32(r.NormFloat64())
			}
			for i := range w {
				w[i] = float32(0.02 * r.NormFloat64())
			}
			tg := make([]int32, N)
			g1, g2 := make([]float32, N), make([]float32, N)
			for i := range tg {
				tg[i], g1[i], g2[i] = int32(r.IntN(V)), float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			exec, err := NewExec(backend, func(h, w, tg, gl, ge *Node) []*Node {
				st := ChunkedHeadStats(h, w, tg, chunk, 1)
				dh, dw := HeadStatsVJP(h, w, tg, st, gl, ge, chunk, 1)
				return []*Node{st.LogP, dh, dw}
			})
			if err != nil {
				b.Fatal(err)
			}
			args := []any{tensors.FromFlatDataAndDimensions(h, N, D), tensors.FromFlatDataAndDimensions(w, V, D), tg, g1, g2}
			if _, err := exec.Call(args...); err != nil { // compile
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuSeconds()
			for i := 0; i < b.N; i++ {
				if _, err := exec.Call(args...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(N*V)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlogits/s")
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu_s/op") // steadier than the wall time on a shared machine
		})
	}
	_ = dtypes.Float32
}

// cpuSeconds is the process's user + system CPU time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
