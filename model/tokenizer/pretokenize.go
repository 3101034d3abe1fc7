package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The Qwen2 pre-tokenizer splits text with (Split behaviour "Isolated")
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Go's regexp has no look-ahead, so nextPiece implements the same leftmost-first,
// backtracking semantics by hand. Every character is matched by some alternative, so the
// matches tile the text and each match is one piece. Character classes follow HF tokenizers
// (Oniguruma, Unicode mode): \s is Unicode White_Space (U+0085 included, U+FEFF excluded),
// \p{L} and \p{N} the Unicode general categories, and (?i) applies Unicode simple case
// folding, so 's also matches 'S and 'ſ (U+017F LATIN SMALL LETTER LONG S).

type charClass uint8

const (
	clsOther charClass = iota // neither \s, \p{L} nor \p{N}
	clsLetter
	clsNumber
	clsSpace
)

// asciiClass caches the classes of ASCII bytes.
var asciiClass [utf8.RuneSelf]charClass

func init() {
	for b := 0; b < utf8.RuneSelf; b++ {
		asciiClass[b] = classOfRune(rune(b))
	}
}

func classOfRune(r rune) charClass {
	switch {
	case unicode.IsSpace(r): // Unicode White_Space
		return clsSpace
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	}
	return clsOther
}

// classAt returns the class, rune and width of the character at s[i] (i < len(s)). Invalid
// UTF-8 cannot occur: Encode only sees valid strings (NFC output or converted input).
func classAt(s string, i int) (charClass, rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return classOfRune(r), r, n
}

// runEnd returns the end of the run of characters of class cls starting at i.
func runEnd(s string, i int, cls charClass) int {
	for i < len(s) {
		c, _, n := classAt(s, i)
		if c != cls {
			break
		}
		i += n
	}
	return i
}

// foldContraction maps the letters of the contractions to lower case under Unicode simple
// case folding (only ſ folds to one of them from outside ASCII).
func foldContraction(r rune) rune {
	switch {
	case r >= 'A' && r <= 'Z':
		return r + ('a' - 'A')
	case r == 'ſ':
		return 's'
	}
	return r
}

// nextPiece returns the end of the pre-token that starts at s[i] (i < len(s)).
func nextPiece(s string, i int) int {
	c0, r0, n0 := classAt(s, i)
	j := i + n0

	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r0 == '\'' && j < len(s) {
		_, r1, n1 := classAt(s, j)
		switch foldContraction(r1) {
		case 's', 't', 'm', 'd':
			return j + n1
		case 'r', 'v', 'l':
			if k := j + n1; k < len(s) {
				_, r2, n2 := classAt(s, k)
				want := 'e' // 're, 've
				if foldContraction(r1) == 'l' {
					want = 'l' // 'll
				}
				if foldContraction(r2) == want {
					return k + n2
				}
			}
		}
	}

	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == clsLetter {
		return runEnd(s, j, clsLetter)
	}
	if c0 != clsNumber && r0 != '\r' && r0 != '\n' && j < len(s) {
		if c1, _, _ := classAt(s, j); c1 == clsLetter {
			return runEnd(s, j, clsLetter)
		}
	}

	// \p{N}
	if c0 == clsNumber {
		return j
	}

	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	start := -1
	if c0 == clsOther {
		start = i
	} else if r0 == ' ' && j < len(s) {
		if c1, _, _ := classAt(s, j); c1 == clsOther {
			start = j
		}
	}
	if start >= 0 {
		k := runEnd(s, start, clsOther)
		for k < len(s) && (s[k] == '\r' || s[k] == '\n') {
			k++
		}
		return k
	}

	// Here c0 is \s. Scan the whitespace run, noting the last \r or \n and the start of
	// the run's last character.
	lastNL, lastStart, k := -1, i, i
	for k < len(s) {
		c, r, n := classAt(s, k)
		if c != clsSpace {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = k
		}
		lastStart = k
		k += n
	}
	switch {
	case lastNL >= 0: // \s*[\r\n]+ : backtracks to the run's last line break
		return lastNL + 1
	case k == len(s): // \s+(?!\S) at the end of the text
		return k
	case lastStart > i: // \s+(?!\S) gives back the last character, which precedes \S
		return lastStart
	default: // \s+ : a single space before \S
		return k
	}
}
