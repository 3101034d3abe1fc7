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
	trainCmd.AddCommand(microCmd)
	rootCmd.AddCommand(trainCmd)
}
