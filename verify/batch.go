package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/internal/parallel"
)

// Row is one batch input row. Question may be null; Label and AnswerType are optional.
type Row struct {
	ID         string `json:"id"`
	Question   string `json:"question"`
	Gold       string `json:"gold"`
	Response   string `json:"response"`
	Label      *bool  `json:"label,omitempty"`
	AnswerType string `json:"answer_type,omitempty"`
}

// Output is one batch output row: the input plus the verdict.
type Output struct {
	Row
	Correct   bool   `json:"correct"`
	Extracted string `json:"extracted"`
	Layer     string `json:"layer"`
	Reason    string `json:"reason"`
}

// ReadRows reads a JSONL batch file. Errors name the file, the line and the field.
func ReadRows(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeRows(f, path)
}

// DecodeRows parses JSONL rows from r; name is used in error messages.
func DecodeRows(r io.Reader, name string) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var rows []Row
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("%s:%d: invalid JSON: %v", name, line, err)
		}
		var row Row
		for _, f := range []struct {
			key      string
			dst      *string
			nullable bool
		}{{"id", &row.ID, false}, {"question", &row.Question, true}, {"gold", &row.Gold, false}, {"response", &row.Response, false}} {
			v, ok := raw[f.key]
			if !ok {
				return nil, fmt.Errorf("%s:%d: missing field %q", name, line, f.key)
			}
			if string(v) == "null" {
				if f.nullable {
					continue
				}
				return nil, fmt.Errorf("%s:%d: field %q is null", name, line, f.key)
			}
			if err := json.Unmarshal(v, f.dst); err != nil {
				// ids may be numbers
				if f.key == "id" {
					*f.dst = string(v)
					continue
				}
				return nil, fmt.Errorf("%s:%d: field %q: want a string: %v", name, line, f.key, err)
			}
		}
		if v, ok := raw["label"]; ok && string(v) != "null" {
			var l bool
			if err := json.Unmarshal(v, &l); err != nil {
				return nil, fmt.Errorf("%s:%d: field \"label\": want a boolean: %v", name, line, err)
			}
			row.Label = &l
		}
		if v, ok := raw["answer_type"]; ok && string(v) != "null" {
			_ = json.Unmarshal(v, &row.AnswerType)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	return rows, nil
}

// RunBatch extracts an answer from every response and judges it, with workers goroutines; a
// BatchJudge (General-Verifier on a local model, a cascade over it) judges the rows in batches
// of BatchChunk instead.
func RunBatch(ctx context.Context, j Judge, rows []Row, workers int) ([]Output, error) {
	if bj, ok := j.(BatchJudge); ok {
		return runBatchJudge(ctx, bj, rows)
	}
	return parallel.Map(ctx, len(rows), workers, func(i int) (Output, error) {
		o, err := JudgeRow(ctx, j, rows[i])
		if err != nil {
			return o, fmt.Errorf("row %d (id %s): %w", i+1, rows[i].ID, err)
		}
		return o, nil
	})
}

// BatchChunk is how many rows RunBatch hands a BatchJudge at a time.
const BatchChunk = 256

func runBatchJudge(ctx context.Context, j BatchJudge, rows []Row) ([]Output, error) {
	out := make([]Output, len(rows))
	for lo := 0; lo < len(rows); lo += BatchChunk {
		hi := min(lo+BatchChunk, len(rows))
		var q, g, a, how []string
		for _, r := range rows[lo:hi] {
			ans, h := ExtractForJudging(r.Response)
			q, g, a, how = append(q, r.Question), append(g, r.Gold), append(a, ans), append(how, h)
		}
		vs, err := j.JudgeBatch(ctx, q, g, a)
		if err != nil {
			return nil, fmt.Errorf("rows %d-%d: %w", lo+1, hi, err)
		}
		for k, v := range vs {
			out[lo+k] = Output{Row: rows[lo+k], Correct: v.Correct, Extracted: a[k], Layer: v.Layer, Reason: v.Reason + " [extracted: " + how[k] + "]"}
		}
	}
	return out, nil
}

// JudgeRow extracts the answer of one row's response and judges it.
func JudgeRow(ctx context.Context, j Judge, r Row) (Output, error) {
	ans, how := ExtractForJudging(r.Response)
	v, err := j.Judge(ctx, r.Question, r.Gold, ans)
	if err != nil {
		return Output{}, err
	}
	// a long open-domain answer: the gold may be anywhere in it, not only on the last line
	if rv, ok := j.(RuleVerifier); ok && !v.Correct && how == "last-line" && IsTextGold(r.Gold) {
		if v2, _ := rv.Judge(ctx, r.Question, r.Gold, r.Response); v2.Correct {
			ans, how, v = r.Response, "whole (text gold)", v2
		}
	}
	return Output{Row: r, Correct: v.Correct, Extracted: ans, Layer: v.Layer, Reason: v.Reason + " [extracted: " + how + "]"}, nil
}

// WriteJSONL writes rows atomically: a temp file in the same directory, then a rename.
func WriteJSONL(path string, rows []Output) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range rows {
			if err := enc.Encode(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// Metrics are binary-classification figures of verdicts against labels (positive = correct).
type Metrics struct {
	N, TP, FP, TN, FN int
}

func (m *Metrics) Add(pred, label bool) {
	m.N++
	switch {
	case pred && label:
		m.TP++
	case pred && !label:
		m.FP++
	case !pred && label:
		m.FN++
	default:
		m.TN++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (m Metrics) Accuracy() float64  { return ratio(m.TP+m.TN, m.N) }
func (m Metrics) Precision() float64 { return ratio(m.TP, m.TP+m.FP) }
func (m Metrics) Recall() float64    { return ratio(m.TP, m.TP+m.FN) }
func (m Metrics) F1() float64 {
	p, r := m.Precision(), m.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Score computes overall and per-answer-type metrics over labelled outputs; unlabelled rows are
// skipped. Rows without an answer_type are grouped under the type the rule layer recognised
// ("(none)" when unknown).
func Score(outs []Output) (overall Metrics, byType map[string]*Metrics) {
	byType = map[string]*Metrics{}
	for _, o := range outs {
		if o.Label == nil {
			continue
		}
		overall.Add(o.Correct, *o.Label)
		t := o.AnswerType
		if t == "" {
			t = "(none)"
		}
		if byType[t] == nil {
			byType[t] = &Metrics{}
		}
		byType[t].Add(o.Correct, *o.Label)
	}
	return overall, byType
}

// FormatMetrics renders metrics as an aligned text table (overall first, then per type).
func FormatMetrics(overall Metrics, byType map[string]*Metrics) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-40s %6s %8s %9s %7s %6s\n", "answer type", "n", "accuracy", "precision", "recall", "F1")
	row := func(name string, m Metrics) {
		fmt.Fprintf(&b, "%-40s %6d %7.1f%% %8.1f%% %6.1f%% %5.1f%%\n", name, m.N, 100*m.Accuracy(), 100*m.Precision(), 100*m.Recall(), 100*m.F1())
	}
	row("overall", overall)
	keys := make([]string, 0, len(byType))
	for k := range byType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		row(k, *byType[k])
	}
	return b.String()
}
