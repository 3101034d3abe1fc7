package reward

import (
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Row is one row to score, as the handler decoded it.
type Row struct {
	ID       jsontext.Value // echoed in the result when the request gave one
	Question string         // the raw question ("" when the client sent null)
	Gold     string         // the gold answer (verl: reward_model.ground_truth)
	Response string         // the policy's decoded response (verl: solution_str)
	Source   string         // data_source (counted, not used to score)
}

// wireRow is a row as it travels. Pointers tell a missing field from an empty one.
type wireRow struct {
	ID         jsontext.Value `json:"id,omitzero"`
	Question   jsontext.Value `json:"question,omitzero"`
	Gold       *string        `json:"gold"`
	Response   *string        `json:"response"`
	DataSource *string        `json:"data_source"`
	ExtraInfo  jsontext.Value `json:"extra_info,omitzero"`
}

// wireExtraInfo is verl's extra_info: only its question is read (greason's export puts the raw
// question there, protocol §1.2); other members (index, split, level, ...) are allowed and ignored.
type wireExtraInfo struct {
	Question *string `json:"question"`
}

type wireRequest struct {
	Rows *[]wireRow `json:"rows"`
}

// fastEnabled lets tests compare decodeFast with the encoding/json/v2 path.
var fastEnabled = true

// rowFields lists a row's members for error messages.
const rowFields = "id, question, gold, response, data_source, extra_info"

// RowError is a malformed row (or request): Row is -1 for the request itself.
type RowError struct {
	Row     int
	Field   string
	Message string
}

func (e RowError) Error() string {
	if e.Row < 0 {
		if e.Field == "" {
			return e.Message
		}
		return fmt.Sprintf("field %q: %s", e.Field, e.Message)
	}
	if e.Field == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d: field %q: %s", e.Row, e.Field, e.Message)
}

// maxRowErrors bounds the row errors one answer lists.
const maxRowErrors = 20

// DecodeRequest parses a request body {"rows": [{question, gold, response[, id, data_source,
// extra_info]}, ...]}. A malformed body or row is a []RowError (the first JSON error, or every
// row that lacks a required field, up to maxRowErrors), with Row the 0-based row index.
// Rows above maxRows give errTooManyRows.
func DecodeRequest(body []byte, maxRows int) ([]Row, []RowError, error) {
	if fastEnabled {
		if rows, ok := decodeFast(body, maxRows); ok {
			return rows, nil, nil
		}
	}
	var req wireRequest
	err := jsonv2.Unmarshal(body, &req, jsonv2.RejectUnknownMembers(true), jsontext.AllowInvalidUTF8(true))
	if err != nil {
		return nil, []RowError{jsonError(err)}, nil
	}
	if req.Rows == nil {
		return nil, []RowError{{Row: -1, Field: "rows", Message: "missing (want {\"rows\": [{\"question\", \"gold\", \"response\"}, ...]})"}}, nil
	}
	wire := *req.Rows
	if len(wire) > maxRows {
		return nil, nil, &tooManyRowsError{n: len(wire), max: maxRows}
	}
	rows := make([]Row, len(wire))
	var errs []RowError
	add := func(i int, field, msg string) {
		if len(errs) < maxRowErrors {
			errs = append(errs, RowError{Row: i, Field: field, Message: msg})
		}
	}
	for i := range wire {
		w := &wire[i]
		r := &rows[i]
		r.ID = w.ID
		switch {
		case w.Gold == nil:
			add(i, "gold", "missing or null (want a string)")
		case w.Response == nil:
			add(i, "response", "missing or null (want a string)")
		}
		if w.Gold != nil {
			r.Gold = *w.Gold
		}
		if w.Response != nil {
			r.Response = *w.Response
		}
		if w.DataSource != nil {
			r.Source = *w.DataSource
		}
		if k := w.ID.Kind(); len(w.ID) > 0 && k != '"' && k != '0' {
			add(i, "id", "want a string or a number")
		}
		if k := w.ExtraInfo.Kind(); len(w.ExtraInfo) > 0 && k != '{' && k != 'n' {
			add(i, "extra_info", "want an object or null, got "+kindName(k))
		}
		switch q := w.Question; {
		case len(q) > 0 && q.Kind() == '"':
			if err := jsonv2.Unmarshal(q, &r.Question); err != nil {
				add(i, "question", err.Error())
			}
		case len(q) > 0 && q.Kind() == 'n':
			// an explicit null: no question (the rule judge then reads no options from it)
		case len(q) > 0:
			add(i, "question", "want a string or null")
		default:
			q, err := extraQuestion(w.ExtraInfo)
			switch {
			case err != nil:
				add(i, "extra_info.question", err.Error())
			case q == nil:
				add(i, "question", "missing (give the question, null for none, or extra_info.question)")
			default:
				r.Question = *q
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return rows, nil, nil
}

// extraQuestion reads extra_info's question: nil when extra_info is absent or null or has no
// question member.
func extraQuestion(v jsontext.Value) (*string, error) {
	if len(v) == 0 || v.Kind() == 'n' {
		return nil, nil
	}
	if v.Kind() != '{' {
		return nil, nil // reported by the caller
	}
	var x wireExtraInfo
	if err := jsonv2.Unmarshal(v, &x, jsontext.AllowInvalidUTF8(true)); err != nil {
		msg, _, _ := strings.Cut(jsonError(err).Message, " (")
		return nil, errors.New(msg)
	}
	return x.Question, nil
}

type tooManyRowsError struct{ n, max int }

func (e *tooManyRowsError) Error() string {
	return fmt.Sprintf("%d rows in one request, more than the server's limit of %d (--max-rows): split the batch", e.n, e.max)
}

// jsonError turns a JSON decoding error into a RowError naming the row and field it points at.
func jsonError(err error) RowError {
	var ptr jsontext.Pointer
	var off int64
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var se *jsonv2.SemanticError
	var sy *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		ptr, off = se.JSONPointer, se.ByteOffset
		switch {
		case errors.Is(err, jsonv2.ErrUnknownName):
			msg = "unknown field"
		case se.GoType != nil && se.JSONKind != 0:
			msg = fmt.Sprintf("want %s, got %s", goKind(se.GoType.String()), kindName(se.JSONKind))
		}
	case errors.As(err, &sy):
		ptr, off = sy.JSONPointer, sy.ByteOffset
		if sy.Err != nil {
			msg = strings.TrimPrefix(sy.Err.Error(), "jsontext: ")
		}
	}
	var toks []string
	for t := range ptr.Tokens() {
		toks = append(toks, t)
	}
	re := RowError{Row: -1, Message: fmt.Sprintf("%s (invalid request JSON at byte %d)", msg, off)}
	if len(toks) >= 1 {
		re.Field = toks[0]
	}
	if len(toks) >= 2 && toks[0] == "rows" {
		if i, aerr := strconv.Atoi(toks[1]); aerr == nil {
			re.Row, re.Field = i, strings.Join(toks[2:], ".")
			re.Message = fmt.Sprintf("%s (at byte %d)", msg, off)
		}
	}
	if errors.Is(err, jsonv2.ErrUnknownName) {
		if re.Row >= 0 && !strings.Contains(re.Field, ".") {
			re.Message = fmt.Sprintf("unknown field (a row has %s)", rowFields)
		} else if re.Row < 0 {
			re.Message = `unknown field (a request is {"rows": [...]})`
		}
	}
	return re
}

// goKind names what a Go type wants in JSON words.
func goKind(t string) string {
	switch strings.TrimPrefix(t, "*") {
	case "string":
		return "a string"
	case "[]reward.wireRow":
		return "an array of row objects"
	case "reward.wireRow":
		return "an object"
	case "reward.wireRequest":
		return `an object {"rows": [...]}`
	}
	return t
}

// kindName names a JSON kind.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return k.String()
}
