package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func errorBody(err error) (int, map[string]any) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, message: err.Error()}
	}
	typ := "invalid_request_error"
	switch {
	case ae.status == http.StatusNotFound:
		typ = "not_found_error"
	case ae.status >= 500:
		typ = "server_error"
	}
	var param any
	if ae.param != "" {
		param = ae.param
	}
	return ae.status, map[string]any{"error": map[string]any{"message": ae.message, "type": typ, "param": param, "code": ae.status}}
}

func writeError(w http.ResponseWriter, err error) {
	status, body := errorBody(err)
	writeJSON(w, status, body)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.done:
		writeError(w, &apiError{status: http.StatusServiceUnavailable, message: "server is shutting down"})
	default:
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) modelObject() map[string]any {
	return map[string]any{"id": s.opts.ModelName, "object": "model", "created": 0, "owned_by": "greason",
		"max_model_len": s.m.Config.MaxPositionEmbeddings}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, message: "use GET /v1/models"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{s.modelObject()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, message: "use GET /v1/models/ID"})
		return
	}
	if id := r.PathValue("id"); id != s.opts.ModelName {
		writeError(w, &apiError{status: http.StatusNotFound, message: fmt.Sprintf("model %q not found (this server serves %q)", id, s.opts.ModelName)})
		return
	}
	writeJSON(w, http.StatusOK, s.modelObject())
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	raw, err := s.decodeBody(w, r, &req, commonFields, completionFields)
	if err != nil {
		writeError(w, err)
		return
	}
	ids, err := s.promptIDs(req.Prompt)
	if err != nil {
		writeError(w, err)
		return
	}
	pl, err := s.check(&req.common, raw, ids)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.Logprobs != nil {
		if k := *req.Logprobs; k < 0 || k > s.opts.MaxLogprobs {
			writeError(w, badRequest("logprobs", "logprobs must be in [0, %d], got %d", s.opts.MaxLogprobs, k))
			return
		}
		pl.logprobs, pl.req.Logprobs, pl.req.TopLogprobs = true, true, *req.Logprobs
	}
	s.respond(w, r, pl, completionFormat{s})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	raw, err := s.decodeBody(w, r, &req, commonFields, chatFields)
	if err != nil {
		writeError(w, err)
		return
	}
	ids, err := s.chatPrompt(&req, raw)
	if err != nil {
		writeError(w, err)
		return
	}
	pl, err := s.check(&req.common, raw, ids)
	if err != nil {
		writeError(w, err)
		return
	}
	want := req.Logprobs != nil && *req.Logprobs
	if req.TopLogprobs != nil {
		if !want {
			writeError(w, badRequest("top_logprobs", "top_logprobs needs logprobs=true"))
			return
		}
		if k := *req.TopLogprobs; k < 0 || k > s.opts.MaxLogprobs {
			writeError(w, badRequest("top_logprobs", "top_logprobs must be in [0, %d], got %d", s.opts.MaxLogprobs, k))
			return
		}
		pl.req.TopLogprobs = *req.TopLogprobs
	}
	pl.logprobs, pl.req.Logprobs = want, want
	s.respond(w, r, pl, chatFormat{s})
}

// format renders one endpoint's responses.
type format interface {
	object() string      // "text_completion" or "chat.completion"
	chunkObject() string // object of streamed chunks
	idPrefix() string
	choice(i int, x qwen.Sample, logprobs bool) map[string]any
	// chunk is a streamed choice: the text delta, the logprobs of its tokens (nil when not
	// requested), the finish reason (nil while going on); offset is the completions text_offset.
	chunk(i int, delta string, lps []qwen.TokenLogprob, logprobs bool, finish any, offset *int) map[string]any
	opening(i int) map[string]any // the first streamed choice of each index, nil when none
}

type completionFormat struct{ s *Server }

func (completionFormat) object() string      { return "text_completion" }
func (completionFormat) chunkObject() string { return "text_completion" }
func (completionFormat) idPrefix() string    { return "cmpl" }
func (f completionFormat) choice(i int, x qwen.Sample, logprobs bool) map[string]any {
	var lp any
	if logprobs {
		off := 0
		lp = f.s.completionLogprobs(x.Logprobs, &off)
	}
	return map[string]any{"index": i, "text": x.Text, "logprobs": lp, "finish_reason": x.FinishReason}
}
func (f completionFormat) chunk(i int, delta string, lps []qwen.TokenLogprob, logprobs bool, finish any, offset *int) map[string]any {
	var lp any
	if logprobs {
		lp = f.s.completionLogprobs(lps, offset)
	}
	return map[string]any{"index": i, "text": delta, "logprobs": lp, "finish_reason": finish}
}
func (completionFormat) opening(int) map[string]any { return nil }

type chatFormat struct{ s *Server }

func (chatFormat) object() string      { return "chat.completion" }
func (chatFormat) chunkObject() string { return "chat.completion.chunk" }
func (chatFormat) idPrefix() string    { return "chatcmpl" }
func (f chatFormat) choice(i int, x qwen.Sample, logprobs bool) map[string]any {
	var lp any
	if logprobs {
		lp = f.s.chatLogprobs(x.Logprobs)
	}
	return map[string]any{"index": i, "message": map[string]any{"role": "assistant", "content": x.Text}, "logprobs": lp, "finish_reason": x.FinishReason}
}
func (f chatFormat) chunk(i int, delta string, lps []qwen.TokenLogprob, logprobs bool, finish any, _ *int) map[string]any {
	var lp any
	if logprobs {
		lp = f.s.chatLogprobs(lps)
	}
	d := map[string]any{}
	if delta != "" || finish == nil {
		d["content"] = delta
	}
	return map[string]any{"index": i, "delta": d, "logprobs": lp, "finish_reason": finish}
}
func (chatFormat) opening(i int) map[string]any {
	return map[string]any{"index": i, "delta": map[string]any{"role": "assistant", "content": ""}, "logprobs": nil, "finish_reason": nil}
}

// tokenText is a token's text on its own (a token holding part of a character gives U+FFFD).
func (s *Server) tokenText(id int) string { return s.tok.Decode([]int{id}, false) }

func (s *Server) tokenBytes(id int) []int {
	b := s.tok.TokenBytes(id)
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

// clampLogprob keeps logprobs JSON-encodable (vLLM clamps at -9999 too).
func clampLogprob(v float64) float64 {
	if math.IsNaN(v) || v < -9999 {
		return -9999
	}
	return v
}

// orderedProbs is a JSON object {token: logprob} in rank order.
type orderedProbs []struct {
	tok string
	lp  float64
}

func (o orderedProbs) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.tok)
		v, _ := json.Marshal(e.lp)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// completionLogprobs renders the legacy completions logprobs: tokens, token_logprobs,
// top_logprobs (the k most likely tokens, then the sampled one when not among them; a token
// text that repeats keeps its first entry) and text_offset (code points from the start of the
// completion, counting the token texts, as vLLM does).
func (s *Server) completionLogprobs(lps []qwen.TokenLogprob, offset *int) map[string]any {
	tokens := make([]string, len(lps))
	values := make([]float64, len(lps))
	top := make([]orderedProbs, len(lps))
	offs := make([]int, len(lps))
	for i, lp := range lps {
		t := s.tokenText(lp.Token)
		tokens[i], values[i], offs[i] = t, clampLogprob(lp.Logprob), *offset
		*offset += utf8.RuneCountInString(t)
		seen := map[string]bool{}
		add := func(tok string, v float64) {
			if !seen[tok] {
				seen[tok] = true
				top[i] = append(top[i], struct {
					tok string
					lp  float64
				}{tok, clampLogprob(v)})
			}
		}
		for _, tp := range lp.Top {
			add(s.tokenText(tp.Token), tp.Logprob)
		}
		add(t, lp.Logprob)
	}
	return map[string]any{"tokens": tokens, "token_logprobs": values, "top_logprobs": top, "text_offset": offs}
}

// chatLogprobs renders chat logprobs: {content: [{token, logprob, bytes, top_logprobs}]};
// bytes are the token's own bytes (part of a character for a token that splits one).
func (s *Server) chatLogprobs(lps []qwen.TokenLogprob) map[string]any {
	content := make([]map[string]any, len(lps))
	for i, lp := range lps {
		top := make([]map[string]any, len(lp.Top))
		for j, tp := range lp.Top {
			top[j] = map[string]any{"token": s.tokenText(tp.Token), "logprob": clampLogprob(tp.Logprob), "bytes": s.tokenBytes(tp.Token)}
		}
		content[i] = map[string]any{"token": s.tokenText(lp.Token), "logprob": clampLogprob(lp.Logprob), "bytes": s.tokenBytes(lp.Token), "top_logprobs": top}
	}
	return map[string]any{"content": content}
}

func usage(prompt, completion int) map[string]int {
	return map[string]int{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
}

func newID(prefix string) string { return fmt.Sprintf("%s-%016x", prefix, rand.Uint64()) }

// respond generates and answers, streaming when asked.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, pl *plan, f format) {
	if pl.stream {
		s.stream(w, r, pl, f)
		return
	}
	j, err := s.submit(r.Context(), pl.req)
	if err != nil {
		writeError(w, err)
		return
	}
	var res jobResult
	select {
	case res = <-j.res:
	case <-r.Context().Done():
		return // the client is gone; its samples stop at the next step
	}
	if res.err != nil {
		writeError(w, res.err)
		return
	}
	choices := make([]any, len(res.samples))
	completion := 0
	for i, x := range res.samples {
		choices[i] = f.choice(i, x, pl.logprobs)
		completion += len(x.Tokens)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": newID(f.idPrefix()), "object": f.object(), "created": time.Now().Unix(),
		"model": s.opts.ModelName, "choices": choices, "usage": usage(pl.promptTokens, completion)})
}

// stepQueue hands decoding steps from the batch loop to the request's handler without ever
// blocking the loop.
type stepQueue struct {
	mu     sync.Mutex
	steps  []qwen.Step
	notify chan struct{}
}

func (q *stepQueue) push(st qwen.Step) {
	q.mu.Lock()
	q.steps = append(q.steps, st)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

func (q *stepQueue) take() []qwen.Step {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.steps
	q.steps = nil
	return out
}

// choiceStream is the streaming state of one choice.
type choiceStream struct {
	dec    *tokenizer.StreamDecoder
	sent   strings.Builder // text sent so far
	held   string          // decoded text not sent yet (it may still turn into a stop string)
	tokens int
	offset int
	done   bool
}

// releasable is the part of held that can be sent: all but the last keep bytes (a stop
// string's length minus one), cut at a character boundary.
func releasable(held string, keep int) string {
	if keep <= 0 {
		return held
	}
	cut := len(held) - keep
	if cut <= 0 {
		return ""
	}
	for cut > 0 && !utf8.RuneStart(held[cut]) {
		cut--
	}
	return held[:cut]
}

func writeEvent(w http.ResponseWriter, fl http.Flusher, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
		return err
	}
	if fl != nil {
		fl.Flush()
	}
	return nil
}

// stream answers with server-sent events: one chunk per generated token (text held back while
// it may still become a stop string or is part of a character), the finish reason with the
// last text, the usage chunk (empty choices) when stream_options.include_usage, then [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, pl *plan, f format) {
	q := &stepQueue{notify: make(chan struct{}, 1)}
	pl.req.OnStep = q.push
	j, err := s.submit(r.Context(), pl.req)
	if err != nil {
		writeError(w, err)
		return
	}
	fl, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	id, created := newID(f.idPrefix()), time.Now().Unix()
	send := func(choices []any, use any) error {
		obj := map[string]any{"id": id, "object": f.chunkObject(), "created": created, "model": s.opts.ModelName, "choices": choices}
		if pl.includeUsage {
			obj["usage"] = use // null on every chunk but the last, as OpenAI does
		}
		return writeEvent(w, fl, obj)
	}
	fail := func(err error) {
		_, body := errorBody(err)
		writeEvent(w, fl, body)
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
	states := make([]*choiceStream, pl.req.N)
	for i := range states {
		states[i] = &choiceStream{dec: s.tok.NewStreamDecoder(true)}
		if o := f.opening(i); o != nil {
			if send([]any{o}, nil) != nil {
				return
			}
		}
	}
	handle := func(steps []qwen.Step) error {
		for _, st := range steps {
			c := states[st.Sample]
			if c.done {
				continue
			}
			var lps []qwen.TokenLogprob
			if st.Token >= 0 {
				c.tokens++
				c.held += c.dec.Add(st.Token)
				if st.Logprob != nil {
					lps = []qwen.TokenLogprob{*st.Logprob}
				}
			}
			var delta string
			var finish any
			switch st.Finish {
			case "cancelled":
				c.done = true
				continue
			case "":
				delta = releasable(c.held, pl.maxStopBytes-1)
				c.held = c.held[len(delta):]
				if delta == "" && lps == nil {
					continue
				}
			default:
				sent := c.sent.String()
				if !strings.HasPrefix(st.Text, sent) {
					return fmt.Errorf("serve: streamed text %q is not a prefix of the final text %q", sent, st.Text)
				}
				delta, finish, c.done = st.Text[len(sent):], st.Finish, true
			}
			c.sent.WriteString(delta)
			if err := send([]any{f.chunk(st.Sample, delta, lps, pl.logprobs, finish, &c.offset)}, nil); err != nil {
				return err
			}
		}
		return nil
	}
	var res jobResult
	for got := false; !got; {
		select {
		case <-q.notify:
			if err := handle(q.take()); err != nil {
				fail(err)
				return
			}
		case res = <-j.res:
			got = true
		case <-r.Context().Done():
			return // the client is gone; its samples stop at the next step
		}
	}
	if err := handle(q.take()); err != nil {
		fail(err)
		return
	}
	if res.err != nil {
		fail(res.err)
		return
	}
	if pl.includeUsage {
		completion := 0
		for _, c := range states {
			completion += c.tokens
		}
		if send([]any{}, usage(pl.promptTokens, completion)) != nil {
			return
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}
