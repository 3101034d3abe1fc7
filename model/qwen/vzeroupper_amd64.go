package qwen

import "golang.org/x/sys/cpu"

// vzeroupper clears the upper halves of the vector registers (the VZEROUPPER instruction).
//
// The Go backend's SIMD kernels (GOEXPERIMENT=simd) can leave the upper halves of the AVX-512
// registers dirty; until they are cleared, every legacy SSE instruction pays a state transition
// on Intel CPUs, and math.Exp (SSE with VEX FMAs) ran about 100 times slower in the sampler
// (2.8 µs a call instead of 15-30 ns, measured). Clearing changes no value: only speed.
func vzeroupper()

var hasAVX = cpu.X86.HasAVX

func clearUpperState() {
	if hasAVX {
		vzeroupper()
	}
}
