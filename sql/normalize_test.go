package sql

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormText(t *testing.T) {
	cases := map[string]string{
		"  What   is\t2+2? ":             "what is 2+2?",
		"Ｆｉｎｄ ｘ：１２３":                     "find x:123",
		`$\frac {1} { 2 }$`:              `\frac{1}{2}`,
		`x^ {2} + y _ 1`:                 `x^{2}+ y_1`, // spaces next to braces go
		`a\,b\;c\quad d\qquad e\!f`:      `a b c d e f`,
		`\left( x \right)`:               `( x )`,
		`\leftarrow \rightarrow`:         `\leftarrow \rightarrow`,
		`\quadrant`:                      `\quadrant`,
		"ﬁne café":                       "fine café",
		"x²":                             "x2",
		"":                               "",
		`a \\quad b`:                     `a \\quad b`,
		`Let $f(x) = x^2$. Find $f(3)$.`: `let f(x) = x^2 . find f(3) .`,
	}
	for in, want := range cases {
		if got := NormText(in); got != want {
			t.Errorf("NormText(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzNormText(f *testing.F) {
	for _, s := range []string{"a  b", `\frac {1}{2}`, "Ｆ", `\left(\right)`, "$x$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormText(s)
		if NormText(n) != n {
			t.Errorf("not idempotent: %q -> %q -> %q", s, n, NormText(n))
		}
		if r := normTextReference(s); n != r {
			t.Errorf("NormText(%q) = %q, the reference gives %q", s, n, r)
		}
		if a := string(AppendNormText([]byte("prefix "), s)); a != "prefix "+n {
			t.Errorf("AppendNormText(%q) = %q, want %q", s, a, "prefix "+n)
		}
		if got, want := normWordHashes(s, nil), wordHashes(n, nil); !slices.Equal(got, want) {
			t.Errorf("normWordHashes(%q) = %x, wordHashes(NormText) = %x", s, got, want)
		}
	})
}

// TestNormTextMatchesReference: the fast NormText gives what the byte-by-byte version it replaced
// (normTextReference, below, as it was) gives, and normWordHashes the words of that text, on
// 300,000 random strings made of the pieces the rules look at, with and without non-ASCII text.
func TestNormTextMatchesReference(t *testing.T) {
	pieces := []string{"\\", "$", " ", "  ", "\t", "\n", "\r", "\v", "\f", "{", "}", "^", "_", "A", "Z", "a", "q", "x", "1",
		"(", ",", ";", ":", "!", "\\quad", "\\QQuad", "\\qquad", "\\left", "\\Right", "\\leftarrow", "\\,", "\\ ", "\\\\",
		"\\$", "Find", "THE", "frac", "uad", "eft", "ight", "9", "\\left1", "\\RIGHT", "\\quad1", "x2", ".", "-"}
	uni := []string{"é", "e\u0301", "Ｆ", "\u00a0", "ﬁ", "²", "İ", "ẞ", "Σ", "\u2028", "\u3000", "東", "\u0085", "\u200b"}
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for i := range 300000 {
		b.Reset()
		for range r.IntN(24) {
			if i%4 == 0 && r.IntN(6) == 0 {
				b.WriteString(uni[r.IntN(len(uni))])
			} else {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		s := b.String()
		if got, want := NormText(s), normTextReference(s); got != want {
			t.Fatalf("NormText(%q) = %q, the reference gives %q", s, got, want)
		}
		if got, want := string(AppendNormText([]byte("x"), s)), "x"+normTextReference(s); got != want {
			t.Fatalf("AppendNormText(x, %q) = %q, want %q", s, got, want)
		}
		if got, want := normWordHashes(s, nil), wordHashes(normTextReference(s), nil); !slices.Equal(got, want) {
			t.Fatalf("normWordHashes(%q) = %x, wordHashes(NormText) = %x (%q)", s, got, want, normTextReference(s))
		}
	}
}

// normTextReference is NormText as it was before the ASCII fast path (a reference for the tests).
func normTextReference(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii { // ASCII text is already NFKC; ASCII upper case is folded below
		s = norm.NFKC.String(strings.ToLower(norm.NFKC.String(s)))
	}
	b := make([]byte, 0, len(s))
	space := false // a space is pending
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			rest := s[i+1:]
			switch {
			case rest[0] == '\\' || rest[0] == '$': // a LaTeX line break, an escaped dollar: one token
				b = appendPendingSpace(b, &space, c)
				b = append(b, '\\', rest[0])
				i += 2
				continue
			case rest[0] == ',' || rest[0] == ';' || rest[0] == ':' || rest[0] == '!' || isSpaceByte(rest[0]):
				space = true
				i += 2
				continue
			case hasPrefixFold(rest, "qquad") && !letterAt(rest, 5):
				space = true
				i += 6
				continue
			case hasPrefixFold(rest, "quad") && !letterAt(rest, 4):
				space = true
				i += 5
				continue
			case hasPrefixFold(rest, "left") && !letterAt(rest, 4):
				i += 5
				continue
			case hasPrefixFold(rest, "right") && !letterAt(rest, 5):
				i += 6
				continue
			}
		}
		w := 1
		switch {
		case c == '$' || isSpaceByte(c):
			space = true
			i++
			continue
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				space = true
				i += n
				continue
			}
			w = n
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = appendPendingSpace(b, &space, c)
		if w == 1 {
			b = append(b, c)
		} else {
			b = append(b, s[i:i+w]...)
		}
		i += w
	}
	if !ascii {
		// removing \left or a space can join a base and a combining mark: compose again
		return norm.NFKC.String(string(b))
	}
	return string(b)
}

// BenchmarkNormText: a 400-byte LaTeX-heavy question.
func BenchmarkNormText(b *testing.B) {
	s := strings.Repeat(`Let $f(x) = \frac {1} { 2 } x^ {2}$\,and   \left( g \right). `, 7)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		NormText(s)
	}
}

// BenchmarkNormTextProse: a 400-byte question in words (most WebInstruct rows), and the same
// through the byte-by-byte reference.
func BenchmarkNormTextProse(b *testing.B) {
	s := strings.Repeat("A uniform rod of length 2 m and mass 3 kg is pivoted at one end; find the angular velocity. ", 4)
	b.SetBytes(int64(len(s)))
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			NormText(s)
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			normTextReference(s)
		}
	})
}
