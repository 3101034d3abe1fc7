package tokenizer

// TokenBytes returns the bytes a token stands for (nil for an id outside the vocabulary). A
// token may hold part of a UTF-8 character: its bytes are then not valid UTF-8 on their own.
func (t *Tokenizer) TokenBytes(id int) []byte {
	if id < 0 || id >= len(t.idToBytes) {
		return nil
	}
	return t.idToBytes[id]
}

// StreamDecoder decodes tokens one at a time for streaming: Add returns the text that became
// final with the new token and holds back the bytes of a character cut between two tokens.
// The pieces returned by Add, followed by Flush, join to Decode(ids, skipSpecial).
type StreamDecoder struct {
	t           *Tokenizer
	skipSpecial bool
	pending     []byte // bytes of an incomplete character at the end of the text so far
}

// NewStreamDecoder returns a decoder that skips special tokens when skipSpecial is true.
func (t *Tokenizer) NewStreamDecoder(skipSpecial bool) *StreamDecoder {
	return &StreamDecoder{t: t, skipSpecial: skipSpecial}
}

// Add appends one token and returns the text it completes (possibly empty).
func (d *StreamDecoder) Add(id int) string {
	if id < 0 || id >= len(d.t.idToBytes) || d.t.idToBytes[id] == nil || (d.skipSpecial && d.t.special[id]) {
		return ""
	}
	d.pending = append(d.pending, d.t.idToBytes[id]...)
	keep := incompleteTail(d.pending)
	done := d.pending[:len(d.pending)-keep]
	if len(done) == 0 {
		return ""
	}
	out := string(appendLossy(nil, done))
	d.pending = append(d.pending[:0], d.pending[len(done):]...)
	return out
}

// Flush returns what is held back (an incomplete character becomes U+FFFD, as in Decode).
func (d *StreamDecoder) Flush() string {
	out := string(appendLossy(nil, d.pending))
	d.pending = d.pending[:0]
	return out
}

// incompleteTail is the length of a suffix of b that starts a well-formed UTF-8 sequence and
// is cut only by the end of b (0 when b ends on a character boundary or in bytes that are
// invalid whatever follows). appendLossy decides every byte before that suffix the same way
// whatever bytes come after it.
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c < 0xC0 { // continuation byte: look further back for the lead byte
			continue
		}
		tail := b[len(b)-k:]
		if n := invalidPrefixLen(tail); n == len(tail) && n < seqLen(c) {
			return k
		}
		return 0
	}
	return 0
}

// seqLen is the length of the UTF-8 sequence a lead byte starts (1 for bytes that start none).
func seqLen(c byte) int {
	switch {
	case c >= 0xC2 && c <= 0xDF:
		return 2
	case c >= 0xE0 && c <= 0xEF:
		return 3
	case c >= 0xF0 && c <= 0xF4:
		return 4
	}
	return 1
}
