package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/greason/greason/internal/zipcrypto"
	"golang.org/x/text/unicode/norm"
)

// benchmarkSpec is one entry of testdata/benchmark_texts.json, the list of every text field
// of every vendored benchmark that tools/tokgold/gold.mjs reads too. A string value is one
// text; a list gives one text per string element, named "field[i]".
type benchmarkSpec struct {
	Name   string   `json:"name"`
	File   string   `json:"file"`
	Format string   `json:"format"` // jsonl, json (an array of rows) or gpqa (encrypted CSV)
	Fields []string `json:"fields"`
}

func loadBenchmarkSpecs(t testing.TB) []benchmarkSpec {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "benchmark_texts.json"))
	if err != nil {
		t.Fatal(err)
	}
	var specs []benchmarkSpec
	if err := json.Unmarshal(raw, &specs); err != nil || len(specs) == 0 {
		t.Fatalf("testdata/benchmark_texts.json: %v (%d entries)", err, len(specs))
	}
	return specs
}

const gpqaPassword = "deserted-untie-orchid"

type benchText struct {
	key  string // "benchmark/row/field"
	text string
}

func loadBenchmarkTexts(t testing.TB) []benchText {
	t.Helper()
	dir := filepath.Join("..", "..", "benchmarks", "data")
	var out []benchText
	for _, b := range loadBenchmarkSpecs(t) {
		raw, err := os.ReadFile(filepath.Join(dir, b.File))
		if err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		switch b.Format {
		case "jsonl", "json":
			if raw, err = gunzip(raw); err != nil {
				t.Fatalf("%s: %v", b.File, err)
			}
			if b.Format == "json" {
				err = json.Unmarshal(raw, &rows)
			} else {
				for i, line := range bytes.Split(raw, []byte("\n")) {
					if len(bytes.TrimSpace(line)) == 0 {
						continue
					}
					var row map[string]any
					if err = json.Unmarshal(line, &row); err != nil {
						err = fmt.Errorf("line %d: %w", i+1, err)
						break
					}
					rows = append(rows, row)
				}
			}
		case "gpqa":
			rows, err = readGPQA(raw)
		}
		if err != nil {
			t.Fatalf("%s: %v", b.File, err)
		}
		for r, row := range rows {
			for _, f := range b.Fields {
				switch v := row[f].(type) {
				case string:
					out = append(out, benchText{fmt.Sprintf("%s/%d/%s", b.Name, r, f), v})
				case []any:
					for i, e := range v {
						if s, ok := e.(string); ok {
							out = append(out, benchText{fmt.Sprintf("%s/%d/%s[%d]", b.Name, r, f, i), s})
						}
					}
				}
			}
		}
	}
	return out
}

func readGPQA(zipData []byte) ([]map[string]any, error) {
	plain, err := zipcrypto.ReadFile(zipData, "gpqa_diamond.csv", gpqaPassword)
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(bytes.NewReader(plain)).ReadAll()
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	for _, rec := range recs[1:] {
		row := map[string]any{}
		for j, h := range recs[0] {
			row[h] = rec[j]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type goldenRecord struct {
	key   string
	n     int
	hash  string
	first []int
}

func loadGolden(t testing.TB) []goldenRecord {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var recs []goldenRecord
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue // header
		}
		var a []json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || len(a) != 6 {
			t.Fatalf("golden line %d: %v (%d columns)", line+1, err, len(a))
		}
		var bench, field, hash string
		var row, n int
		var first []int
		for i, dst := range []any{&bench, &row, &field, &n, &hash, &first} {
			if err := json.Unmarshal(a[i], dst); err != nil {
				t.Fatalf("golden line %d column %d: %v", line+1, i, err)
			}
		}
		recs = append(recs, goldenRecord{fmt.Sprintf("%s/%d/%s", bench, row, field), n, hash, first})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// hashIDs is the golden file's hash: sha256 of the ids written in decimal, joined by ",",
// first 16 hex digits.
func hashIDs(ids []int) string {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(id), 10)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// TestGoldenParity encodes every text of every vendored benchmark and compares the count,
// hash and first ids with the golden file made by the JS reference tokenizer.
func TestGoldenParity(t *testing.T) {
	tok := mustQwen3(t)
	golden := loadGolden(t)
	texts := loadBenchmarkTexts(t)
	if len(texts) != len(golden) {
		t.Fatalf("%d benchmark texts, %d golden records: regenerate with `just tokenizer-golden`", len(texts), len(golden))
	}
	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
		nbytes   int
	)
	for _, bt := range texts {
		nbytes += len(bt.text)
	}
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(texts); i += workers {
				bt, g := texts[i], golden[i]
				var msg string
				if bt.key != g.key {
					msg = fmt.Sprintf("record %d: benchmark text %s but golden %s", i, bt.key, g.key)
				} else {
					ids := tok.Encode(bt.text)
					k := min(len(g.first), len(ids))
					switch {
					case len(ids) != g.n:
						msg = fmt.Sprintf("%s: %d ids, golden %d", bt.key, len(ids), g.n)
					case hashIDs(ids) != g.hash:
						msg = fmt.Sprintf("%s: id hash %s, golden %s", bt.key, hashIDs(ids), g.hash)
					case fmt.Sprint(ids[:k]) != fmt.Sprint(g.first):
						msg = fmt.Sprintf("%s: first ids %v, golden %v", bt.key, ids[:k], g.first)
					}
				}
				if msg != "" {
					mu.Lock()
					failures = append(failures, msg)
					mu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	for i, f := range failures {
		if i == 20 {
			t.Errorf("... %d more", len(failures)-20)
			break
		}
		t.Error(f)
	}
	t.Logf("%d texts (%d bytes) from %d benchmarks: %d mismatches", len(texts), nbytes, len(loadBenchmarkSpecs(t)), len(failures))
}

// TestRoundTripBenchmarks checks Decode(Encode(x)) == NFC(x) on every benchmark text.
func TestRoundTripBenchmarks(t *testing.T) {
	tok := mustQwen3(t)
	bad := 0
	for _, bt := range loadBenchmarkTexts(t) {
		want := norm.NFC.String(bt.text)
		if got := tok.Decode(tok.Encode(bt.text), false); got != want {
			bad++
			if bad <= 5 {
				t.Errorf("%s: round trip differs (len %d vs %d)", bt.key, len(got), len(want))
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d texts do not round-trip", bad)
	}
}

func mustQwen3(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
