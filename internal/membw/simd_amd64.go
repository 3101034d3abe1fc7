//go:build goexperiment.simd && amd64

package membw

import (
	"simd/archsimd"
	"unsafe"
)

var useAVX512 = archsimd.X86.AVX512()

func haveSIMD() bool { return useAVX512 }

func f64x8(s []float64, i int) *[8]float64 { return (*[8]float64)(unsafe.Pointer(&s[i])) }

// triad: a = b + s·c, 32 elements (4 vectors) per iteration.
func triad(a, b, c []float64, s float64) {
	if !useAVX512 {
		triadGeneric(a, b, c, s)
		return
	}
	b, c = b[:len(a)], c[:len(a)]
	sv := archsimd.BroadcastFloat64x8(s)
	i := 0
	for ; i+32 <= len(a); i += 32 {
		c0 := archsimd.LoadFloat64x8Array(f64x8(c, i))
		c1 := archsimd.LoadFloat64x8Array(f64x8(c, i+8))
		c2 := archsimd.LoadFloat64x8Array(f64x8(c, i+16))
		c3 := archsimd.LoadFloat64x8Array(f64x8(c, i+24))
		c0.MulAdd(sv, archsimd.LoadFloat64x8Array(f64x8(b, i))).StoreArray(f64x8(a, i))
		c1.MulAdd(sv, archsimd.LoadFloat64x8Array(f64x8(b, i+8))).StoreArray(f64x8(a, i+8))
		c2.MulAdd(sv, archsimd.LoadFloat64x8Array(f64x8(b, i+16))).StoreArray(f64x8(a, i+16))
		c3.MulAdd(sv, archsimd.LoadFloat64x8Array(f64x8(b, i+24))).StoreArray(f64x8(a, i+24))
	}
	triadGeneric(a[i:], b[i:], c[i:], s)
}

// sum of x, 4 vector accumulators.
func sum(x []float64) float64 {
	if !useAVX512 {
		return sumGeneric(x)
	}
	var s0, s1, s2, s3 archsimd.Float64x8
	i := 0
	for ; i+32 <= len(x); i += 32 {
		s0 = s0.Add(archsimd.LoadFloat64x8Array(f64x8(x, i)))
		s1 = s1.Add(archsimd.LoadFloat64x8Array(f64x8(x, i+8)))
		s2 = s2.Add(archsimd.LoadFloat64x8Array(f64x8(x, i+16)))
		s3 = s3.Add(archsimd.LoadFloat64x8Array(f64x8(x, i+24)))
	}
	var t [8]float64
	s0.Add(s1).Add(s2.Add(s3)).StoreArray(&t)
	return sumGeneric(t[:]) + sumGeneric(x[i:])
}
