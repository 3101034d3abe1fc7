package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/greason/greason/train/micro"
)

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
		Short: "Supervised fine-tuning on the micro generator: a policy warm start or the micro verifier",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := micro.LoadSFTJob(sftCfg)
			if err != nil {
				return err
			}
			return micro.RunSFT(cmd.Context(), j, cmd.OutOrStdout())
		},
	}
	sftCmd.Flags().StringVar(&sftCfg, "config", "", "JSON job (see configs/micro-sft.json)")
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
