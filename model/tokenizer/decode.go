package tokenizer

// Decode returns the text of ids, like HF `decode(ids, skip_special_tokens=skipSpecial)` with
// the ByteLevel decoder: the bytes of all tokens are joined and invalid UTF-8 (a token
// sequence cut inside a character) becomes U+FFFD as in Rust's from_utf8_lossy. Ids outside
// the vocabulary are skipped, as HF does.
func (t *Tokenizer) Decode(ids []int, skipSpecial bool) string {
	return string(t.AppendDecode(nil, ids, skipSpecial))
}

// AppendDecode appends the decoded text of ids to dst.
func (t *Tokenizer) AppendDecode(dst []byte, ids []int, skipSpecial bool) []byte {
	var raw []byte
	for _, id := range ids {
		if id < 0 || id >= len(t.idToBytes) || t.idToBytes[id] == nil {
			continue
		}
		if skipSpecial && t.special[id] {
			continue
		}
		raw = append(raw, t.idToBytes[id]...)
	}
	return appendLossy(dst, raw)
}
