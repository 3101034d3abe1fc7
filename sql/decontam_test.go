package sql

import (
	"context"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestShortItemContainment plants short benchmark items (fewer than 13 words) inside longer
// rows: they must be found by containment of their normalised words, in order and whole;
// partial or reordered copies must not, nor items under the containment floor.
func TestShortItemContainment(t *testing.T) {
	idx := newNgramIndex(13, 4)
	defer idx.close()
	items := []string{
		"What is the order of group Z_{18}?",          // 0: 8 words
		"Is 80 dB twice as loud as 40 dB?",            // 1: 9 words
		"Compute 7 + 5.",                              // 2: 3 words: under the floor, equality only
		strings.Repeat("long benchmark question ", 6), // 3: 18 words: 13-gram overlap
	}
	var norm []string
	for _, q := range items {
		norm = append(norm, NormText(q))
	}
	idx.build(norm)
	if idx.nShort != 2 {
		t.Fatalf("%d short items indexed, want 2", idx.nShort)
	}
	hits := func(row string) map[int32]int32 {
		counts := map[int32]int32{}
		var scratch [3][]uint64
		idx.count1(NormText(row), &scratch, counts)
		for it, c := range counts {
			if float64(c) < 0.5*float64(idx.count[it]) {
				delete(counts, it)
			}
		}
		return counts
	}
	for row, want := range map[string][]int32{
		"Here is a question. What is the order of group Z_{18}? Answer with a number.": {0},
		"WHAT IS THE ORDER OF GROUP Z_{18}\nA. 3\nB. 6\nC. 18":                         {0}, // normalised: case, punctuation
		"Consider: Is 80 dB twice as loud as 40 dB? A. yes B. no":                      {1},
		"What is the order of group Z_{18}?":                                           {0}, // the item itself (another source)
		"What is the order of group Z_{19}? Answer with a number.":                     nil, // one word differs
		"Is 80 dB as loud as 40 dB twice? Options follow.":                             nil, // reordered
		"the order of group Z_{18}":                                                    nil, // part of it
		"We compute 7 + 5. Then we add more words to it.":                              nil, // under the floor: no containment
		"Compute 7 + 5.": {2}, // ...but the same text still matches
		"prefix " + strings.Repeat("long benchmark question ", 6) + " suffix": {3},
	} {
		got := hits(row)
		if len(got) != len(want) {
			t.Errorf("%q: hits %v, want %v", row, got, want)
			continue
		}
		for _, w := range want {
			if _, ok := got[w]; !ok {
				t.Errorf("%q: hits %v, want %v", row, got, want)
			}
		}
	}
}

// TestShortItemsThroughStage5 runs stages 0-5 on rows that embed short TheoremQA questions in
// MMLU-Pro style (question + options): every planted copy is flagged against its item, and the
// near misses are not.
func TestShortItemsThroughStage5(t *testing.T) {
	dir := t.TempDir()
	rows := []string{
		`{"id":"p1","question":"What is the order of group Z_{18}?\nA. 9\nB. 18\nC. 36\nD. 6","answer":"B"}`,
		`{"id":"p2","question":"Is 80 dB twice as loud as 40 dB? Options: A. yes B. no","answer":"B"}`,
		`{"id":"n1","question":"What is the order of group Z_{19}?\nA. 9\nB. 19","answer":"B"}`,
		`{"id":"n2","question":"Is 80 dB as loud as 40 dB twice? Options: A. yes B. no","answer":"B"}`,
	}
	path := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	p, err := Open(ctx, filepath.Join(dir, "d.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := p.UseFiles(ctx, []string{path}); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 5); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	r, err := p.Conn().QueryContext(ctx, `SELECT s.source_id, c.benchmark || ':' || c.item_id FROM contamination c JOIN s1_rows s USING (rid)`)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var id, hit string
		if err := r.Scan(&id, &hit); err != nil {
			t.Fatal(err)
		}
		got[id] = hit
	}
	if len(got) != 2 || !strings.HasPrefix(got["p1"], "theoremqa:") || !strings.HasPrefix(got["p2"], "theoremqa:") {
		t.Fatalf("contamination %v, want p1 and p2 against TheoremQA items only", got)
	}
}

// TestCount1MatchesReference: count1 on the index build makes (sorted pairs, bit filter first,
// short items only where their first word is) gives the counts of the maps and loop it replaced
// (refIndex, below), on rows made from benchmark-like items: copies, halves, short items inside
// longer text, items glued together, shuffled words and unrelated text.
func TestCount1MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	vocab := synthVocab(300)
	words := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = vocab[r.IntN(len(vocab))]
		}
		return strings.Join(w, " ")
	}
	var items, norm []string
	for i := 0; len(items) < 440; i++ {
		n := []int{2, 4, 5, 7, 9, 12, 13, 14, 20, 40, 80}[i%11]
		items = append(items, words(n))
		if i%50 == 0 { // a repeated item: n-grams held by two items
			items = append(items, items[len(items)-1])
		}
	}
	for _, it := range items {
		norm = append(norm, NormText(it))
	}
	idx := newNgramIndex(13, 4)
	defer idx.close()
	idx.build(norm)
	ref := newRefIndex(13, 4, norm)
	if !slices.Equal(idx.count, ref.count) || idx.nShort != len(ref.shortItems) {
		t.Fatalf("item n-gram counts or short items differ from the reference")
	}
	if got, want := idx.distinctNgrams(), len(ref.ngrams); got != want {
		t.Fatalf("%d distinct n-grams, the reference has %d", got, want)
	}
	for range 5000 {
		var parts []string
		for range 1 + r.IntN(3) {
			it := strings.Fields(items[r.IntN(len(items))])
			switch r.IntN(4) {
			case 0:
				it = it[:len(it)/2]
			case 1:
				r.Shuffle(len(it), func(i, j int) { it[i], it[j] = it[j], it[i] })
			}
			parts = append(parts, strings.Join(it, " "), words(r.IntN(8)))
		}
		row := NormText(strings.Join(parts, " "))
		want := map[int32]int32{}
		wantN := ref.count1(row, want)
		got := map[int32]int32{}
		var sc [3][]uint64
		idx.count1(row, &sc, got)
		if gotN := rowNgrams(&sc); gotN != wantN || !maps.Equal(got, want) {
			t.Fatalf("row %q: counts %v, %d n-grams; the reference gives %v, %d", row, got, gotN, want, wantN)
		}
	}
}

// refIndex is the n-gram index as it was (maps, filled item by item) with its count1: the
// reference for ngramIndex.
type refIndex struct {
	n, shortMin int
	ngrams      map[uint64][]int32         // n-gram -> items
	short       map[int]map[uint64][]int32 // k -> hash of the item's k words -> items
	shortKs     []int
	shortItems  []int32
	count       []int32
}

func newRefIndex(n, shortMin int, texts []string) *refIndex {
	x := &refIndex{n: n, shortMin: shortMin, ngrams: map[uint64][]int32{}, short: map[int]map[uint64][]int32{}}
	var scratch [2][]uint64
	for i, text := range texts {
		sh := distinctShingles(text, n, &scratch)
		x.count = append(x.count, int32(len(sh)))
		if k := len(scratch[0]); k < n && k >= shortMin {
			if x.short[k] == nil {
				x.short[k] = map[uint64][]int32{}
				x.shortKs = append(x.shortKs, k)
				slices.Sort(x.shortKs)
			}
			x.short[k][sh[0]] = append(x.short[k][sh[0]], int32(i))
			x.shortItems = append(x.shortItems, int32(i))
			continue
		}
		for _, h := range sh {
			x.ngrams[h] = append(x.ngrams[h], int32(i))
		}
	}
	return x
}

// count1 is the loop count1 replaced: every distinct n-gram of the row looked up, then every
// k-gram of the row for each k of the short items. It returns the row's distinct n-grams.
func (x *refIndex) count1(text string, counts map[int32]int32) int {
	var scratch [2][]uint64
	sh := distinctShingles(text, x.n, &scratch)
	for _, h := range sh {
		for _, it := range x.ngrams[h] {
			counts[it]++
		}
	}
	for _, k := range x.shortKs {
		if k > len(scratch[0]) {
			break
		}
		for _, h := range shingleHashes(scratch[0], k, nil) {
			for _, it := range x.short[k][h] {
				counts[it] = 1
			}
		}
	}
	return len(sh)
}
