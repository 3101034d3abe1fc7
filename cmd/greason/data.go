package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/greason/greason/benchmarks"
	gsql "github.com/greason/greason/sql"
)

var dataCmd = &cobra.Command{
	Use:   "data",
	Short: "Data pipeline: pull WebInstruct, run the DuckDB SQL stages, stats, export, scale bench",
	Long: `The data pipeline (sql/NN_*.sql, one DuckDB file):

  data pull [webinstruct]   download TIGER-Lab/WebInstruct-verified parquet (resumable, checksummed)
  data run                  run stages 0-9 on the benchmark corpus, synthetic rows or local files
  data stats                stage counts, duplicates, contamination, classifier accuracy, plots
  data export               write dataset.jsonl, dataset.parquet and verl_train.parquet
  data bench --rows N       N synthetic rows through all stages: time and peak memory
  data compare A B          do two databases (or export folders) hold the same rows?`,
}

var dataFlags struct {
	db, benchDir, export, plots, pullDir, endpoint string
	memoryLimit                                    string
	resolvedBenchDir                               string
	inputs, keepDifficulty                         []string
	from, to, rows                                 int
	seed                                           int64
	easyMath, contamOverlap                        float64
	quiet, exact                                   bool
}

func init() {
	rootCmd.AddCommand(dataCmd)
	pf := dataCmd.PersistentFlags()
	pf.StringVar(&dataFlags.db, "db", "data/greason.duckdb", "DuckDB database file")
	pf.StringVar(&dataFlags.benchDir, "bench-dir", "benchmarks/data", "folder of the vendored benchmark test sets (default outside a checkout: the binary's embedded copies, written to the user cache)")
	pf.BoolVarP(&dataFlags.quiet, "quiet", "q", false, "no progress output")
	pf.StringVar(&dataFlags.memoryLimit, "memory-limit", "", `DuckDB memory_limit, e.g. "4GB" (default: DuckDB's, 80% of RAM); DuckDB spills to disk beyond it`)

	run := &cobra.Command{
		Use:   "run [FILES...]",
		Short: "Run pipeline stages (default 0-9) on --input: corpus (default), synthetic:N, or parquet/jsonl files",
		Long: `Run pipeline stages (default 0-9). The input of stage 1 is --input: "corpus" (the vendored
benchmark test sets, default), "synthetic:N", or WebInstruct-schema files (.parquet, .jsonl, .jsonl.gz),
which may also be given as arguments: greason data run data/webinstruct/data/*.parquet`,
		PreRunE: resolveBenchDir,
		RunE:    dataRun,
	}
	run.Flags().StringSliceVar(&dataFlags.inputs, "input", []string{"corpus"}, "corpus | synthetic:N | files (.parquet, .jsonl, .jsonl.gz)")
	run.Flags().IntVar(&dataFlags.from, "from", 0, "first stage")
	run.Flags().IntVar(&dataFlags.to, "to", gsql.LastStage, "last stage")
	run.Flags().StringVar(&dataFlags.export, "export", "", "stage 9 writes its files here (default: tables only)")
	run.Flags().Int64Var(&dataFlags.seed, "seed", 42, "seed for rebalancing, MinHash permutations and the held-out split")
	run.Flags().Float64Var(&dataFlags.easyMath, "easy-math-share", 0.10, "stage 8: at most this share of easy mathematics rows")
	run.Flags().Float64Var(&dataFlags.contamOverlap, "contam-overlap", 0.5, "stage 5: share of a benchmark item's 13-grams that makes a row contaminated")
	run.Flags().StringSliceVar(&dataFlags.keepDifficulty, "keep-difficulty", nil, "stage 8: keep only these difficulty labels")

	stats := &cobra.Command{Use: "stats", Short: "Print the pipeline reports; --plots DIR writes the distribution PNGs", RunE: dataStats}
	stats.Flags().StringVar(&dataFlags.plots, "plots", "", "write domain.png, category.png, answer_format.png here")

	export := &cobra.Command{Use: "export", Short: "Write dataset.jsonl, dataset.parquet, verl_train.parquet", RunE: dataExport}
	export.Flags().StringVar(&dataFlags.export, "out", "data/export", "output folder")

	pull := &cobra.Command{
		Use:   "pull [webinstruct]",
		Short: "Download TIGER-Lab/WebInstruct-verified parquet files from the Hugging Face Hub",
		Args:  cobra.MaximumNArgs(1),
		RunE:  dataPull,
	}
	pull.Flags().StringVar(&dataFlags.pullDir, "dir", "data/webinstruct", "destination folder")
	pull.Flags().StringVar(&dataFlags.endpoint, "endpoint", "", "Hub endpoint (default $HF_ENDPOINT or https://huggingface.co)")

	bench := &cobra.Command{Use: "bench", Short: "Scale benchmark: --rows synthetic rows through stages 1-9", PreRunE: resolveBenchDir, RunE: dataBench,
		Long: `bench generates --rows synthetic rows and times stages 1-9 on them (wall and CPU time per stage,
peak RSS). The database is temporary unless --db names one: it is kept, and a later bench with
the same --rows and --db uses its rows again instead of generating them (the generator holds
its base rows in memory: several GiB at ten million rows).`}
	bench.Flags().IntVar(&dataFlags.rows, "rows", 1000000, "synthetic rows")
	bench.Flags().StringVar(&dataFlags.export, "export", "", "also write the export files here")

	compare := &cobra.Command{
		Use:   "compare A B",
		Short: "Do two runs hold the same rows? A and B: pipeline databases, or export folders",
		Long: `compare reads every table and view of two pipeline databases (or the export files of two
folders) and compares them as multisets of rows: the order rows were stored in and the wall-clock
columns of stage_runs do not count. It prints one line per relation and exits with status 1 when
any differs (a few differing rows are shown). By default a relation whose row count and sum of
64-bit row hashes agree is taken as the same, and only the others are compared row by row;
--exact compares every relation row by row (EXCEPT ALL both ways: minutes and several GiB at a
million rows).`,
		Args: cobra.ExactArgs(2),
		RunE: dataCompare,
	}
	compare.Flags().BoolVar(&dataFlags.exact, "exact", false, "compare every relation row by row")

	dataCmd.AddCommand(run, stats, export, pull, bench, compare)
}

// benchDir is --bench-dir; when it is left at its default and the working directory is not a
// checkout (no benchmarks/data here), the binary's embedded copies are written to the user cache
// (once) and read from there.
func benchDir(changed bool) (string, error) {
	if changed {
		return dataFlags.benchDir, nil
	}
	if st, err := os.Stat(dataFlags.benchDir); err == nil && st.IsDir() {
		return dataFlags.benchDir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("--bench-dir %s not found and no cache directory for the embedded copies: %w", dataFlags.benchDir, err)
	}
	dir := filepath.Join(cache, "greason", "benchmarks-data")
	if err := benchmarks.WriteVendored(dir); err != nil {
		return "", fmt.Errorf("writing the embedded benchmark sets to %s: %w", dir, err)
	}
	return dir, nil
}

// resolveBenchDir is the PreRunE of the commands that run stage 0 (run, bench): only they read
// the benchmark sets.
func resolveBenchDir(cmd *cobra.Command, _ []string) error {
	d, err := benchDir(cmd.Flags().Changed("bench-dir"))
	dataFlags.resolvedBenchDir = d
	return err
}

func dataOptions() gsql.Options {
	opt := gsql.DefaultOptions()
	opt.BenchDir = dataFlags.benchDir
	if dataFlags.resolvedBenchDir != "" {
		opt.BenchDir = dataFlags.resolvedBenchDir
	}
	opt.ExportDir = dataFlags.export
	if dataFlags.seed != 0 {
		opt.Seed = dataFlags.seed
	}
	if dataFlags.easyMath != 0 {
		opt.EasyMathShare = dataFlags.easyMath
	}
	if dataFlags.contamOverlap != 0 {
		opt.ContamMinOverlap = dataFlags.contamOverlap
	}
	opt.KeepDifficulties = dataFlags.keepDifficulty
	opt.MemoryLimit = dataFlags.memoryLimit
	if !dataFlags.quiet {
		opt.Progress = os.Stderr
	}
	return opt
}

func dataRun(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	if len(args) > 0 { // files as arguments: they are the input (with any --input files)
		if !cmd.Flags().Changed("input") {
			dataFlags.inputs = nil
		}
		dataFlags.inputs = append(dataFlags.inputs, args...)
	}
	p, err := gsql.Open(ctx, dataFlags.db, dataOptions())
	if err != nil {
		return err
	}
	defer p.Close()
	from, to := dataFlags.from, dataFlags.to
	if from < 0 || to > gsql.LastStage || from > to {
		return fmt.Errorf("--from %d --to %d: stages are 0..%d", from, to, gsql.LastStage)
	}
	if from == 0 {
		if err := p.Run(ctx, 0, 0); err != nil {
			return err
		}
		from = 1
	}
	if from == 1 && to >= 1 {
		if err := setInput(ctx, p, dataFlags.inputs); err != nil {
			return err
		}
	}
	if to >= from {
		if err := p.Run(ctx, from, to); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "database: %s\n", dataFlags.db)
	return p.PrintQuery(ctx, cmd.OutOrStdout(), `SELECT stage, name, rows_in, rows_out, dropped, round(seconds, 2) AS seconds FROM stage_runs ORDER BY stage`)
}

func setInput(ctx context.Context, p *gsql.Pipeline, inputs []string) error {
	switch {
	case len(inputs) == 1 && inputs[0] == "corpus":
		return p.UseCorpus(ctx)
	case len(inputs) == 1 && strings.HasPrefix(inputs[0], "synthetic:"):
		n, err := strconv.Atoi(strings.TrimPrefix(inputs[0], "synthetic:"))
		if err != nil || n <= 0 {
			return fmt.Errorf("--input %s: want synthetic:N with N > 0", inputs[0])
		}
		if err := p.GenerateSynthetic(ctx, gsql.DefaultSynth(n)); err != nil {
			return err
		}
		return p.UseSynthetic(ctx)
	default:
		return p.UseFiles(ctx, inputs)
	}
}

// openExisting opens the --db that `greason data run` built (stats and export need its tables).
func openExisting(ctx context.Context) (*gsql.Pipeline, error) {
	if _, err := os.Stat(dataFlags.db); err != nil {
		return nil, fmt.Errorf("%s: %w (run `greason data run` first)", dataFlags.db, err)
	}
	return gsql.Open(ctx, dataFlags.db, dataOptions())
}

func dataStats(cmd *cobra.Command, _ []string) error {
	p, err := openExisting(cmd.Context())
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Stats(cmd.Context(), cmd.OutOrStdout()); err != nil {
		return err
	}
	if dataFlags.plots != "" {
		files, err := p.WritePlots(cmd.Context(), dataFlags.plots)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), "\nplots:", strings.Join(files, " "))
	}
	return nil
}

func dataCompare(cmd *cobra.Command, args []string) error {
	diffs, err := gsql.Compare(cmd.Context(), args[0], args[1], cmd.OutOrStdout(), dataFlags.exact)
	if err != nil {
		return err
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%d relations differ between %s and %s", len(diffs), args[0], args[1])
	}
	fmt.Fprintf(cmd.OutOrStdout(), "identical: every relation holds the same rows\n")
	return nil
}

func dataExport(cmd *cobra.Command, _ []string) error {
	p, err := openExisting(cmd.Context())
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Export(cmd.Context(), dataFlags.export)
}

func dataPull(cmd *cobra.Command, args []string) error {
	if len(args) == 1 && args[0] != "webinstruct" {
		return fmt.Errorf("unknown dataset %q (only webinstruct)", args[0])
	}
	opt := gsql.PullOptions{Endpoint: dataFlags.endpoint, Dir: dataFlags.pullDir}
	if !dataFlags.quiet {
		opt.Progress = os.Stderr
	}
	paths, err := gsql.Pull(cmd.Context(), opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "pulled %d files into %s; next: greason data run --input %s\n",
		len(paths), dataFlags.pullDir, strings.Join(paths, ","))
	return nil
}

// peakRSS is the process's peak resident set (VmHWM), DuckDB's native memory included.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				return fmt.Sprintf("%.2f GiB", kb/(1<<20))
			}
		}
	}
	return "unknown"
}

func dataBench(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	db := dataFlags.db
	if !cmd.Flags().Changed("db") { // a temporary database unless --db names one (kept)
		dir, err := os.MkdirTemp("", "greason-data-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		db = filepath.Join(dir, "bench.duckdb")
	}
	opt := dataOptions()
	opt.ExportDir = dataFlags.export
	p, err := gsql.Open(ctx, db, opt)
	if err != nil {
		return err
	}
	defer p.Close()
	out := cmd.OutOrStdout()
	t0 := time.Now()
	if err := p.Run(ctx, 0, 0); err != nil {
		return err
	}
	t1 := time.Now()
	cfg := gsql.DefaultSynth(dataFlags.rows)
	reused, err := p.HasSynthetic(ctx, cfg)
	if err != nil {
		return err
	}
	if !reused {
		if err := p.GenerateSynthetic(ctx, cfg); err != nil {
			return err
		}
	}
	if err := p.UseSynthetic(ctx); err != nil {
		return err
	}
	t2 := time.Now()
	if err := p.Run(ctx, 1, gsql.LastStage); err != nil {
		return err
	}
	t3 := time.Now()
	fmt.Fprintf(out, "rows %d, GOMAXPROCS %d, %s\n", dataFlags.rows, runtime.GOMAXPROCS(0), runtime.Version())
	cpu := 0.0
	var vals []string
	for s := 1; s <= gsql.LastStage; s++ {
		cpu += p.StageCPU[s]
		vals = append(vals, fmt.Sprintf("(%d, %.2f)", s, p.StageCPU[s]))
	}
	if err := p.PrintQuery(ctx, out, `SELECT stage, name, rows_in, rows_out, dropped, round(seconds, 2) AS seconds, c.cpu AS cpu_seconds
		FROM stage_runs LEFT JOIN (VALUES `+strings.Join(vals, ", ")+`) c(stage, cpu) USING (stage) ORDER BY stage`); err != nil {
		return err
	}
	gen := "generate"
	if reused {
		gen = "reuse the"
	}
	fmt.Fprintf(out, "stage 0 (benchmarks): %.1fs; %s %d rows: %.1fs; stages 1-9: %.1fs wall, %.1fs CPU (user + system); process CPU %.1fs; peak RSS %s\n",
		t1.Sub(t0).Seconds(), gen, dataFlags.rows, t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), cpu, gsql.ProcessCPU(), peakRSS())
	return nil
}
