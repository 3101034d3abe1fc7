// Package parallel runs independent, indexed jobs on a bounded number of goroutines.
package parallel

import (
	"context"
	"sync"
)

// Map calls fn(i) for i in [0, n) on up to workers goroutines and returns the results in index
// order. It stops handing out work when ctx is done (returning ctx.Err()) and returns the error
// of the lowest index that failed.
func Map[T any](ctx context.Context, n, workers int, fn func(i int) (T, error)) ([]T, error) {
	if workers < 1 {
		workers = 1
	}
	out := make([]T, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
