package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/greason/greason/harness"
)

func init() {
	var results, out string
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "Regenerate the result tables (Markdown, CSV, LaTeX) and PNG figures: paper vs ours",
		Long: `Reads the paper's tables (vendored) and every run under RESULTS/runs, and writes, under OUT,
general, math, ablation and per-category tables with the paper's number beside ours and the
difference, in Markdown, CSV and LaTeX, plus PNG bar figures and an index README.md.
Needs no model and no network.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, runs, err := harness.BuildTables(results)
			if err != nil {
				return err
			}
			files, err := harness.WriteTables(out, ts, runs)
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "tables: %d tables from %d run(s), %d files written under %s/\n", len(ts), len(runs), len(files), out)
			return nil
		},
	}
	cmd.Flags().StringVar(&results, "results", "results", "results folder (runs under results/runs)")
	cmd.Flags().StringVar(&out, "out", "tables", "output folder")
	rootCmd.AddCommand(cmd)
}
