package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/greason/greason/harness"
	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/serve/reward"
	"github.com/greason/greason/verify"
)

func init() {
	var f struct {
		addr, tok, maxBody         string
		judge                      string
		verifierURL, verifierModel string
		judgeURL, judgeModel       string
		judgeRetries               int
		judgeTimeout, drain        time.Duration
		workers, maxRows           int
	}
	rewardCmd := &cobra.Command{
		Use:   "reward",
		Short: "greason's GRPO reward as a service for other trainers (verl): reward serve",
	}
	serveCmd := &cobra.Command{
		Use:   "serve [--judge rule] [--addr 127.0.0.1:8020]",
		Short: "Serve the paper's reward over HTTP, batched (POST /v1/reward, GET /health)",
		Long: `reward serve answers POST /v1/reward with the paper's GRPO reward for a batch of rows:

  {"rows": [{"question": Q, "gold": G, "response": R}, ...]}
  -> {"judge": "rule", "elapsed_ms": 1.2, "results": [{"reward": 1, "correct": true,
      "extracted": "42", "layer": "rule", "reason": "..."}, ...]}

The reward is verify.RewardFor's (protocol §2.2): the answer extracted from the response (last
\boxed{}, else the last "Final Answer:"-style line), judged by --judge; −0.5 when nothing was
extracted, 0 when the judge fails it, 1 − 0.05·min(10, |tokens(answer) − tokens(gold)|) when it
passes, tokens counted by --tokenizer. "extracted" is null when no answer was found. A row may
carry "id" (echoed), "data_source" (counted only) and verl's "extra_info" (its "question" is the
question when the row has no "question" member; null says there is none).

Errors are never answered as rewards: a malformed row refuses the whole batch (400, naming the
0-based row and the field), a body over --max-body or a batch over --max-rows is a 413, a judge
that fails (its endpoint down, after --judge-retries) is a 502 naming the judge, the endpoint and
the row. A client that disconnects stops its batch. SIGINT/SIGTERM drain requests in flight
(up to --drain), then exit. tools/verl/greason_reward.py is verl's client (docs/training.md).`,
		Example: `  greason reward serve                                  # rules, Qwen tokenizer, 127.0.0.1:8020
  greason reward serve --judge cascade --verifier-url http://gpu-node:8001/v1
  GREASON_REWARD_URL=http://127.0.0.1:8020 python3 -c 'import sys; sys.path.insert(0, "tools/verl"); \
    import greason_reward as g; print(g.compute_score("x", "so \\boxed{4}", "4", {"question": "2+2?"}))'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := harness.NewJudge(f.judge, harness.JudgeConfig{
				URL: f.judgeURL, Model: f.judgeModel, VerifierURL: f.verifierURL, VerifierModel: f.verifierModel,
			})
			if err != nil {
				return asUserError(err)
			}
			if f.judgeRetries < 0 {
				return asUserError(errors.New("--judge-retries must be >= 0"))
			}
			tuneJudgeClients(j, func(c *llm.Client) {
				c.MaxRetries = f.judgeRetries
				if f.judgeTimeout > 0 {
					c.Timeout = f.judgeTimeout
				}
			})
			count, tokName, err := rewardCounter(f.tok)
			if err != nil {
				return asUserError(err)
			}
			maxBody, err := parseByteSize(f.maxBody)
			if err != nil {
				return asUserError(fmt.Errorf("--max-body: %w", err))
			}
			var endpoint string
			switch {
			case f.verifierURL != "":
				endpoint = f.verifierURL + " (" + f.verifierModel + ")"
			case f.judgeURL != "":
				endpoint = f.judgeURL + " (" + f.judgeModel + ")"
			}
			workers := f.workers
			if workers <= 0 {
				workers = runtime.NumCPU()
				if endpoint != "" {
					workers = 64 // calls to a model endpoint wait on the network, not the cores
				}
			}
			srv, err := reward.New(reward.Options{Judge: j, Count: count, TokenizerName: tokName, JudgeEndpoint: endpoint,
				Workers: workers, MaxBodyBytes: maxBody, MaxRows: f.maxRows})
			if err != nil {
				return err
			}
			defer srv.Close()
			ln, err := net.Listen("tcp", f.addr)
			if err != nil {
				return err
			}
			o := srv.Options()
			fmt.Fprintf(cmd.ErrOrStderr(), "reward server: judge %s, tokenizer %s, %d workers, limits %d bytes / %d rows; listening on http://%s/v1/reward\n",
				j.Name(), tokName, o.Workers, o.MaxBodyBytes, o.MaxRows, ln.Addr())
			hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 5 * time.Minute}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-ctx.Done():
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "reward server: shutting down, draining requests in flight")
			sctx, cancel := context.WithTimeout(context.Background(), f.drain)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				hs.Close()
				return fmt.Errorf("shutdown: %w (requests still in flight after --drain %s were cut off)", err, f.drain)
			}
			st := srv.Stats()
			fmt.Fprintf(cmd.ErrOrStderr(), "reward server: stopped after %d requests, %d rows (%d rejected, %d failed, %d cancelled)\n",
				st.Requests, st.Rows, st.Rejected, st.Failed, st.Cancelled)
			return nil
		},
	}
	fl := serveCmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8020", "listen address (127.0.0.1:0 picks a free port; the address is printed on stderr)")
	fl.StringVar(&f.judge, "judge", "rule", "rule | exact | hendrycks | string | cascade | general-verifier | llm-judge (as greason verify)")
	fl.StringVar(&f.verifierURL, "verifier-url", "", "OpenAI-compatible base URL serving TIGER-Lab/general-verifier (completions)")
	fl.StringVar(&f.verifierModel, "verifier-model", "TIGER-Lab/general-verifier", "model name at --verifier-url")
	fl.StringVar(&f.judgeURL, "judge-url", "", "OpenAI-compatible base URL for the equality judge (chat)")
	fl.StringVar(&f.judgeModel, "judge-model", "gpt-4o", "model name at --judge-url")
	fl.IntVar(&f.judgeRetries, "judge-retries", 2, "retries of a failed call to the judge's endpoint before the batch fails with 502")
	fl.DurationVar(&f.judgeTimeout, "judge-timeout", 2*time.Minute, "time limit of one call to the judge's endpoint")
	fl.StringVar(&f.tok, "tokenizer", "qwen3", `length-penalty tokens: qwen3 (embedded; the Qwen2.5/Qwen3 vocabulary of the paper's verifier), a tokenizer.json or a model folder holding one, or "runes" (code points)`)
	fl.IntVar(&f.workers, "workers", 0, "rows scored at once over all requests (0: the CPU count for local judges, 64 for judges over a URL)")
	fl.StringVar(&f.maxBody, "max-body", "256MiB", "largest request body (413 beyond): bytes, or with a KiB/MiB/GiB suffix")
	fl.IntVar(&f.maxRows, "max-rows", reward.DefaultMaxRows, "most rows in one request (413 beyond)")
	fl.DurationVar(&f.drain, "drain", 2*time.Minute, "on SIGINT/SIGTERM, how long requests in flight may finish")
	rewardCmd.AddCommand(serveCmd)
	rootCmd.AddCommand(rewardCmd)
}

// tuneJudgeClients applies fn to the OpenAI-compatible clients of j's model layers (the
// General-Verifier, the equality judge, a cascade's model), if any.
func tuneJudgeClients(j verify.Judge, fn func(*llm.Client)) {
	switch v := j.(type) {
	case *verify.GeneralVerifier:
		if c, ok := v.Model.(*llm.Client); ok {
			fn(c)
		}
	case *verify.EqualityJudge:
		if c, ok := v.Model.(*llm.Client); ok {
			fn(c)
		}
	case *verify.Cascade:
		tuneJudgeClients(v.Model, fn)
	}
}

// rewardCounter returns the length penalty's token counter named by --tokenizer.
func rewardCounter(spec string) (verify.TokenCounter, string, error) {
	switch spec {
	case "qwen3", "qwen":
		t, err := tokenizer.LoadQwen3()
		if err != nil {
			return nil, "", err
		}
		return t.Count, "qwen3 (embedded)", nil
	case "runes":
		return verify.RuneCounter, "runes (Unicode code points, not the paper's tokens)", nil
	}
	path := spec
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "tokenizer.json")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("--tokenizer %q: not qwen3, runes, a tokenizer.json or a folder holding one: %w", spec, err)
	}
	t, err := tokenizer.Load(path)
	if err != nil {
		return nil, "", fmt.Errorf("--tokenizer %s: %w", path, err)
	}
	return t.Count, path, nil
}

// parseByteSize reads "1048576", "64KiB", "256MiB", "1GiB" (also KB/MB/GB as powers of 1000).
func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size (bytes, or with a KiB/MiB/GiB suffix)", s)
	}
	return n * mult, nil
}
