package reward

import (
	"context"
	"sync"
)

// pool is a fixed set of workers shared by every request: CPU-bound judges use the cores and
// no more however many clients call at once; model judges get as many calls in flight as
// workers. A request's rows go to the workers in chunks, interleaved with other requests'.
type pool struct {
	jobs chan *chunk
	stop chan struct{}
	wg   sync.WaitGroup
	n    int
}

// chunk is rows [lo, hi) of one batch.
type chunk struct {
	b      *batch
	lo, hi int
}

// batch is one run call: its rows' function, its context and its outcome.
type batch struct {
	ctx    context.Context
	cancel context.CancelFunc
	fn     func(ctx context.Context, i int) error
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error // the first error (a judge error cancels the rest)
}

func newPool(workers int) *pool {
	p := &pool{jobs: make(chan *chunk), stop: make(chan struct{}), n: workers}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

func (p *pool) work() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case c := <-p.jobs:
			c.b.do(c.lo, c.hi)
		}
	}
}

func (b *batch) do(lo, hi int) {
	defer b.wg.Done()
	for i := lo; i < hi; i++ {
		if b.ctx.Err() != nil {
			return
		}
		if err := b.fn(b.ctx, i); err != nil {
			b.fail(err)
			return
		}
	}
}

func (b *batch) fail(err error) {
	b.mu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.mu.Unlock()
	b.cancel()
}

// run calls fn(ctx, i) for i in [0, n) on the workers and waits until every chunk handed out
// has returned, so no worker touches the caller's data after run returns. It returns ctx's
// error if ctx ended first, else the first error of fn (after which no new row starts).
func (p *pool) run(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b := &batch{ctx: bctx, cancel: cancel, fn: fn}
	size := chunkSize(n, p.n)
	for lo := 0; lo < n && bctx.Err() == nil; lo += size {
		b.wg.Add(1)
		select {
		case p.jobs <- &chunk{b: b, lo: lo, hi: min(lo+size, n)}:
		case <-bctx.Done():
			b.wg.Done()
		case <-p.stop:
			b.wg.Done()
			b.fail(errClosed)
		}
	}
	b.wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// chunkSize splits n rows so that every worker gets several chunks (load balance across rows
// of different cost) while a chunk still amortises the hand-over.
func chunkSize(n, workers int) int {
	return max(1, min(64, n/(4*workers)))
}

func (p *pool) close() {
	close(p.stop)
	p.wg.Wait()
}
