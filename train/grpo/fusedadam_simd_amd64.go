//go:build goexperiment.simd && amd64

package grpo

import (
	"simd/archsimd"
	"unsafe"
)

func init() {
	if archsimd.X86.AVX512() {
		adamWRange = adamWRangeAVX512
	}
}

func f32s(s []float32, i int) *[16]float32 { return (*[16]float32)(unsafe.Pointer(&s[i])) }

// adamWRangeAVX512 is adamWRangeGeneric 16 lanes at a time: the same float32 operations (IEEE
// multiply, add, subtract, divide and square root, each rounded), no fused multiply-add.
func adamWRangeAVX512(w, m, v, g []float32, k adamConsts) {
	n := len(w)
	m, v, g = m[:n], v[:n], g[:n]
	coef, lr := archsimd.BroadcastFloat32x16(k.coef), archsimd.BroadcastFloat32x16(k.lr)
	bc1, bc2 := archsimd.BroadcastFloat32x16(k.bc1), archsimd.BroadcastFloat32x16(k.bc2)
	b1, c1 := archsimd.BroadcastFloat32x16(k.b1), archsimd.BroadcastFloat32x16(k.c1)
	b2, c2 := archsimd.BroadcastFloat32x16(k.b2), archsimd.BroadcastFloat32x16(k.c2)
	wd, ep := archsimd.BroadcastFloat32x16(k.wd), archsimd.BroadcastFloat32x16(k.ep)
	i := 0
	for ; i+16 <= n; i += 16 {
		gr := archsimd.LoadFloat32x16Array(f32s(g, i))
		if k.clip {
			gr = gr.Mul(coef)
		}
		mi := archsimd.LoadFloat32x16Array(f32s(m, i)).Mul(b1).Add(gr.Mul(c1))
		vi := archsimd.LoadFloat32x16Array(f32s(v, i)).Mul(b2).Add(gr.Mul(gr).Mul(c2))
		wv := archsimd.LoadFloat32x16Array(f32s(w, i))
		wv = wv.Sub(lr.Mul(wv.Mul(wd)))
		upd := mi.Div(bc1).Div(vi.Div(bc2).Sqrt().Add(ep))
		wv.Sub(lr.Mul(upd)).StoreArray(f32s(w, i))
		mi.StoreArray(f32s(m, i))
		vi.StoreArray(f32s(v, i))
	}
	archsimd.ClearAVXUpperBits()
	if i < n {
		adamWRangeGeneric(w[i:], m[i:], v[i:], g[i:], k)
	}
}
