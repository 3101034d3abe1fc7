package sql

import (
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

//go:embed *.sql
var stageFS embed.FS

// Stage is one numbered SQL file of the pipeline.
type Stage struct {
	Num  int
	Name string // file name without number and extension, e.g. "near_dup"
	File string
	SQL  string
}

var stageFile = regexp.MustCompile(`^(\d\d)_([a-z0-9_]+)\.sql$`)

// Stages returns the embedded stage files in order.
func Stages() ([]Stage, error) {
	entries, err := fs.ReadDir(stageFS, ".")
	if err != nil {
		return nil, err
	}
	var out []Stage
	for _, e := range entries {
		m := stageFile.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		b, err := stageFS.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		n, _ := strconv.Atoi(m[1])
		out = append(out, Stage{Num: n, Name: m[2], File: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Num < out[j].Num })
	return out, nil
}

// Options configures a pipeline run. Zero values take the defaults of DefaultOptions.
type Options struct {
	BenchDir  string // folder with the vendored benchmark files (benchmarks/data)
	ExportDir string // stage 9 writes its files here; empty: stage 9 builds the tables only
	Seed      int64  // rebalancing seed (stage 8)

	Bands, RowsPerBand int     // MinHash LSH: bands × hashes per band (datatrove: 14 × 8)
	Shingle            int     // words per shingle for MinHash (5)
	ContamN            int     // words per n-gram for decontamination (13)
	ContamMinOverlap   float64 // fraction of a benchmark item's n-grams found in a row to call it contaminated
	ContamShortMin     int     // an item shorter than ContamN words but with at least this many is matched by containment (4)
	EasyMathShare      float64 // stage 8: target share of easy mathematics rows in the output
	DomainMaxTrain     int     // stage 6: cap on classifier training rows
	KeepDifficulties   []string
	MemoryLimit        string // DuckDB's memory_limit ("4GB"); empty: DuckDB's default (80% of RAM)

	Progress io.Writer // progress bars and stage lines; nil: silent
}

// DefaultOptions are the settings the README numbers were measured with.
func DefaultOptions() Options {
	return Options{BenchDir: "benchmarks/data", Seed: 42, Bands: 14, RowsPerBand: 8, Shingle: 5, ContamN: 13,
		ContamShortMin: 4, ContamMinOverlap: 0.5, EasyMathShare: 0.10, DomainMaxTrain: 200000}
}

// Pipeline is an open pipeline database.
type Pipeline struct {
	Path string
	Opt  Options
	db   *dbsql.DB
	conn *dbsql.Conn
	tx   bool

	// StageCPU is the process CPU time (user + system, seconds) of each stage run by this
	// Pipeline, for the benchmark's report; it is not stored in the database.
	StageCPU map[int]float64
}

// Open opens (or creates) the DuckDB database file at path ("" = in memory) and registers the
// Go functions the stage files call.
func Open(ctx context.Context, path string, opt Options) (*Pipeline, error) {
	def := DefaultOptions()
	if opt.BenchDir == "" {
		opt.BenchDir = def.BenchDir
	}
	if opt.Bands == 0 {
		opt.Bands, opt.RowsPerBand = def.Bands, def.RowsPerBand
	}
	if opt.Shingle == 0 {
		opt.Shingle = def.Shingle
	}
	if opt.ContamN == 0 {
		opt.ContamN = def.ContamN
	}
	if opt.ContamShortMin == 0 {
		opt.ContamShortMin = def.ContamShortMin
	}
	if opt.ContamMinOverlap == 0 {
		opt.ContamMinOverlap = def.ContamMinOverlap
	}
	if opt.EasyMathShare == 0 {
		opt.EasyMathShare = def.EasyMathShare
	}
	if opt.DomainMaxTrain == 0 {
		opt.DomainMaxTrain = def.DomainMaxTrain
	}
	if path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
	}
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := dbsql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	p := &Pipeline{Path: path, Opt: opt, db: db, conn: conn}
	if err := registerUDFs(conn); err != nil {
		p.Close()
		return nil, err
	}
	if opt.MemoryLimit != "" {
		if err := p.exec(ctx, "SET memory_limit = '"+strings.ReplaceAll(opt.MemoryLimit, "'", "''")+"'"); err != nil {
			p.Close()
			return nil, fmt.Errorf("memory limit %q: %w", opt.MemoryLimit, err)
		}
	}
	if err := p.exec(ctx, schemaSQL); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// Close closes the database.
func (p *Pipeline) Close() error {
	var errs []error
	if p.conn != nil {
		errs = append(errs, p.conn.Close())
	}
	if p.db != nil {
		errs = append(errs, p.db.Close())
	}
	return errors.Join(errs...)
}

// DB is the underlying database handle (one connection; queries run on it).
func (p *Pipeline) Conn() *dbsql.Conn { return p.conn }

// schemaSQL creates the bookkeeping tables every stage writes to.
const schemaSQL = `
CREATE TABLE IF NOT EXISTS stage_runs (stage INTEGER PRIMARY KEY, name VARCHAR, file VARCHAR,
    rows_in BIGINT, rows_out BIGINT, dropped BIGINT, seconds DOUBLE, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS stage_counts (stage INTEGER, metric VARCHAR, reason VARCHAR, n BIGINT);
CREATE TABLE IF NOT EXISTS run_settings (key VARCHAR PRIMARY KEY, value VARCHAR);
`

func (p *Pipeline) exec(ctx context.Context, q string) error {
	_, err := p.conn.ExecContext(ctx, q)
	return err
}

// placeholder values substituted into stage files: {{name}} becomes a SQL string literal body.
func (p *Pipeline) vars() map[string]string {
	return map[string]string{
		"bench_dir":  filepath.ToSlash(p.Opt.BenchDir),
		"export_dir": filepath.ToSlash(p.Opt.ExportDir),
	}
}

var placeholder = regexp.MustCompile(`\{\{([a-z_]+)\}\}`)

func (p *Pipeline) expand(s Stage, text string) (string, error) {
	vars := p.vars()
	var missing []string
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		k := m[2 : len(m)-2]
		v, ok := vars[k]
		if !ok {
			missing = append(missing, k)
		}
		return strings.ReplaceAll(v, "'", "''")
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: unknown placeholder(s) %v", s.File, missing)
	}
	return out, nil
}

// setVariables publishes the options as DuckDB variables (getvariable('name') in stage files).
func (p *Pipeline) setVariables(ctx context.Context) error {
	kd := "NULL::VARCHAR[]"
	if len(p.Opt.KeepDifficulties) > 0 {
		q := make([]string, len(p.Opt.KeepDifficulties))
		for i, d := range p.Opt.KeepDifficulties {
			q[i] = "'" + strings.ReplaceAll(d, "'", "''") + "'"
		}
		kd = "[" + strings.Join(q, ",") + "]"
	}
	stmts := []string{
		fmt.Sprintf("SET VARIABLE seed = %d", p.Opt.Seed),
		fmt.Sprintf("SET VARIABLE easy_math_share = %g", p.Opt.EasyMathShare),
		fmt.Sprintf("SET VARIABLE contam_min_overlap = %g", p.Opt.ContamMinOverlap),
		fmt.Sprintf("SET VARIABLE contam_n = %d", p.Opt.ContamN),
		fmt.Sprintf("SET VARIABLE domain_max_train = %d", p.Opt.DomainMaxTrain),
		"SET VARIABLE keep_difficulties = " + kd,
	}
	for _, s := range stmts {
		if err := p.exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// failAfterStep makes a stage fail right after the named Go step (tests of the rollback).
var failAfterStep string

// goSteps are the Go steps a stage file can call with `-- @go NAME`.
var goSteps = map[string]func(ctx context.Context, p *Pipeline) error{}

// Run executes stages from..to (inclusive). Each stage runs in one transaction: on any error
// it is rolled back and the database keeps the previous state of every table.
func (p *Pipeline) Run(ctx context.Context, from, to int) error {
	stages, err := Stages()
	if err != nil {
		return err
	}
	if err := p.setVariables(ctx); err != nil {
		return err
	}
	if err := p.exec(ctx, stageSettings); err != nil {
		return fmt.Errorf("stage settings: %w", err)
	}
	defer p.exec(context.WithoutCancel(ctx), resetStageSettings)
	for _, s := range stages {
		if s.Num < from || s.Num > to {
			continue
		}
		if err := p.runStage(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// stageSettings hold while stages run. The tables the stages write are narrow (row ids, keys,
// labels) and rewritten on every run: DuckDB's analysis for dictionary and FSST compression of
// their text columns cost 2-3 times the rest of writing them (a million-row s2_norm: 1.8 s
// against 0.8 s here), so they are stored uncompressed (the database file is larger; the rows
// are the same). Inputs written before (synthetic rows, JSONL lines) keep the defaults.
const (
	stageSettings      = `SET disabled_compression_methods = 'fsst,dictionary,dict_fsst'`
	resetStageSettings = `RESET disabled_compression_methods`
)

var goMarker = regexp.MustCompile(`(?m)^--\s*@go\s+([a-z_]+)\s*$`)

func (p *Pipeline) runStage(ctx context.Context, s Stage) (err error) {
	start, cpu0 := time.Now(), ProcessCPU()
	p.logf("stage %d %s ...\n", s.Num, s.Name)
	text, err := p.expand(s, s.SQL)
	if err != nil {
		return err
	}
	if err := p.exec(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	p.tx = true
	defer func() {
		p.tx = false
		if err != nil {
			if rb := p.exec(context.WithoutCancel(ctx), "ROLLBACK"); rb != nil {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rb))
			}
		}
	}()
	if err := p.exec(ctx, fmt.Sprintf("DELETE FROM stage_counts WHERE stage = %d", s.Num)); err != nil {
		return err
	}
	// Split the file at the Go markers and run the pieces in order.
	locs := goMarker.FindAllStringSubmatchIndex(text, -1)
	pos := 0
	for i := 0; i <= len(locs); i++ {
		end := len(text)
		if i < len(locs) {
			end = locs[i][0]
		}
		// statements end with ";" at the end of a line; each runs (and is timed) on its own
		for _, stmt := range strings.SplitAfter(text[pos:end], ";\n") {
			body := strings.TrimSpace(stripComments(stmt))
			if body == "" {
				continue
			}
			t, c := time.Now(), ProcessCPU()
			if _, err := p.conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("stage %s: %w", s.File, err)
			}
			p.tracef("  %s %.60q: %.2fs (CPU %.2fs)\n", s.File, strings.Join(strings.Fields(body), " "), time.Since(t).Seconds(), ProcessCPU()-c)
		}
		if i < len(locs) {
			name := text[locs[i][2]:locs[i][3]]
			step, ok := goSteps[name]
			if !ok {
				return fmt.Errorf("stage %s: unknown Go step %q", s.File, name)
			}
			t, c := time.Now(), ProcessCPU()
			if err := step(ctx, p); err != nil {
				return fmt.Errorf("stage %s: go step %s: %w", s.File, name, err)
			}
			p.tracef("  %s go step %s: %.2fs (CPU %.2fs)\n", s.File, name, time.Since(t).Seconds(), ProcessCPU()-c)
			if name == failAfterStep {
				return fmt.Errorf("stage %s: injected failure after go step %s", s.File, name)
			}
			pos = locs[i][1]
		}
	}
	// Bookkeeping and the conservation check: in = out + dropped.
	var in, out, dropped dbsql.NullInt64
	row := p.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT sum(n) FILTER (metric = 'in'), sum(n) FILTER (metric = 'out'),
		coalesce(sum(n) FILTER (metric = 'dropped'), 0) FROM stage_counts WHERE stage = %d`, s.Num))
	if err := row.Scan(&in, &out, &dropped); err != nil {
		return err
	}
	if s.Num > 0 && (!in.Valid || !out.Valid) {
		return fmt.Errorf("stage %s recorded no in/out counts", s.File)
	}
	if s.Num > 0 && in.Int64 != out.Int64+dropped.Int64 {
		return fmt.Errorf("stage %s: rows in %d != out %d + dropped %d", s.File, in.Int64, out.Int64, dropped.Int64)
	}
	if s.Num == 0 {
		in = out
	}
	if _, err := p.conn.ExecContext(ctx, `INSERT OR REPLACE INTO stage_runs VALUES (?, ?, ?, ?, ?, ?, NULL, now()::TIMESTAMP)`,
		s.Num, s.Name, s.File, in.Int64, out.Int64, dropped.Int64); err != nil {
		return err
	}
	if err := p.exec(ctx, "COMMIT"); err != nil {
		return err
	}
	// the stage's time includes its commit
	secs := time.Since(start).Seconds()
	if _, err := p.conn.ExecContext(ctx, `UPDATE stage_runs SET seconds = ? WHERE stage = ?`, secs, s.Num); err != nil {
		return err
	}
	if p.StageCPU == nil {
		p.StageCPU = map[int]float64{}
	}
	p.StageCPU[s.Num] = ProcessCPU() - cpu0
	p.logf("stage %d %s: in %d, out %d, dropped %d (%.2fs, CPU %.2fs)\n", s.Num, s.Name, in.Int64, out.Int64, dropped.Int64, secs, p.StageCPU[s.Num])
	return nil
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// tracef prints timing details when GREASON_DATA_TRACE is set.
func (p *Pipeline) tracef(format string, args ...any) {
	if os.Getenv("GREASON_DATA_TRACE") != "" {
		fmt.Fprintf(os.Stderr, format, args...)
	}
}

func (p *Pipeline) logf(format string, args ...any) {
	if p.Opt.Progress != nil {
		fmt.Fprintf(p.Opt.Progress, format, args...)
	}
}

// withAppender runs fn with a DuckDB appender on table (same connection and transaction).
func (p *Pipeline) withAppender(table string, fn func(a *duckdb.Appender) error) error {
	return p.conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", table)
		if err != nil {
			return fmt.Errorf("appender %s: %w", table, err)
		}
		if err := fn(a); err != nil {
			a.Close()
			return err
		}
		return a.Close()
	})
}

// LastStage is the number of the last stage file.
const LastStage = 9

// RunCorpus runs stages from..to with the vendored benchmark corpus as input: stage 0 first
// (when included), then the input view over bench_items, then the rest.
func (p *Pipeline) RunCorpus(ctx context.Context, from, to int) error {
	if from <= 0 {
		if err := p.Run(ctx, 0, 0); err != nil {
			return err
		}
		from = 1
	}
	if err := p.UseCorpus(ctx); err != nil {
		return err
	}
	return p.Run(ctx, from, to)
}
