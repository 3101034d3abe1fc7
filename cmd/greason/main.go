// Command greason is the General-Reasoner toolchain: benchmarks and evaluation runs, answer
// verification, the data pipeline, the Qwen model stack and the GRPO trainer.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "greason",
	Short: "General-Reasoner in Go: benchmarks, verifier, data pipeline, Qwen model and GRPO",
	Long: `greason reproduces the General-Reasoner pipeline (Ma et al., arXiv 2505.14652).

harness
  bench list            the 12 benchmarks and their item counts
  eval                  run benchmarks against OpenAI-compatible endpoints (resumable)
  score                 re-score a saved run or a foreign generations file, no model needed
  diff                  compare two runs: score changes and flipped items
  tables                regenerate the result tables and figures (paper vs ours)
verify
  verify                judge answers: rules, baselines, General-Verifier, LLM equality judge
data
  data                  DuckDB pipeline: pull, run (ingest ... export), stats, export, bench
  sql                   query the pipeline database and run results with SQL (DuckDB built in)
  tokenize | detokenize token ids and counts of JSONL rows or stdin lines (Qwen3 tokenizer)
model
  model init | pull     write a random Qwen2/Qwen3 checkpoint, or download one from the HF hub
  serve                 OpenAI-compatible server for a local model (GoMLX)
train
  train micro | sft | grpo   the micro reproduction, SFT and GRPO trainers
  reward serve          the paper's GRPO reward over HTTP, batched, for verl (tools/verl/greason_reward.py)`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "greason:", err)
		os.Exit(exitCode(err))
	}
}
