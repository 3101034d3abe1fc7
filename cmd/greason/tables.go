package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/greason/greason/harness"
)

func init() {
	var results, out, published string
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "Regenerate the result tables (Markdown, CSV, LaTeX) and PNG figures: paper vs ours",
		Long: `Reads the paper's tables (vendored) and every run under RESULTS/runs, and writes, under OUT,
general, math, ablation and per-category tables with the paper's number beside ours and the
difference, in Markdown, CSV and LaTeX, plus PNG bar figures and an index README.md.
Runs scored on part of a benchmark (--limit) show n/N beside their number.

The published-generations table re-scores the output files that benchmark authors published
(DIR/reference.csv lists each file, its protocol and the reference accuracy of the authors'
code) and sets greason's accuracy beside the reference. DIR is --published, else
$GREASON_PUBLISHED_DIR, else benchmarks/data/published (the vendored files).
Needs no model and no network.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, runs, err := harness.BuildTables(results)
			if err != nil {
				return err
			}
			dir, explicit := harness.PublishedDir(published)
			if _, err := os.Stat(filepath.Join(dir, "reference.csv")); err != nil && !explicit {
				fmt.Fprintf(os.Stderr, "tables: no published generations at %s (not a checkout?): table skipped; use --published DIR\n", dir)
			} else {
				fmt.Fprintf(os.Stderr, "tables: scoring the published generations listed in %s/reference.csv\n", dir)
				res, err := harness.ScorePublished(cmd.Context(), dir)
				if err != nil {
					return err
				}
				ts = append(ts, harness.PublishedTable(res, dir))
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
	cmd.Flags().StringVar(&published, "published", "", "folder of published generation files with their reference.csv (default $GREASON_PUBLISHED_DIR, else "+harness.DefaultPublishedDir+")")
	rootCmd.AddCommand(cmd)
}
