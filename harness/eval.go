package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/llm"
	"github.com/greason/greason/verify"
)

// Endpoint is one OpenAI-compatible server (a vLLM replica, say) with its own concurrency.
type Endpoint struct {
	URL         string `json:"url"`
	Concurrency int    `json:"concurrency"`
}

// EvalConfig is everything that defines an evaluation run. It is stored in the run record.
type EvalConfig struct {
	Run         string     `json:"run"`             // run name: results/runs/<run>
	Label       string     `json:"label,omitempty"` // row name in the tables (a paper model name to compare with)
	ResultsDir  string     `json:"results_dir"`     // default "results"
	Model       string     `json:"model"`
	API         string     `json:"api"` // "chat" (server applies the chat template) or "completions"
	Endpoints   []Endpoint `json:"endpoints"`
	Benchmarks  []string   `json:"benchmarks"`
	Samples     int        `json:"samples,omitempty"`     // 0: each benchmark's own (32 for AIME)
	Temperature *float64   `json:"temperature,omitempty"` // nil: each benchmark's own
	TopP        *float64   `json:"top_p,omitempty"`
	MaxTokens   int        `json:"max_tokens,omitempty"` // 0: each benchmark's own (8192)
	Seed        uint64     `json:"seed"`                 // request seeds and the MC fallback
	Limit       int        `json:"limit,omitempty"`      // first N items per benchmark (0: all)
	Protocol    string     `json:"protocol,omitempty"`
	Judge       string     `json:"judge"`
	JudgeURL    string     `json:"judge_url,omitempty"`
	JudgeModel  string     `json:"judge_model,omitempty"`
	VerifierURL string     `json:"verifier_url,omitempty"`
	// VerifierModel is the General-Verifier model name at VerifierURL, or without a URL the
	// checkpoint folder of a local General-Verifier (Options.VerifierCompleter).
	VerifierModel string `json:"verifier_model,omitempty"`
	// VerifierMaxTokens bounds General-Verifier's output (0: 2048, the paper's setting).
	VerifierMaxTokens int      `json:"verifier_max_tokens,omitempty"`
	Timeout           Duration `json:"timeout"`
	Retries           int      `json:"retries"` // retries per request after the first attempt
	// MaxEndpointFailures: consecutive failed requests after which an endpoint is dropped and
	// its work moves to the others.
	MaxEndpointFailures int `json:"max_endpoint_failures"`
	JudgeWorkers        int `json:"judge_workers"`
}

// Duration marshals as a Go duration string.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Record is results/runs/<run>/record.json.
type Record struct {
	Config     EvalConfig                    `json:"config"`
	ConfigHash string                        `json:"config_hash"`
	GitCommit  string                        `json:"git_commit"`
	Started    time.Time                     `json:"started"`
	Finished   time.Time                     `json:"finished"`
	Benchmarks map[string]BenchRecord        `json:"benchmarks"`
	Metrics    map[string]benchmarks.Metrics `json:"metrics"`
}

// BenchRecord holds the per-benchmark sampling parameters and timings of a run.
type BenchRecord struct {
	Items       int      `json:"items"`              // items scored
	Total       int      `json:"total"`              // items in the benchmark (Items < Total: --limit)
	ItemIDs     []string `json:"item_ids,omitempty"` // the items scored, when not all of them
	Samples     int      `json:"samples"`
	Temperature float64  `json:"temperature"`
	TopP        float64  `json:"top_p"`
	MaxTokens   int      `json:"max_tokens"`
	System      string   `json:"system,omitempty"`
	Generated   int      `json:"generated"` // samples generated in this invocation
	FromCache   int      `json:"from_cache"`
	GenSeconds  float64  `json:"gen_seconds"`
	Protocol    string   `json:"protocol"`
	Judge       string   `json:"judge"`
}

func (c *EvalConfig) defaults() error {
	if c.ResultsDir == "" {
		c.ResultsDir = "results"
	}
	if c.API == "" {
		c.API = "chat"
	}
	if c.API != "chat" && c.API != "completions" {
		return fmt.Errorf("api must be chat or completions, not %q", c.API)
	}
	if c.Model == "" {
		return errors.New("a model name is required")
	}
	if len(c.Endpoints) == 0 {
		return errors.New("at least one endpoint is required")
	}
	for i := range c.Endpoints {
		if c.Endpoints[i].Concurrency <= 0 {
			c.Endpoints[i].Concurrency = 8
		}
		c.Endpoints[i].URL = strings.TrimRight(c.Endpoints[i].URL, "/")
	}
	if c.Run == "" {
		c.Run = strings.NewReplacer("/", "_", ":", "_", " ", "_").Replace(c.Model)
	}
	if c.Judge == "" {
		c.Judge = "rule"
	}
	if c.Timeout == 0 {
		c.Timeout = Duration(10 * time.Minute)
	}
	if c.MaxEndpointFailures == 0 {
		c.MaxEndpointFailures = 3
	}
	if c.JudgeWorkers == 0 {
		c.JudgeWorkers = 8
	}
	if len(c.Benchmarks) == 0 {
		return errors.New("no benchmarks selected")
	}
	return nil
}

func (c EvalConfig) judgeConfig() JudgeConfig {
	return JudgeConfig{URL: c.JudgeURL, Model: c.JudgeModel, VerifierURL: c.VerifierURL, VerifierModel: c.VerifierModel, VerifierMaxTokens: c.VerifierMaxTokens}
}

// RunDir is the folder of a run.
func (c EvalConfig) RunDir() string { return filepath.Join(c.ResultsDir, "runs", c.Run) }

// Options are knobs that do not change results.
type Options struct {
	Progress io.Writer // progress bars; nil = stderr
	Log      io.Writer // one-line messages; nil = stderr
	Backoff  time.Duration
	// VerifierCompleter is a local General-Verifier for the judges general-verifier and cascade
	// (the caller loads cfg.VerifierModel's checkpoint folder; harness does not load models).
	VerifierCompleter verify.Completer
}

type job struct {
	bench  string
	id     string
	sample int
	key    string
	msgs   []llm.Message
	prompt string
	params llm.Params
	tries  int
}

type endpointState struct {
	Endpoint
	client   *llm.Client
	failures atomic.Int32
	dead     atomic.Bool
}

// Eval generates every missing sample of the configured benchmarks (resuming from the run's
// cache), scores them and writes the run's files. Samples already in the cache are reused.
func Eval(ctx context.Context, cfg EvalConfig, opt Options) (*Record, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if opt.Progress == nil {
		opt.Progress = os.Stderr
	}
	if opt.Log == nil {
		opt.Log = os.Stderr
	}
	jc := cfg.judgeConfig()
	jc.VerifierCompleter = opt.VerifierCompleter
	judge, err := NewJudge(cfg.Judge, jc)
	if err != nil {
		return nil, err
	}
	dir := cfg.RunDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := LockRun(dir) // one writer per run: a second process fails here, naming the first
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if err := checkSameConfig(dir, cfg); err != nil {
		return nil, err
	}
	cache, err := OpenCache(filepath.Join(dir, "samples.jsonl"))
	if err != nil {
		return nil, err
	}
	defer cache.Close()

	rec := &Record{Config: cfg, ConfigHash: configHash(cfg), GitCommit: gitCommit(), Started: time.Now().UTC(),
		Benchmarks: map[string]BenchRecord{}, Metrics: map[string]benchmarks.Metrics{}}
	eps := make([]*endpointState, len(cfg.Endpoints))
	for i, e := range cfg.Endpoints {
		c := llm.New(e.URL, cfg.Model)
		c.Timeout, c.MaxRetries = time.Duration(cfg.Timeout), cfg.Retries
		if opt.Backoff > 0 {
			c.Backoff = opt.Backoff
		}
		eps[i] = &endpointState{Endpoint: e, client: c}
	}
	for _, name := range cfg.Benchmarks {
		b, err := benchmarks.Get(name)
		if err != nil {
			return nil, err
		}
		if err := evalOne(ctx, cfg, opt, b, cache, eps, judge, rec); err != nil {
			return rec, err
		}
		if err := WriteJSONAtomic(filepath.Join(dir, "record.json"), rec); err != nil {
			return rec, err
		}
	}
	rec.Finished = time.Now().UTC()
	return rec, WriteJSONAtomic(filepath.Join(dir, "record.json"), rec)
}

func evalOne(ctx context.Context, cfg EvalConfig, opt Options, b benchmarks.Benchmark, cache *Cache,
	eps []*endpointState, judge verify.Judge, rec *Record) error {
	spec := b.Spec()
	items, err := b.Load()
	if err != nil {
		return err
	}
	total := len(items)
	if cfg.Limit > 0 && cfg.Limit < len(items) {
		items = items[:cfg.Limit]
	}
	br := BenchRecord{Items: len(items), Total: total, Samples: spec.Samples, Temperature: spec.Temperature, TopP: 1,
		MaxTokens: spec.MaxTokens, System: spec.System, Protocol: cfg.Protocol, Judge: cfg.Judge}
	if cfg.Samples > 0 {
		br.Samples = cfg.Samples
	}
	if cfg.Temperature != nil {
		br.Temperature = *cfg.Temperature
	}
	if cfg.TopP != nil {
		br.TopP = *cfg.TopP
	}
	if cfg.MaxTokens > 0 {
		br.MaxTokens = cfg.MaxTokens
	}
	if br.Protocol == "" {
		br.Protocol = spec.Protocols[0]
	}
	if len(items) < total {
		for _, it := range items {
			br.ItemIDs = append(br.ItemIDs, it.ID)
		}
	}
	var todo []*job
	var all []*job
	for _, it := range items {
		for s := 0; s < br.Samples; s++ {
			j := &job{bench: spec.Name, id: it.ID, sample: s}
			j.params = llm.Params{Temperature: llm.F64(br.Temperature), TopP: llm.F64(br.TopP), MaxTokens: br.MaxTokens,
				Seed: llm.I64(int64(cfg.Seed) + int64(s))}
			var request any
			if cfg.API == "chat" {
				if spec.System != "" {
					j.msgs = append(j.msgs, llm.Message{Role: "system", Content: spec.System})
				}
				j.msgs = append(j.msgs, llm.Message{Role: "user", Content: it.Prompt})
				request = j.msgs
			} else {
				j.prompt = it.Prompt
				request = j.prompt
			}
			j.key = SampleKey(cfg.Model, cfg.API, request, j.params, s)
			all = append(all, j)
			if _, ok := cache.Get(j.key); !ok {
				todo = append(todo, j)
			}
		}
	}
	br.FromCache = len(all) - len(todo)
	start := time.Now()
	if len(todo) > 0 {
		if err := generate(ctx, cfg, opt, spec.Name, todo, cache, eps); err != nil {
			return err
		}
	}
	br.Generated = len(todo)
	br.GenSeconds = time.Since(start).Seconds()

	resps := make([]Response, len(all))
	for i, j := range all {
		s, _ := cache.Get(j.key)
		resps[i] = Response{ID: j.id, Sample: j.sample, Text: s.Response, Endpoint: s.Endpoint}
	}
	results, err := ScoreAll(ctx, b, items, resps, benchmarks.Scorer{Protocol: br.Protocol, Judge: judge, Seed: cfg.Seed}, cfg.JudgeWorkers)
	if err != nil {
		return err
	}
	rows := make([]ScoreRow, len(results))
	for i, r := range results {
		rows[i] = ScoreRow{Run: cfg.Run, Model: cfg.Model, Benchmark: spec.Name, Protocol: br.Protocol, Result: r}
	}
	dir := cfg.RunDir()
	if err := WriteJSONLAtomic(filepath.Join(dir, spec.Name+".scores.jsonl"), rows); err != nil {
		return err
	}
	m := benchmarks.Aggregate(spec, results)
	rec.Benchmarks[spec.Name] = br
	rec.Metrics[spec.Name] = m
	fmt.Fprintf(opt.Log, "%-14s %s %.2f (n=%d, no answer %.1f%%, %d generated, %d cached)\n",
		spec.Name, m.Headline, m.Score, m.N, m.NoAnswerRate, br.Generated, br.FromCache)
	return WriteJSONAtomic(filepath.Join(dir, spec.Name+".metrics.json"), m)
}

// generate runs the jobs over the endpoints. An endpoint whose requests keep failing (after
// the client's own retries) is dropped and its jobs go to the remaining endpoints.
func generate(ctx context.Context, cfg EvalConfig, opt Options, bench string, todo []*job, cache *Cache, eps []*endpointState) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	bar := progressbar.NewOptions(len(todo), progressbar.OptionSetDescription(bench),
		progressbar.OptionSetWriter(opt.Progress), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("samples"), progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(opt.Progress) }))
	queue := make(chan *job, len(todo))
	for _, j := range todo {
		queue <- j
	}
	var pending sync.WaitGroup
	pending.Add(len(todo))
	var alive atomic.Int32
	for _, e := range eps {
		if !e.dead.Load() {
			alive.Add(int32(e.Concurrency))
		}
	}
	if alive.Load() == 0 {
		return errors.New("no live endpoint left")
	}
	var workers sync.WaitGroup
	for _, e := range eps {
		if e.dead.Load() {
			continue
		}
		for w := 0; w < e.Concurrency; w++ {
			workers.Add(1)
			go func(e *endpointState) {
				defer workers.Done()
				defer func() {
					if alive.Add(-1) == 0 {
						cancel(errors.New("every endpoint failed; samples done so far are cached, rerun to resume"))
					}
				}()
				for {
					var j *job
					select {
					case <-ctx.Done():
						return
					case next, ok := <-queue:
						if !ok {
							return
						}
						j = next
					}
					if e.dead.Load() {
						queue <- j
						return
					}
					s, err := call(ctx, cfg.API, e, j)
					if err != nil && ctx.Err() == nil {
						var se *llm.StatusError
						if errors.As(err, &se) && !llm.Retryable(err) {
							// The request itself is bad (e.g. prompt too long): record it as an
							// empty response so it is scored as wrong and not retried forever.
							s = Sample{Key: j.key, Benchmark: j.bench, ID: j.id, Sample: j.sample, Endpoint: e.URL,
								FinishReason: "error: " + se.Error(), Time: time.Now().UTC()}
							err = nil
						} else {
							n := e.failures.Add(1)
							fmt.Fprintf(opt.Log, "\nendpoint %s: %v\n", e.URL, err)
							if int(n) >= cfg.MaxEndpointFailures && e.dead.CompareAndSwap(false, true) {
								fmt.Fprintf(opt.Log, "endpoint %s dropped after %d consecutive failures; its work moves to the others\n", e.URL, n)
							}
							queue <- j
							continue
						}
					}
					if err != nil {
						return
					}
					e.failures.Store(0)
					if perr := cache.Put(s); perr != nil {
						cancel(perr)
						return
					}
					bar.Add(1)
					pending.Done()
				}
			}(e)
		}
	}
	done := make(chan struct{})
	go func() { pending.Wait(); close(done) }()
	select {
	case <-done:
		close(queue)
		workers.Wait()
		return nil
	case <-ctx.Done():
		workers.Wait()
		return context.Cause(ctx)
	}
}

func call(ctx context.Context, api string, e *endpointState, j *job) (Sample, error) {
	var r llm.Response
	var err error
	if api == "chat" {
		r, err = e.client.Chat(ctx, j.msgs, j.params)
	} else {
		r, err = e.client.Complete(ctx, j.prompt, j.params)
	}
	if err != nil {
		return Sample{}, err
	}
	return Sample{Key: j.key, Benchmark: j.bench, ID: j.id, Sample: j.sample, Response: r.Text,
		FinishReason: r.FinishReason, PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens,
		Endpoint: e.URL, LatencyMS: r.Latency.Milliseconds(), Attempts: r.Attempts, Time: time.Now().UTC()}, nil
}

// configHash hashes what determines the samples and scores (not endpoints, concurrency or names).
func configHash(c EvalConfig) string {
	c.Endpoints, c.Run, c.ResultsDir, c.Timeout, c.Retries, c.MaxEndpointFailures, c.JudgeWorkers = nil, "", "", 0, 0, 0, 0
	b, _ := json.Marshal(c)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// checkSameConfig refuses to mix a run folder's samples with a different model or API.
func checkSameConfig(dir string, cfg EvalConfig) error {
	b, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil {
		return nil
	}
	var old Record
	if json.Unmarshal(b, &old) != nil {
		return nil
	}
	if old.Config.Model != cfg.Model || old.Config.API != cfg.API {
		return fmt.Errorf("run %q was made with model %q (api %s); use another --run name", cfg.Run, old.Config.Model, old.Config.API)
	}
	return nil
}

// gitCommit returns the commit the binary was built from (or the working tree's), "" if unknown.
func gitCommit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	for dir, _ := os.Getwd(); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		head, err := os.ReadFile(filepath.Join(dir, ".git", "HEAD"))
		if err != nil {
			continue
		}
		ref := strings.TrimSpace(string(head))
		if !strings.HasPrefix(ref, "ref: ") {
			return ref
		}
		if b, err := os.ReadFile(filepath.Join(dir, ".git", strings.TrimPrefix(ref, "ref: "))); err == nil {
			return strings.TrimSpace(string(b))
		}
		return ""
	}
	return ""
}
