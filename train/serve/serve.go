// Package serve is an OpenAI-compatible HTTP server for a qwen.Model: /v1/models,
// /v1/completions and /v1/chat/completions (chat template applied server-side). Requests that
// arrive within a short window are decoded together in one batch.
package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greason/greason/train/qwen"
	"github.com/greason/greason/train/tokenizer"
)

// Options configure a Server.
type Options struct {
	ModelName        string        // id in /v1/models; requests naming another model get 404 (default "greason")
	MaxBatch         int           // most samples decoded together (default 16)
	BatchWindow      time.Duration // how long the first request of a batch waits for others (default 10ms)
	DefaultMaxTokens int           // max_tokens when a request gives none (default 256)
	MaxN             int           // largest n per request (default 16)
	MaxBodyBytes     int64         // request body limit (default 4 MiB)
}

// Stats counts the batches run.
type Stats struct {
	Batches      int64 // Generate calls
	Requests     int64 // requests served (successful or not)
	MaxBatchReqs int64 // most requests in one batch
}

// Server implements http.Handler.
type Server struct {
	m     *qwen.Model
	tok   *tokenizer.Tokenizer
	opts  Options
	stop  []int
	jobs  chan *job
	mux   *http.ServeMux
	done  chan struct{}
	once  sync.Once
	stats struct{ batches, requests, maxReqs atomic.Int64 }
}

type job struct {
	req qwen.Request
	res chan jobResult
	ctx context.Context
}

type jobResult struct {
	samples []qwen.Sample
	err     error
}

// NewServer starts the batching loop; call Close to stop it.
func NewServer(m *qwen.Model, tok *tokenizer.Tokenizer, opts Options) (*Server, error) {
	if m == nil || tok == nil {
		return nil, errors.New("serve: model and tokenizer are required")
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("serve: tokenizer has %d tokens but the model's vocab_size is %d", tok.VocabSize(), m.Config.VocabSize)
	}
	if opts.ModelName == "" {
		opts.ModelName = "greason"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 16
	}
	if opts.BatchWindow <= 0 {
		opts.BatchWindow = 10 * time.Millisecond
	}
	if opts.DefaultMaxTokens <= 0 {
		opts.DefaultMaxTokens = 256
	}
	if opts.MaxN <= 0 {
		opts.MaxN = 16
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 4 << 20
	}
	s := &Server{m: m, tok: tok, opts: opts, stop: tok.EOSIDs(), jobs: make(chan *job, 256), mux: http.NewServeMux(), done: make(chan struct{})}
	s.mux.HandleFunc("/v1/models", s.handleModels)
	s.mux.HandleFunc("/v1/completions", s.handleCompletions)
	s.mux.HandleFunc("/v1/chat/completions", s.handleChat)
	go s.loop()
	return s, nil
}

// ServeHTTP routes requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the batching loop; pending requests fail.
func (s *Server) Close() { s.once.Do(func() { close(s.done) }) }

// Stats returns batching counters.
func (s *Server) Stats() Stats {
	return Stats{Batches: s.stats.batches.Load(), Requests: s.stats.requests.Load(), MaxBatchReqs: s.stats.maxReqs.Load()}
}

func samples(j *job) int { return max(j.req.N, 1) }

// loop collects jobs into batches and runs them.
func (s *Server) loop() {
	var pending *job
	for {
		first := pending
		pending = nil
		if first == nil {
			select {
			case <-s.done:
				return
			case first = <-s.jobs:
			}
		}
		batch := []*job{first}
		n := samples(first)
		timer := time.NewTimer(s.opts.BatchWindow)
	collect:
		for n < s.opts.MaxBatch {
			select {
			case j := <-s.jobs:
				if n+samples(j) > s.opts.MaxBatch {
					pending = j
					break collect
				}
				batch = append(batch, j)
				n += samples(j)
			case <-timer.C:
				break collect
			case <-s.done:
				timer.Stop()
				for _, j := range batch {
					j.res <- jobResult{err: errors.New("server closed")}
				}
				return
			}
		}
		timer.Stop()
		s.run(batch)
	}
}

func (s *Server) run(batch []*job) {
	var live []*job
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.res <- jobResult{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	reqs := make([]qwen.Request, len(live))
	for i, j := range live {
		reqs[i] = j.req
	}
	s.stats.batches.Add(1)
	if k := int64(len(live)); k > s.stats.maxReqs.Load() {
		s.stats.maxReqs.Store(k)
	}
	out, err := s.m.Generate(context.Background(), reqs, qwen.GenerateOptions{
		Decode:   func(ids []int) string { return s.tok.Decode(ids, true) },
		PadToken: s.pad(),
	})
	for i, j := range live {
		if err != nil {
			j.res <- jobResult{err: err}
		} else {
			j.res <- jobResult{samples: out[i]}
		}
	}
}

func (s *Server) pad() int {
	if len(s.stop) > 0 {
		return s.stop[0]
	}
	return 0
}

// apiError is an OpenAI-style error response.
type apiError struct {
	status  int
	message string
	param   string
}

func (e *apiError) Error() string { return e.message }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, message: fmt.Sprintf(format, args...), param: param}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, message: err.Error()}
	}
	typ := "invalid_request_error"
	if ae.status >= 500 {
		typ = "server_error"
	}
	var param any
	if ae.param != "" {
		param = ae.param
	}
	writeJSON(w, ae.status, map[string]any{"error": map[string]any{"message": ae.message, "type": typ, "param": param, "code": nil}})
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, message: "use GET /v1/models"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{
		"id": s.opts.ModelName, "object": "model", "created": 0, "owned_by": "greason",
		"max_model_len": s.m.Config.MaxPositionEmbeddings,
	}}})
}

// common holds the sampling fields shared by both endpoints.
type common struct {
	Model        string          `json:"model"`
	MaxTokens    *int            `json:"max_tokens"`
	MaxCompl     *int            `json:"max_completion_tokens"`
	Temperature  *float64        `json:"temperature"`
	TopP         *float64        `json:"top_p"`
	TopK         *int            `json:"top_k"`
	N            *int            `json:"n"`
	Seed         *int64          `json:"seed"`
	Stop         json.RawMessage `json:"stop"`
	StopTokenIDs []int           `json:"stop_token_ids"`
	Stream       bool            `json:"stream"`
}

func (s *Server) params(c *common, promptLen int) (qwen.SampleParams, int, error) {
	var p qwen.SampleParams
	if c.Model != "" && c.Model != s.opts.ModelName {
		return p, 0, &apiError{status: http.StatusNotFound, message: fmt.Sprintf("model %q not found (this server serves %q)", c.Model, s.opts.ModelName), param: "model"}
	}
	if c.Stream {
		return p, 0, badRequest("stream", "stream=true is not supported")
	}
	p.MaxNewTokens = s.opts.DefaultMaxTokens
	if c.MaxCompl != nil {
		p.MaxNewTokens = *c.MaxCompl
	}
	if c.MaxTokens != nil {
		p.MaxNewTokens = *c.MaxTokens
	}
	if p.MaxNewTokens <= 0 {
		return p, 0, badRequest("max_tokens", "max_tokens must be > 0, got %d", p.MaxNewTokens)
	}
	if limit := s.m.Config.MaxPositionEmbeddings; limit > 0 && promptLen+p.MaxNewTokens > limit {
		return p, 0, badRequest("max_tokens", "prompt (%d tokens) + max_tokens (%d) exceeds the context length %d", promptLen, p.MaxNewTokens, limit)
	}
	p.Temperature = 1
	if c.Temperature != nil {
		p.Temperature = *c.Temperature
	}
	if p.Temperature < 0 || p.Temperature > 100 {
		return p, 0, badRequest("temperature", "temperature must be in [0, 100], got %g", p.Temperature)
	}
	if c.TopP != nil {
		if *c.TopP <= 0 || *c.TopP > 1 {
			return p, 0, badRequest("top_p", "top_p must be in (0, 1], got %g", *c.TopP)
		}
		p.TopP = *c.TopP
	}
	if c.TopK != nil {
		if *c.TopK < -1 {
			return p, 0, badRequest("top_k", "top_k must be >= -1, got %d", *c.TopK)
		}
		p.TopK = max(*c.TopK, 0)
	}
	n := 1
	if c.N != nil {
		n = *c.N
	}
	if n < 1 || n > s.opts.MaxN {
		return p, 0, badRequest("n", "n must be in [1, %d], got %d", s.opts.MaxN, n)
	}
	if c.Seed != nil {
		p.Seed = uint64(*c.Seed)
	} else {
		p.Seed = rand.Uint64()
	}
	if len(c.Stop) > 0 && string(c.Stop) != "null" {
		var one string
		if err := json.Unmarshal(c.Stop, &one); err == nil {
			p.StopStrings = []string{one}
		} else if err := json.Unmarshal(c.Stop, &p.StopStrings); err != nil {
			return p, 0, badRequest("stop", "stop must be a string or a list of strings")
		}
		if len(p.StopStrings) > 4 {
			return p, 0, badRequest("stop", "at most 4 stop strings, got %d", len(p.StopStrings))
		}
	}
	for _, id := range c.StopTokenIDs {
		if id < 0 || id >= s.m.Config.VocabSize {
			return p, 0, badRequest("stop_token_ids", "token id %d outside the vocabulary", id)
		}
	}
	p.StopTokens = append(append([]int(nil), c.StopTokenIDs...), s.stop...)
	return p, n, nil
}

func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	if r.Method != http.MethodPost {
		return &apiError{status: http.StatusMethodNotAllowed, message: "use POST"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{status: http.StatusRequestEntityTooLarge, message: fmt.Sprintf("request body larger than %d bytes", s.opts.MaxBodyBytes)}
		}
		return badRequest("", "reading body: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("", "request body is not valid JSON: %v", err)
	}
	return nil
}

// generate submits one request and waits for its samples.
func (s *Server) generate(ctx context.Context, prompt []int, p qwen.SampleParams, n int) ([]qwen.Sample, error) {
	if len(prompt) == 0 {
		return nil, badRequest("prompt", "prompt is empty")
	}
	s.stats.requests.Add(1)
	j := &job{req: qwen.Request{Prompt: prompt, N: n, Params: p}, res: make(chan jobResult, 1), ctx: ctx}
	select {
	case s.jobs <- j:
	case <-s.done:
		return nil, errors.New("server closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-j.res:
		return r.samples, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func usage(prompt int, ss []qwen.Sample) map[string]int {
	c := 0
	for _, s := range ss {
		c += len(s.Tokens)
	}
	return map[string]int{"prompt_tokens": prompt, "completion_tokens": c, "total_tokens": prompt + c}
}

func newID(prefix string) string { return fmt.Sprintf("%s-%016x", prefix, rand.Uint64()) }

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req struct {
		common
		Prompt json.RawMessage `json:"prompt"`
	}
	if err := s.decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	var prompt string
	if err := json.Unmarshal(req.Prompt, &prompt); err != nil {
		var list []string
		if err2 := json.Unmarshal(req.Prompt, &list); err2 != nil || len(list) != 1 {
			writeError(w, badRequest("prompt", "prompt must be a string (or a list of one string)"))
			return
		}
		prompt = list[0]
	}
	if prompt == "" {
		writeError(w, badRequest("prompt", "prompt is empty"))
		return
	}
	s.complete(w, r, &req.common, s.tok.Encode(prompt), "cmpl", "text_completion", func(i int, x qwen.Sample) any {
		return map[string]any{"index": i, "text": x.Text, "finish_reason": x.FinishReason, "logprobs": nil}
	})
}

// complete validates the sampling fields, generates and writes the response; choice renders
// one sample in the endpoint's format.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, c *common, ids []int, idPrefix, object string, choice func(int, qwen.Sample) any) {
	p, n, err := s.params(c, len(ids))
	if err != nil {
		writeError(w, err)
		return
	}
	ss, err := s.generate(r.Context(), ids, p, n)
	if err != nil {
		writeError(w, err)
		return
	}
	choices := make([]any, len(ss))
	for i, x := range ss {
		choices[i] = choice(i, x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": newID(idPrefix), "object": object, "created": time.Now().Unix(),
		"model": s.opts.ModelName, "choices": choices, "usage": usage(len(ids), ss)})
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		common
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := s.decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Messages) == 0 {
		writeError(w, badRequest("messages", "messages must be a non-empty list"))
		return
	}
	msgs := make([]tokenizer.Message, len(req.Messages))
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		default:
			writeError(w, badRequest(fmt.Sprintf("messages[%d].role", i), "role %q is not supported (system, user, assistant)", m.Role))
			return
		}
		text, err := contentText(m.Content)
		if err != nil {
			writeError(w, badRequest(fmt.Sprintf("messages[%d].content", i), "%v", err))
			return
		}
		msgs[i] = tokenizer.Message{Role: m.Role, Content: text}
	}
	ids := s.tok.Encode(s.tok.ApplyChatTemplate(msgs, true))
	s.complete(w, r, &req.common, ids, "chatcmpl", "chat.completion", func(i int, x qwen.Sample) any {
		return map[string]any{"index": i, "message": map[string]string{"role": "assistant", "content": x.Text}, "finish_reason": x.FinishReason}
	})
}

// contentText accepts a string or a list of {"type":"text","text":...} parts.
func contentText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", errors.New("content must be a string or a list of text parts")
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", fmt.Errorf("content part type %q is not supported", p.Type)
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}

// LoadTokenizer returns the tokenizer for a model directory: path if given, else
// dir/tokenizer.json when present, else the embedded Qwen3 tokenizer. The second result says
// which one was used.
func LoadTokenizer(dir, path string) (*tokenizer.Tokenizer, string, error) {
	if path == "" {
		if p := filepath.Join(dir, "tokenizer.json"); fileExists(p) {
			path = p
		}
	}
	if path != "" {
		t, err := tokenizer.Load(path)
		return t, path, err
	}
	t, err := tokenizer.LoadQwen3()
	return t, "embedded Qwen3 tokenizer", err
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Open loads the model in dir (dtype "float32" or "bfloat16") on the $GOMLX_BACKEND backend
// with its tokenizer (see LoadTokenizer) and returns a running Server.
func Open(dir, dtype, tokenizerPath string, opts Options) (*Server, error) {
	dt, err := qwen.DTypeOf(dtype)
	if err != nil {
		return nil, err
	}
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	m, err := qwen.Load(dir, backend, dt)
	if err != nil {
		return nil, err
	}
	tok, _, err := LoadTokenizer(dir, tokenizerPath)
	if err != nil {
		return nil, err
	}
	return NewServer(m, tok, opts)
}
