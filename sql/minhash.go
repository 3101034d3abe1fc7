package sql

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"unicode"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/schollz/progressbar/v3"
)

func init() { goSteps["near_dup"] = nearDupStep }

// MinHasher computes MinHash signatures over word shingles and LSH band keys.
// Permutation i maps a shingle hash h to a[i]*h + b[i] (mod 2^64, a odd); the signature keeps
// the top 32 bits of the minimum, which is plenty for similarity estimates.
type MinHasher struct {
	Bands, Rows, Shingle int
	a, b                 []uint64
}

// minhashMinsGo sets mins[i] to the minimum over sh of a[i]*h + b[i] (mod 2^64), four
// permutations per pass over the shingles.
func minhashMinsGo(sh, a, b, mins []uint64) {
	i := 0
	for ; i+4 <= len(a); i += 4 {
		a0, a1, a2, a3 := a[i], a[i+1], a[i+2], a[i+3]
		b0, b1, b2, b3 := b[i], b[i+1], b[i+2], b[i+3]
		m0, m1, m2, m3 := ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)
		for _, h := range sh {
			if v := a0*h + b0; v < m0 {
				m0 = v
			}
			if v := a1*h + b1; v < m1 {
				m1 = v
			}
			if v := a2*h + b2; v < m2 {
				m2 = v
			}
			if v := a3*h + b3; v < m3 {
				m3 = v
			}
		}
		mins[i], mins[i+1], mins[i+2], mins[i+3] = m0, m1, m2, m3
	}
	for ; i < len(a); i++ {
		mn := ^uint64(0)
		for _, h := range sh {
			if v := a[i]*h + b[i]; v < mn {
				mn = v
			}
		}
		mins[i] = mn
	}
}

// NewMinHasher returns a MinHasher with bands×rows permutations drawn from seed.
func NewMinHasher(bands, rows, shingle int, seed uint64) *MinHasher {
	n := bands * rows
	m := &MinHasher{Bands: bands, Rows: rows, Shingle: shingle, a: make([]uint64, n), b: make([]uint64, n)}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range n {
		m.a[i] = r.Uint64() | 1
		m.b[i] = r.Uint64()
	}
	return m
}

// Threshold is the Jaccard similarity at which a pair becomes a candidate with probability 1/2:
// (1/bands)^(1/rows). 14 × 8 gives 0.719.
func (m *MinHasher) Threshold() float64 {
	return math.Pow(1/float64(m.Bands), 1/float64(m.Rows))
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func mix64(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// wordHashes splits s into words (runs of letters and digits) and hashes each with FNV-1a.
func wordHashes(s string, buf []uint64) []uint64 {
	buf = buf[:0]
	h := uint64(fnvOffset)
	in := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			in = true
			if r < 0x80 {
				h = (h ^ uint64(r)) * fnvPrime
			} else {
				for r > 0 {
					h = (h ^ uint64(r&0xff)) * fnvPrime
					r >>= 8
				}
			}
			continue
		}
		if in {
			buf = append(buf, h)
			h, in = fnvOffset, false
		}
	}
	if in {
		buf = append(buf, h)
	}
	return buf
}

// shinglePrime is the base of the shingles' polynomial hash (odd).
const shinglePrime = 0x9e3779b97f4a7c15

// shingleHashes hashes every run of n consecutive word hashes (a rolling polynomial hash, so a
// shingle costs the same for any n, then a splitmix64 finaliser); a text with fewer than n words
// is one shingle.
func shingleHashes(words []uint64, n int, buf []uint64) []uint64 {
	buf = buf[:0]
	if len(words) == 0 {
		return buf
	}
	if len(words) < n {
		n = len(words)
	}
	const p = shinglePrime
	pn := uint64(1) // p^n
	h := uint64(0)
	for i, w := range words {
		h = h*p + w
		if i < n {
			pn *= p
		} else {
			h -= words[i-n] * pn
		}
		if i >= n-1 {
			buf = append(buf, mix64(h^uint64(n)))
		}
	}
	return buf
}

// Signature writes the MinHash signature of text into sig (len Bands*Rows). It reports false
// for a text without words. scratch[2] holds the minimums.
func (m *MinHasher) Signature(text string, sig []uint32, scratch *[3][]uint64) bool {
	scratch[0] = wordHashes(text, scratch[0])
	return m.signatureWords(scratch[0], sig, scratch)
}

// signatureWords is Signature of the text whose word hashes are words.
func (m *MinHasher) signatureWords(words []uint64, sig []uint32, scratch *[3][]uint64) bool {
	scratch[1] = shingleHashes(words, m.Shingle, scratch[1])
	sh := scratch[1]
	if len(sh) == 0 {
		return false
	}
	mins := append(scratch[2][:0], make([]uint64, len(m.a))...)
	scratch[2] = mins
	minhashMins(sh, m.a, m.b, mins)
	for i, mn := range mins {
		sig[i] = uint32(mn >> 32)
	}
	return true
}

// BandKey hashes band b of a signature.
func (m *MinHasher) BandKey(sig []uint32, b int) uint64 {
	h := uint64(b+1) * 0x9e3779b97f4a7c15
	for _, v := range sig[b*m.Rows : (b+1)*m.Rows] {
		h = mix64(h ^ uint64(v))
	}
	return h
}

// Similarity is the fraction of equal signature positions (an estimate of Jaccard similarity).
func Similarity(a, b []uint32) float64 {
	eq := 0
	for i := range a {
		if a[i] == b[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(a))
}

// ShingleJaccard is the exact Jaccard similarity of the word n-gram sets of a and b.
func ShingleJaccard(a, b string, n int) float64 {
	sa := map[uint64]bool{}
	for _, x := range shingleHashes(wordHashes(a, nil), n, nil) {
		sa[x] = true
	}
	sb := map[uint64]bool{}
	inter := 0
	for _, x := range shingleHashes(wordHashes(b, nil), n, nil) {
		if !sb[x] {
			sb[x] = true
			if sa[x] {
				inter++
			}
		}
	}
	if len(sa)+len(sb) == 0 {
		return 1
	}
	return float64(inter) / float64(len(sa)+len(sb)-inter)
}

type unionFind []int32

func (u unionFind) find(x int32) int32 {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b int32) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if ra < rb {
		u[rb] = ra
	} else {
		u[ra] = rb
	}
}

// nearDupStep finds the near-duplicate clusters of s3_norm and writes near_dup_clusters:
//
//  1. sketch (inside a query, both cores: sink.go): every question is normalised (NormText) and
//     signed, and its band keys are kept, band-major; the signatures too while they take at most
//     nearDupKeepSignatures bytes (448 a row: 448 MB at a million rows);
//  2. per band (bands in parallel), rows are visited in rid order and each row whose key an
//     earlier row had becomes a candidate of the first such row;
//  3. without the signatures kept, those of the rows in candidate pairs are computed again (a
//     second query over those rows only);
//  4. the candidates are checked band after band, each band in rid order: a pair whose rows are
//     not yet in one cluster is counted as a candidate, and joined (union-find) when its
//     estimated similarity reaches the LSH threshold;
//  5. clusters of two or more rows are written; the representative is the member with the
//     smallest id (the ids of clustered rows are read from s2_norm).
//
// Steps 2 and 4 together make the order of the single loop this replaced (for each band, for
// each row in rid order: look the key up, check against the first row), so the clusters and the
// candidate and accepted counts are the same.
func nearDupStep(ctx context.Context, p *Pipeline) error {
	m := NewMinHasher(p.Opt.Bands, p.Opt.RowsPerBand, p.Opt.Shingle, uint64(p.Opt.Seed))
	k := m.Bands * m.Rows
	var n, maxRid int64
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*), coalesce(max(rid), 0) FROM s3_norm`).Scan(&n, &maxRid); err != nil {
		return err
	}
	if maxRid >= math.MaxInt32 {
		return fmt.Errorf("near-dup: rid %d does not fit the int32 row index", maxRid)
	}
	sk := &sketchSink{m: m, rows: int(maxRid), keys: make([]uint64, int(maxRid)*m.Bands), has: make([]bool, maxRid),
		bar: p.bar(n, "stage 4 minhash")}
	keepSigs := maxRid*int64(k)*4 <= nearDupKeepSignatures
	if keepSigs {
		sk.sigs = make([]uint32, int(maxRid)*k)
	}
	if _, err := p.sinkRows(ctx, sk, `SELECT count(go_step_rows(n.rid, r.question)) FROM s3_norm n JOIN s1_rows r USING (rid)`); err != nil {
		return fmt.Errorf("near-dup sketch: %w", err)
	}
	sk.bar.Finish()

	// 2. candidates: per band, (first row with the key, row) in rid order of the row
	pairs := make([][]int32, m.Bands) // flattened (first, row) index pairs, index = rid - 1
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), m.Bands)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := newFirstTable(int(n))
			for b := w; b < m.Bands; b += workers {
				t.reset()
				keys := sk.keys[b*sk.rows : (b+1)*sk.rows]
				var ps []int32
				for i, has := range sk.has {
					if !has {
						continue
					}
					if first, seen := t.firstOrAdd(keys[i], int32(i)); seen {
						ps = append(ps, first, int32(i))
					}
				}
				pairs[b] = ps
			}
		}()
	}
	wg.Wait()

	// 3. the signatures of the rows in candidate pairs: kept from step 1, or computed again
	slot := make(map[int32]int32)
	var inPairs []int32
	for _, ps := range pairs {
		for _, i := range ps {
			if _, ok := slot[i]; !ok {
				slot[i] = int32(len(inPairs))
				inPairs = append(inPairs, i)
			}
		}
	}
	sig := func(i int32) []uint32 { return sk.sigs[int(i)*k : int(i+1)*k] }
	if !keepSigs && len(inPairs) > 0 {
		sg := &signSink{m: m, slot: slot, sigs: make([]uint32, len(inPairs)*k)}
		if err := p.tempRids(ctx, "near_dup_rows", inPairs); err != nil {
			return err
		}
		got, err := p.sinkRows(ctx, sg, `SELECT count(go_step_rows(n.rid, r.question))
			FROM s3_norm n JOIN s1_rows r USING (rid) SEMI JOIN near_dup_rows USING (rid)`)
		if err != nil {
			return fmt.Errorf("near-dup signatures: %w", err)
		}
		if got != int64(len(inPairs)) {
			return fmt.Errorf("near-dup: %d rows in candidate pairs, %d signed again", len(inPairs), got)
		}
		if err := p.exec(ctx, `DROP TABLE near_dup_rows`); err != nil {
			return err
		}
		sig = func(i int32) []uint32 { s := int(slot[i]); return sg.sigs[s*k : (s+1)*k] }
	}

	// 4. check the candidates in the order of the single loop
	thr := m.Threshold()
	uf := make(unionFind, maxRid)
	for i := range uf {
		uf[i] = int32(i)
	}
	candidates, accepted := 0, 0
	for _, ps := range pairs {
		for j := 0; j < len(ps); j += 2 {
			first, i := ps[j], ps[j+1]
			if uf.find(first) == uf.find(i) {
				continue
			}
			candidates++
			if Similarity(sig(first), sig(i)) >= thr {
				uf.union(first, i)
				accepted++
			}
		}
	}
	// 5. clusters of two or more rows (all their rows are in candidate pairs); the
	// representative is the member with the smallest id
	members := map[int32][]int32{}
	for _, i := range inPairs {
		r := uf.find(i)
		members[r] = append(members[r], i)
	}
	var clustered []int32
	for _, ms := range members {
		if len(ms) > 1 {
			clustered = append(clustered, ms...)
		}
	}
	ids, err := p.idsOf(ctx, clustered)
	if err != nil {
		return fmt.Errorf("near-dup: %w", err)
	}
	if err := p.exec(ctx, `CREATE OR REPLACE TABLE near_dup_clusters (rid BIGINT, cluster_id BIGINT, rep_rid BIGINT,
		cluster_size INTEGER, sim_to_rep DOUBLE)`); err != nil {
		return err
	}
	err = p.withAppender("near_dup_clusters", func(a *duckdb.Appender) error {
		for _, ms := range members {
			if len(ms) < 2 {
				continue
			}
			rep := ms[0]
			for _, x := range ms[1:] {
				if ids[x] < ids[rep] {
					rep = x
				}
			}
			repRid := int64(rep) + 1
			for _, x := range ms {
				if err := a.AppendRow(int64(x)+1, repRid, repRid, int32(len(ms)), Similarity(sig(rep), sig(x))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = p.conn.ExecContext(ctx, `INSERT INTO stage_counts (stage, metric, reason, n) VALUES
		(4, 'lsh_candidate_pairs', NULL, ?), (4, 'lsh_accepted_pairs', NULL, ?)`, candidates, accepted)
	if err != nil {
		return fmt.Errorf("near-dup counts: %w", err)
	}
	return nil
}

// nearDupKeepSignatures: step 1 keeps every row's signature when they take at most this many
// bytes (2.3M rows of 112 permutations), and step 3 need not read the questions again.
var nearDupKeepSignatures int64 = 1 << 30

// tempRids writes rids (row index + 1) into a new temporary table name(rid).
func (p *Pipeline) tempRids(ctx context.Context, name string, rows []int32) error {
	if err := p.exec(ctx, `CREATE OR REPLACE TEMP TABLE `+name+` (rid BIGINT)`); err != nil {
		return err
	}
	return p.withAppender(name, func(a *duckdb.Appender) error {
		for _, i := range rows {
			if err := a.AppendRow(int64(i) + 1); err != nil {
				return err
			}
		}
		return nil
	})
}

// idsOf returns the ids (s2_norm) of the rows (row index = rid - 1).
func (p *Pipeline) idsOf(ctx context.Context, rows []int32) (map[int32]string, error) {
	ids := make(map[int32]string, len(rows))
	if len(rows) == 0 {
		return ids, nil
	}
	if err := p.tempRids(ctx, "near_dup_ids", rows); err != nil {
		return nil, err
	}
	q, err := p.conn.QueryContext(ctx, `SELECT rid, id FROM s2_norm SEMI JOIN near_dup_ids USING (rid)`)
	if err != nil {
		return nil, err
	}
	for q.Next() {
		var rid int64
		var id string
		if err := q.Scan(&rid, &id); err != nil {
			q.Close()
			return nil, err
		}
		ids[int32(rid-1)] = id
	}
	q.Close()
	if err := q.Err(); err != nil {
		return nil, err
	}
	if len(ids) != len(rows) {
		return nil, fmt.Errorf("%d clustered rows, %d ids found in s2_norm", len(rows), len(ids))
	}
	return ids, p.exec(ctx, `DROP TABLE near_dup_ids`)
}

// sketchSink signs the rows of a chunk and stores their band keys, band-major:
// keys[b*rows + rid-1]; has[rid-1] is false for a text without words.
type sketchSink struct {
	m    *MinHasher
	rows int
	keys []uint64
	has  []bool
	sigs []uint32 // when kept: sigs[(rid-1)*k:]
	bar  *progressbar.ProgressBar
}

func (s *sketchSink) consume(c *sinkChunk) error {
	var words []uint64
	var scratch [3][]uint64
	sig := make([]uint32, s.m.Bands*s.m.Rows)
	text, valid := c.text[0], c.valid[0]
	for row, rid := range c.rids {
		if rid < 1 || rid > int64(s.rows) {
			return fmt.Errorf("near-dup: rid %d outside 1..%d", rid, s.rows)
		}
		if !valid[row] {
			return fmt.Errorf("near-dup: rid %d has no question", rid)
		}
		i := int(rid - 1)
		words = normWordHashes(text[row], words) // the words of NormText(question)
		if s.sigs != nil {
			sig = s.sigs[i*len(sig) : (i+1)*len(sig)]
		}
		if !s.m.signatureWords(words, sig, &scratch) {
			continue
		}
		s.has[i] = true
		for b := range s.m.Bands {
			s.keys[b*s.rows+i] = s.m.BandKey(sig, b)
		}
	}
	s.bar.Add(len(c.rids))
	return nil
}

// signSink computes the signatures of the rows in slot (rid - 1 -> slot).
type signSink struct {
	m    *MinHasher
	slot map[int32]int32
	sigs []uint32
}

func (s *signSink) consume(c *sinkChunk) error {
	var words []uint64
	var scratch [3][]uint64
	k := s.m.Bands * s.m.Rows
	for row, rid := range c.rids {
		j, ok := s.slot[int32(rid-1)]
		if !ok || !c.valid[0][row] {
			return fmt.Errorf("near-dup: unexpected row rid %d", rid)
		}
		words = normWordHashes(c.text[0][row], words)
		if !s.m.signatureWords(words, s.sigs[int(j)*k:int(j+1)*k], &scratch) {
			return fmt.Errorf("near-dup: rid %d has no words now", rid)
		}
	}
	return nil
}

// firstTable maps a band key to the first row index added with it (open addressing; the keys
// are hashes already).
type firstTable struct {
	keys []uint64
	rows []int32 // row index + 1; 0: empty slot
	mask uint64
}

func newFirstTable(n int) *firstTable {
	size := 1024
	for size*3 < 4*n { // at most 3/4 full
		size *= 2
	}
	return &firstTable{keys: make([]uint64, size), rows: make([]int32, size), mask: uint64(size - 1)}
}

func (t *firstTable) reset() { clear(t.rows) }

// firstOrAdd returns the row first added with key and true, or adds row and returns false.
func (t *firstTable) firstOrAdd(key uint64, row int32) (int32, bool) {
	for h := key & t.mask; ; h = (h + 1) & t.mask {
		r := t.rows[h]
		if r == 0 {
			t.keys[h], t.rows[h] = key, row+1
			return row, false
		}
		if t.keys[h] == key {
			return r - 1, true
		}
	}
}
