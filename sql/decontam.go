package sql

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/schollz/progressbar/v3"
)

func init() { goSteps["decontaminate"] = decontamStep }

// ngramIndex maps the hash of every word n-gram of the benchmark items to the items holding it.
// An item shorter than n words is one n-gram, which a longer row never holds: such items (with
// at least shortMin words) are kept apart, by word count k, and found by containment, i.e. among
// the row's word k-grams.
//
// The (n-gram, item) pairs are one array sorted by n-gram and item, with the start of each
// bucket of n-grams sharing their top bucketBits bits: built in O(pairs) by a counting sort
// (a Go map of 3.6M n-grams took most of the build, and a third of the lookups).
type ngramIndex struct {
	n      int
	start  []int32  // pairs of bucket b: hashes[start[b]:start[b+1]]
	hashes []uint64 // n-gram hashes, sorted
	items  []int32  // items[j] holds hashes[j]
	count  []int32  // distinct n-grams per item (1 for a short item)
	bits   []uint64 // 2^27-bit filter over the n-gram hashes: most row n-grams miss it (huge pages)
	free   func()

	shortMin   int
	short      map[int]map[uint64][]int32 // word count k -> hash of the item's k words -> items
	shortKs    []int                      // the k present, ascending
	shortFirst map[uint64][]int           // first word of a short item -> the k of the items starting with it
	firstBits  [1 << 10]uint64            // 2^16-bit filter over the keys of shortFirst (top 16 bits)
	nShort     int                        // items matched by containment
}

const (
	filterBits = 27
	bucketBits = 20
)

// lookup adds 1 to counts for every item holding n-gram h.
func (x *ngramIndex) lookup(h uint64, counts map[int32]int32) {
	b := h >> (64 - bucketBits)
	for j := x.start[b]; j < x.start[b+1]; j++ {
		if v := x.hashes[j]; v >= h {
			if v > h {
				return
			}
			counts[x.items[j]]++
		}
	}
}

// distinctNgrams is the number of distinct n-grams in the index.
func (x *ngramIndex) distinctNgrams() int {
	n := 0
	for j := range x.hashes {
		if j == 0 || x.hashes[j] != x.hashes[j-1] {
			n++
		}
	}
	return n
}

func (x *ngramIndex) mayHave(h uint64) bool {
	b := h >> (64 - filterBits)
	return x.bits[b>>6]&(1<<(b&63)) != 0
}

// newNgramIndex returns an empty index; close releases its filter.
func newNgramIndex(n, shortMin int) *ngramIndex {
	bits, free := hugeSlice[uint64](1 << (filterBits - 6))
	return &ngramIndex{n: n, bits: bits, free: free,
		shortMin: shortMin, short: map[int]map[uint64][]int32{}, shortFirst: map[uint64][]int{}}
}

func (x *ngramIndex) close() {
	x.free()
	x.bits = nil
}

// build indexes the items texts[i] as items 0, 1, ... (normalised text): their n-grams are
// computed in parallel, then placed by a counting sort on their top bits and each bucket sorted.
func (x *ngramIndex) build(texts []string) {
	type itemNgrams struct {
		sh    []uint64
		words int
		first uint64
	}
	all := make([]itemNgrams, len(texts))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	parallel := func(n int, f func(lo, hi int)) {
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(w*n/workers, (w+1)*n/workers)
			}()
		}
		wg.Wait()
	}
	parallel(len(texts), func(lo, hi int) {
		var scratch [2][]uint64
		for i := lo; i < hi; i++ {
			sh := distinctShingles(texts[i], x.n, &scratch)
			all[i] = itemNgrams{sh: slices.Clone(sh), words: len(scratch[0])}
			if len(scratch[0]) > 0 {
				all[i].first = scratch[0][0]
			}
		}
	})
	x.start = make([]int32, 1<<bucketBits+1)
	for i, it := range all {
		if x.addCount(int32(i), it.sh, it.words, it.first) {
			all[i].sh = nil // a short item: matched by containment
			continue
		}
		for _, h := range it.sh {
			x.start[h>>(64-bucketBits)+1]++
			b := h >> (64 - filterBits)
			x.bits[b>>6] |= 1 << (b & 63)
		}
	}
	for b := 1; b < len(x.start); b++ {
		x.start[b] += x.start[b-1]
	}
	total := x.start[len(x.start)-1]
	x.hashes, x.items = make([]uint64, total), make([]int32, total)
	next := slices.Clone(x.start[:len(x.start)-1])
	for i, it := range all { // in item order: a bucket holds its items in order
		for _, h := range it.sh {
			b := h >> (64 - bucketBits)
			x.hashes[next[b]], x.items[next[b]] = h, int32(i)
			next[b]++
		}
	}
	parallel(1<<bucketBits, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			j0, j1 := x.start[b], x.start[b+1]
			if j1-j0 > 1 {
				sort.Stable(bucketPairs{x.hashes[j0:j1], x.items[j0:j1]}) // by hash; items stay in order
			}
		}
	})
}

// bucketPairs sorts one bucket's (hash, item) pairs by hash.
type bucketPairs struct {
	h []uint64
	i []int32
}

func (p bucketPairs) Len() int           { return len(p.h) }
func (p bucketPairs) Less(a, b int) bool { return p.h[a] < p.h[b] }
func (p bucketPairs) Swap(a, b int) {
	p.h[a], p.h[b] = p.h[b], p.h[a]
	p.i[a], p.i[b] = p.i[b], p.i[a]
}

// distinctShingles returns the distinct n-gram hashes of text, sorted (a text shorter than n
// words is one n-gram).
func distinctShingles(text string, n int, scratch *[2][]uint64) []uint64 {
	scratch[0] = wordHashes(text, scratch[0])
	scratch[1] = shingleHashes(scratch[0], n, scratch[1])
	sh := scratch[1]
	slices.Sort(sh)
	return slices.Compact(sh)
}

// addCount records item's distinct n-gram count and, for a short item (fewer than n words, at
// least shortMin), registers it for containment and reports true.
func (x *ngramIndex) addCount(item int32, sh []uint64, words int, first uint64) bool {
	x.count = append(x.count, int32(len(sh)))
	if k := words; k < x.n && k >= x.shortMin {
		m := x.short[k]
		if m == nil {
			m = map[uint64][]int32{}
			x.short[k] = m
			x.shortKs = append(x.shortKs, k)
			slices.Sort(x.shortKs)
		}
		m[sh[0]] = append(m[sh[0]], item)
		if w := first; !slices.Contains(x.shortFirst[w], k) {
			x.shortFirst[w] = append(x.shortFirst[w], k)
			x.firstBits[w>>54] |= 1 << (w >> 48 & 63)
		}
		x.nShort++
		return true
	}
	return false
}

// count1 adds to counts, for every item that shares n-grams with the (normalised) row text,
// how many of the item's distinct n-grams the row holds (1 for a short item the row contains).
// scratch[0] is left holding the row's word hashes and scratch[1] its n-gram hashes (rowNgrams
// counts the distinct ones).
//
// Every n-gram is first looked up in the bit filter, all of them before any map lookup (the
// loads do not wait on each other); the few that pass are made distinct and looked up. A short
// item of k words can only start where the row has its first word, so the row's k-grams are
// hashed only there.
func (x *ngramIndex) count1(text string, scratch *[3][]uint64, counts map[int32]int32) {
	scratch[0] = wordHashes(text, scratch[0])
	x.count1Words(scratch, counts)
}

// count1Words is count1 of the text whose word hashes are in scratch[0].
func (x *ngramIndex) count1Words(scratch *[3][]uint64, counts map[int32]int32) {
	scratch[1] = shingleHashes(scratch[0], x.n, scratch[1])
	cand := scratch[2][:0]
	for _, h := range scratch[1] {
		if x.mayHave(h) {
			cand = append(cand, h)
		}
	}
	if len(cand) > 1 {
		slices.Sort(cand)
		cand = slices.Compact(cand)
	}
	scratch[2] = cand
	for _, h := range cand {
		x.lookup(h, counts)
	}
	// short items: does the row hold all their words, in order?
	if len(x.shortFirst) == 0 {
		return
	}
	words := scratch[0]
	for i, w := range words {
		if x.firstBits[w>>54]&(1<<(w>>48&63)) == 0 {
			continue
		}
		ks, ok := x.shortFirst[w]
		if !ok {
			continue
		}
		for _, k := range ks {
			if i+k > len(words) {
				continue
			}
			h := uint64(0)
			for _, v := range words[i : i+k] {
				h = h*shinglePrime + v
			}
			for _, it := range x.short[k][mix64(h^uint64(k))] {
				counts[it] = 1
			}
		}
	}
}

// rowNgrams is the number of distinct n-grams of the row count1 last saw (scratch[1] is sorted).
func rowNgrams(scratch *[3][]uint64) int {
	slices.Sort(scratch[1])
	return len(slices.Compact(scratch[1]))
}

// decontamStep indexes the word n-grams (n = ContamN) of every benchmark item (bench_norm), then
// for every row of s4_norm counts the n-grams it shares with each item; a short item (fewer
// than n words, at least ContamShortMin) counts as its one n-gram, held when the row contains
// its words in order. A hit is written to
// contamination_hits when the row holds at least 20% of the item's n-grams (report floor);
// stage 5's SQL decides which hits make a row contaminated. The rows are scanned inside a query,
// on both cores (decontamSink, sink.go).
func decontamStep(ctx context.Context, p *Pipeline) error {
	t0 := time.Now()
	idx := newNgramIndex(p.Opt.ContamN, p.Opt.ContamShortMin)
	defer idx.close()
	var bench, items, texts []string
	rows, err := p.conn.QueryContext(ctx, `SELECT benchmark, item_id, norm_question FROM bench_norm ORDER BY benchmark, item_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var b, it, text string
		if err := rows.Scan(&b, &it, &text); err != nil {
			rows.Close()
			return err
		}
		bench = append(bench, b)
		items = append(items, it)
		texts = append(texts, text)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	idx.build(texts)
	p.tracef("    decontaminate: indexed %d benchmark items, %d distinct n-grams, %d short items (containment) in %.2fs\n",
		len(bench), idx.distinctNgrams(), idx.nShort, time.Since(t0).Seconds())
	if err := p.exec(ctx, fmt.Sprintf(`INSERT INTO stage_counts VALUES (5, 'short items matched by containment', 'fewer than %d words, at least %d', %d)`,
		idx.n, idx.shortMin, idx.nShort)); err != nil {
		return err
	}

	var n int64
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*) FROM s4_norm`).Scan(&n); err != nil {
		return err
	}
	if err := p.exec(ctx, `CREATE OR REPLACE TABLE contamination_hits (rid BIGINT, benchmark VARCHAR, item_id VARCHAR,
		shared_ngrams INTEGER, item_ngrams INTEGER, row_ngrams INTEGER, overlap DOUBLE)`); err != nil {
		return err
	}
	sink := &decontamSink{idx: idx, bench: bench, items: items, bar: p.bar(n, "stage 5 n-grams")}
	if _, err := p.sinkRows(ctx, sink, `SELECT count(go_step_rows(n.rid, n.source, n.source_id, r.question))
		FROM s4_norm n JOIN s1_rows r USING (rid)`); err != nil {
		return fmt.Errorf("decontaminate: %w", err)
	}
	sink.bar.Finish()
	all := sink.hits
	p.tracef("    decontaminate: scanned %d rows, %d hits in %.2fs\n", n, len(all), time.Since(t0).Seconds())
	return p.withAppender("contamination_hits", func(a *duckdb.Appender) error {
		for _, h := range all {
			if err := a.AppendRow(h.rid, bench[h.item], items[h.item], h.shared, idx.count[h.item], h.rowN,
				float64(h.shared)/float64(idx.count[h.item])); err != nil {
				return err
			}
		}
		return nil
	})
}

// contamHit is one (row, item) pair over the report floor.
type contamHit struct {
	rid    int64
	item   int32
	shared int32
	rowN   int32
}

// decontamSink counts each row's n-grams against the index and collects the hits.
type decontamSink struct {
	idx          *ngramIndex
	bench, items []string
	bar          *progressbar.ProgressBar
	mu           sync.Mutex
	hits         []contamHit
}

func (s *decontamSink) consume(c *sinkChunk) error {
	var scratch [3][]uint64
	var hits []contamHit
	counts := map[int32]int32{}
	for row, rid := range c.rids {
		if !c.valid[0][row] || !c.valid[1][row] || !c.valid[2][row] {
			return fmt.Errorf("decontaminate: rid %d has a NULL source, source_id or question", rid)
		}
		source, sid := c.text[0][row], c.text[1][row]
		if len(counts) > 64 {
			counts = map[int32]int32{} // clear() would cost the map's grown capacity on every later row
		} else {
			clear(counts)
		}
		scratch[0] = normWordHashes(c.text[2][row], scratch[0]) // the words of NormText(question)
		s.idx.count1Words(&scratch, counts)
		rowN := -1
		for it, n := range counts {
			if s.bench[it] == source && s.items[it] == sid {
				continue // the row is this benchmark item itself
			}
			if float64(n) >= 0.2*float64(s.idx.count[it]) {
				if rowN < 0 {
					rowN = rowNgrams(&scratch)
				}
				hits = append(hits, contamHit{rid, it, n, int32(rowN)})
			}
		}
	}
	s.bar.Add(len(c.rids))
	if len(hits) > 0 {
		s.mu.Lock()
		s.hits = append(s.hits, hits...)
		s.mu.Unlock()
	}
	return nil
}
