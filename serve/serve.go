// Package serve is an OpenAI-compatible HTTP server for a qwen.Model: /v1/models,
// /v1/completions and /v1/chat/completions (the checkpoint's own Jinja chat template, see
// model/chat, applied server-side), with
// server-sent-event streaming, n > 1, stop strings, seeds, logprobs and /health. Requests
// that arrive within a short window are decoded together in one batch; a request whose client
// disconnects stops being decoded at the next step.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greason/greason/model/chat"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
)

// Options configure a Server.
type Options struct {
	ModelName        string        // id in /v1/models; requests naming another model get 404 (default "greason")
	MaxBatch         int           // most samples decoded together (default 16)
	BatchWindow      time.Duration // how long the first request of a batch waits for others (default 10ms)
	DefaultMaxTokens int           // max_tokens when a request gives none (default 256, capped by the context)
	MaxN             int           // largest n per request (default 16)
	MaxLogprobs      int           // largest logprobs (completions) / top_logprobs (chat) (default 20)
	MaxBodyBytes     int64         // request body limit (default 4 MiB)
	// Chat renders /v1/chat/completions prompts: the checkpoint's own chat template
	// (chat.Load). Nil: chat requests are refused with a 400 saying so; completions still work.
	Chat *chat.Template
}

// Stats counts what the server has done.
type Stats struct {
	Batches      int64 // Generate calls
	Requests     int64 // requests submitted for generation (successful or not)
	MaxBatchReqs int64 // most requests in one batch
	Tokens       int64 // tokens generated, all requests
	Cancelled    int64 // samples stopped because their client went away
	Active       int64 // requests submitted and not yet finished
}

// Server implements http.Handler.
type Server struct {
	m       *qwen.Model
	tok     *tokenizer.Tokenizer
	opts    Options
	chatErr error // why there is no Options.Chat
	stop    []int
	jobs    chan *job
	mux     *http.ServeMux
	done    chan struct{}
	once    sync.Once
	stats   struct{ batches, requests, maxReqs, tokens, cancelled, active atomic.Int64 }
}

type job struct {
	req qwen.Request
	res chan jobResult
}

type jobResult struct {
	samples []qwen.Sample
	err     error
}

// NewServer starts the batching loop; call Close to stop it.
func NewServer(m *qwen.Model, tok *tokenizer.Tokenizer, opts Options) (*Server, error) {
	return newServer(m, tok, opts, errors.New("no chat template was given (serve.Options.Chat)"))
}

// ChatTemplate returns the template chat requests are rendered with, or why there is none.
func (s *Server) ChatTemplate() (*chat.Template, error) {
	if s.opts.Chat == nil {
		return nil, s.chatErr
	}
	return s.opts.Chat, nil
}

func newServer(m *qwen.Model, tok *tokenizer.Tokenizer, opts Options, chatErr error) (*Server, error) {
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
	if opts.MaxLogprobs <= 0 {
		opts.MaxLogprobs = 20
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 4 << 20
	}
	s := &Server{m: m, tok: tok, opts: opts, chatErr: chatErr, stop: tok.EOSIDs(), jobs: make(chan *job, 256), mux: http.NewServeMux(), done: make(chan struct{})}
	s.mux.HandleFunc("/health", s.handleHealth)
	s.mux.HandleFunc("/v1/models", s.handleModels)
	s.mux.HandleFunc("/v1/models/{id...}", s.handleModel)
	s.mux.HandleFunc("/v1/completions", s.handleCompletions)
	s.mux.HandleFunc("/v1/chat/completions", s.handleChat)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, message: fmt.Sprintf("no route %s %s (routes: /health, /v1/models, /v1/completions, /v1/chat/completions)", r.Method, r.URL.Path)})
	})
	go s.loop()
	return s, nil
}

// ServeHTTP routes requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close stops the batching loop; pending requests fail and /health answers 503.
func (s *Server) Close() { s.once.Do(func() { close(s.done) }) }

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{Batches: s.stats.batches.Load(), Requests: s.stats.requests.Load(), MaxBatchReqs: s.stats.maxReqs.Load(),
		Tokens: s.stats.tokens.Load(), Cancelled: s.stats.cancelled.Load(), Active: s.stats.active.Load()}
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
					s.finish(j, jobResult{err: errors.New("server closed")})
				}
				return
			}
		}
		timer.Stop()
		s.run(batch)
	}
}

func (s *Server) finish(j *job, r jobResult) {
	s.stats.active.Add(-1)
	j.res <- r
}

func (s *Server) run(batch []*job) {
	var live []*job
	for _, j := range batch {
		if err := j.req.Ctx.Err(); err != nil {
			s.stats.cancelled.Add(int64(samples(j)))
			s.finish(j, jobResult{err: err})
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
			s.finish(j, jobResult{err: err})
			continue
		}
		for _, x := range out[i] {
			s.stats.tokens.Add(int64(len(x.Tokens)))
			if x.FinishReason == "cancelled" {
				s.stats.cancelled.Add(1)
			}
		}
		s.finish(j, jobResult{samples: out[i]})
	}
}

func (s *Server) pad() int {
	if len(s.stop) > 0 {
		return s.stop[0]
	}
	return 0
}

// submit queues a request for the batching loop; its result arrives on the returned job's res.
func (s *Server) submit(ctx context.Context, req qwen.Request) (*job, error) {
	req.Ctx = ctx
	j := &job{req: req, res: make(chan jobResult, 1)}
	s.stats.requests.Add(1)
	s.stats.active.Add(1)
	select {
	case s.jobs <- j:
		return j, nil
	case <-s.done:
		s.stats.active.Add(-1)
		return nil, &apiError{status: http.StatusServiceUnavailable, message: "server is shutting down"}
	case <-ctx.Done():
		s.stats.active.Add(-1)
		return nil, ctx.Err()
	}
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

// ChatTemplateDir is the folder whose chat template (chat.Load) a server for model folder dir
// uses: the folder of tokenizerPath when one is given, else dir.
func ChatTemplateDir(dir, tokenizerPath string) string {
	if tokenizerPath != "" {
		return filepath.Dir(tokenizerPath)
	}
	return dir
}

// Open loads the model in dir (dtype "float32" or "bfloat16") on the $GOMLX_BACKEND backend
// with its tokenizer (see LoadTokenizer) and, unless opts.Chat is set, the chat template of
// ChatTemplateDir(dir, tokenizerPath), and returns a running Server. A folder without a chat
// template still serves completions; its chat requests are refused with chat.Load's error
// (see Server.ChatTemplate).
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
	var chatErr error
	if opts.Chat == nil {
		opts.Chat, chatErr = chat.Load(ChatTemplateDir(dir, tokenizerPath))
	}
	return newServer(m, tok, opts, chatErr)
}
