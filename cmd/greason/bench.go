package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/greason/greason/benchmarks"
)

func init() {
	benchCmd := &cobra.Command{Use: "bench", Short: "Benchmarks of the paper"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the 12 benchmarks with their item counts and how they are run",
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tTITLE\tITEMS\tLOADED\tSAMPLES\tTEMP\tMETRIC\tPROTOCOLS")
			for _, b := range benchmarks.All() {
				s := b.Spec()
				loaded := "-"
				if items, err := b.Load(); err == nil {
					loaded = fmt.Sprint(len(items))
				} else {
					loaded = "missing"
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%d\t%g\t%s\t%v\n", s.Name, s.Title, s.Count, loaded, s.Samples, s.Temperature, s.Headline, s.Protocols)
			}
			w.Flush()
			if _, err := benchmarks.SuperGPQAPath(benchmarks.DataDir); err != nil {
				fmt.Fprintln(os.Stderr, "\nsupergpqa:", err)
			}
			return nil
		},
	}
	benchCmd.AddCommand(list)
	rootCmd.AddCommand(benchCmd)
}
