package harness

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/internal/jsonl"
)

// Field names under which foreign generation files keep ids, questions, responses and sample indices.
var (
	idFields       = []string{"id", "question_id", "uuid", "unique_id", "idx"}
	questionFields = []string{"question", "Question", "problem"}
	responseFields = []string{"response", "generated_text", "model_outputs", "output", "completion", "solution", "code"}
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
	// Run, if set, keeps only the responses of that run (a file whose records hold one object
	// per run, such as openai/grade-school-math's four setups); a file without it is an error.
	Run string
}

// ReadGenerations reads a generations file (JSONL, or a JSON array; gzipped, or the only file of a
// ZIP archive) and returns one Response per record and sample. Ids are found under
// id/question_id/uuid/unique_id/idx (strings or integers); a file without ids must carry the
// question (question/Question/problem) and is matched to the benchmark by MatchQuestions.
// Responses are found under response/generated_text/model_outputs/output/completion/solution/
// code, or opt.TextField. A list of texts there is one response per sample (ToRA keeps
// one-element lists). A record without such a field whose other fields are objects holding one
// gives one response per object: each object is a run named by its key (the setups of
// openai/grade-school-math's example_model_solutions), in key order. A record that lacks what it
// needs is an error naming the file, the record and the field.
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
	runSeen := false
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
		runs, err := recordRuns(m, textFields, opt.TextField != "")
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(i), err)
		}
		for _, run := range runs {
			if opt.Run != "" && run.name != opt.Run {
				continue
			}
			runSeen = true
			at := where(i)
			if run.name != "" {
				at += ": run " + run.name
			}
			texts, present, err := pickTexts(run.obj, textFields)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", at, err)
			}
			if !present && !opt.Optional {
				return nil, fmt.Errorf("%s: no response field (looked for %v, also in objects per run)", at, textFields)
			}
			sample := -1
			sm := m
			if _, ok := firstPresent(run.obj, sampleFields); ok {
				sm = run.obj
			}
			if s, ok := firstPresent(sm, sampleFields); ok {
				if err := json.Unmarshal(sm[s], &sample); err != nil || sample < 0 {
					return nil, fmt.Errorf("%s: field %q: not a non-negative integer", at, s)
				}
			}
			if !present {
				texts = []string{""}
			}
			for k, text := range texts {
				r := Response{ID: id, Text: text, Question: q, Where: at, Sample: sample, Missing: !present, Run: run.name}
				if len(texts) > 1 {
					if sample >= 0 {
						return nil, fmt.Errorf("%s: a list of %d responses and a sample index: which is which?", at, len(texts))
					}
					r.Sample, r.Where = k, fmt.Sprintf("%s: response %d", at, k+1)
				}
				out = append(out, r)
			}
		}
	}
	if opt.Run != "" && !runSeen {
		return nil, fmt.Errorf("%s: no run %q in the file (records hold no object of that name with a response)", path, opt.Run)
	}
	return out, nil
}

type genRun struct {
	name string
	obj  map[string]json.RawMessage
}

// recordRuns returns the runs of one record: the record itself when it holds a text field (or
// when explicit, a named field absent from it and from every object in it), else every field
// that is an object holding one, in key order.
func recordRuns(m map[string]json.RawMessage, textFields []string, explicit bool) ([]genRun, error) {
	if _, ok := firstPresent(m, textFields); ok {
		return []genRun{{"", m}}, nil
	}
	var runs []genRun
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		raw := bytes.TrimSpace(m[k])
		if len(raw) == 0 || raw[0] != '{' {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("field %q: %v", k, err)
		}
		if _, ok := textFieldsIn(obj, textFields); ok {
			runs = append(runs, genRun{k, obj})
		}
	}
	if len(runs) == 0 {
		return []genRun{{"", m}}, nil
	}
	return runs, nil
}

// textFieldsIn reports whether obj holds one of the text fields, even as null (a run whose
// pipeline found nothing is still a run).
func textFieldsIn(obj map[string]json.RawMessage, names []string) (string, bool) {
	for _, n := range names {
		if _, ok := obj[n]; ok {
			return n, true
		}
	}
	return "", false
}

// pickTexts returns the first present text field: one text, or one per element of a list.
func pickTexts(m map[string]json.RawMessage, names []string) ([]string, bool, error) {
	name, ok := firstPresent(m, names)
	if !ok {
		return nil, false, nil
	}
	raw := bytes.TrimSpace(m[name])
	if len(raw) > 0 && raw[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return nil, false, fmt.Errorf("field %q: %v", name, err)
		}
		if len(elems) == 0 {
			return nil, false, fmt.Errorf("field %q: an empty list", name)
		}
		out := make([]string, len(elems))
		for i, e := range elems {
			s, err := scalarString(e)
			if err != nil {
				return nil, false, fmt.Errorf("field %q: element %d: %v", name, i+1, err)
			}
			out[i] = s
		}
		return out, true, nil
	}
	s, err := scalarString(m[name])
	if err != nil {
		return nil, false, fmt.Errorf("field %q: %v", name, err)
	}
	return []string{s}, true, nil
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
// record with that text gets the k-th such item; past them, the next sample of each), counted
// within each run of a file that holds several. Records that match no item are an error listing
// them.
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
		seenKey := r.Run + "\x00" + k // each run answers every question once
		if !ok {
			n++
			if len(unmatched) < 5 {
				unmatched = append(unmatched, fmt.Sprintf("%s: %q", r.Where, truncate(k, 80)))
			}
			continue
		}
		c := seen[seenKey]
		seen[seenKey]++
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

// pickString returns the first present field as a string (numbers are formatted as integers,
// booleans as true/false).
func pickString(m map[string]json.RawMessage, names []string) (string, error) {
	name, ok := firstPresent(m, names)
	if !ok {
		return "", nil
	}
	s, err := scalarString(m[name])
	if err != nil {
		return "", fmt.Errorf("field %q: %v", name, err)
	}
	return s, nil
}

// scalarString reads a JSON string, number (integers without a decimal point) or boolean.
func scalarString(raw json.RawMessage) (string, error) {
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
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return strconv.FormatBool(b), nil
	}
	return "", fmt.Errorf("want a string, a number or a boolean, got %s", truncate(string(raw), 40))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
