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

func f32x16(p unsafe.Pointer, j int) *[16]float32 {
	return (*[16]float32)(unsafe.Add(p, 4*j))
}

// quarter reduces 16 lanes to 4 (lane i: a[i] + a[i+8], then + the same 4 lanes further on),
// the first two steps of hsum16.
func quarter(v archsimd.Float32x16) archsimd.Float32x4 {
	h := v.GetLo().Add(v.GetHi())
	return h.GetLo().Add(h.GetHi())
}

// sums4 returns the full sums of four accumulators in hsum16's order: (q0+q1)+(q2+q3) of each.
func sums4(a0, a1, a2, a3 archsimd.Float32x16) archsimd.Float32x4 {
	return quarter(a0).ConcatAddPairs(quarter(a1)).ConcatAddPairs(quarter(a2).ConcatAddPairs(quarter(a3)))
}

// sum1 returns the full sum of one accumulator (in every lane), in hsum16's order.
func sum1(a archsimd.Float32x16) archsimd.Float32x4 {
	q := quarter(a)
	r := q.ConcatAddPairs(q)
	return r.ConcatAddPairs(r)
}

func f32x4(y []float32, i int) *[4]float32 { return (*[4]float32)(unsafe.Pointer(&y[i])) }

// store4 writes the sums of weight rows n..n+3 of activation row m to y, only the first valid
// ones in the last, partial panel (through a copy: no scalar float instruction).
func store4(v archsimd.Float32x4, y []float32, ldy, m, n, valid int) {
	if valid >= 4 {
		v.StoreArray(f32x4(y, m*ldy+n))
		return
	}
	var t [4]float32
	v.StoreArray(&t)
	copy(y[m*ldy+n:m*ldy+n+valid], t[:valid])
}

func matRangeAVX512(y []float32, ldy int, xe, xo []float32, M int, a *bf16Mat, g0, g1 int) {
	defer archsimd.ClearAVXUpperBits()
	K2 := a.K2p
	_ = a.w[g1*4*K2-1]
	_ = xe[M*K2-1]
	_ = xo[M*K2-1]
	for g := g0; g < g1; g++ {
		n := 4 * g
		valid := min(4, a.N-n)
		base := unsafe.Pointer(&a.w[g*4*K2])
		m := 0
		for ; m+4 <= M; m += 4 {
			tile44(y, ldy, xe, xo, m, K2, base, n, valid)
		}
		for ; m < M; m++ {
			tile41(y, ldy, xe, xo, m, K2, base, n, valid)
		}
	}
}

// tile44: the 4 weight rows of a panel × activation rows m..m+3.
func tile44(y []float32, ldy int, xe, xo []float32, m, K2 int, base unsafe.Pointer, n, valid int) {
	mask := archsimd.BroadcastUint32x16(0xffff0000)
	e0, o0 := unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2])
	e1, o1 := unsafe.Pointer(&xe[(m+1)*K2]), unsafe.Pointer(&xo[(m+1)*K2])
	e2, o2 := unsafe.Pointer(&xe[(m+2)*K2]), unsafe.Pointer(&xo[(m+2)*K2])
	e3, o3 := unsafe.Pointer(&xe[(m+3)*K2]), unsafe.Pointer(&xo[(m+3)*K2])
	var a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33 archsimd.Float32x16
	for j := 0; j < K2; j += 16 {
		blk := unsafe.Add(base, 16*j) // a block: 4 rows × 16 pairs × 4 bytes
		u0 := archsimd.LoadUint32x16Array((*[16]uint32)(blk))
		u1 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 64)))
		u2 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 128)))
		u3 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 192)))
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
	store4(sums4(a00, a01, a02, a03), y, ldy, m, n, valid)
	store4(sums4(a10, a11, a12, a13), y, ldy, m+1, n, valid)
	store4(sums4(a20, a21, a22, a23), y, ldy, m+2, n, valid)
	store4(sums4(a30, a31, a32, a33), y, ldy, m+3, n, valid)
}

// tile41: the 4 weight rows of a panel × activation row m.
func tile41(y []float32, ldy int, xe, xo []float32, m, K2 int, base unsafe.Pointer, n, valid int) {
	mask := archsimd.BroadcastUint32x16(0xffff0000)
	e0, o0 := unsafe.Pointer(&xe[m*K2]), unsafe.Pointer(&xo[m*K2])
	var a0, a1, a2, a3 archsimd.Float32x16
	for j := 0; j < K2; j += 16 {
		blk := unsafe.Add(base, 16*j)
		u0 := archsimd.LoadUint32x16Array((*[16]uint32)(blk))
		u1 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 64)))
		u2 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 128)))
		u3 := archsimd.LoadUint32x16Array((*[16]uint32)(unsafe.Add(blk, 192)))
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
	store4(sums4(a0, a1, a2, a3), y, ldy, m, n, valid)
}

func bf16x16(k []uint16, i int) archsimd.Float32x16 {
	return archsimd.LoadUint16x16Array((*[16]uint16)(unsafe.Pointer(&k[i]))).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
}

func dotQKAVX512(q []float32, k []uint16) float32 {
	k = k[:len(q)]
	var a archsimd.Float32x16
	i := 0
	for ; i+16 <= len(q); i += 16 {
		a = bf16x16(k, i).MulAdd(archsimd.LoadFloat32x16Array((*[16]float32)(unsafe.Pointer(&q[i]))), a)
	}
	s := sum1(a).GetElem(0)
	archsimd.ClearAVXUpperBits()
	for ; i < len(q); i++ {
		s += fromBF16(k[i]) * q[i]
	}
	return s
}

func axpyVAVX512(out []float32, p float32, v []uint16) {
	v = v[:len(out)]
	pv := archsimd.BroadcastFloat32x16(p)
	i := 0
	for ; i+16 <= len(out); i += 16 {
		o := (*[16]float32)(unsafe.Pointer(&out[i]))
		bf16x16(v, i).MulAdd(pv, archsimd.LoadFloat32x16Array(o)).StoreArray(o)
	}
	archsimd.ClearAVXUpperBits()
	for ; i < len(out); i++ {
		out[i] = fromBF16(v[i])*p + out[i]
	}
}
