package tokenizer

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

const (
	maxCachedPiece  = 256     // longer pieces are not cached (rarely repeat)
	maxCacheEntries = 1 << 16 // the word cache is cleared when it grows past this
	naiveMaxLen     = 48      // words up to this many bytes merge by linear scans, longer ones use a heap
)

// encState is the per-goroutine scratch of Encode (taken from a sync.Pool).
type encState struct {
	small map[uint64][]int32 // pieces of up to 7 bytes, packed with their length (packPiece)
	cache map[string][]int32 // longer pieces -> their ids
	word  []int32            // symbols of the word being merged
	ranks []uint32           // ranks[i]: rank of merging word[i] and word[i+1], noMerge if none
	next  []int32            // heap path: linked list over word
	prev  []int32
	heap  []uint64 // heap path: rank<<32 | position
}

const noMerge = ^uint32(0)

func newEncState() any {
	return &encState{small: make(map[uint64][]int32, 1024), cache: make(map[string][]int32, 1024)}
}

// packPiece packs a piece of 2 to 7 bytes and its length into a uint64 cache key.
func packPiece(p string) uint64 {
	k := uint64(len(p)) << 56
	for i := 0; i < len(p); i++ {
		k |= uint64(p[i]) << (8 * i)
	}
	return k
}

// Encode returns the ids of text, like HF `encode(text, add_special_tokens=False)`: added and
// special tokens written in the text (e.g. "<|im_start|>") become their single ids; the rest
// is NFC-normalised (when tokenizer.json says so), split by the Qwen2 pre-tokenizer and
// byte-level BPE encoded. Qwen adds no BOS/EOS. Invalid UTF-8 bytes are encoded as bytes.
func (t *Tokenizer) Encode(text string) []int {
	return t.AppendEncode(make([]int, 0, len(text)/3+1), text)
}

// AppendEncode appends the ids of text to dst and returns the extended slice.
func (t *Tokenizer) AppendEncode(dst []int, text string) []int {
	st := t.states.Get().(*encState)
	defer t.states.Put(st)
	t.rawAdded.split(text, func(seg string, id int) {
		if id >= 0 {
			dst = append(dst, id)
			return
		}
		if t.nfc {
			seg = norm.NFC.String(seg)
		}
		t.normAdded.split(seg, func(seg string, id int) {
			if id >= 0 {
				dst = append(dst, id)
				return
			}
			for i := 0; i < len(seg); {
				e := nextPiece(seg, i)
				dst = t.encodePiece(st, dst, seg[i:e])
				i = e
			}
		})
	})
	return dst
}

// Count returns len(Encode(text)).
func (t *Tokenizer) Count(text string) int { return len(t.Encode(text)) }

// encodePiece appends the BPE ids of one pre-token.
func (t *Tokenizer) encodePiece(st *encState, dst []int, piece string) []int {
	if len(piece) == 1 {
		return append(dst, int(t.byteID[piece[0]]))
	}
	var key uint64
	if len(piece) < 8 {
		key = packPiece(piece)
		if ids, ok := st.small[key]; ok {
			for _, id := range ids {
				dst = append(dst, int(id))
			}
			return dst
		}
	} else if ids, ok := st.cache[piece]; ok {
		for _, id := range ids {
			dst = append(dst, int(id))
		}
		return dst
	}
	w := st.word[:0]
	for i := 0; i < len(piece); i++ {
		w = append(w, t.byteID[piece[i]])
	}
	if len(w) <= naiveMaxLen {
		w = t.mergeNaive(st, w)
	} else {
		w = t.mergeHeap(st, w)
	}
	st.word = w
	for _, id := range w {
		dst = append(dst, int(id))
	}
	switch {
	case len(piece) < 8:
		if len(st.small) >= maxCacheEntries {
			clear(st.small)
		}
		st.small[key] = append([]int32(nil), w...)
	case len(piece) <= maxCachedPiece:
		if len(st.cache) >= maxCacheEntries {
			clear(st.cache)
		}
		st.cache[strings.Clone(piece)] = append([]int32(nil), w...)
	}
	return dst
}

// rank returns the merge rank and merged id of the pair (a, b), or noMerge.
func (t *Tokenizer) rank(a, b int32) (uint32, int32) {
	v, ok := t.merges[uint64(uint32(a))<<32|uint64(uint32(b))]
	if !ok {
		return noMerge, 0
	}
	return uint32(v >> 32), int32(uint32(v))
}

// mergeNaive applies merges lowest rank first, leftmost first among equal ranks (HF's order),
// rescanning the pair ranks after each merge. Quadratic, fastest for short words.
func (t *Tokenizer) mergeNaive(st *encState, w []int32) []int32 {
	ranks := st.ranks[:0]
	for i := 0; i+1 < len(w); i++ {
		r, _ := t.rank(w[i], w[i+1])
		ranks = append(ranks, r)
	}
	for len(w) > 1 {
		best, bi := noMerge, -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		_, merged := t.rank(w[bi], w[bi+1])
		w[bi] = merged
		w = append(w[:bi+1], w[bi+2:]...)
		ranks = append(ranks[:bi], ranks[bi+1:]...)
		if bi > 0 {
			ranks[bi-1], _ = t.rank(w[bi-1], w[bi])
		}
		if bi < len(ranks) {
			ranks[bi], _ = t.rank(w[bi], w[bi+1])
		}
	}
	st.ranks = ranks
	return w
}

// mergeHeap gives the same result as mergeNaive in O(n log n): a min-heap of (rank,
// position) over a linked list of symbols; stale heap entries are skipped on pop by
// re-checking the pair, as HF's Word::merge_all does.
func (t *Tokenizer) mergeHeap(st *encState, w []int32) []int32 {
	n := len(w)
	next, prev := growInt32(st.next, n), growInt32(st.prev, n)
	h := st.heap[:0]
	for i := 0; i < n; i++ {
		next[i], prev[i] = int32(i+1), int32(i-1)
		if i+1 < n {
			if r, _ := t.rank(w[i], w[i+1]); r != noMerge {
				h = heapPush(h, uint64(r)<<32|uint64(i))
			}
		}
	}
	next[n-1] = -1
	for len(h) > 0 {
		var top uint64
		h, top = heapPop(h)
		r, pos := uint32(top>>32), int32(uint32(top))
		if w[pos] < 0 || next[pos] < 0 {
			continue // left symbol was absorbed, or has no right neighbour any more
		}
		nx := next[pos]
		cur, merged := t.rank(w[pos], w[nx])
		if cur != r {
			continue // stale: the pair at pos changed
		}
		w[pos] = merged
		w[nx] = -1 // absorbed
		next[pos] = next[nx]
		if next[pos] >= 0 {
			prev[next[pos]] = pos
			if r2, _ := t.rank(w[pos], w[next[pos]]); r2 != noMerge {
				h = heapPush(h, uint64(r2)<<32|uint64(pos))
			}
		}
		if p := prev[pos]; p >= 0 {
			if r2, _ := t.rank(w[p], w[pos]); r2 != noMerge {
				h = heapPush(h, uint64(r2)<<32|uint64(p))
			}
		}
	}
	st.next, st.prev, st.heap = next, prev, h
	out := w[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, w[i])
	}
	return out
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func heapPush(h []uint64, x uint64) []uint64 {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func heapPop(h []uint64) ([]uint64, uint64) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(h) && h[l] < h[small] {
			small = l
		}
		if l+1 < len(h) && h[l+1] < h[small] {
			small = l + 1
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	return h, top
}
