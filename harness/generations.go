package harness

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/internal/jsonl"
)

// Field names under which foreign generation files keep ids, questions, responses and sample indices.
var (
	idFields       = []string{"id", "question_id", "uuid", "unique_id", "idx"}
	questionFields = []string{"question", "Question", "problem"}
	responseFields = []string{"response", "generated_text", "model_outputs", "output", "completion", "solution"}
	sampleFields   = []string{"sample", "sample_index"}
)

// ReadOptions change what ReadGenerations takes from each record.
type ReadOptions struct {
	// TextField, if set, is the one field that holds the text to score (for example "pred",
	// an answer the file's own pipeline extracted) instead of the response fields.
	TextField string
	// Optional: a record without the text field is kept with Missing set (used to compare
	// per item with a field that is null where its pipeline found nothing).
	Optional bool
}

// ReadGenerations reads a generations file (JSONL, or a JSON array; gzipped, or the only file of a
// ZIP archive) and returns one Response per record. Ids are found under
// id/question_id/uuid/unique_id/idx (strings or integers); a file without ids must carry the
// question (question/Question/problem) and is matched to the benchmark by MatchQuestions.
// Responses are found under response/generated_text/model_outputs/output/completion/solution, or
// opt.TextField. A record that lacks what it needs is an error naming the file, the record and
// the field.
func ReadGenerations(path string, opt ReadOptions) ([]Response, error) {
	data, err := readMaybeCompressed(path)
	if err != nil {
		return nil, err
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
	textFields := responseFields
	if opt.TextField != "" {
		textFields = []string{opt.TextField}
	}
	out := make([]Response, 0, len(recs))
	for i, m := range recs {
		id, err := pickString(m, idFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		q, err := pickString(m, questionFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		if id == "" && q == "" {
			return nil, fmt.Errorf("%s: no id field (looked for %v) and no question to match by (looked for %v)", where(i), idFields, questionFields)
		}
		text, err := pickString(m, textFields)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		_, present := firstPresent(m, textFields)
		if !present && !opt.Optional {
			return nil, fmt.Errorf("%s: no response field (looked for %v)", where(i), textFields)
		}
		r := Response{ID: id, Text: text, Question: q, Where: where(i), Sample: -1, Missing: !present}
		if s, ok := firstPresent(m, sampleFields); ok {
			if err := json.Unmarshal(m[s], &r.Sample); err != nil || r.Sample < 0 {
				return nil, fmt.Errorf("%s: field %q: not a non-negative integer", where(i), s)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// readMaybeCompressed returns the bytes of path, gunzipped for .gz and, for .zip, those of the
// archive's only file.
func readMaybeCompressed(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	case strings.HasSuffix(path, ".zip"):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var files []*zip.File
		for _, f := range zr.File {
			if !f.FileInfo().IsDir() {
				files = append(files, f)
			}
		}
		if len(files) != 1 {
			return nil, fmt.Errorf("%s: want exactly one file in the archive, found %d", path, len(files))
		}
		rc, err := files[0].Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer rc.Close()
		if data, err = io.ReadAll(rc); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, files[0].Name, err)
		}
	}
	return data, nil
}

// normQuestion is the text MatchQuestions compares: whitespace runs collapsed, ends trimmed.
func normQuestion(s string) string { return strings.Join(strings.Fields(s), " ") }

// MatchQuestions gives every response without an id the id of the benchmark item whose question
// has the same normalised text. Items that share a question are taken in file order (the k-th
// record with that text gets the k-th such item; past them, the next sample of each). Records
// that match no item are an error listing them.
func MatchQuestions(items []benchmarks.Item, resps []Response) error {
	byText := map[string][]int{}
	for i, it := range items {
		k := normQuestion(it.Question)
		byText[k] = append(byText[k], i)
	}
	seen := map[string]int{}
	var unmatched []string
	n := 0
	for i := range resps {
		r := &resps[i]
		if r.ID != "" {
			continue
		}
		k := normQuestion(r.Question)
		idx, ok := byText[k]
		if !ok {
			n++
			if len(unmatched) < 5 {
				unmatched = append(unmatched, fmt.Sprintf("%s: %q", r.Where, truncate(k, 80)))
			}
			continue
		}
		c := seen[k]
		seen[k]++
		r.ID = items[idx[c%len(idx)]].ID
		if r.Sample < 0 {
			r.Sample = c / len(idx)
		}
	}
	if n > 0 {
		return fmt.Errorf("%d record(s) match no question of the benchmark (normalised text), e.g.:\n  %s", n, strings.Join(unmatched, "\n  "))
	}
	return nil
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
