//go:build !linux

package sql

// hugeSlice returns n zeroed values of T (huge pages are asked for on Linux only).
func hugeSlice[T any](n int) ([]T, func()) { return make([]T, n), func() {} }
