package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/greason/greason/verify"
)

var verifyFlags struct {
	gold, answer, question     string
	batch, out                 string
	judge                      string
	verifierURL, verifierModel string
	judgeURL, judgeModel       string
	workers                    int
	noExtract                  bool
	local                      localVerifierFlags
}

var verifyCmd = &cobra.Command{
	Use:   "verify",
	Short: "check answers against gold answers (rules, baselines, General-Verifier, LLM judge)",
	Long: `verify judges one answer (--gold G --answer A [--question Q]) or a JSONL batch
(--batch IN.jsonl --out OUT.jsonl with rows {id, question, gold, response}).

Judges (--judge): rule (default, the strong rule verifier), exact, hendrycks (is_equiv),
string (normalised string), general-verifier (the paper's model-based verifier), cascade (rules,
then the model on no/unknown), llm-judge (simple-evals' equality judge over chat, --judge-url).
General-Verifier is served (--verifier-url, a completions endpoint) or local: --verifier-model DIR
without --verifier-url runs a checkpoint folder in-process (greedy, the paper's prompt and limits;
--batch rows are decoded --verifier-batch at a time in shared sampler runs).
Responses may be whole chains of thought: the answer is extracted first (boxed, "Final
Answer", short responses whole, else the last line). With a "label" field the batch also
prints accuracy, precision, recall and F1, overall and per answer type.`,
	Args: cobra.NoArgs,
	RunE: runVerify,
}

func init() {
	f := verifyCmd.Flags()
	f.StringVar(&verifyFlags.gold, "gold", "", "gold answer")
	f.StringVar(&verifyFlags.answer, "answer", "", "answer or whole response to check")
	f.StringVar(&verifyFlags.question, "question", "", "question (multiple-choice options are read from it)")
	f.StringVar(&verifyFlags.batch, "batch", "", "input JSONL: {id, question, gold, response[, label, answer_type]}")
	f.StringVar(&verifyFlags.out, "out", "", "output JSONL (written atomically)")
	f.StringVar(&verifyFlags.judge, "judge", "rule", "rule | exact | hendrycks | string | cascade | general-verifier | llm-judge")
	f.StringVar(&verifyFlags.verifierURL, "verifier-url", "", "OpenAI-compatible base URL serving TIGER-Lab/general-verifier (completions)")
	f.StringVar(&verifyFlags.verifierModel, "verifier-model", "TIGER-Lab/general-verifier", verifierModelHelp)
	f.StringVar(&verifyFlags.judgeURL, "judge-url", "", "OpenAI-compatible base URL for the equality judge (chat)")
	f.StringVar(&verifyFlags.judgeModel, "judge-model", "gpt-4o", "model name at --judge-url")
	f.IntVar(&verifyFlags.workers, "workers", runtime.NumCPU(), "parallel workers for --batch")
	f.BoolVar(&verifyFlags.noExtract, "no-extract", false, "judge --answer as given (no answer extraction)")
	verifyFlags.local.add(f)
	rootCmd.AddCommand(verifyCmd)
}

func runVerify(cmd *cobra.Command, _ []string) error {
	j, local, err := verifyFlags.local.openJudge(verifyFlags.judge, verify.JudgeConfig{
		URL: verifyFlags.judgeURL, Model: verifyFlags.judgeModel,
		VerifierURL: verifyFlags.verifierURL, VerifierModel: verifyFlags.verifierModel,
	})
	if err != nil {
		return err
	}
	if local != nil {
		defer local.Close()
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	w := cmd.OutOrStdout()
	if verifyFlags.batch == "" {
		if !cmd.Flags().Changed("gold") || !cmd.Flags().Changed("answer") {
			return errors.New("need --gold and --answer, or --batch")
		}
		ans, how := verifyFlags.answer, "as given"
		if !verifyFlags.noExtract {
			ans, how = verify.ExtractForJudging(verifyFlags.answer)
		}
		v, err := j.Judge(ctx, verifyFlags.question, verifyFlags.gold, ans)
		if err != nil {
			return err
		}
		verdict := "incorrect"
		if v.Correct {
			verdict = "correct"
		}
		fmt.Fprintf(w, "verdict:   %s\nlayer:     %s\nreason:    %s\nextracted: %s (%s)\n", verdict, v.Layer, v.Reason, ans, how)
		reportLocal(w, local)
		return nil
	}
	if verifyFlags.out == "" {
		return errors.New("--batch needs --out")
	}
	rows, err := verify.ReadRows(verifyFlags.batch)
	if err != nil {
		return err
	}
	start := time.Now()
	outs, err := verify.RunBatch(ctx, j, rows, verifyFlags.workers)
	if err != nil {
		return err
	}
	el := time.Since(start)
	if err := verify.WriteJSONL(verifyFlags.out, outs); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d rows judged by %s in %s (%.0f rows/s), written to %s\n", len(outs), j.Name(), el.Round(time.Millisecond), float64(len(outs))/el.Seconds(), verifyFlags.out)
	reportLocal(w, local)
	overall, byType := verify.Score(outs)
	if overall.N > 0 {
		fmt.Fprint(w, verify.FormatMetrics(overall, byType))
	}
	return nil
}
