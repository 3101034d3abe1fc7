// Package reward is greason's reward as an HTTP service, for trainers that run elsewhere (verl
// with Ray, FSDP and vLLM; see tools/verl/greason_reward.py): POST /v1/reward takes a batch of
// rows (question, gold, response) and answers, row for row, the paper's GRPO reward
// (verify.RewardFor: answer extraction, the judge, −0.5 / 0 / 1 − 0.05·min(10, |Δtokens|)), the
// verdict, the extracted answer and the judge's layer and reason. GET /health says whether the
// server takes work, with its judge, limits and counters.
//
// The server is a service other jobs depend on, so it never answers a reward it did not
// compute: a malformed row refuses the whole batch with a 400 naming the row and field, a body
// or batch over the limits is a 413, a judge that fails (an endpoint down) is a 502 naming the
// judge, its endpoint and the row, and nothing is ever answered as a 0 reward in their place.
// Rows are scored on a fixed pool of workers shared by all requests; a request whose client
// disconnects stops being scored at its next row.
//
// The package takes its judge and token counter from the caller (cmd/greason builds them with
// harness.NewJudge and model/tokenizer), so it depends on verify alone.
package reward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greason/greason/verify"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes = 256 << 20 // a verl step of 8192 responses of ~30 KB fits twice
	DefaultMaxRows      = 65536
)

// Options configure a Server.
type Options struct {
	Judge         verify.Judge        // required: the equivalence judge (rule, cascade, general-verifier, ...)
	Count         verify.TokenCounter // required: the length penalty's token counter (the paper: the verifier's tokenizer)
	TokenizerName string              // what Count counts with, reported by /health
	JudgeEndpoint string              // the judge's model endpoint(s), named in judge errors ("" for local judges)
	Workers       int                 // rows scored at once, all requests together (default runtime.NumCPU())
	MaxBodyBytes  int64               // larger request bodies get 413 (default DefaultMaxBodyBytes)
	MaxRows       int                 // larger batches get 413 (default DefaultMaxRows)
}

// Stats counts what the server has done since it started.
type Stats struct {
	Requests   int64   `json:"requests"`    // reward requests received
	Rows       int64   `json:"rows"`        // rows scored and answered
	Rejected   int64   `json:"rejected"`    // requests refused as malformed or too large (4xx)
	Failed     int64   `json:"failed"`      // requests that failed: judge errors, shutdown (5xx)
	Cancelled  int64   `json:"cancelled"`   // requests whose client went away before the answer
	InFlight   int64   `json:"in_flight"`   // requests being read or scored now
	Correct    int64   `json:"correct"`     // answered rows the judge passed
	NoAnswer   int64   `json:"no_answer"`   // answered rows without an extracted answer
	MeanReward float64 `json:"mean_reward"` // over the answered rows
}

// Server implements http.Handler. Close it after the http.Server has shut down.
type Server struct {
	opts  Options
	pool  *pool
	mux   *http.ServeMux
	done  chan struct{}
	once  sync.Once
	stats struct {
		requests, rows, rejected, failed, cancelled, inFlight, correct, noAnswer, sumMilli atomic.Int64
	}
}

// New returns a running Server.
func New(opts Options) (*Server, error) {
	if opts.Judge == nil {
		return nil, errors.New("reward server: no judge")
	}
	if opts.Count == nil {
		return nil, errors.New("reward server: no token counter for the length penalty")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	s := &Server{opts: opts, pool: newPool(opts.Workers), mux: http.NewServeMux(), done: make(chan struct{})}
	s.mux.HandleFunc("/health", s.handleHealth)
	s.mux.HandleFunc("/v1/reward", s.handleReward)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, typ: "not_found",
			message: fmt.Sprintf("no route %s %s (POST /v1/reward, GET /health)", r.Method, r.URL.Path)})
	})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Options returns the options in effect (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Close stops the workers. Requests still being scored fail with 503; call it after
// http.Server.Shutdown has drained them.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.pool.close()
	})
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests: s.stats.requests.Load(), Rows: s.stats.rows.Load(), Rejected: s.stats.rejected.Load(),
		Failed: s.stats.failed.Load(), Cancelled: s.stats.cancelled.Load(), InFlight: s.stats.inFlight.Load(),
		Correct: s.stats.correct.Load(), NoAnswer: s.stats.noAnswer.Load(),
	}
	if st.Rows > 0 {
		st.MeanReward = float64(s.stats.sumMilli.Load()) / 1000 / float64(st.Rows)
	}
	return st
}

// Result is the answer for one row.
type Result struct {
	Reward    float64
	Correct   bool
	Extracted string // the answer extraction found ("" with Found false: none)
	Found     bool
	Layer     string
	Reason    string
}

// Score computes the results of rows on the server's workers: the paper's reward with the
// server's judge and counter, in row order. It stops at ctx's end or at the first judge error,
// which it returns as a *JudgeError.
func (s *Server) Score(ctx context.Context, rows []Row) ([]Result, error) {
	out := make([]Result, len(rows))
	err := s.pool.run(ctx, len(rows), func(ctx context.Context, i int) error {
		r := &rows[i]
		ans, ok := verify.RewardAnswer(r.Response)
		sent := ans
		if !ok {
			sent = verify.NoneAnswer // as RewardFor: Python formats None into the verifier's prompt
		}
		v, err := s.opts.Judge.Judge(ctx, r.Question, r.Gold, sent)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &JudgeError{Judge: s.opts.Judge.Name(), Endpoint: s.opts.JudgeEndpoint, Row: i, Err: err}
		}
		out[i] = Result{
			Reward:  verify.Reward(ans, ok, v.Correct, r.Gold, s.opts.Count),
			Correct: v.Correct, Extracted: ans, Found: ok, Layer: v.Layer, Reason: v.Reason,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// JudgeError is a judge that failed on a row (its model endpoint down, a bad answer from it).
type JudgeError struct {
	Judge, Endpoint string
	Row             int
	Err             error
}

func (e *JudgeError) Error() string {
	at := ""
	if e.Endpoint != "" {
		at = " (endpoint " + e.Endpoint + ")"
	}
	return fmt.Sprintf("row %d: judge %s%s failed: %v", e.Row, e.Judge, at, e.Err)
}

func (e *JudgeError) Unwrap() error { return e.Err }

// errClosed is what requests get once Close has stopped the workers.
var errClosed = errors.New("reward server is shutting down")

func since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
