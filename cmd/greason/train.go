package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/greason/greason/train/job"
	"github.com/greason/greason/train/micro"
	"github.com/greason/greason/train/verifier"
)

// jobTask reads the "task" of a job file (a missing task is the micro policy's default).
func jobTask(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var head struct {
		Task string `json:"task"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return head.Task, nil
}

func init() {
	trainCmd := &cobra.Command{
		Use:   "train",
		Short: "Train policies with GRPO or SFT; run the micro reproduction of the paper's ablations",
	}
	var cfgPath, out string
	var seeds []uint
	microCmd := &cobra.Command{
		Use:   "micro [--config F] [--out DIR]",
		Short: "The CPU micro reproduction: warm-start SFT, then GRPO runs per seed; results under --out",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := micro.LoadConfig(cfgPath)
			if err != nil {
				return err
			}
			if len(seeds) > 0 {
				cfg.Seeds = nil
				for _, s := range seeds {
					cfg.Seeds = append(cfg.Seeds, uint64(s))
				}
			}
			sum, err := micro.Run(cmd.Context(), cfg, out, "greason "+strings.Join(os.Args[1:], " "), cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), micro.Report(sum))
			return nil
		},
	}
	microCmd.Flags().StringVar(&cfgPath, "config", "", "JSON config over the embedded default (train/micro/config.go)")
	microCmd.Flags().StringVar(&out, "out", "results/micro", "output directory")
	microCmd.Flags().UintSliceVar(&seeds, "seeds", nil, "override the config's seeds")
	var sftCfg, grpoCfg string
	sftCmd := &cobra.Command{
		Use:   "sft --config F",
		Short: "Supervised fine-tuning: a Qwen policy on exported data (job sft), a verifier (task verifier), or the micro generator's policy or verifier",
		Long: `sft runs the job of the config file by its "job" or "task":

  "job": "sft"    a Qwen2/Qwen3 checkpoint or preset on a ` + "`greason data export`" + ` folder or
                  WebInstruct-schema files (the GRPO job's prompts; teacher responses from
                  data.responses, else the boxed gold answer); OUT/model in Hugging Face layout
                  (configs/e2e-sft.json, docs/training.md "The paper's job")
  verifier        General-Verifier-style SFT from any Qwen2/Qwen3 checkpoint folder on a JSONL of
                  {question, gold, answer, label[, rationale]}: prompt = General-Verifier's, target =
                  the rationale then "Final Decision: Yes|No"; the model in Hugging Face layout under
                  OUT/model, which --verifier-model loads (configs/verifier-sft.json, docs/training.md)
  policy          the micro policy's warm start (configs/micro-sft.json)
  micro-verifier  the micro verifier (configs/micro-verifier-sft.json)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			task, err := jobTask(sftCfg)
			if err != nil {
				return err
			}
			if task == "verifier" {
				j, err := verifier.LoadJob(sftCfg)
				if err != nil {
					return err
				}
				_, err = verifier.Run(cmd.Context(), j, cmd.OutOrStdout())
				return err
			}
			raw, kind, err := readJobConfig(sftCfg)
			if err != nil {
				return err
			}
			switch kind {
			case job.KindSFT:
				c, err := job.ParseSFTConfig(sftCfg, raw)
				if err != nil {
					return err
				}
				sum, err := job.RunSFT(cmd.Context(), c, cmd.OutOrStdout())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "sft done: %d examples, final loss %.4f, model %s (%.0f s)\n", sum.Examples, sum.FinalLoss, sum.Model, sum.WallSeconds)
				return nil
			case "":
				j, err := micro.LoadSFTJob(sftCfg)
				if err != nil {
					return err
				}
				return micro.RunSFT(cmd.Context(), j, cmd.OutOrStdout())
			}
			return fmt.Errorf("%s: field job: %q (train sft runs \"sft\" jobs, or micro jobs without the key)", sftCfg, kind)
		},
	}
	sftCmd.Flags().StringVar(&sftCfg, "config", "", "JSON job (configs/e2e-sft.json, configs/verifier-sft.json, configs/micro-sft.json, configs/micro-verifier-sft.json)")
	_ = sftCmd.MarkFlagRequired("config")
	grpoCmd := &cobra.Command{
		Use:   "grpo --config F",
		Short: "GRPO: the paper's job on a Qwen policy (\"job\": \"grpo\"), or one run on the micro generator; resumes",
		Long: `GRPO. A config with "job": "grpo" is the paper's job: a Qwen2/Qwen3 checkpoint or preset trained on a
` + "`greason data export`" + ` folder or WebInstruct-schema files, prompts in the checkpoint's chat template,
the paper's reward with judge rules, general-verifier or cascade, validation on the test split,
verl's metric names in OUT/metrics.jsonl, Hugging Face checkpoints under OUT/checkpoints; run it again
to resume after a kill (docs/training.md, "The paper's job"; configs/qwen3-4b-base.json, e2e.json).
A config without "job" is one micro run (configs/micro-grpo.json).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, kind, err := readJobConfig(grpoCfg)
			if err != nil {
				return err
			}
			switch kind {
			case job.KindGRPO:
				c, err := job.ParseConfig(grpoCfg, raw)
				if err != nil {
					return err
				}
				judges, closeJudges, err := job.OpenJudges(c.Reward)
				defer closeJudges()
				if err != nil {
					return err
				}
				sum, err := job.Run(cmd.Context(), c, judges, cmd.OutOrStdout())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "grpo done: %d steps, last checkpoint %s (%.0f s)\n", sum.Steps, sum.LastCheckpoint, sum.WallSeconds)
				return nil
			case "":
				j, err := micro.LoadGRPOJob(grpoCfg)
				if err != nil {
					return err
				}
				return micro.RunGRPO(cmd.Context(), j, cmd.OutOrStdout())
			}
			return fmt.Errorf("%s: field job: %q (train grpo runs \"grpo\" jobs, or micro jobs without the key)", grpoCfg, kind)
		},
	}
	grpoCmd.Flags().StringVar(&grpoCfg, "config", "", "JSON job (configs/e2e.json, configs/qwen3-4b-base.json; micro: configs/micro-grpo.json)")
	_ = grpoCmd.MarkFlagRequired("config")
	trainCmd.AddCommand(microCmd, sftCmd, grpoCmd, newPlanCmd(), newE2ECmd())
	rootCmd.AddCommand(trainCmd)
}

// readJobConfig reads a training config and its "job" key ("" for a micro job).
func readJobConfig(path string) ([]byte, string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	kind, err := job.Kind(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return raw, kind, nil
}
