package sql

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"
)

// NormText is the row normalisation of stage 2 (SQL function norm_text), in one pass:
//
//  1. Unicode NFKC (fullwidth digits, ligatures, superscripts... become their plain forms);
//  2. lower case;
//  3. LaTeX spacing commands \, \; \: \! \quad \qquad and "\ " become a space, \left and \right
//     are removed, and $ math delimiters become a space;
//  4. spaces next to { } ^ _ are removed ("\frac {1} { 2 }" = "\frac{1}{2}");
//  5. runs of whitespace become one space; leading and trailing space go.
//
// It was SQL (NFKC UDF + five regexp_replace calls) until the 1M-row benchmark showed that
// version to be the slowest stage; this is the same rules in Go. ASCII text (most rows) takes a
// faster path that copies runs of ordinary bytes; its output is the same (normalize_test.go
// checks it against the byte-by-byte version kept there).
func NormText(s string) string {
	if !isASCII(s) {
		return normTextUnicode(s)
	}
	b := appendNormASCII(make([]byte, 0, len(s)), s)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// AppendNormText appends NormText(s) to dst (no allocation for ASCII text when dst has room).
func AppendNormText(dst []byte, s string) []byte {
	if !isASCII(s) {
		return append(dst, normTextUnicode(s)...)
	}
	return appendNormASCII(dst, s)
}

// isASCII reports whether s has no byte >= 0x80 (8 bytes at a time).
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normByte classifies ASCII bytes for appendNormASCII: 0 is copied as it is, 1 is an upper-case
// letter (copied lower-cased), 2 needs a look (backslash, dollar, white space).
var normByte = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	for _, c := range []byte{'\\', '$', ' ', '\t', '\n', '\r', '\v', '\f'} {
		t[c] = 2
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = 2
	}
	return t
}()

// appendNormASCII is steps 2-5 of NormText on ASCII text (which is its own NFKC form): runs of
// ordinary bytes are copied in one loop, the others are looked at one by one.
func appendNormASCII(dst []byte, s string) []byte {
	start := len(dst)
	dst = slices.Grow(dst, len(s)) // the output is never longer than the input
	out := dst[:start+len(s)]
	j := start
	space := false // a space is pending
	for i := 0; i < len(s); {
		c := s[i]
		if normByte[c] < 2 {
			if space {
				if j > start && !isTight(out[j-1]) && !isTight(c) {
					out[j] = ' '
					j++
				}
				space = false
			}
			for ; i < len(s); i++ {
				c := s[i]
				k := normByte[c]
				if k >= 2 {
					// one space between two ordinary bytes, neither tight, stays as it is
					if c == ' ' && i+1 < len(s) && normByte[s[i+1]] < 2 && !isTight(s[i+1]) && !isTight(out[j-1]) {
						out[j] = ' '
						j++
						continue
					}
					break
				}
				out[j] = c + k*('a'-'A')
				j++
			}
			continue
		}
		if c == '\\' && i+1 < len(s) {
			rest := s[i+1:]
			switch {
			case rest[0] == '\\' || rest[0] == '$': // a LaTeX line break, an escaped dollar: one token
				if space {
					if j > start && !isTight(out[j-1]) {
						out[j] = ' '
						j++
					}
					space = false
				}
				out[j], out[j+1] = '\\', rest[0]
				j += 2
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
		if c == '$' || isSpaceByte(c) {
			space = true
			i++
			continue
		}
		// a backslash that starts no spacing command: an ordinary byte
		if space {
			if j > start && !isTight(out[j-1]) {
				out[j] = ' '
				j++
			}
			space = false
		}
		out[j] = c
		j++
		i++
	}
	return out[:j]
}

// normTextUnicode is NormText of text with non-ASCII bytes: NFKC and lower case first, the
// same rules byte by byte, and NFKC again.
func normTextUnicode(s string) string {
	s = norm.NFKC.String(strings.ToLower(norm.NFKC.String(s)))
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
	// removing \left or a space can join a base and a combining mark: compose again
	return norm.NFKC.String(string(b))
}

// appendPendingSpace writes the pending space before c unless c or the previous byte is tight.
func appendPendingSpace(b []byte, space *bool, c byte) []byte {
	if *space {
		if len(b) > 0 && !isTight(b[len(b)-1]) && !isTight(c) {
			b = append(b, ' ')
		}
		*space = false
	}
	return b
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case (the output is lower case, so \Left
// must be treated like \left or a second pass would remove what the first kept).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// isTight reports the characters that take no space around them.
func isTight(c byte) bool { return c == '{' || c == '}' || c == '^' || c == '_' }

func letterAt(s string, i int) bool {
	return i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z')
}

// normWordHashes is wordHashes(NormText(s)) (the words of the normalised text, FNV-1a hashed),
// without writing the normalised text when s is ASCII: the rules of NormText that change the
// words are applied while hashing. Spaces, dollars and the LaTeX spacing commands separate
// words; \left and \right vanish (the letters around them join, as in NormText's output);
// upper case is lowered; every other byte that is not a letter or digit separates words, as it
// does in wordHashes. Text with non-ASCII bytes goes through NormText.
func normWordHashes(s string, buf []uint64) []uint64 {
	if !isASCII(s) {
		return wordHashes(normTextUnicode(s), buf)
	}
	buf = buf[:0]
	h := uint64(fnvOffset)
	in := false
	for i := 0; i < len(s); {
		c := s[i]
		if k := normWordByte[c]; k != 0 {
			h = (h ^ uint64(k)) * fnvPrime
			in = true
			i++
			continue
		}
		step := 1 // bytes consumed, as NormText consumes them
		if c == '\\' && i+1 < len(s) {
			rest := s[i+1:]
			switch {
			case rest[0] == '\\' || rest[0] == '$' || rest[0] == ',' || rest[0] == ';' || rest[0] == ':' || rest[0] == '!' || isSpaceByte(rest[0]):
				step = 2
			case hasPrefixFold(rest, "qquad") && !letterAt(rest, 5):
				step = 6
			case hasPrefixFold(rest, "quad") && !letterAt(rest, 4):
				step = 5
			case hasPrefixFold(rest, "left") && !letterAt(rest, 4):
				i += 5 // vanishes: no word boundary
				continue
			case hasPrefixFold(rest, "right") && !letterAt(rest, 5):
				i += 6
				continue
			}
		}
		// a word boundary: white space, $, a spacing command, a line break \\, a lone
		// backslash, punctuation
		if in {
			buf = append(buf, h)
			h, in = fnvOffset, false
		}
		i += step
	}
	if in {
		buf = append(buf, h)
	}
	return buf
}

// normWordByte maps an ASCII letter or digit to the byte NormText leaves of it (letters
// lowered), every other byte to 0.
var normWordByte = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = uint8(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = uint8(c), uint8(c)
	}
	return t
}()
