package benchmarks

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/greason/greason/verify"
)

// pyLower is Python's str.lower() for the characters that matter here (Unicode lower-casing).
func pyLower(s string) string { return strings.ToLower(s) }

// pyFloat parses s the way Python's float() does: surrounding whitespace allowed, underscores
// between digits, "inf"/"infinity"/"nan" in any case, no hexadecimal.
func pyFloat(s string) (float64, bool) {
	s = verify.PyStrip(s)
	if s == "" {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	switch strings.ToLower(body) {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	prevDigit := false
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_':
			next := i+1 < len(s) && unicode.IsDigit(rune(s[i+1]))
			if !prevDigit || !next {
				return 0, false
			}
			continue
		case r == 'x' || r == 'X' || r == 'p' || r == 'P':
			return 0, false
		}
		prevDigit = unicode.IsDigit(r)
		b.WriteRune(r)
	}
	f, err := strconv.ParseFloat(b.String(), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

// pySpaceChars are the characters of Python's \s for str patterns (str.isspace()), for use in a
// regexp character class; pySpaceClass is that class.
const (
	pySpaceChars = `\t\n\v\f\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`
	pySpaceClass = `[` + pySpaceChars + `]`
)
