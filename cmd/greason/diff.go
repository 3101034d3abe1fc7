package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/greason/greason/harness"
)

func init() {
	var maxFlips int
	cmd := &cobra.Command{
		Use:   "diff RUN_A RUN_B",
		Short: "Per benchmark: score change and the items that flipped between two runs",
		Long:  "RUN_A and RUN_B are run folders (results/runs/<run>) or scores files (*.scores.jsonl).",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ds, err := harness.Diff(args[0], args[1])
			if err != nil {
				return err
			}
			harness.PrintDiff(os.Stdout, ds, maxFlips)
			return nil
		},
	}
	cmd.Flags().IntVar(&maxFlips, "max-flips", 20, "flipped items listed per direction and benchmark")
	rootCmd.AddCommand(cmd)
}
