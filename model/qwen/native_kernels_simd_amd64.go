//go:build goexperiment.simd && amd64

package qwen

import (
	"simd/archsimd"
	"unsafe"
)

// AVX-512 versions of the native decoder's kernels (see native_kernels.go for the layout and the
// accumulation order they share).

func init() {
	if archsimd.X86.AVX512() {
		matRange, dotQK, axpyV, simdKernels = matRangeAVX512, dotQKAVX512, axpyVAVX512, true
	}
	if archsimd.X86.AVX() {
		clearUpper = archsimd.ClearAVXUpperBits
	}
}

func u32x16(p unsafe.Pointer, j int) *[16]uint32 { return (*[16]uint32)(unsafe.Add(p, 4*j)) }
func f32x16(p unsafe.Pointer, j int) *[16]float32 {
	return (*[16]float32)(unsafe.Add(p, 4*j))
}

func hsumAVX(v archsimd.Float32x16) float32 {
	h := v.GetLo().Add(v.GetHi())
	q := h.GetLo().Add(h.GetHi())
	var a [4]float32
	q.StoreArray(&a)
	return (a[0] + a[1]) + (a[2] + a[3])
}

// tailDot is the scalar end of a row (K2 not a multiple of 16), the same in every kernel.
func tailDot(w []uint32, e, o []float32, j0, K2 int) float32 {
	var s float32
	for j := j0; j < K2; j++ {
		s += bf16lo(w[j])*e[j] + bf16hi(w[j])*o[j]
	}
	return s
}

// Every kernel ends with VZEROUPPER (archsimd.ClearAVXUpperBits): Go compiles scalar float code
// to legacy SSE instructions, which on Intel CPUs run many times slower (false dependencies on the
// upper register halves) while the upper halves of the vector registers are dirty: math.Exp in
// the sampler took 280 ns instead of 11 ns after an unclean AVX-512 kernel.

func matRangeAVX512(y []float32, ldy int, xe, xo []float32, M, K2 int, w []uint32, n0, n1 int) {
	defer archsimd.ClearAVXUpperBits()
	_ = w[n1*K2-1]
	_ = xe[M*K2-1]
	_ = xo[M*K2-1]
	n := n0
	for ; n+4 <= n1; n += 4 {
		m := 0
		for ; m+4 <= M; m += 4 {
			tile44(y, ldy, xe, xo, m, K2, w, n)
		}
		for ; m < M; m++ {
			tile41(y, ldy, xe, xo, m, K2, w, n)
		}
	}
	for ; n < n1; n++ {
		for m := 0; m < M; m++ {
			y[m*ldy+n] = tile11(xe, xo, m, K2, w, n)
		}
	}
}

// tile44: weight rows n..n+3 × activation rows m..m+3.
func tile44(y []float32, ldy int, xe, xo []float32, m, K2 int, w []uint32, n int) {
	mask := archsimd.BroadcastUint32x16(0xffff0000)
	w0 := unsafe.Pointer(&w[n*K2])
	w1 := unsafe.Pointer(&w[(n+1)*K2])
	w2 := unsafe.Pointer(&w[(n+2)*K2])
	w3 := unsafe.Pointer(&w[(n+3)*K2])
	e0, o0 := unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2])
	e1, o1 := unsafe.Pointer(&xe[(m+1)*K2]), unsafe.Pointer(&xo[(m+1)*K2])
	e2, o2 := unsafe.Pointer(&xe[(m+2)*K2]), unsafe.Pointer(&xo[(m+2)*K2])
	e3, o3 := unsafe.Pointer(&xe[(m+3)*K2]), unsafe.Pointer(&xo[(m+3)*K2])
	var a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33 archsimd.Float32x16
	j := 0
	for ; j+16 <= K2; j += 16 {
		u0 := archsimd.LoadUint32x16Array(u32x16(w0, j))
		u1 := archsimd.LoadUint32x16Array(u32x16(w1, j))
		u2 := archsimd.LoadUint32x16Array(u32x16(w2, j))
		u3 := archsimd.LoadUint32x16Array(u32x16(w3, j))
		we0, we1, we2, we3 := u0.ShiftAllLeft(16).AsFloat32x16(), u1.ShiftAllLeft(16).AsFloat32x16(), u2.ShiftAllLeft(16).AsFloat32x16(), u3.ShiftAllLeft(16).AsFloat32x16()
		wo0, wo1, wo2, wo3 := u0.And(mask).AsFloat32x16(), u1.And(mask).AsFloat32x16(), u2.And(mask).AsFloat32x16(), u3.And(mask).AsFloat32x16()
		x := archsimd.LoadFloat32x16Array(f32x16(e0, j))
		a00, a01, a02, a03 = we0.MulAdd(x, a00), we1.MulAdd(x, a01), we2.MulAdd(x, a02), we3.MulAdd(x, a03)
		x = archsimd.LoadFloat32x16Array(f32x16(o0, j))
		a00, a01, a02, a03 = wo0.MulAdd(x, a00), wo1.MulAdd(x, a01), wo2.MulAdd(x, a02), wo3.MulAdd(x, a03)
		x = archsimd.LoadFloat32x16Array(f32x16(e1, j))
		a10, a11, a12, a13 = we0.MulAdd(x, a10), we1.MulAdd(x, a11), we2.MulAdd(x, a12), we3.MulAdd(x, a13)
		x = archsimd.LoadFloat32x16Array(f32x16(o1, j))
		a10, a11, a12, a13 = wo0.MulAdd(x, a10), wo1.MulAdd(x, a11), wo2.MulAdd(x, a12), wo3.MulAdd(x, a13)
		x = archsimd.LoadFloat32x16Array(f32x16(e2, j))
		a20, a21, a22, a23 = we0.MulAdd(x, a20), we1.MulAdd(x, a21), we2.MulAdd(x, a22), we3.MulAdd(x, a23)
		x = archsimd.LoadFloat32x16Array(f32x16(o2, j))
		a20, a21, a22, a23 = wo0.MulAdd(x, a20), wo1.MulAdd(x, a21), wo2.MulAdd(x, a22), wo3.MulAdd(x, a23)
		x = archsimd.LoadFloat32x16Array(f32x16(e3, j))
		a30, a31, a32, a33 = we0.MulAdd(x, a30), we1.MulAdd(x, a31), we2.MulAdd(x, a32), we3.MulAdd(x, a33)
		x = archsimd.LoadFloat32x16Array(f32x16(o3, j))
		a30, a31, a32, a33 = wo0.MulAdd(x, a30), wo1.MulAdd(x, a31), wo2.MulAdd(x, a32), wo3.MulAdd(x, a33)
	}
	acc := [4][4]archsimd.Float32x16{{a00, a01, a02, a03}, {a10, a11, a12, a13}, {a20, a21, a22, a23}, {a30, a31, a32, a33}}
	for mi := 0; mi < 4; mi++ {
		e, o := xe[(m+mi)*K2:(m+mi+1)*K2], xo[(m+mi)*K2:(m+mi+1)*K2]
		for ni := 0; ni < 4; ni++ {
			s := hsumAVX(acc[mi][ni])
			if j < K2 {
				s += tailDot(w[(n+ni)*K2:(n+ni+1)*K2], e, o, j, K2)
			}
			y[(m+mi)*ldy+n+ni] = s
		}
	}
}

// tile41: weight rows n..n+3 × activation row m.
func tile41(y []float32, ldy int, xe, xo []float32, m, K2 int, w []uint32, n int) {
	mask := archsimd.BroadcastUint32x16(0xffff0000)
	w0 := unsafe.Pointer(&w[n*K2])
	w1 := unsafe.Pointer(&w[(n+1)*K2])
	w2 := unsafe.Pointer(&w[(n+2)*K2])
	w3 := unsafe.Pointer(&w[(n+3)*K2])
	e0, o0 := unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2])
	var a0, a1, a2, a3 archsimd.Float32x16
	j := 0
	for ; j+16 <= K2; j += 16 {
		u0 := archsimd.LoadUint32x16Array(u32x16(w0, j))
		u1 := archsimd.LoadUint32x16Array(u32x16(w1, j))
		u2 := archsimd.LoadUint32x16Array(u32x16(w2, j))
		u3 := archsimd.LoadUint32x16Array(u32x16(w3, j))
		x := archsimd.LoadFloat32x16Array(f32x16(e0, j))
		a0 = u0.ShiftAllLeft(16).AsFloat32x16().MulAdd(x, a0)
		a1 = u1.ShiftAllLeft(16).AsFloat32x16().MulAdd(x, a1)
		a2 = u2.ShiftAllLeft(16).AsFloat32x16().MulAdd(x, a2)
		a3 = u3.ShiftAllLeft(16).AsFloat32x16().MulAdd(x, a3)
		x = archsimd.LoadFloat32x16Array(f32x16(o0, j))
		a0 = u0.And(mask).AsFloat32x16().MulAdd(x, a0)
		a1 = u1.And(mask).AsFloat32x16().MulAdd(x, a1)
		a2 = u2.And(mask).AsFloat32x16().MulAdd(x, a2)
		a3 = u3.And(mask).AsFloat32x16().MulAdd(x, a3)
	}
	e, o := xe[m*K2:(m+1)*K2], xo[m*K2:(m+1)*K2]
	for ni, a := range [4]archsimd.Float32x16{a0, a1, a2, a3} {
		s := hsumAVX(a)
		if j < K2 {
			s += tailDot(w[(n+ni)*K2:(n+ni+1)*K2], e, o, j, K2)
		}
		y[m*ldy+n+ni] = s
	}
}

// tile11: weight row n × activation row m.
func tile11(xe, xo []float32, m, K2 int, w []uint32, n int) float32 {
	mask := archsimd.BroadcastUint32x16(0xffff0000)
	w0 := unsafe.Pointer(&w[n*K2])
	e0, o0 := unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2])
	var a archsimd.Float32x16
	j := 0
	for ; j+16 <= K2; j += 16 {
		u := archsimd.LoadUint32x16Array(u32x16(w0, j))
		a = u.ShiftAllLeft(16).AsFloat32x16().MulAdd(archsimd.LoadFloat32x16Array(f32x16(e0, j)), a)
		a = u.And(mask).AsFloat32x16().MulAdd(archsimd.LoadFloat32x16Array(f32x16(o0, j)), a)
	}
	s := hsumAVX(a)
	if j < K2 {
		s += tailDot(w[n*K2:(n+1)*K2], xe[m*K2:(m+1)*K2], xo[m*K2:(m+1)*K2], j, K2)
	}
	return s
}

func bf16x16(k []uint16, i int) archsimd.Float32x16 {
	return archsimd.LoadUint16x16Array((*[16]uint16)(unsafe.Pointer(&k[i]))).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
}

func dotQKAVX512(q []float32, k []uint16) float32 {
	defer archsimd.ClearAVXUpperBits()
	k = k[:len(q)]
	var a archsimd.Float32x16
	i := 0
	for ; i+16 <= len(q); i += 16 {
		a = bf16x16(k, i).MulAdd(archsimd.LoadFloat32x16Array((*[16]float32)(unsafe.Pointer(&q[i]))), a)
	}
	s := hsumAVX(a)
	for ; i < len(q); i++ {
		s += fromBF16(k[i]) * q[i]
	}
	return s
}

func axpyVAVX512(out []float32, p float32, v []uint16) {
	defer archsimd.ClearAVXUpperBits()
	v = v[:len(out)]
	pv := archsimd.BroadcastFloat32x16(p)
	i := 0
	for ; i+16 <= len(out); i += 16 {
		o := (*[16]float32)(unsafe.Pointer(&out[i]))
		bf16x16(v, i).MulAdd(pv, archsimd.LoadFloat32x16Array(o)).StoreArray(o)
	}
	for ; i < len(out); i++ {
		out[i] = fromBF16(v[i])*p + out[i]
	}
}
