package reward

import (
	"bytes"
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"time"
)

// apiError is an error answer: {"error": {"type", "message", ...}}.
type apiError struct {
	status  int
	typ     string
	message string
	rows    []RowError  // invalid_row: the malformed rows
	judge   *JudgeError // judge_failed
}

func (e *apiError) Error() string { return e.message }

// handleReward answers POST /v1/reward.
func (s *Server) handleReward(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, typ: "method_not_allowed",
			message: "POST a JSON body {\"rows\": [...]} to /v1/reward"})
		return
	}
	s.stats.requests.Add(1)
	s.stats.inFlight.Add(1)
	defer s.stats.inFlight.Add(-1)
	select {
	case <-s.done:
		s.fail(w, &apiError{status: http.StatusServiceUnavailable, typ: "shutting_down", message: errClosed.Error()})
		return
	default:
	}
	body, aerr := s.readBody(r)
	if aerr != nil {
		s.reject(w, aerr)
		return
	}
	rows, rowErrs, err := DecodeRequest(body, s.opts.MaxRows)
	if err != nil {
		s.reject(w, &apiError{status: http.StatusRequestEntityTooLarge, typ: "too_many_rows", message: err.Error()})
		return
	}
	if len(rowErrs) > 0 {
		msg := rowErrs[0].Error()
		if len(rowErrs) > 1 {
			msg += fmt.Sprintf(" (and %d more malformed rows listed in \"rows\")", len(rowErrs)-1)
		}
		s.reject(w, &apiError{status: http.StatusBadRequest, typ: "invalid_row",
			message: msg + "; the whole batch was refused, no row was scored", rows: rowErrs})
		return
	}
	res, err := s.Score(r.Context(), rows)
	var je *JudgeError
	switch {
	case err == nil:
	case r.Context().Err() != nil:
		// the client went away: nobody to answer
		s.stats.cancelled.Add(1)
		return
	case errors.As(err, &je):
		s.fail(w, &apiError{status: http.StatusBadGateway, typ: "judge_failed",
			message: je.Error() + "; the whole batch failed, no reward was answered", judge: je})
		return
	case errors.Is(err, errClosed):
		s.fail(w, &apiError{status: http.StatusServiceUnavailable, typ: "shutting_down", message: err.Error()})
		return
	default:
		s.fail(w, &apiError{status: http.StatusInternalServerError, typ: "server_error", message: err.Error()})
		return
	}
	var correct, none, milli int64
	for i := range res {
		if res[i].Correct {
			correct++
		}
		if !res[i].Found {
			none++
		}
		milli += int64(math.Round(res[i].Reward * 1000))
	}
	s.stats.rows.Add(int64(len(res)))
	s.stats.correct.Add(correct)
	s.stats.noAnswer.Add(none)
	s.stats.sumMilli.Add(milli)
	out := appendResults(make([]byte, 0, 64+len(res)*160), s.opts.Judge.Name(), rows, res, since(start))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// drainCap bounds what the server reads of an oversized body before answering 413: a client
// that sends its whole body before reading the answer (Python's http.client) then gets the 413
// instead of a connection reset. Beyond it the connection is closed.
const drainCap = 1 << 30

// readBody reads the request body within MaxBodyBytes (413 beyond it).
func (s *Server) readBody(r *http.Request) ([]byte, *apiError) {
	limit := s.opts.MaxBodyBytes
	tooLarge := func() *apiError {
		io.Copy(io.Discard, io.LimitReader(r.Body, drainCap))
		return &apiError{status: http.StatusRequestEntityTooLarge, typ: "body_too_large",
			message: fmt.Sprintf("request body larger than the server's limit of %d bytes (--max-body): split the batch", limit)}
	}
	if r.ContentLength > limit {
		return nil, tooLarge()
	}
	n := int64(4096)
	if r.ContentLength > 0 {
		n = r.ContentLength + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1)); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, typ: "invalid_request", message: "reading the body: " + err.Error()}
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge()
	}
	return buf.Bytes(), nil
}

// reject answers a malformed request (4xx).
func (s *Server) reject(w http.ResponseWriter, e *apiError) {
	s.stats.rejected.Add(1)
	writeError(w, e)
}

// fail answers a request the server could not score (5xx).
func (s *Server) fail(w http.ResponseWriter, e *apiError) {
	s.stats.failed.Add(1)
	writeError(w, e)
}

func writeError(w http.ResponseWriter, e *apiError) {
	type rowErr struct {
		Row     *int   `json:"row"`
		Field   string `json:"field"`
		Message string `json:"message"`
	}
	body := map[string]any{"type": e.typ, "message": e.message, "code": e.status}
	if len(e.rows) > 0 {
		var rs []rowErr
		for _, r := range e.rows {
			x := rowErr{Field: r.Field, Message: r.Message}
			if r.Row >= 0 {
				x.Row = &r.Row
			}
			rs = append(rs, x)
		}
		body["rows"] = rs
		if e.rows[0].Row >= 0 {
			body["row"] = e.rows[0].Row
		}
		body["field"] = e.rows[0].Field
	}
	if e.judge != nil {
		body["judge"] = e.judge.Judge
		body["endpoint"] = e.judge.Endpoint
		body["row"] = e.judge.Row
	}
	out, err := jsonv2.Marshal(map[string]any{"error": body}, jsontext.AllowInvalidUTF8(true))
	if err != nil {
		out = []byte(`{"error":{"type":"server_error","message":"could not encode the error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	w.Write(append(out, '\n'))
}

// appendResults writes {"judge": ..., "elapsed_ms": ..., "results": [...]} by hand: the answer of
// a large batch is most of the server's output work.
func appendResults(b []byte, judge string, rows []Row, res []Result, ms float64) []byte {
	b = append(b, `{"judge":`...)
	b, _ = jsontext.AppendQuote(b, judge)
	b = append(b, `,"elapsed_ms":`...)
	b = strconv.AppendFloat(b, ms, 'f', 3, 64)
	b = append(b, `,"results":[`...)
	for i := range res {
		r := &res[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if len(rows[i].ID) > 0 {
			b = append(b, `"id":`...)
			b = append(b, rows[i].ID...)
			b = append(b, ',')
		}
		b = append(b, `"reward":`...)
		b = strconv.AppendFloat(b, r.Reward, 'g', -1, 64)
		b = append(b, `,"correct":`...)
		b = strconv.AppendBool(b, r.Correct)
		b = append(b, `,"extracted":`...)
		if r.Found {
			b, _ = jsontext.AppendQuote(b, r.Extracted)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"layer":`...)
		b, _ = jsontext.AppendQuote(b, r.Layer)
		b = append(b, `,"reason":`...)
		b, _ = jsontext.AppendQuote(b, r.Reason)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// handleHealth answers GET /health: 200 with the configuration and counters while the server
// takes work, 503 once it is shutting down.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	status, state := http.StatusOK, "ok"
	select {
	case <-s.done:
		status, state = http.StatusServiceUnavailable, "shutting_down"
	default:
	}
	body := map[string]any{
		"status": state, "judge": s.opts.Judge.Name(), "judge_endpoint": s.opts.JudgeEndpoint,
		"tokenizer": s.opts.TokenizerName, "workers": s.opts.Workers,
		"max_body_bytes": s.opts.MaxBodyBytes, "max_rows": s.opts.MaxRows, "stats": s.Stats(),
	}
	out, _ := jsonv2.Marshal(body, jsonv2.Deterministic(true))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(out, '\n'))
}
