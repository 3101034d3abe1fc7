package sql

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
// version to be the slowest stage; this is the same rules in Go.
func NormText(s string) string {
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
