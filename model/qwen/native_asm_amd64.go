//go:build amd64

package qwen

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The matrix kernel in Go assembly (native_asm_amd64.s), used with and without GOEXPERIMENT=simd
// where the CPU has AVX-512: the same instructions in the same order as matRangeAVX512 (so the
// same bits). It streams weights from memory faster than the Go version: BenchmarkNativeMatmul,
// 4 rows × the 151,936 × 1024 LM head (311 MB), read 6.4-6.5 against 5.3-5.5 GB/s on one core
// and 13.2 against 11.4-11.9 GB/s on two (load average 1.1). Software prefetch 1-4 KiB ahead was
// tried and left out: +4% on one core, −4% to −20% on two.

// fmaTile44 accumulates, over blocks blocks of 16 pairs, the 4 weight rows of the panel at w
// against the 4 activation rows at xe, xo (the next rows ldx bytes further on; 0: the same row
// four times) and writes their sums to sums[i][r]: lane l of accumulator (i, r) takes the pairs
// j ≡ l (mod 16), in order, lo(W[r,j])·xe[i,j] then hi(W[r,j])·xo[i,j] (fused multiply-adds),
// and the 16 lanes are reduced in hsum16's order.
//
//go:noescape
func fmaTile44(w, xe, xo unsafe.Pointer, ldx, blocks int, sums *[4][4]float32)

// castPairs rounds blocks × 32 float32 at src to bfloat16 pairs at dst, blocks 64 pairs apart
// (see native_asm_amd64.s); the same bits as toBF16.
//
//go:noescape
func castPairs(dst *uint32, src *float32, blocks int)

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW {
		matRange, asmKernel = matRangeAsm, true
		castRow = castRowAsm
	}
}

// castRowAsm is castRow with castPairs.
func castRowAsm(a *bf16Mat, n int, row []float32, blocks int) {
	if blocks > 0 {
		_ = row[32*blocks-1]
		_ = a.w[a.at(n, 16*blocks-1)]
		castPairs(&a.w[a.at(n, 0)], &row[0], blocks)
	}
}

func matRangeAsm(y []float32, ldy int, xe, xo []float32, M int, a *bf16Mat, g0, g1 int) {
	K2 := a.K2p
	_ = a.w[g1*4*K2-1]
	_ = xe[M*K2-1]
	_ = xo[M*K2-1]
	var sums [4][4]float32
	for g := g0; g < g1; g++ {
		n := 4 * g
		valid := min(4, a.N-n)
		w := unsafe.Pointer(&a.w[g*4*K2])
		m := 0
		for ; m+4 <= M; m += 4 {
			fmaTile44(w, unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2]), 4*K2, K2/16, &sums)
			for i := range 4 {
				copy(y[(m+i)*ldy+n:(m+i)*ldy+n+valid], sums[i][:valid])
			}
		}
		for ; m < M; m++ {
			fmaTile44(w, unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2]), 0, K2/16, &sums)
			copy(y[m*ldy+n:m*ldy+n+valid], sums[0][:valid])
		}
	}
}
