package sql

import "golang.org/x/sys/cpu"

// minhash16AVX512 is in minhash_amd64.s.
//
//go:noescape
func minhash16AVX512(sh, a, b, mins []uint64)

// haveMinhashAVX512: the CPU and the OS run AVX-512 F and DQ (VPMULLQ, VPMINUQ).
var haveMinhashAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// minhashMins sets mins[i] to the minimum over sh of a[i]*h + b[i] (mod 2^64): 16 permutations
// at a time with AVX-512 where the CPU has it, the rest in Go.
func minhashMins(sh, a, b, mins []uint64) {
	done := 0
	if haveMinhashAVX512 && len(sh) > 0 {
		done = len(a) &^ 15
		minhash16AVX512(sh, a[:done], b[:done], mins[:done])
	}
	minhashMinsGo(sh, a[done:], b[done:], mins[done:])
}
