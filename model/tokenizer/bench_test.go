package tokenizer

import (
	"strings"
	"testing"
)

// benchCorpus is a mix of benchmark texts (MMLU-Pro, MATH, GSM8K, BBEH, ...), about 4 MB.
func benchCorpus(b *testing.B) []string {
	b.Helper()
	var texts []string
	for i, bt := range loadBenchmarkTexts(b) {
		if i%7 == 0 { // a spread over every benchmark, not just the first
			texts = append(texts, bt.text)
		}
	}
	return texts
}

// BenchmarkEncode measures single-goroutine encode throughput (MB/s of UTF-8 input) over
// benchmark texts, word cache warm as in a long data pipeline run.
func BenchmarkEncode(b *testing.B) {
	tok := mustQwen3(b)
	texts := benchCorpus(b)
	n := 0
	for _, s := range texts {
		n += len(s)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range texts {
			tok.Encode(s)
		}
	}
}

// BenchmarkEncodeCold encodes text whose words are mostly new to the cache (fresh
// tokenizer state each round), the worst case for throughput.
func BenchmarkEncodeCold(b *testing.B) {
	tok := mustQwen3(b)
	text := strings.Join(benchCorpus(b)[:2000], "\n")
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := tok.states.Get().(*encState)
		clear(st.cache)
		clear(st.small)
		tok.states.Put(st)
		tok.Encode(text)
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := mustQwen3(b)
	text := strings.Join(benchCorpus(b)[:2000], "\n")
	ids := tok.Encode(text)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tok.Decode(ids, false)
	}
}
