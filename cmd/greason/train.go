package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

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
		Short: "Supervised fine-tuning: a verifier from labelled JSONL (task verifier), or on the micro generator (policy, micro-verifier)",
		Long: `sft runs the job of the config file by its "task":

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
			j, err := micro.LoadSFTJob(sftCfg)
			if err != nil {
				return err
			}
			return micro.RunSFT(cmd.Context(), j, cmd.OutOrStdout())
		},
	}
	sftCmd.Flags().StringVar(&sftCfg, "config", "", "JSON job (configs/verifier-sft.json, configs/micro-sft.json, configs/micro-verifier-sft.json)")
	_ = sftCmd.MarkFlagRequired("config")
	grpoCmd := &cobra.Command{
		Use:   "grpo --config F",
		Short: "One GRPO run on the micro generator (resumes from OUT/checkpoint when present)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := micro.LoadGRPOJob(grpoCfg)
			if err != nil {
				return err
			}
			return micro.RunGRPO(cmd.Context(), j, cmd.OutOrStdout())
		},
	}
	grpoCmd.Flags().StringVar(&grpoCfg, "config", "", "JSON job (see configs/micro-grpo.json)")
	_ = grpoCmd.MarkFlagRequired("config")
	trainCmd.AddCommand(microCmd, sftCmd, grpoCmd, newPlanCmd())
	rootCmd.AddCommand(trainCmd)
}
