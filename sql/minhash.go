package sql

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"unicode"

	"github.com/duckdb/duckdb-go/v2"
)

func init() { goSteps["near_dup"] = nearDupStep }

// MinHasher computes MinHash signatures over word shingles and LSH band keys.
// Permutation i maps a shingle hash h to a[i]*h + b[i] (mod 2^64, a odd); the signature keeps
// the top 32 bits of the minimum, which is plenty for similarity estimates.
type MinHasher struct {
	Bands, Rows, Shingle int
	a, b                 []uint64
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
	const p = 0x9e3779b97f4a7c15 // odd
	pn := uint64(1)              // p^n
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
// for a text without words.
func (m *MinHasher) Signature(text string, sig []uint32, scratch *[2][]uint64) bool {
	scratch[0] = wordHashes(text, scratch[0])
	scratch[1] = shingleHashes(scratch[0], m.Shingle, scratch[1])
	sh := scratch[1]
	if len(sh) == 0 {
		return false
	}
	for i := range m.a {
		a, b := m.a[i], m.b[i]
		mn := ^uint64(0)
		for _, h := range sh {
			if v := a*h + b; v < mn {
				mn = v
			}
		}
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

// nearDupStep reads the questions of s3_norm, normalises them (NormText), computes MinHash signatures in parallel, groups rows that share an
// LSH band key, keeps candidate pairs whose estimated similarity reaches the LSH threshold,
// joins them into clusters (union-find) and writes near_dup_clusters.
func nearDupStep(ctx context.Context, p *Pipeline) error {
	m := NewMinHasher(p.Opt.Bands, p.Opt.RowsPerBand, p.Opt.Shingle, uint64(p.Opt.Seed))
	k := m.Bands * m.Rows
	var n int
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*) FROM s3_norm`).Scan(&n); err != nil {
		return err
	}
	rids := make([]int64, 0, n)
	ids := make([]string, 0, n)
	sigs := make([]uint32, n*k)
	has := make([]bool, n)

	rows, err := p.conn.QueryContext(ctx, `SELECT n.rid, n.id, r.question FROM s3_norm n JOIN s1_rows r USING (rid)`)
	if err != nil {
		return err
	}
	bar := p.bar(int64(n), "stage 4 minhash")
	type job struct {
		i    int
		text string
	}
	jobs := make(chan []job, 8)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch [2][]uint64
			for batch := range jobs {
				for _, j := range batch {
					has[j.i] = m.Signature(NormText(j.text), sigs[j.i*k:(j.i+1)*k], &scratch)
				}
				bar.Add(len(batch))
			}
		}()
	}
	batch := make([]job, 0, 2048)
	for rows.Next() {
		var rid int64
		var id, text string
		if err := rows.Scan(&rid, &id, &text); err != nil {
			rows.Close()
			close(jobs)
			wg.Wait()
			return err
		}
		batch = append(batch, job{len(rids), text})
		rids = append(rids, rid)
		ids = append(ids, id)
		if len(batch) == cap(batch) {
			jobs <- batch
			batch = make([]job, 0, 2048)
		}
	}
	if len(batch) > 0 {
		jobs <- batch
	}
	close(jobs)
	wg.Wait()
	bar.Finish()
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	n = len(rids)

	// LSH: per band, rows with the same band key are candidates of the first row with that key.
	thr := m.Threshold()
	uf := make(unionFind, n)
	for i := range uf {
		uf[i] = int32(i)
	}
	// visit rows in rid order, so the clusters do not depend on the order the query returned
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(rids[a], rids[b]) })
	buckets := make(map[uint64]int32, n)
	candidates, accepted := 0, 0
	for b := range m.Bands {
		clear(buckets)
		for _, i32 := range order {
			i := int(i32)
			if !has[i] {
				continue
			}
			key := m.BandKey(sigs[i*k:(i+1)*k], b)
			first, ok := buckets[key]
			if !ok {
				buckets[key] = int32(i)
				continue
			}
			if uf.find(first) == uf.find(int32(i)) {
				continue
			}
			candidates++
			if Similarity(sigs[int(first)*k:int(first+1)*k], sigs[i*k:(i+1)*k]) >= thr {
				uf.union(first, int32(i))
				accepted++
			}
		}
	}
	// Clusters of two or more rows; the representative is the member with the smallest id.
	size := make([]int32, n)
	for i := range n {
		size[uf.find(int32(i))]++
	}
	members := map[int32][]int32{}
	for i := range n {
		if r := uf.find(int32(i)); size[r] > 1 {
			members[r] = append(members[r], int32(i))
		}
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
			for _, x := range ms {
				sim := Similarity(sigs[int(rep)*k:int(rep+1)*k], sigs[int(x)*k:int(x+1)*k])
				if err := a.AppendRow(rids[x], rids[rep], rids[rep], int32(len(ms)), sim); err != nil {
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
