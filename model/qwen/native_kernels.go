package qwen

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Kernels of the native decoder (native.go). Matrices are bfloat16 (bf16Mat): a row of K values
// is K/2 pairs (uint32), element 2j in the low and 2j+1 in the high 16 bits, so a pair converts to
// two float32 with a shift and a mask. Rows are packed in panels of 4, each panel stored as blocks
// of 16 pairs of its row 0, then row 1, row 2 and row 3, so that a kernel computing 4 rows reads
// one contiguous stream (4 rows read side by side from the plain layout ran 3x slower: the
// hardware prefetcher follows one stream per page). Activations are float32, split per row into
// their even (xe) and odd (xo) elements, so that Σ_k W[n,k]·x[k] = Σ_j lo(W[n,j])·xe[j] +
// hi(W[n,j])·xo[j]. Rows are padded to a multiple of 4 and pairs to a multiple of 16 with zeros
// (the padded activations are zeros too, so they add +0).
//
// Every dot product accumulates in the same order whatever the batch around it (lane l of a
// 16-lane accumulator takes pairs j ≡ l mod 16 in order, then a fixed reduction), so a row's
// result does not depend on which other rows share the call: prefill equals token-by-token
// decoding bit for bit, and continuous batching equals a static batch.
//
// The portable versions below are used without GOEXPERIMENT=simd or AVX-512; the AVX-512 versions
// (native_kernels_simd_amd64.go) replace them at init.

// bf16Mat is a bfloat16 matrix [N][K] in the packed panel layout above.
type bf16Mat struct {
	N, K, K2p int
	w         []uint32
}

func newBF16Mat(N, K int) *bf16Mat {
	k2p := (K/2 + 15) / 16 * 16
	return &bf16Mat{N: N, K: K, K2p: k2p, w: make([]uint32, (N+3)/4*4*k2p)}
}

// at is the index in w of pair j of row n.
func (a *bf16Mat) at(n, j int) int { return (n/4)*4*a.K2p + (j/16)*64 + (n%4)*16 + j%16 }

// panels is the number of 4-row panels.
func (a *bf16Mat) panels() int { return (a.N + 3) / 4 }

// setRowF32 stores row n from float32 values (rounded to bfloat16).
func (a *bf16Mat) setRowF32(n int, row []float32) {
	for j := 0; j < a.K/2; j++ {
		a.w[a.at(n, j)] = uint32(toBF16(row[2*j])) | uint32(toBF16(row[2*j+1]))<<16
	}
}

// setRowBF16 stores row n from bfloat16 bits.
func (a *bf16Mat) setRowBF16(n int, row []uint16) {
	for j := 0; j < a.K/2; j++ {
		a.w[a.at(n, j)] = uint32(row[2*j]) | uint32(row[2*j+1])<<16
	}
}

// rowF32 writes row n as float32 to dst.
func (a *bf16Mat) rowF32(n int, dst []float32) {
	for j := 0; j < a.K/2; j++ {
		u := a.w[a.at(n, j)]
		dst[2*j], dst[2*j+1] = bf16lo(u), bf16hi(u)
	}
}

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

// matRange computes y[m·ldy + n] = Σ_k x[m,k]·W[n,k] for rows m < M and the weight rows n < a.N
// of panels [g0, g1), with x given as its zero-padded even and odd halves xe, xo ([M][a.K2p]).
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

func matRangeGeneric(y []float32, ldy int, xe, xo []float32, M int, a *bf16Mat, g0, g1 int) {
	K2 := a.K2p
	for n := 4 * g0; n < min(4*g1, a.N); n++ {
		base := (n/4)*4*K2 + (n%4)*16
		for m := 0; m < M; m++ {
			e, o := xe[m*K2:(m+1)*K2], xo[m*K2:(m+1)*K2]
			var acc [16]float32
			for c := 0; c < K2/16; c++ {
				wr := a.w[base+c*64 : base+c*64+16]
				for l := 0; l < 16; l++ {
					u := wr[l]
					acc[l] = bf16lo(u)*e[c*16+l] + acc[l]
					acc[l] = bf16hi(u)*o[c*16+l] + acc[l]
				}
			}
			y[m*ldy+n] = hsum16(&acc)
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

// splitEvenOdd writes the even and odd elements of each of the M rows of x ([M][K]) to xe and
// xo ([M][K2p], zero-padded beyond K/2).
func splitEvenOdd(x []float32, M, K, K2p int, xe, xo []float32) {
	for m := 0; m < M; m++ {
		row := x[m*K : (m+1)*K]
		e, o := xe[m*K2p:(m+1)*K2p], xo[m*K2p:(m+1)*K2p]
		for j := 0; j < K/2; j++ {
			e[j], o[j] = row[2*j], row[2*j+1]
		}
		clear(e[K/2:])
		clear(o[K/2:])
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

// matmul computes y[m·ldy + n] = Σ_k x[m,k]·W[n,k] for x [M][a.K] (float32; xe and xo are scratch
// of at least M·a.K2p values each): the panels are shared out among the pool's workers in chunks,
// so each weight is read once for all M rows.
func (p pool) matmul(y []float32, ldy int, x []float32, M int, a *bf16Mat, xe, xo []float32) {
	splitEvenOdd(x, M, a.K, a.K2p, xe, xo)
	G := a.panels()
	grain := 16
	if G/grain < 4*p.workers {
		grain = max(1, G/(4*p.workers))
	}
	p.run(G, grain, func(lo, hi int) { matRange(y, ldy, xe, xo, M, a, lo, hi) })
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
