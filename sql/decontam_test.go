package sql

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShortItemContainment plants short benchmark items (fewer than 13 words) inside longer
// rows: they must be found by containment of their normalised words, in order and whole;
// partial or reordered copies must not, nor items under the containment floor.
func TestShortItemContainment(t *testing.T) {
	idx := newNgramIndex(13, 4)
	var scratch [2][]uint64
	items := []string{
		"What is the order of group Z_{18}?",          // 0: 8 words
		"Is 80 dB twice as loud as 40 dB?",            // 1: 9 words
		"Compute 7 + 5.",                              // 2: 3 words: under the floor, equality only
		strings.Repeat("long benchmark question ", 6), // 3: 18 words: 13-gram overlap
	}
	for i, q := range items {
		idx.add(int32(i), NormText(q), &scratch)
	}
	if idx.nShort != 2 {
		t.Fatalf("%d short items indexed, want 2", idx.nShort)
	}
	var kgrams []uint64
	hits := func(row string) map[int32]int32 {
		counts := map[int32]int32{}
		idx.count1(NormText(row), &scratch, &kgrams, counts)
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
