package tokenizer

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TestEdgeGolden checks full ids on hand-picked tricky texts (emoji, CJK, combining marks,
// \r\n, trailing and repeated spaces, digits, contractions, U+0085/U+FEFF, special tokens,
// long runs) and 1500 seeded random strings over a tricky alphabet, from the JS reference
// with HF's \s (testdata/edge_golden.json).
func TestEdgeGolden(t *testing.T) {
	tok := mustQwen3(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "edge_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Text  string `json:"text"`
		IDs   []int  `json:"ids"`
		JSIDs []int  `json:"js_ids"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 1500 {
		t.Fatalf("only %d edge cases", len(cases))
	}
	diverging := 0
	for _, c := range cases {
		got := tok.Encode(c.Text)
		if !slices.Equal(got, c.IDs) {
			t.Errorf("Encode(%q) = %v, want %v", c.Text, got, c.IDs)
		}
		if c.JSIDs != nil {
			diverging++
			// The unpatched JS regex differs from HF only through JavaScript's \s (U+0085,
			// U+FEFF) and its ASCII-only (?i) ('ſ).
			if !strings.ContainsAny(c.Text, "\u0085\ufeffſ") {
				t.Errorf("JS and HF semantics differ on %q, which has none of U+0085, U+FEFF, ſ", c.Text)
			}
		}
	}
	t.Logf("%d texts, %d on which the unpatched JS regex differs", len(cases), diverging)
}

func TestSpecialTokens(t *testing.T) {
	tok := mustQwen3(t)
	for s, want := range map[string]int{"<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645, "<think>": 151667, "</think>": 151668} {
		if id, ok := tok.TokenID(s); !ok || id != want {
			t.Errorf("TokenID(%q) = %d, %v; want %d", s, id, ok, want)
		}
		if ids := tok.Encode(s); !slices.Equal(ids, []int{want}) {
			t.Errorf("Encode(%q) = %v, want [%d]", s, ids, want)
		}
	}
	if n := tok.VocabSize(); n != 151669 {
		t.Errorf("VocabSize = %d, want 151669", n)
	}
	if got := tok.EOSIDs(); !slices.Equal(got, []int{151645, 151643}) {
		t.Errorf("EOSIDs = %v, want [151645 151643]", got)
	}
	if tok.EOSToken != "<|im_end|>" {
		t.Errorf("EOSToken = %q", tok.EOSToken)
	}
	if !tok.IsSpecial(151645) || tok.IsSpecial(151667) || tok.IsSpecial(9707) {
		t.Error("IsSpecial: <|im_end|> is special, <think> and 'Hello' are not")
	}
	if s, ok := tok.Token(9707); !ok || s != "Hello" {
		t.Errorf("Token(9707) = %q, %v", s, ok)
	}
	if _, ok := tok.Token(-1); ok {
		t.Error("Token(-1) found")
	}

	text := "<|im_start|>user\nHi<think>x</think><|im_end|>"
	ids := tok.Encode(text)
	if got := tok.Decode(ids, false); got != text {
		t.Errorf("Decode(skipSpecial=false) = %q", got)
	}
	// skipSpecial drops special tokens only: <think> and </think> are added but not special.
	if got, want := tok.Decode(ids, true), "user\nHi<think>x</think>"; got != want {
		t.Errorf("Decode(skipSpecial=true) = %q, want %q", got, want)
	}
	// A special token split by other text is plain text.
	if ids := tok.Encode("<|im_st art|>"); slices.Contains(ids, 151644) {
		t.Errorf("broken marker encoded as <|im_start|>: %v", ids)
	}
}

func TestDecodeLossy(t *testing.T) {
	tok := mustQwen3(t)
	ids := tok.Encode("é😀") // 2 + 4 bytes
	cut := ids
	// Drop the last id: the emoji's bytes end early and must become U+FFFD, not vanish.
	for n := len(cut) - 1; n >= 1; n-- {
		got := tok.Decode(cut[:n], false)
		if !utf8.ValidString(got) {
			t.Errorf("Decode(%v) is not valid UTF-8: %q", cut[:n], got)
		}
	}
	// Byte tokens of an incomplete 4-byte sequence F0 9F 98 decode to one U+FFFD (Rust's
	// from_utf8_lossy); a lone continuation byte is another.
	f0, f9f, f98, x80 := int(tok.byteID[0xF0]), int(tok.byteID[0x9F]), int(tok.byteID[0x98]), int(tok.byteID[0x80])
	if got := tok.Decode([]int{f0, f9f, f98, 64}, false); got != "\uFFFDa" {
		t.Errorf("truncated sequence: %q, want %q", got, "\uFFFDa")
	}
	if got := tok.Decode([]int{x80, x80, 64}, false); got != "\uFFFD\uFFFDa" {
		t.Errorf("stray continuation bytes: %q", got)
	}
	if got := tok.Decode([]int{-5, 1 << 30, 64}, false); got != "a" {
		t.Errorf("out-of-range ids: %q, want %q", got, "a")
	}
}

func TestAppendLossyMatchesRustRules(t *testing.T) {
	for in, want := range map[string]string{
		"ok":                   "ok",
		"\xe2\x82":             "\uFFFD",             // truncated 3-byte sequence: one replacement
		"\xe2\x82x":            "\uFFFDx",            //
		"\xed\xa0\x80":         "\uFFFD\uFFFD\uFFFD", // surrogate: ED then A0 is not a valid second byte
		"\xf4\x90\x80\x80":     "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xc0\xaf":             "\uFFFD\uFFFD",
		"\xf0\x9f\x98\x80\xff": "😀\uFFFD",
	} {
		if got := string(appendLossy(nil, []byte(in))); got != want {
			t.Errorf("appendLossy(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPreTokenizerPieces(t *testing.T) {
	split := func(s string) []string {
		var out []string
		for i := 0; i < len(s); {
			e := nextPiece(s, i)
			out = append(out, s[i:e])
			i = e
		}
		return out
	}
	for in, want := range map[string][]string{
		"Hello world":      {"Hello", " world"},
		"it's I'LL 'sa":    {"it", "'s", " I", "'LL", " '", "sa"},
		"a   b":            {"a", "  ", " b"},
		"a  \n\n b":        {"a", "  \n\n", " b"},
		"x  ":              {"x", "  "},
		"x\t\ty":           {"x", "\t", "\ty"},
		"12 345":           {"1", "2", " ", "3", "4", "5"},
		"(x) ...\n\nok":    {"(x", ")", " ...\n\n", "ok"},
		"\u00a0\u00a0word": {"\u00a0", "\u00a0word"},
		"a\u0085b":         {"a", "\u0085b"},
		"a \u0085 b":       {"a", " \u0085", " b"},
		"a\ufeff b":        {"a", "\ufeff", " b"},
		"'ſ 'x":            {"'ſ", " '", "x"},
		"e\u0301t":         {"e", "\u0301t"}, // the mark is neither \p{L} nor \p{N}
		"你好，世界":            {"你好", "，世界"},
	} {
		if got := split(in); !slices.Equal(got, want) {
			t.Errorf("split(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMergeHeapMatchesNaive runs both merge loops on the same long words.
func TestMergeHeapMatchesNaive(t *testing.T) {
	tok := mustQwen3(t)
	st := newEncState().(*encState)
	for _, w := range []string{
		strings.Repeat(" ", 97), strings.Repeat("ab", 80), "internationalization" + strings.Repeat("ization", 9),
		strings.Repeat("=", 120), strings.Repeat("\n", 77), "Ġ" + strings.Repeat("supercalifragilistic", 4),
	} {
		a := make([]int32, len(w))
		for i := range w {
			a[i] = tok.byteID[w[i]]
		}
		b := slices.Clone(a)
		na := slices.Clone(tok.mergeNaive(st, a))
		hp := slices.Clone(tok.mergeHeap(st, b))
		if !slices.Equal(na, hp) {
			t.Errorf("%q: naive %v, heap %v", w, na, hp)
		}
		if len(na) >= len(w) {
			t.Errorf("%q: no merge happened (%d ids)", w, len(na))
		}
	}
}

func TestLoadFromFile(t *testing.T) {
	emb := mustQwen3(t)
	dir := t.TempDir()
	raw, err := gunzip(qwen3TokenizerGz)
	if err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(plain, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), qwen3ConfigJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(t.TempDir(), "tokenizer.json.gz")
	f, err := os.Create(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write(raw)
	zw.Close()
	f.Close()
	text := "Qwen3 <|im_start|>tokenizer: 123 ✓\r\n"
	for _, p := range []string{plain, gzPath} {
		tok, err := Load(p)
		if err != nil {
			t.Fatalf("Load(%s): %v", p, err)
		}
		if !slices.Equal(tok.Encode(text), emb.Encode(text)) {
			t.Errorf("Load(%s) encodes differently from LoadQwen3", p)
		}
	}
	if tok, _ := Load(plain); tok.EOSToken != "<|im_end|>" {
		t.Errorf("config beside tokenizer.json not read: EOSToken %q", tok.EOSToken)
	}
	if tok, _ := Load(gzPath); tok.EOSToken != "" {
		t.Errorf("no config beside the .gz, yet EOSToken %q", tok.EOSToken)
	}
}

// TestLoadErrors: a malformed tokenizer.json is refused with the file and field named.
func TestLoadErrors(t *testing.T) {
	base := qwen3JSONMap(t)
	model := base["model"].(map[string]any)
	vocab := model["vocab"].(map[string]any)
	merges := model["merges"].([]any)
	cases := []struct {
		name, wantField string
		edit            func(m map[string]any) func()
	}{
		{"model type", "model.type", func(m map[string]any) func() {
			model["type"] = "WordPiece"
			return func() { model["type"] = "BPE" }
		}},
		{"merge with unknown token", "model.merges[3]", func(m map[string]any) func() {
			old := merges[3]
			merges[3] = []any{"Ġ", "nonexistent-token"}
			return func() { merges[3] = old }
		}},
		{"missing byte token", "model.vocab", func(m map[string]any) func() {
			old := vocab["Ā"]
			delete(vocab, "Ā")
			return func() { vocab["Ā"] = old }
		}},
		{"normalizer", "normalizer", func(m map[string]any) func() {
			old := m["normalizer"]
			m["normalizer"] = map[string]any{"type": "Lowercase"}
			return func() { m["normalizer"] = old }
		}},
		{"pre-tokenizer regex", "pre_tokenizer", func(m map[string]any) func() {
			seq := m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)
			pat := seq[0].(map[string]any)["pattern"].(map[string]any)
			old := pat["Regex"]
			pat["Regex"] = `\w+`
			return func() { pat["Regex"] = old }
		}},
		{"added token lstrip", "added_tokens[2]", func(m map[string]any) func() {
			a := m["added_tokens"].([]any)[2].(map[string]any)
			a["lstrip"] = true
			return func() { a["lstrip"] = false }
		}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		undo := c.edit(base)
		b, err := json.Marshal(base)
		undo()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "bad_tokenizer.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load(p)
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "field "+c.wantField) {
			t.Errorf("%s: error %v, want one naming %s and field %s", c.name, err, p, c.wantField)
		}
	}
	// Not JSON at all, and a missing file.
	p := filepath.Join(dir, "garbage.json")
	os.WriteFile(p, []byte("{not json"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("garbage: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file loaded")
	}
}

func TestUnicodeRoundTrip(t *testing.T) {
	tok := mustQwen3(t)
	for _, s := range []string{
		"", " ", "\r\n", "trailing spaces   ", "          many spaces before a word", "0123456789",
		"emoji 😀👨‍👩‍👧🇯🇵 and CJK 中文字符 日本語", "combining e\u0301 a\u0308 (NFC composes them)", "Å vs A\u030A",
		"tabs\tand\vvertical\fform feed", "\u2028\u2029\u0085\u00a0\u3000", "\x00\x01\x7f",
	} {
		got := tok.Decode(tok.Encode(s), false)
		if want := norm.NFC.String(s); got != want {
			t.Errorf("round trip %q -> %q", s, got)
		}
	}
	if got := tok.Encode("e\u0301"); !slices.Equal(got, tok.Encode("é")) {
		t.Errorf("NFC: e+U+0301 encodes as %v, é as %v", got, tok.Encode("é"))
	}
}

func TestConcurrentEncode(t *testing.T) {
	tok := mustQwen3(t)
	texts := []string{"The quick brown fox", "函数 f(x)=x²", strings.Repeat("ab ", 200)}
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tok.Encode(s)
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			for k := 0; k < 200; k++ {
				i := (g + k) % len(texts)
				if got := tok.Encode(texts[i]); !slices.Equal(got, want[i]) {
					errs <- fmt.Errorf("goroutine %d: %q encoded differently", g, texts[i])
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func FuzzEncodeDecode(f *testing.F) {
	tok, err := LoadQwen3()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "Hello world", "it's  \r\n\t x", "<|im_start|>a<|im_end|>", "e\u0301😀中", "\u0085\ufeffſ", strings.Repeat(" ", 70) + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		got := tok.Decode(ids, false)
		if !utf8.ValidString(s) {
			if !utf8.ValidString(got) {
				t.Fatalf("Decode gave invalid UTF-8 for %q", s)
			}
			return
		}
		if want := norm.NFC.String(s); got != want {
			t.Fatalf("round trip %q -> %q (ids %v)", s, got, ids)
		}
	})
}

// TestLongRuns: megabyte-long single-class runs take the heap merge path and stay fast
// (a quadratic merge would not finish) and round-trip.
func TestLongRuns(t *testing.T) {
	tok := mustQwen3(t)
	for _, s := range []string{strings.Repeat("a", 1<<20), strings.Repeat(" ", 1<<20) + "x", strings.Repeat("!?", 1<<19), strings.Repeat("中", 1<<18)} {
		if got := tok.Decode(tok.Encode(s), false); got != s {
			t.Errorf("long run of %q does not round-trip", s[:3])
		}
	}
}

// TestLegacyMergeFormat: tokenizers < 0.20 write merges as "a b" strings; both forms load
// to the same tokenizer.
func TestLegacyMergeFormat(t *testing.T) {
	base := qwen3JSONMap(t)
	model := base["model"].(map[string]any)
	pairs := model["merges"].([]any)
	strs := make([]any, len(pairs))
	for i, p := range pairs {
		pp := p.([]any)
		strs[i] = pp[0].(string) + " " + pp[1].(string)
	}
	model["merges"] = strs
	b, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := parse("legacy", b)
	if err != nil {
		t.Fatal(err)
	}
	tok := mustQwen3(t)
	text := "Legacy merges: the quick brown fox jumps over 13 lazy dogs — 快速的狐狸\n"
	if got, want := legacy.Encode(text), tok.Encode(text); !slices.Equal(got, want) {
		t.Errorf("legacy merges encode %v, want %v", got, want)
	}
	strs[5] = "no-space-here"
	b, _ = json.Marshal(base)
	if _, err := parse("legacy", b); err == nil || !strings.Contains(err.Error(), "field model.merges") {
		t.Errorf("bad legacy merge: %v", err)
	}
}

// qwen3JSONMap returns the embedded tokenizer.json as generic JSON, for tests to edit.
func qwen3JSONMap(t *testing.T) map[string]any {
	t.Helper()
	raw, err := gunzip(qwen3TokenizerGz)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
