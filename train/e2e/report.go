package e2e

import (
	"context"
	dbsql "database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/train/job"
)

// The run folder of `just e2e` (RunDir) holds these, and the report copies its small files into
// results/e2e.
const (
	DataDir       = "data"              // WriteData's files and data_summary.json
	DataSummary_  = "data_summary.json" // DataSummary
	DBFile        = "e2e.duckdb"        // `greason data run --db`
	ExportDir     = "export"            // `greason data export`
	SFTDir        = "sft"               // `greason train sft` out
	GRPODir       = "grpo"              // `greason train grpo` out
	EvalWarmFile  = "eval_warm.json"    // the warm start served and judged
	EvalGRPOFile  = "eval_grpo.json"    // the GRPO checkpoint served and judged
	TimesFile     = "times.jsonl"       // {"stage", "seconds"} per stage (wall clock)
	SummaryFile   = "summary.json"      // the report
	GRPOMetrics   = "grpo_metrics.jsonl"
	SFTMetrics    = "sft_metrics.jsonl"
	PipelineStats = "pipeline.json"
)

// StageCount is one row of the pipeline's stage_runs table.
type StageCount struct {
	Stage   int    `json:"stage"`
	Name    string `json:"name"`
	In      int64  `json:"in"`
	Out     int64  `json:"out"`
	Dropped int64  `json:"dropped"`
	// Reasons counts the dropped rows by reason (stage_counts).
	Reasons map[string]int64 `json:"reasons,omitempty"`
}

// Summary is results/e2e/summary.json.
type Summary struct {
	Data     *DataSummary      `json:"data"`
	Pipeline []StageCount      `json:"pipeline"`
	SFT      *job.SFTSummary   `json:"sft"`
	GRPO     *job.Summary      `json:"grpo"`
	Warm     *Eval             `json:"warm_start"` // the SFT model, served
	After    *Eval             `json:"after_grpo"` // the last GRPO checkpoint, served
	Gain     float64           `json:"gain"`       // After.Accuracy − Warm.Accuracy (points)
	Times    []map[string]any  `json:"times"`      // wall-clock seconds per stage
	Versions map[string]string `json:"configs"`    // the configs used (file → content)
}

// Report collects the run folder's results into out (results/e2e): summary.json, the GRPO and
// SFT metrics; it returns the summary.
func Report(ctx context.Context, run, out string, configs []string) (*Summary, error) {
	s := &Summary{Versions: map[string]string{}}
	if err := readJSON(filepath.Join(run, DataDir, DataSummary_), &s.Data); err != nil {
		return nil, err
	}
	var err error
	if s.Pipeline, err = stageCounts(ctx, filepath.Join(run, DBFile)); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		path string
		v    any
	}{{filepath.Join(run, SFTDir, job.SummaryFile), &s.SFT}, {filepath.Join(run, GRPODir, job.SummaryFile), &s.GRPO},
		{filepath.Join(run, EvalWarmFile), &s.Warm}, {filepath.Join(run, EvalGRPOFile), &s.After}} {
		if err := readJSON(f.path, f.v); err != nil {
			return nil, err
		}
	}
	s.Gain = s.After.Accuracy - s.Warm.Accuracy
	if err := readLines(filepath.Join(run, TimesFile), func(_ int, b []byte) error {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		s.Times = append(s.Times, m)
		return nil
	}); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, c := range configs {
		b, err := os.ReadFile(c)
		if err != nil {
			return nil, err
		}
		s.Versions[filepath.ToSlash(c)] = string(b)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	for _, c := range [][2]string{{filepath.Join(run, GRPODir, job.MetricsFile), GRPOMetrics}, {filepath.Join(run, SFTDir, job.MetricsFile), SFTMetrics}} {
		b, err := os.ReadFile(c[0])
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteFile(filepath.Join(out, c[1]), b); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(out, TableFile), []byte(s.CSV())); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return s, atomicfile.WriteFile(filepath.Join(out, SummaryFile), append(b, '\n'))
}

// TableFile is the report's table (results/e2e/e2e.csv), which `greason tables` shows.
const TableFile = "e2e.csv"

// CSV is the report's table: held-out accuracy of the warm start and of the GRPO checkpoint,
// both served, by the oracle; lines starting with "# " are findings.
func (s *Summary) CSV() string {
	var b strings.Builder
	k := s.After.Config.Samples
	w := csv.NewWriter(&b) // quotes the model names, which hold commas
	w.Write([]string{"model", fmt.Sprintf("held-out avg@%d (%%)", k), "greedy (%)", "math", "physics", "other", "boxed answers (%)"})
	row := func(name string, e *Eval) {
		r := []string{name}
		for _, v := range []float64{e.Accuracy, e.Greedy, e.ByGroup["math"], e.ByGroup["physics"], e.ByGroup["other"], e.Boxed} {
			r = append(r, fmt.Sprintf("%.1f", v))
		}
		w.Write(r)
	}
	row(fmt.Sprintf("warm start (SFT %d steps)", s.SFT.Steps), s.Warm)
	row(fmt.Sprintf("after GRPO (%d steps, rules reward)", s.GRPO.Steps), s.After)
	w.Flush()
	fmt.Fprintf(&b, "# GRPO gain: %+.1f points avg@%d at temperature %g, %+.1f greedy, on %d held-out questions (oracle).\n",
		s.Gain, k, s.After.Config.Temperature, s.After.Greedy-s.Warm.Greedy, s.Data.HeldOut)
	fmt.Fprintf(&b, "# Data: %d generated training questions → %d after the pipeline's stages 1-8 → %d prompts; %d SFT examples from a noisy teacher (%.0f%% right by the oracle).\n",
		s.Data.Train, s.GRPO.TrainRows, s.GRPO.TrainPrompts, s.SFT.Examples, 100*s.Data.TeacherCorrect)
	return b.String()
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// stageCounts reads the pipeline's bookkeeping (stage_runs: rows in, out and dropped per stage).
func stageCounts(ctx context.Context, db string) ([]StageCount, error) {
	if _, err := os.Stat(db); err != nil {
		return nil, err
	}
	connector, err := duckdb.NewConnector(db+"?access_mode=read_only", nil)
	if err != nil {
		return nil, err
	}
	conn := dbsql.OpenDB(connector)
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, `SELECT stage, name, rows_in, rows_out, dropped FROM stage_runs ORDER BY stage`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	defer rows.Close()
	var out []StageCount
	for rows.Next() {
		var c StageCount
		if err := rows.Scan(&c.Stage, &c.Name, &c.In, &c.Out, &c.Dropped); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, `SELECT stage, coalesce(reason, ''), sum(n) FROM stage_counts WHERE metric = 'dropped' AND n > 0 GROUP BY ALL ORDER BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db, err)
	}
	defer rs.Close()
	for rs.Next() {
		var stage int
		var reason string
		var n int64
		if err := rs.Scan(&stage, &reason, &n); err != nil {
			return nil, err
		}
		for i := range out {
			if out[i].Stage == stage {
				if out[i].Reasons == nil {
					out[i].Reasons = map[string]int64{}
				}
				out[i].Reasons[reason] = n
			}
		}
	}
	return out, rs.Err()
}

// WallClock reports whether a summary or metrics key measures time (it differs between runs of
// the same commit): what `just e2e-check` ignores.
func WallClock(key string) bool {
	for _, k := range []string{"seconds", "wall_seconds", "timing_s/", "timing_per_token_ms/", "perf/"} {
		if strings.HasPrefix(key, k) || strings.HasSuffix(key, k) {
			return true
		}
	}
	return false
}
