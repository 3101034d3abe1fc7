package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/harness"
	"github.com/greason/greason/verify"
)

func init() {
	var (
		cfg        harness.EvalConfig
		endpoints  []string
		benchList  string
		temp, topP float64
		timeout    time.Duration
		local      localVerifierFlags
	)
	cmd := &cobra.Command{
		Use:   "eval --model NAME --endpoint URL [--endpoint URL...] [--bench a,b]",
		Short: "Run benchmarks against OpenAI-compatible servers (resumable)",
		Long: `Generates every sample of the selected benchmarks with the paper's prompts and sampling
settings, stores each sample as soon as it arrives in results/runs/<run>/samples.jsonl, then
scores them. A killed run restarts where it stopped: cached samples are never generated twice.

--endpoint may be given several times (vLLM replicas): work is spread over them, each with
its own concurrency (URL or URL,CONCURRENCY); an endpoint that keeps failing is dropped and its
items move to the others. The API key comes from GREASON_API_KEY or OPENAI_API_KEY.`,
		Example: `  greason eval --model Qwen/Qwen3-4B-Base --endpoint http://localhost:8000/v1 --bench gsm8k,math500
  greason eval --model m --endpoint http://a:8000/v1,32 --endpoint http://b:8000/v1,32 --bench all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, e := range endpoints {
				ep := harness.Endpoint{URL: e}
				if i := strings.LastIndex(e, ","); i > 0 {
					n, err := strconv.Atoi(e[i+1:])
					if err != nil || n <= 0 {
						return fmt.Errorf("--endpoint %q: concurrency after the comma must be a positive integer", e)
					}
					ep = harness.Endpoint{URL: e[:i], Concurrency: n}
				}
				if ep.Concurrency == 0 {
					ep.Concurrency, _ = cmd.Flags().GetInt("concurrency")
				}
				cfg.Endpoints = append(cfg.Endpoints, ep)
			}
			names, err := selectBenchmarks(benchList)
			if err != nil {
				return err
			}
			cfg.Benchmarks = names
			if cmd.Flags().Changed("temperature") {
				cfg.Temperature = &temp
			}
			if cmd.Flags().Changed("top-p") {
				cfg.TopP = &topP
			}
			cfg.Timeout = harness.Duration(timeout)
			cfg.VerifierMaxTokens = local.maxTokens
			// The judge is built before any request is sent; a local General-Verifier is loaded
			// once and shared with the run.
			_, lv, err := local.openJudge(cfg.Judge, verify.JudgeConfig{URL: cfg.JudgeURL, Model: cfg.JudgeModel,
				VerifierURL: cfg.VerifierURL, VerifierModel: cfg.VerifierModel})
			if err != nil {
				return err
			}
			opt := harness.Options{}
			if lv != nil {
				defer lv.Close()
				defer reportLocal(os.Stderr, lv)
				opt.VerifierCompleter = lv
				// as many concurrent verifications as a sampler run has rows, twice over
				cfg.JudgeWorkers = max(cfg.JudgeWorkers, 2*local.rows)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			rec, err := harness.Eval(ctx, cfg, opt)
			if rec != nil {
				fmt.Fprintf(os.Stderr, "run folder: %s\n", cfg.RunDir())
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Model, "model", "", "model name as the server knows it (required)")
	f.StringArrayVar(&endpoints, "endpoint", nil, "OpenAI-compatible base URL, e.g. http://localhost:8000/v1[,CONCURRENCY] (repeatable)")
	f.Int("concurrency", 16, "requests in flight per endpoint when the endpoint does not say")
	f.StringVar(&benchList, "bench", "all", "comma-separated benchmark names, or all, general, math")
	f.StringVar(&cfg.Run, "run", "", "run name (folder under results/runs); default derived from the model")
	f.StringVar(&cfg.ResultsDir, "results", "results", "results folder")
	f.StringVar(&cfg.Label, "label", "", "row name in the tables; use the paper's model name (e.g. General-Reasoner-4B) to compare with it")
	f.StringVar(&cfg.API, "api", "chat", "chat (server applies the chat template) or completions (raw prompt)")
	f.IntVar(&cfg.Samples, "samples", 0, "samples per item (default: each benchmark's own, 32 for AIME)")
	f.Float64Var(&temp, "temperature", 0, "sampling temperature (default: each benchmark's own)")
	f.Float64Var(&topP, "top-p", 1, "top-p")
	f.IntVar(&cfg.MaxTokens, "max-tokens", 0, "generation limit (default 8192, as the paper)")
	f.Uint64Var(&cfg.Seed, "seed", 0, "seed of request sampling and of the multiple-choice random fallback")
	f.IntVar(&cfg.Limit, "limit", 0, "only the first N items of each benchmark (0 = all)")
	f.StringVar(&cfg.Protocol, "protocol", "", "scoring protocol (default: paper)")
	f.StringVar(&cfg.Judge, "judge", "rule", "equivalence judge for math answers: "+strings.Join(harness.JudgeNames(), ", "))
	f.StringVar(&cfg.JudgeURL, "judge-url", "", "OpenAI-compatible base URL of the judge model (llm judges)")
	f.StringVar(&cfg.JudgeModel, "judge-model", "gpt-4o", "judge model name (llm judges)")
	f.StringVar(&cfg.VerifierURL, "verifier-url", "", "completions endpoint serving TIGER-Lab/general-verifier (judges general-verifier, cascade)")
	f.StringVar(&cfg.VerifierModel, "verifier-model", "TIGER-Lab/general-verifier", verifierModelHelp)
	local.add(f)
	f.DurationVar(&timeout, "timeout", 10*time.Minute, "per-request timeout")
	f.IntVar(&cfg.Retries, "retries", 6, "retries per request on 429/5xx/timeouts (exponential backoff)")
	f.IntVar(&cfg.MaxEndpointFailures, "max-endpoint-failures", 3, "consecutive failures before an endpoint is dropped")
	_ = cmd.MarkFlagRequired("model")
	_ = cmd.MarkFlagRequired("endpoint")
	rootCmd.AddCommand(cmd)
}

// selectBenchmarks expands "all", "general", "math" and comma lists, checking each name.
func selectBenchmarks(list string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(list, ",") {
		n = strings.TrimSpace(n)
		switch n {
		case "":
			continue
		case "all", "general", "math":
			for _, b := range benchmarks.All() {
				if n == "all" || b.Spec().Domain == n {
					out = append(out, b.Spec().Name)
				}
			}
		default:
			if _, err := benchmarks.Get(n); err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no benchmark selected")
	}
	return out, nil
}
