package sql

import (
	"context"
	"fmt"
	"runtime"
	"slices"
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
type ngramIndex struct {
	n      int
	shards [2]ngramShard // by the top bit of the n-gram hash (filled in parallel by addAll)
	count  []int32       // distinct n-grams per item (1 for a short item)
	bits   []uint64      // 2^27-bit filter over the n-gram hashes: most row n-grams miss it

	shortMin   int
	short      map[int]map[uint64][]int32 // word count k -> hash of the item's k words -> items
	shortKs    []int                      // the k present, ascending
	shortFirst map[uint64][]int           // first word of a short item -> the k of the items starting with it
	firstBits  [1 << 10]uint64            // 2^16-bit filter over the keys of shortFirst (top 16 bits)
	nShort     int                        // items matched by containment
}

// ngramShard maps n-grams to the items holding them.
type ngramShard struct {
	single   map[uint64]int32 // n-gram -> item, or -(1+k) for overflow[k]
	overflow [][]int32
}

func (sh *ngramShard) insert(item int32, h uint64) {
	v, ok := sh.single[h]
	switch {
	case !ok:
		sh.single[h] = item
	case v >= 0:
		sh.overflow = append(sh.overflow, []int32{v, item})
		sh.single[h] = -int32(len(sh.overflow))
	default:
		sh.overflow[-v-1] = append(sh.overflow[-v-1], item)
	}
}

// lookup adds 1 to counts for every item holding n-gram h.
func (x *ngramIndex) lookup(h uint64, counts map[int32]int32) {
	sh := &x.shards[h>>63]
	v, ok := sh.single[h]
	if !ok {
		return
	}
	if v >= 0 {
		counts[v]++
		return
	}
	for _, it := range sh.overflow[-v-1] {
		counts[it]++
	}
}

// distinctNgrams is the number of distinct n-grams in the index.
func (x *ngramIndex) distinctNgrams() int { return len(x.shards[0].single) + len(x.shards[1].single) }

const filterBits = 27

func (x *ngramIndex) mayHave(h uint64) bool {
	b := h >> (64 - filterBits)
	return x.bits[b>>6]&(1<<(b&63)) != 0
}

func newNgramIndex(n, shortMin int) *ngramIndex {
	x := &ngramIndex{n: n, bits: make([]uint64, 1<<(filterBits-6)),
		shortMin: shortMin, short: map[int]map[uint64][]int32{}, shortFirst: map[uint64][]int{}}
	for i := range x.shards {
		x.shards[i].single = make(map[uint64]int32, 1<<21)
	}
	return x
}

// addAll adds the items texts[i] as items 0, 1, ...: their n-grams are computed in parallel and
// each shard is filled by its own goroutine, in item order (the index is the one add would build).
func (x *ngramIndex) addAll(texts []string) {
	type itemNgrams struct {
		sh    []uint64
		words int
		first uint64
	}
	all := make([]itemNgrams, len(texts))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch [2][]uint64
			for i := w; i < len(texts); i += workers {
				sh := distinctShingles(texts[i], x.n, &scratch)
				all[i] = itemNgrams{sh: slices.Clone(sh), words: len(scratch[0])}
				if len(scratch[0]) > 0 {
					all[i].first = scratch[0][0]
				}
			}
		}()
	}
	wg.Wait()
	long := make([]bool, len(all))
	for i, it := range all {
		long[i] = !x.addCount(int32(i), it.sh, it.words, it.first)
	}
	for s := range x.shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, it := range all {
				if !long[i] {
					continue
				}
				for _, h := range it.sh {
					if int(h>>63) == s {
						x.insert(int32(i), h)
					}
				}
			}
		}()
	}
	wg.Wait()
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

func (x *ngramIndex) add(item int32, text string, scratch *[2][]uint64) {
	sh := distinctShingles(text, x.n, scratch)
	var first uint64
	if len(scratch[0]) > 0 {
		first = scratch[0][0]
	}
	if !x.addCount(item, sh, len(scratch[0]), first) {
		for _, h := range sh {
			x.insert(item, h)
		}
	}
}

// insert records n-gram h of item (its shard and filter bit).
func (x *ngramIndex) insert(item int32, h uint64) {
	b := h >> (64 - filterBits)
	x.bits[b>>6] |= 1 << (b & 63) // the top bit of b is the shard's: shards set disjoint words
	x.shards[h>>63].insert(item, h)
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
	idx.addAll(texts)
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
