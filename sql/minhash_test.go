package sql

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestMinHashEstimate checks that the signature agreement estimates the true shingle Jaccard
// similarity (within 0.1 for 112 permutations) on texts with a known number of changed words.
func TestMinHashEstimate(t *testing.T) {
	m := NewMinHasher(14, 8, 5, 42)
	if thr := m.Threshold(); math.Abs(thr-0.719) > 0.001 {
		t.Errorf("threshold %.4f, want 0.719", thr)
	}
	words := make([]string, 60)
	for i := range words {
		words[i] = fmt.Sprintf("w%d", i)
	}
	a := strings.Join(words, " ")
	sa, sb := make([]uint32, 112), make([]uint32, 112)
	var scratch [2][]uint64
	m.Signature(a, sa, &scratch)
	for _, changed := range []int{0, 1, 2, 4, 8} {
		w := append([]string(nil), words...)
		for k := range changed {
			w[5+k*7] = "x" + w[5+k*7]
		}
		b := strings.Join(w, " ")
		m.Signature(b, sb, &scratch)
		j := ShingleJaccard(a, b, 5)
		est := Similarity(sa, sb)
		t.Logf("%d words changed: jaccard %.3f, estimate %.3f", changed, j, est)
		if math.Abs(j-est) > 0.1 {
			t.Errorf("%d changed: estimate %.3f vs jaccard %.3f", changed, est, j)
		}
	}
}

// BenchmarkMinHashSignature: one 60-word question, 14 × 8 permutations over word 5-grams.
func BenchmarkMinHashSignature(b *testing.B) {
	m := NewMinHasher(14, 8, 5, 42)
	words := make([]string, 60)
	for i := range words {
		words[i] = fmt.Sprintf("word%d", i)
	}
	text := strings.Join(words, " ")
	sig := make([]uint32, 112)
	var scratch [2][]uint64
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Signature(text, sig, &scratch)
	}
}
