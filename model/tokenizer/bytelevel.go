package tokenizer

import "unicode/utf8"

// byteToRune is GPT-2's bytes_to_unicode table: printable Latin-1 bytes map to themselves,
// the other 68 bytes to U+0100 upwards in byte order.
var byteToRune [256]rune

// runeToByte inverts byteToRune; runes outside the table map to -1.
var runeToByte = map[rune]int{}

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
		runeToByte[byteToRune[b]] = b
	}
}

// byteLevelDecode turns a byte-level token string back into the bytes it stands for. As in
// HF's ByteLevel decoder, a token holding any rune outside the table stands for its own
// UTF-8 bytes (added tokens such as "<|im_end|>" are printable ASCII and map either way).
func byteLevelDecode(tok string) []byte {
	out := make([]byte, 0, len(tok))
	for _, r := range tok {
		b, ok := runeToByte[r]
		if !ok {
			return []byte(tok)
		}
		out = append(out, byte(b))
	}
	return out
}

// appendLossy appends b to dst as valid UTF-8 the way Rust's String::from_utf8_lossy (and
// the WHATWG decoder) does: each maximal prefix of an ill-formed sequence becomes one U+FFFD.
func appendLossy(dst []byte, b []byte) []byte {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			dst = append(dst, b[0])
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			dst = append(dst, b[:n]...)
			b = b[n:]
			continue
		}
		dst = append(dst, "\uFFFD"...)
		b = b[invalidPrefixLen(b):]
	}
	return dst
}

// invalidPrefixLen is the length of the maximal prefix of b that starts a well-formed UTF-8
// sequence but is cut short (at least 1): those bytes are replaced together.
func invalidPrefixLen(b []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}
