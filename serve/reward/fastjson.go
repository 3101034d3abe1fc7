package reward

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast parses the request shape clients send in bulk ({"rows": [{"question", "gold",
// "response"[, "data_source"]}, ...]}, every value a string, question also null) in one pass,
// without reflection. It gives up (ok false) on anything else (an id or extra_info member, an
// unknown, missing or duplicate member, a non-string value, invalid UTF-8, a lone surrogate,
// more than maxRows rows, a syntax error) and DecodeRequest then decodes the body with
// encoding/json/v2, which yields the same rows or the precise error: decodeFast never decides an
// error itself. FuzzDecodeFast checks that both give the same rows wherever decodeFast answers.
func decodeFast(body []byte, maxRows int) (rows []Row, ok bool) {
	p := fastParser{b: body}
	if !p.byte('{') {
		return nil, false
	}
	if k, ok := p.key(); !ok || k != "rows" || !p.byte('[') {
		return nil, false
	}
	rows = make([]Row, 0, 64)
	if !p.byte(']') {
		for {
			if len(rows) == maxRows {
				return nil, false
			}
			r, ok := p.row()
			if !ok {
				return nil, false
			}
			rows = append(rows, r)
			if p.byte(',') {
				continue
			}
			if p.byte(']') {
				break
			}
			return nil, false
		}
	}
	if !p.byte('}') {
		return nil, false
	}
	p.ws()
	return rows, p.i == len(p.b)
}

var nullLit = []byte("null")

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// byte consumes c after optional whitespace.
func (p *fastParser) byte(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// key reads an object member's name and its colon.
func (p *fastParser) key() (string, bool) {
	p.ws()
	s, ok := p.str()
	if !ok || !p.byte(':') {
		return "", false
	}
	return s, true
}

// row reads one row object.
func (p *fastParser) row() (Row, bool) {
	var r Row
	if !p.byte('{') {
		return r, false
	}
	const hasQ, hasG, hasR, hasS = 1, 2, 4, 8
	seen := 0
	if !p.byte('}') {
		for {
			k, ok := p.key()
			if !ok {
				return r, false
			}
			var bit int
			var dst *string
			switch k {
			case "question":
				bit, dst = hasQ, &r.Question
			case "gold":
				bit, dst = hasG, &r.Gold
			case "response":
				bit, dst = hasR, &r.Response
			case "data_source":
				bit, dst = hasS, &r.Source
			default:
				return r, false
			}
			if seen&bit != 0 {
				return r, false
			}
			seen |= bit
			p.ws()
			if bit == hasQ && bytes.HasPrefix(p.b[p.i:], nullLit) {
				p.i += 4
			} else if *dst, ok = p.str(); !ok {
				return r, false
			}
			if p.byte(',') {
				continue
			}
			if p.byte('}') {
				break
			}
			return r, false
		}
	}
	return r, seen&(hasQ|hasG|hasR) == hasQ|hasG|hasR
}

// str reads a JSON string at p.i. Strings without escapes are copied at once; escapes are
// decoded; invalid UTF-8, control characters and lone surrogates give up.
func (p *fastParser) str() (string, bool) {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return "", false
	}
	start := p.i + 1
	ascii := true
	j := start
	for ; j < len(b); j++ {
		c := b[j]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	if j >= len(b) || b[j] < 0x20 {
		return "", false
	}
	if b[j] == '"' {
		seg := b[start:j]
		if !ascii && !utf8.Valid(seg) {
			return "", false
		}
		p.i = j + 1
		return string(seg), true
	}
	// escapes: decode into a buffer
	buf := make([]byte, 0, j-start+64)
	buf = append(buf, b[start:j]...)
	for j < len(b) {
		c := b[j]
		switch {
		case c == '"':
			if !ascii && !utf8.Valid(buf) {
				return "", false
			}
			p.i = j + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			if c >= 0x80 {
				ascii = false
			}
			buf = append(buf, c)
			j++
			continue
		}
		if j+1 >= len(b) {
			return "", false
		}
		switch b[j+1] {
		case '"', '\\', '/':
			buf = append(buf, b[j+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(b, j+2)
			if !ok {
				return "", false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				// a high surrogate must be followed by an escaped low one
				if r >= 0xDC00 || j+1 >= len(b) || b[j] != '\\' || b[j+1] != 'u' {
					return "", false
				}
				r2, ok := hex4(b, j+2)
				if !ok || r2 < 0xDC00 || r2 > 0xDFFF {
					return "", false
				}
				r = utf16.DecodeRune(r, r2)
				j += 6
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

// hex4 reads four hex digits at b[i:].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
