package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStreamDecoderJoinsToDecode: the pieces of a StreamDecoder join to Decode, for texts cut
// inside characters (CJK, emoji) and for random id sequences (random bytes, invalid UTF-8,
// special tokens); no piece but the flushed rest ends inside a character.
func TestStreamDecoderJoinsToDecode(t *testing.T) {
	tok := mustQwen3(t)
	var seqs [][]int
	for _, s := range []string{"Hello world", "数学题：求 x² 的导数 🤔🧠 naïve café", "<|im_start|>user\nHi<|im_end|>", "🤔"} {
		seqs = append(seqs, tok.Encode(s))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		ids := make([]int, 1+r.IntN(12))
		for j := range ids {
			switch r.IntN(4) {
			case 0:
				ids[j] = r.IntN(256) // single byte-level tokens: arbitrary bytes
			case 1:
				ids[j] = 151643 + r.IntN(10) // special and added tokens
			default:
				ids[j] = r.IntN(tok.VocabSize() + 5) // includes ids outside the vocabulary
			}
		}
		seqs = append(seqs, ids)
	}
	held := 0
	for _, ids := range seqs {
		for _, skip := range []bool{true, false} {
			d := tok.NewStreamDecoder(skip)
			var b strings.Builder
			for _, id := range ids {
				piece := d.Add(id)
				if piece != "" && !utf8.ValidString(piece) {
					t.Fatalf("piece %q is not valid UTF-8", piece)
				}
				b.WriteString(piece)
			}
			if len(d.pending) > 0 {
				held++
			}
			b.WriteString(d.Flush())
			if want := tok.Decode(ids, skip); b.String() != want {
				t.Fatalf("ids %v skip=%v: stream %q, Decode %q", ids, skip, b.String(), want)
			}
		}
	}
	if held == 0 {
		t.Fatal("no sequence ended inside a character: the hold-back path was not exercised")
	}
	// A character split over two tokens comes out whole with the second one.
	ids := tok.Encode("🤔")
	if len(ids) < 2 {
		t.Skipf("🤔 is one token: %v", ids)
	}
	d := tok.NewStreamDecoder(true)
	if got := d.Add(ids[0]); got != "" {
		t.Fatalf("first half of 🤔 decoded to %q", got)
	}
	var rest strings.Builder
	for _, id := range ids[1:] {
		rest.WriteString(d.Add(id))
	}
	if rest.String() != "🤔" {
		t.Fatalf("got %q", rest.String())
	}
	if b := tok.TokenBytes(ids[0]); len(b) == 0 || utf8.Valid(b) {
		t.Fatalf("TokenBytes(%d) = %x: want the partial bytes of 🤔", ids[0], b)
	}
}
