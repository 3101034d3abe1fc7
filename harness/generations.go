package harness

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/greason/greason/internal/jsonl"
)

// Field names under which foreign generation files keep ids, responses and sample indices.
var (
	idFields       = []string{"id", "question_id", "uuid", "unique_id", "idx"}
	responseFields = []string{"response", "generated_text", "model_outputs", "output", "completion", "solution"}
	sampleFields   = []string{"sample", "sample_index"}
)

// ReadGenerations reads a generations file (JSONL, or a JSON array; optionally gzipped) and returns one Response
// per record. Ids are found under id/question_id/uuid/unique_id/idx (strings or integers) and
// responses under response/generated_text/model_outputs/output/completion/solution. A record
// that lacks either is an error naming the file, the record and the field.
func ReadGenerations(path string) ([]Response, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	trim := bytes.TrimSpace(data)
	var recs []map[string]json.RawMessage
	var where func(i int) string
	if len(trim) > 0 && trim[0] == '[' {
		if err := json.Unmarshal(trim, &recs); err != nil {
			return nil, fmt.Errorf("%s: not a JSON array of objects: %w", path, err)
		}
		where = func(i int) string { return fmt.Sprintf("%s: record %d", path, i+1) }
	} else {
		var lines []int
		if recs, lines, err = jsonl.Decode[map[string]json.RawMessage](bytes.NewReader(data), path); err != nil {
			return nil, err
		}
		where = func(i int) string { return fmt.Sprintf("%s: line %d", path, lines[i]) }
	}
	out := make([]Response, 0, len(recs))
	for i, m := range recs {
		id, err := pickString(m, idFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		if id == "" {
			return nil, fmt.Errorf("%s: no id field (looked for %v)", where(i), idFields)
		}
		text, err := pickString(m, responseFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		if _, ok := firstPresent(m, responseFields); !ok {
			return nil, fmt.Errorf("%s: no response field (looked for %v)", where(i), responseFields)
		}
		r := Response{ID: id, Text: text}
		if s, ok := firstPresent(m, sampleFields); ok {
			if err := json.Unmarshal(m[s], &r.Sample); err != nil {
				return nil, fmt.Errorf("%s: field %q: not an integer", where(i), s)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func firstPresent(m map[string]json.RawMessage, names []string) (string, bool) {
	for _, n := range names {
		if v, ok := m[n]; ok && string(v) != "null" {
			return n, true
		}
	}
	return "", false
}

// pickString returns the first present field as a string (numbers are formatted as integers).
func pickString(m map[string]json.RawMessage, names []string) (string, error) {
	name, ok := firstPresent(m, names)
	if !ok {
		return "", nil
	}
	raw := m[name]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if i, err := n.Int64(); err == nil {
			return strconv.FormatInt(i, 10), nil
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("field %q: want a string or a number, got %s", name, truncate(string(raw), 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
