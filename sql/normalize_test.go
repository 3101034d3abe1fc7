package sql

import (
	"strings"
	"testing"
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
	})
}

// BenchmarkNormText: a 400-byte LaTeX-heavy question.
func BenchmarkNormText(b *testing.B) {
	s := strings.Repeat(`Let $f(x) = \frac {1} { 2 } x^ {2}$\,and   \left( g \right). `, 7)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		NormText(s)
	}
}
