//go:build !amd64

package sql

const haveMinhashAVX512 = false

// minhashMins sets mins[i] to the minimum over sh of a[i]*h + b[i] (mod 2^64).
func minhashMins(sh, a, b, mins []uint64) { minhashMinsGo(sh, a, b, mins) }
