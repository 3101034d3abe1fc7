package sql

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// Per-row work of the Go steps on a WebInstruct-sized question (about 60 words, 430 bytes).
// The whole pipeline is timed by BenchmarkStages and `greason data bench`.

func benchQuestion() string { return benchQuestions(1)[0] }

// benchQuestions returns n different questions (the n-gram lookups of one row do not stay cached).
func benchQuestions(n int) []string {
	r := rand.New(rand.NewPCG(9, 9))
	vocab := synthVocab(8000)
	qs := make([]string, n)
	for i := range qs {
		w := make([]string, 62)
		for j := range w {
			w[j] = vocab[r.IntN(len(vocab))]
		}
		qs[i] = "Find " + strings.Join(w, " ") + " in SI units?"
	}
	return qs
}

// BenchmarkSketchRow: stage 4 per row: the words of the normalised question, the MinHash
// signature (14 × 8 permutations) and the 14 band keys.
func BenchmarkSketchRow(b *testing.B) {
	m := NewMinHasher(14, 8, 5, 42)
	q := benchQuestion()
	sig := make([]uint32, 112)
	var words []uint64
	var scratch [3][]uint64
	var keys [14]uint64
	b.SetBytes(int64(len(q)))
	for b.Loop() {
		words = normWordHashes(q, words)
		m.signatureWords(words, sig, &scratch)
		for band := range keys {
			keys[band] = m.BandKey(sig, band)
		}
	}
}

// BenchmarkDecontamRow: stage 5 per row: the words, the 13-grams looked up in an index of 20,000
// benchmark-like items (3M n-grams) and the short items checked.
func BenchmarkDecontamRow(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	vocab := synthVocab(20000)
	items := make([]string, 20000)
	for i := range items {
		w := make([]string, 4+r.IntN(300))
		for j := range w {
			w[j] = vocab[r.IntN(len(vocab))]
		}
		items[i] = strings.Join(w, " ")
	}
	idx := newNgramIndex(13, 4)
	defer idx.close()
	idx.build(items)
	qs := benchQuestions(4096)
	var scratch [3][]uint64
	counts := map[int32]int32{}
	b.SetBytes(int64(len(qs[0])))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		clear(counts)
		scratch[0] = normWordHashes(qs[i%len(qs)], scratch[0])
		idx.count1Words(&scratch, counts)
		i++
	}
}

// BenchmarkStages: stages 1-9 on 100,000 synthetic rows (generated once, outside the timing).
func BenchmarkStages(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	p, err := Open(ctx, filepath.Join(dir, "bench.duckdb"), opt)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(ctx, 0, 0); err != nil {
		b.Fatal(err)
	}
	if err := p.GenerateSynthetic(ctx, DefaultSynth(100000)); err != nil {
		b.Fatal(err)
	}
	if err := p.UseSynthetic(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.Run(ctx, 1, LastStage); err != nil {
			b.Fatal(err)
		}
	}
}
