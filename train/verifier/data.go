// Package verifier trains and runs General-Verifier-style answer verifiers with greason's own
// model stack: the verifier SFT job (`greason train sft` with "task": "verifier": labelled
// (question, gold, student answer) rows → the rationale and "Final Decision: Yes|No" as the
// target, loss on the target only, from any Qwen2/Qwen3 checkpoint folder, saved in Hugging Face
// layout), the judges a trainer builds by name with a local verifier folder (NewJudge), and the
// GRPO reward over them (Reward). The micro reproduction's verifier trains through the same
// Examples/Train path with its own prompt format and character tokenizer.
package verifier

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/greason/greason/verify"
)

// Row is one labelled verification: the student's (extracted) answer to a question, the gold
// answer, whether the answer is correct, and optionally the rationale a verifier should write
// before its decision.
type Row struct {
	ID        string `json:"id,omitempty"`
	Question  string `json:"question"`
	Gold      string `json:"gold"`
	Answer    string `json:"answer"`
	Label     bool   `json:"label"`
	Rationale string `json:"rationale,omitempty"`
}

// metadataKeys are row fields that are accepted and not used.
var metadataKeys = map[string]bool{"id": true, "source": true, "domain": true, "answer_type": true, "label_source": true,
	"category": true, "difficulty": true}

// ReadRows reads a verifier JSONL file: one object per line with "question" (a string),
// "gold" (a non-empty string), "answer" (a string; null stands for a failed extraction and
// becomes "None", as Python formats it into the prompt), "label" (a boolean) and optionally
// "rationale" (a string or null) and metadata (id, source, domain, answer_type, label_source,
// category, difficulty). Any other field, a missing one, a wrong type, or a rationale that
// writes a decision itself is an error naming the file, the line and the field.
func ReadRows(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeRows(f, path)
}

// DecodeRows parses verifier JSONL rows from r (name is used in errors).
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
		row, err := decodeRow(b)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", name)
	}
	return rows, nil
}

func decodeRow(b []byte) (Row, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Row{}, fmt.Errorf("invalid JSON: %v", err)
	}
	var unknown []string
	for k := range raw {
		switch {
		case k == "question" || k == "gold" || k == "answer" || k == "label" || k == "rationale":
		case metadataKeys[k]:
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Row{}, fmt.Errorf("unknown field %q (a row has question, gold, answer, label, optional rationale, and metadata id, source, domain, answer_type, label_source, category, difficulty)", unknown[0])
	}
	var row Row
	str := func(key string, dst *string, nullAs *string) error {
		v, ok := raw[key]
		if !ok {
			return fmt.Errorf("missing field %q", key)
		}
		if string(v) == "null" {
			if nullAs == nil {
				return fmt.Errorf("field %q is null", key)
			}
			*dst = *nullAs
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("field %q: want a string", key)
		}
		return nil
	}
	none := verify.NoneAnswer
	if err := str("question", &row.Question, nil); err != nil {
		return row, err
	}
	if err := str("gold", &row.Gold, nil); err != nil {
		return row, err
	}
	if strings.TrimSpace(row.Gold) == "" {
		return row, fmt.Errorf("field \"gold\" is empty")
	}
	if err := str("answer", &row.Answer, &none); err != nil {
		return row, err
	}
	v, ok := raw["label"]
	if !ok {
		return row, fmt.Errorf("missing field \"label\"")
	}
	if err := json.Unmarshal(v, &row.Label); err != nil || string(v) == "null" {
		return row, fmt.Errorf("field \"label\": want true or false, got %s", v)
	}
	if v, ok := raw["rationale"]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &row.Rationale); err != nil {
			return row, fmt.Errorf("field \"rationale\": want a string")
		}
		if strings.Contains(row.Rationale, "Final Decision") {
			return row, fmt.Errorf("field \"rationale\" writes a decision itself (\"Final Decision\"); the target adds it from \"label\"")
		}
	}
	if v, ok := raw["id"]; ok && string(v) != "null" {
		if json.Unmarshal(v, &row.ID) != nil {
			row.ID = string(v) // ids may be numbers
		}
	}
	return row, nil
}
