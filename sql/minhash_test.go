package sql

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
	var scratch [3][]uint64
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

// TestMinhashMins: the AVX-512 kernel (where the CPU has it) and the four-way Go loop give the
// minimums of the one-permutation-at-a-time loop they replaced, for permutation counts that are
// and are not multiples of 16 and for 1 to 300 shingles.
func TestMinhashMins(t *testing.T) {
	if !haveMinhashAVX512 {
		t.Log("no AVX-512 on this CPU: only the Go loop is checked")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, perms := range []int{1, 3, 4, 8, 15, 16, 17, 32, 112, 113, 130} {
		for _, nsh := range []int{1, 2, 5, 60, 61, 300} {
			a, b, sh := make([]uint64, perms), make([]uint64, perms), make([]uint64, nsh)
			for i := range a {
				a[i], b[i] = r.Uint64()|1, r.Uint64()
			}
			for i := range sh {
				sh[i] = r.Uint64()
			}
			if nsh == 5 { // values that make the minimum 0 and ^0 reachable
				sh[0], sh[1] = 0, ^uint64(0)
				b[0] = 0
			}
			want := make([]uint64, perms)
			for i := range a {
				mn := ^uint64(0)
				for _, h := range sh {
					if v := a[i]*h + b[i]; v < mn {
						mn = v
					}
				}
				want[i] = mn
			}
			got, gotGo := make([]uint64, perms), make([]uint64, perms)
			minhashMins(sh, a, b, got)
			minhashMinsGo(sh, a, b, gotGo)
			if !slices.Equal(got, want) || !slices.Equal(gotGo, want) {
				t.Fatalf("%d permutations, %d shingles: minhashMins %v, Go loop %v, want %v", perms, nsh, got[:min(4, perms)], gotGo[:min(4, perms)], want[:min(4, perms)])
			}
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
	var scratch [3][]uint64
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		m.Signature(text, sig, &scratch)
	}
}

// BenchmarkMinhashMins: the minimums of 112 permutations over 56 shingles, AVX-512 kernel
// (where the CPU has it) and Go loop.
func BenchmarkMinhashMins(b *testing.B) {
	m := NewMinHasher(14, 8, 5, 42)
	r := rand.New(rand.NewPCG(1, 1))
	sh := make([]uint64, 56)
	for i := range sh {
		sh[i] = r.Uint64()
	}
	mins := make([]uint64, 112)
	b.Run("dispatch", func(b *testing.B) {
		for b.Loop() {
			minhashMins(sh, m.a, m.b, mins)
		}
	})
	b.Run("go", func(b *testing.B) {
		for b.Loop() {
			minhashMinsGo(sh, m.a, m.b, mins)
		}
	})
}
