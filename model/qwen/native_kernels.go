package qwen

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Kernels of the native decoder (native.go). Matrices are bfloat16 stored as pairs: a row of K
// values is K/2 uint32, element 2j in the low and 2j+1 in the high 16 bits (the little-endian
// layout of consecutive bfloat16 values), so a pair converts to two float32 with a shift and a mask.
// Activations are float32, split per row into their even (xe) and odd (xo) elements, so that
// Σ_k W[n,k]·x[k] = Σ_j lo(W[n,j])·xe[j] + hi(W[n,j])·xo[j].
//
// Every dot product accumulates in the same order whatever the batch around it (lane l of a
// 16-lane accumulator takes pairs j ≡ l mod 16 in order, then a fixed reduction and the tail), so a
// row's result does not depend on which other rows share the call: prefill equals token-by-token
// decoding bit for bit, and continuous batching equals a static batch.
//
// The portable versions below are used without GOEXPERIMENT=simd or AVX-512; the AVX-512 versions
// (native_kernels_simd_amd64.go) replace them at init.

// bf16lo and bf16hi are the float32 values of the low and high bfloat16 of a pair.
func bf16lo(u uint32) float32 { return math.Float32frombits(u << 16) }
func bf16hi(u uint32) float32 { return math.Float32frombits(u & 0xffff0000) }

// toBF16 rounds a float32 to bfloat16 (round to nearest even; NaN and ±Inf keep their bits), as
// GoMLX's and PyTorch's conversions do.
func toBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7f800000 == 0x7f800000 {
		return uint16(b >> 16)
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

func fromBF16(u uint16) float32 { return math.Float32frombits(uint32(u) << 16) }

// matRange computes y[m·ldy + n] = Σ_j W[n] · x[m] for rows m < M and weight rows n in [n0, n1),
// with x given as its even and odd halves xe, xo ([M][K2]) and w as [N][K2] bfloat16 pairs.
var matRange = matRangeGeneric

// dotQK returns Σ q[i]·k[i] over len(q) elements (k bfloat16).
var dotQK = dotQKGeneric

// axpyV adds p·v to out (v bfloat16, len(out) elements).
var axpyV = axpyVGeneric

// clearUpper clears the upper halves of the vector registers (VZEROUPPER) where the CPU has
// them, before scalar float code (see native_kernels_simd_amd64.go).
var clearUpper = func() {}

// simdKernels says whether the AVX-512 kernels are in use.
var simdKernels = false

func matRangeGeneric(y []float32, ldy int, xe, xo []float32, M, K2 int, w []uint32, n0, n1 int) {
	for n := n0; n < n1; n++ {
		wr := w[n*K2 : (n+1)*K2]
		for m := 0; m < M; m++ {
			e, o := xe[m*K2:(m+1)*K2], xo[m*K2:(m+1)*K2]
			var acc [16]float32
			j := 0
			for ; j+16 <= K2; j += 16 {
				for l := 0; l < 16; l++ {
					u := wr[j+l]
					acc[l] = bf16lo(u)*e[j+l] + acc[l]
					acc[l] = bf16hi(u)*o[j+l] + acc[l]
				}
			}
			s := hsum16(&acc)
			for ; j < K2; j++ {
				s += bf16lo(wr[j])*e[j] + bf16hi(wr[j])*o[j]
			}
			y[m*ldy+n] = s
		}
	}
}

// hsum16 reduces 16 lanes in the order of the vector kernels: halves, quarters, then 4 lanes.
func hsum16(a *[16]float32) float32 {
	var h [8]float32
	for i := range h {
		h[i] = a[i] + a[i+8]
	}
	var q [4]float32
	for i := range q {
		q[i] = h[i] + h[i+4]
	}
	return (q[0] + q[1]) + (q[2] + q[3])
}

func dotQKGeneric(q []float32, k []uint16) float32 {
	k = k[:len(q)]
	var acc [16]float32
	i := 0
	for ; i+16 <= len(q); i += 16 {
		for l := 0; l < 16; l++ {
			acc[l] = fromBF16(k[i+l])*q[i+l] + acc[l]
		}
	}
	s := hsum16(&acc)
	for ; i < len(q); i++ {
		s += fromBF16(k[i]) * q[i]
	}
	return s
}

func axpyVGeneric(out []float32, p float32, v []uint16) {
	v = v[:len(out)]
	for i := range out {
		out[i] = fromBF16(v[i])*p + out[i]
	}
}

// splitEvenOdd writes the even and odd elements of each of the M rows of x ([M][2·K2]) to xe
// and xo ([M][K2]).
func splitEvenOdd(x []float32, M, K2 int, xe, xo []float32) {
	for m := 0; m < M; m++ {
		row := x[m*2*K2 : (m+1)*2*K2]
		e, o := xe[m*K2:(m+1)*K2], xo[m*K2:(m+1)*K2]
		for j := range e {
			e[j], o[j] = row[2*j], row[2*j+1]
		}
	}
}

// pool runs index ranges on a fixed number of goroutines (the caller is one of them).
type pool struct{ workers int }

func newPool() pool { return pool{workers: max(1, runtime.GOMAXPROCS(0))} }

// run calls f on the chunks [lo, hi) of [0, n), grain items each (the last may be shorter),
// handed out dynamically to the workers.
func (p pool) run(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (n + grain - 1) / grain
	w := min(p.workers, chunks)
	if w <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	work := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			f(c*grain, min((c+1)*grain, n))
		}
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}

// matmul computes y[m·ldy + n] = Σ_k x[m,k]·W[n,k] for x [M][2·K2] (float32, split into
// xe/xo scratch of at least M·K2 each) and w [N][K2] pairs, the weight rows shared out among the
// pool's workers in chunks, so each weight is read once for all M rows.
func (p pool) matmul(y []float32, ldy int, x []float32, M, K2 int, w []uint32, N int, xe, xo []float32) {
	splitEvenOdd(x, M, K2, xe, xo)
	grain := 64
	if N/grain < 4*p.workers {
		grain = max(4, (N/(4*p.workers)+3)/4*4)
	}
	p.run(N, grain, func(lo, hi int) { matRange(y, ldy, xe, xo, M, K2, w, lo, hi) })
}

// expf is e^x in float32 (Cephes' expf: x = n·ln 2 + r, a degree-6 polynomial in r, then ·2^n;
// within 2 ulp of the exact value). It is plain Go float32 arithmetic, so it compiles to legacy
// SSE instructions only: math.Exp mixes in a VEX FMA instruction, which on this kind of Intel CPU
// runs hundreds of times slower while the vector registers' upper halves are dirty (see
// native_kernels_simd_amd64.go).
func expf(x float32) float32 {
	switch {
	case x != x: // NaN
		return x
	case x > 88.72283:
		return float32(math.Inf(1))
	case x < -103.97208:
		return 0
	}
	const log2e = 1.44269504088896341
	fx := x * log2e
	if fx < 0 {
		fx -= 0.5
	} else {
		fx += 0.5
	}
	n := int32(fx)
	fn := float32(n)
	r := x - fn*0.693359375
	r -= fn * -2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// y·2^n, in two steps so that n down to −150 (subnormal results) does not underflow the scale.
	if n < -125 {
		y *= math.Float32frombits(uint32(n+126+127) << 23)
		return y * math.Float32frombits(uint32(-126+127)<<23)
	}
	if n > 127 {
		return y * math.Float32frombits(uint32(127+127)<<23) * math.Float32frombits(uint32(n-127+127)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}
