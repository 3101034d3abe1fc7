// Package membw measures this machine's sustainable memory bandwidth with STREAM-style kernels
// (McCalpin's STREAM: arrays much larger than the last-level cache, best of several passes):
// the triad a[i] = b[i] + s·c[i] (two arrays read, one written: 24 bytes per float64 element, the
// STREAM count, which ignores the write-allocate read of a) and a read-only sum (8 bytes per
// element), each on 1 or more goroutines that split the arrays into contiguous parts.
//
// The decode step of a language model reads every weight once and writes little, so the read
// figure is the stricter ceiling for it and the triad (the figure STREAM reports) the usual one;
// a rollout's bound is (weight bytes read per decode step) ÷ bandwidth.
package membw

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Result is one measured kernel.
type Result struct {
	Kernel     string  `json:"kernel"`      // "triad" or "read"
	Workers    int     `json:"workers"`     // goroutines (each on its own part of the arrays)
	ArrayBytes int64   `json:"array_bytes"` // bytes of each array
	Reps       int     `json:"reps"`
	GBps       float64 `json:"gb_per_s"` // best pass, 1e9 bytes per second
	SIMD       bool    `json:"simd"`     // the AVX-512 kernels were used
}

func (r Result) String() string {
	return fmt.Sprintf("%s, %d worker(s), %d MiB arrays: %.1f GB/s", r.Kernel, r.Workers, r.ArrayBytes>>20, r.GBps)
}

// Options of a measurement.
type Options struct {
	ArrayBytes int64 // bytes per array (default 512 MiB: 3 arrays of the triad take 1.5 GiB)
	Reps       int   // passes; the best counts (default 5)
}

func (o Options) withDefaults() Options {
	if o.ArrayBytes <= 0 {
		o.ArrayBytes = 512 << 20
	}
	if o.Reps <= 0 {
		o.Reps = 5
	}
	return o
}

// Measure runs the triad and the read kernel with each worker count (e.g. 1 and 2) and returns
// the results in that order: triad for every count, then read for every count.
func Measure(workers []int, o Options) ([]Result, error) {
	o = o.withDefaults()
	n := int(o.ArrayBytes / 8)
	if n < 1<<10 {
		return nil, fmt.Errorf("membw: arrays of %d bytes are too small", o.ArrayBytes)
	}
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	// Touch every page (and give the arrays STREAM's initial values) before timing.
	most := 1
	for _, w := range workers {
		most = max(most, w)
	}
	parallelFor(most, n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a[i], b[i], c[i] = 1, 2, 0
		}
	})
	var out []Result
	for _, kernel := range []string{"triad", "read"} {
		for _, w := range workers {
			if w < 1 {
				return nil, fmt.Errorf("membw: %d workers", w)
			}
			best := time.Duration(1 << 62)
			for range o.Reps {
				t0 := time.Now()
				switch kernel {
				case "triad":
					parallelFor(w, n, func(lo, hi int) { triad(a[lo:hi], b[lo:hi], c[lo:hi], 3) })
				case "read":
					sums := make([]float64, w)
					var mu sync.Mutex
					parallelFor(w, n, func(lo, hi int) {
						s := sum(b[lo:hi])
						mu.Lock()
						sums = append(sums, s)
						mu.Unlock()
					})
					sink = sums[len(sums)-1]
				}
				best = min(best, time.Since(t0))
			}
			bytes := float64(o.ArrayBytes) * 3
			if kernel == "read" {
				bytes = float64(o.ArrayBytes)
			}
			out = append(out, Result{Kernel: kernel, Workers: w, ArrayBytes: o.ArrayBytes, Reps: o.Reps,
				GBps: bytes / best.Seconds() / 1e9, SIMD: haveSIMD()})
		}
	}
	if a[n-1] != 2+3*0 || b[0] != 2 {
		return nil, fmt.Errorf("membw: the triad computed a wrong value (%g)", a[n-1])
	}
	return out, nil
}

// sink keeps the read kernel's result alive.
var sink float64

// parallelFor splits [0, n) into w contiguous parts (multiples of 64 elements) run on w goroutines,
// each locked to its own OS thread.
func parallelFor(w, n int, f func(lo, hi int)) {
	if w <= 1 {
		f(0, n)
		return
	}
	part := (n/w + 63) / 64 * 64
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += part {
		hi := min(lo+part, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

func triadGeneric(a, b, c []float64, s float64) {
	b, c = b[:len(a)], c[:len(a)]
	for i := range a {
		a[i] = b[i] + s*c[i]
	}
}

func sumGeneric(x []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return s0 + s1 + s2 + s3
}
