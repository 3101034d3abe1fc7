//go:build !(goexperiment.simd && amd64)

package membw

func haveSIMD() bool { return false }

func triad(a, b, c []float64, s float64) { triadGeneric(a, b, c, s) }

func sum(x []float64) float64 { return sumGeneric(x) }
