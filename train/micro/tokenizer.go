package micro

import "strings"

// CharTokenizer is the micro models' vocabulary: 0 = <pad>, 1 = <|im_end|> (end of response),
// then one token per printable ASCII character (32..126); anything else encodes as '?'.
type CharTokenizer struct{}

const (
	PadToken  = 0
	EOSToken  = 1
	firstChar = 32
	lastChar  = 126
	// VocabSize of CharTokenizer.
	VocabSize = 2 + lastChar - firstChar + 1
)

// Encode maps text to ids (no special tokens added).
func (CharTokenizer) Encode(s string) []int {
	out := make([]int, 0, len(s))
	for _, r := range s {
		if r < firstChar || r > lastChar {
			r = '?'
		}
		out = append(out, 2+int(r-firstChar))
	}
	return out
}

// Decode maps ids back to text; <|im_end|> is written out, padding dropped.
func (CharTokenizer) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		switch {
		case id == EOSToken:
			b.WriteString("<|im_end|>")
		case id >= 2 && id < VocabSize:
			b.WriteByte(byte(id - 2 + firstChar))
		}
	}
	return b.String()
}

// Count is the reward's token counter (verify.TokenCounter).
func (t CharTokenizer) Count(s string) int { return len(t.Encode(s)) }
