package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/train/e2e"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/job"
)

func newE2ECmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "The end-to-end chain's own steps (just e2e: scripts/e2e.sh): data, eval through a server, report",
	}
	dc := e2e.DefaultData()
	var dataOut string
	dataCmd := &cobra.Command{
		Use:   "data --out DIR",
		Short: "Write the micro generator's questions as WebInstruct-schema files (train.jsonl, test.jsonl), a noisy teacher's responses, and the oracle's meanings apart",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sum, err := e2e.WriteData(dataOut, dc)
			if err != nil {
				return err
			}
			if err := grpo.WriteJSON(filepath.Join(dataOut, e2e.DataSummary_), sum); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "e2e data in %s: %d training and %d held-out questions, %d teacher responses (%.1f%% right by the oracle)\n",
				dataOut, sum.Train, sum.HeldOut, sum.Teacher, 100*sum.TeacherCorrect)
			return nil
		},
	}
	f := dataCmd.Flags()
	f.StringVar(&dataOut, "out", "runs/e2e/data", "output folder")
	f.Uint64Var(&dc.Seed, "seed", dc.Seed, "the micro generator's data seed")
	f.IntVar(&dc.Train, "train", dc.Train, "training questions")
	f.IntVar(&dc.HeldOut, "held-out", dc.HeldOut, "held-out questions (the test split)")
	f.IntVar(&dc.Teacher, "teacher", dc.Teacher, "noisy teacher responses (SFT examples)")
	f.Float64Var(&dc.WrongProb, "wrong-prob", dc.WrongProb, "share of teacher responses with a wrong answer")
	f.Float64Var(&dc.NoBoxProb, "no-box-prob", dc.NoBoxProb, "share of teacher responses without \\boxed{}")

	var ec e2e.EvalConfig
	var dataDir, modelDir, evalOut, jobPath string
	evalCmd := &cobra.Command{
		Use:   "eval --url URL --data DIR --model-dir DIR --out FILE",
		Short: "Ask a served model the held-out questions (one request at a time) and judge the answers with the oracle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			qs, err := e2e.LoadQuestions(dataDir)
			if err != nil {
				return err
			}
			if jobPath != "" && !cmd.Flags().Changed("max-tokens") {
				c, err := job.LoadConfig(jobPath)
				if err != nil {
					return err
				}
				ec.MaxTokens = c.GRPO.MaxNewTokens
			}
			if modelDir != "" { // the prompts the policy was trained on, to check the server's
				tmpl, err := job.LoadTemplate(modelDir)
				if err != nil {
					return err
				}
				tok, err := tokenizer.Load(filepath.Join(modelDir, "tokenizer.json"))
				if err != nil {
					return err
				}
				ec.PromptTokens = map[string]int{}
				for _, q := range qs {
					text, err := tmpl.Prompt(q.Question)
					if err != nil {
						return err
					}
					ec.PromptTokens[q.ID] = len(tok.Encode(text))
				}
			}
			ev, err := e2e.Evaluate(cmd.Context(), ec, qs)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "held-out (oracle): avg@%d %.1f%%, greedy %.1f%%, boxed %.1f%%; by group math %.1f, physics %.1f, other %.1f (%d requests)\n",
				ec.Samples, ev.Accuracy, ev.Greedy, ev.Boxed, ev.ByGroup["math"], ev.ByGroup["physics"], ev.ByGroup["other"], ev.Requests)
			return grpo.WriteJSON(evalOut, ev)
		},
	}
	f = evalCmd.Flags()
	f.StringVar(&ec.URL, "url", "", "the server's base URL (http://HOST:PORT/v1)")
	f.StringVar(&ec.Model, "model", "", "the model id the server serves (greason serve --name)")
	f.IntVar(&ec.Samples, "samples", 4, "sampled answers per question (avg@k)")
	f.Float64Var(&ec.Temperature, "temperature", 1, "temperature of the samples")
	f.IntVar(&ec.MaxTokens, "max-tokens", 24, "max_tokens of every answer")
	f.Int64Var(&ec.Seed, "seed", 1, "question i is asked with seed SEED+i")
	f.StringVar(&dataDir, "data", "runs/e2e/data", "the e2e data folder (test.jsonl, oracle.jsonl)")
	f.StringVar(&modelDir, "model-dir", "", "the served checkpoint folder: its chat template and tokenizer give each prompt's trained token count, which the server's must equal")
	f.StringVar(&evalOut, "out", "", "write the evaluation (JSON) here")
	f.StringVar(&jobPath, "job", "", "the GRPO job config: its grpo.max_new_tokens is the default --max-tokens")
	_ = evalCmd.MarkFlagRequired("url")
	_ = evalCmd.MarkFlagRequired("out")

	var run, out string
	var configs []string
	reportCmd := &cobra.Command{
		Use:   "report --run DIR --out DIR",
		Short: "Collect the run's results (data, pipeline counts, SFT, GRPO, both evaluations) into results/e2e",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := e2e.Report(cmd.Context(), run, out, configs)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "e2e: held-out accuracy (oracle, avg@%d) warm start %.1f%% → after GRPO %.1f%% (%+.1f points); greedy %.1f%% → %.1f%%; written to %s\n",
				s.After.Config.Samples, s.Warm.Accuracy, s.After.Accuracy, s.Gain, s.Warm.Greedy, s.After.Greedy, out)
			return nil
		},
	}
	f = reportCmd.Flags()
	f.StringVar(&run, "run", "runs/e2e", "the run folder")
	f.StringVar(&out, "out", "results/e2e", "results folder")
	f.StringSliceVar(&configs, "configs", nil, "config files to record in the summary")
	cmd.AddCommand(dataCmd, evalCmd, reportCmd)
	return cmd
}
