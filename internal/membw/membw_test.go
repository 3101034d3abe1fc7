package membw

import (
	"math"
	"testing"
)

func TestKernels(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 1000} {
		a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
		want := 0.0
		for i := range b {
			b[i], c[i] = float64(i), float64(2*i+1)
			want += b[i]
		}
		triad(a, b, c, 0.5)
		for i := range a {
			if a[i] != b[i]+0.5*c[i] {
				t.Fatalf("n=%d triad[%d] = %g, want %g", n, i, a[i], b[i]+0.5*c[i])
			}
		}
		if got := sum(b); math.Abs(got-want) > 1e-9*max(1, want) {
			t.Fatalf("n=%d sum = %g, want %g", n, got, want)
		}
	}
}

func TestMeasureSmall(t *testing.T) {
	res, err := Measure([]int{1, 2}, Options{ArrayBytes: 1 << 20, Reps: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Kernel != "triad" || res[1].Workers != 2 || res[2].Kernel != "read" {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if !(r.GBps > 0) || math.IsInf(r.GBps, 0) {
			t.Fatalf("bandwidth %+v", r)
		}
	}
	if _, err := Measure([]int{0}, Options{ArrayBytes: 1 << 20}); err == nil {
		t.Fatal("0 workers accepted")
	}
}

// BenchmarkTriad reports the STREAM triad bandwidth of 1 and 2 workers over 3 arrays of 512 MiB
// (1.5 GiB resident: run it alone).
func BenchmarkTriad(b *testing.B) {
	for range b.N {
		res, err := Measure([]int{1, 2}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			b.ReportMetric(r.GBps, r.Kernel+"_"+string(rune('0'+r.Workers))+"w_GB/s")
		}
	}
}
