package sql

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The inputs of stage 1 all become one view, raw_input, with the columns
//
//	input_file, input_row, id, question, answer, answer_type, category, difficulty,
//	source, source_id, labels (JSON text), parse_error (NULL when the row parsed)
//
// Stage 1 checks it and splits it into kept rows and the quarantine.

const rawInputCols = `input_file, input_row, id, question, answer, answer_type, category, difficulty, source, source_id, labels, parse_error`

// UseCorpus makes the 11 vendored benchmark test sets (stage 0's bench_items) the input.
func (p *Pipeline) UseCorpus(ctx context.Context) error {
	return p.setInput(ctx, "corpus", `CREATE OR REPLACE VIEW raw_input AS
SELECT 'benchmarks/' || benchmark AS input_file, row_number() OVER (PARTITION BY benchmark ORDER BY rowid) AS input_row,
       benchmark || ':' || item_id AS id, question, answer, answer_type, category, difficulty,
       benchmark AS source, item_id AS source_id, labels, NULL::VARCHAR AS parse_error
FROM bench_items`)
}

// UseSynthetic makes the synthetic_input table (see GenerateSynthetic) the input.
func (p *Pipeline) UseSynthetic(ctx context.Context) error {
	return p.setInput(ctx, "synthetic", `CREATE OR REPLACE VIEW raw_input AS
SELECT 'synthetic' AS input_file, row_no AS input_row, id, question, answer, answer_type, category, difficulty,
       'synthetic' AS source, id AS source_id, labels, NULL::VARCHAR AS parse_error
FROM synthetic_input`)
}

// UseFiles makes local WebInstruct-schema files the input: Parquet (*.parquet) and JSON Lines
// (*.jsonl, *.jsonl.gz, *.ndjson). JSONL lines are copied verbatim into raw_lines and parsed
// by SQL, so a malformed line is quarantined with its file, line number and reason.
func (p *Pipeline) UseFiles(ctx context.Context, paths []string) error {
	var pq, jl []string
	for _, f := range paths {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		if _, err := os.Stat(abs); err != nil {
			return fmt.Errorf("input %s: %w", f, err)
		}
		switch {
		case strings.HasSuffix(f, ".parquet"):
			pq = append(pq, abs)
		case strings.HasSuffix(f, ".jsonl"), strings.HasSuffix(f, ".jsonl.gz"), strings.HasSuffix(f, ".ndjson"), strings.HasSuffix(f, ".json"):
			jl = append(jl, abs)
		default:
			return fmt.Errorf("input %s: unknown format (want .parquet, .jsonl, .jsonl.gz)", f)
		}
	}
	if len(pq)+len(jl) == 0 {
		return fmt.Errorf("no input files")
	}
	var parts []string
	if len(jl) > 0 {
		if err := p.loadLines(ctx, jl); err != nil {
			return err
		}
		parts = append(parts, `SELECT input_file, input_row,
       j->>'$.id' AS id, j->>'$.question' AS question, j->>'$.answer' AS answer,
       j->>'$.answer_type' AS answer_type, j->>'$.category' AS category, j->>'$.difficulty' AS difficulty,
       coalesce(j->>'$.source', 'file') AS source, coalesce(j->>'$.source_id', j->>'$.id') AS source_id,
       coalesce(j->>'$.labels', '{}') AS labels,
       CASE WHEN NOT valid THEN 'invalid JSON'
            WHEN j IS NULL THEN 'line is not a JSON object'
            ELSE (SELECT first('field ' || f || ': expected a string, got ' || json_type(j, '$.' || f))
                  FROM unnest(['id', 'question', 'answer', 'answer_type', 'category', 'difficulty']) t(f)
                  WHERE json_type(j, '$.' || f) NOT IN ('VARCHAR', 'NULL')
                    AND NOT (f = 'answer' AND json_type(j, '$.' || f) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'BOOLEAN')))
       END AS parse_error
FROM (SELECT *, json_valid(line) AS valid,
             CASE WHEN json_valid(line) AND json_type(CASE WHEN json_valid(line) THEN line END) = 'OBJECT'
                  THEN CASE WHEN json_valid(line) THEN line END::JSON END AS j
      FROM raw_lines)`)
	}
	if len(pq) > 0 {
		q, err := p.parquetSelect(ctx, pq)
		if err != nil {
			return err
		}
		parts = append(parts, q)
	}
	return p.setInput(ctx, "files: "+strings.Join(paths, ", "),
		"CREATE OR REPLACE VIEW raw_input AS\n"+strings.Join(parts, "\nUNION ALL BY NAME\n"))
}

func sqlList(paths []string) string {
	q := make([]string, len(paths))
	for i, s := range paths {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// parquetSelect builds the SELECT over Parquet files; columns absent from every file become NULL
// (stage 1 then quarantines rows that lack a required field).
func (p *Pipeline) parquetSelect(ctx context.Context, files []string) (string, error) {
	src := fmt.Sprintf("read_parquet(%s, union_by_name = true, filename = true, file_row_number = true)", sqlList(files))
	rows, err := p.conn.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return "", fmt.Errorf("parquet input %v: %w", files, err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return "", err
		}
		have[c] = true
	}
	rows.Close()
	col := func(name string) string {
		if have[name] {
			return fmt.Sprintf("CAST(%q AS VARCHAR)", name)
		}
		return "NULL::VARCHAR"
	}
	labels := "'{}'"
	if have["labels"] {
		labels = "coalesce(CAST(labels AS VARCHAR), '{}')"
	}
	return fmt.Sprintf(`SELECT filename AS input_file, file_row_number + 1 AS input_row, %s AS id, %s AS question, %s AS answer,
       %s AS answer_type, %s AS category, %s AS difficulty, coalesce(%s, 'file') AS source,
       coalesce(%s, %s) AS source_id, %s AS labels, NULL::VARCHAR AS parse_error
FROM %s`, col("id"), col("question"), col("answer"), col("answer_type"), col("category"), col("difficulty"),
		col("source"), col("source_id"), col("id"), labels, src), nil
}

// loadLines copies JSONL files line by line into raw_lines(input_file, input_row, line).
func (p *Pipeline) loadLines(ctx context.Context, files []string) error {
	if err := p.exec(ctx, `CREATE OR REPLACE TABLE raw_lines (input_file VARCHAR, input_row BIGINT, line VARCHAR)`); err != nil {
		return err
	}
	return p.withAppender("raw_lines", func(a *duckdb.Appender) error {
		for _, f := range files {
			if err := appendLines(a, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func appendLines(a *duckdb.Appender, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	var r io.Reader = fh
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(fh)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := int64(0)
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue // blank lines are not records
		}
		if err := a.AppendRow(path, n, line); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: line %d: %w", path, n+1, err)
	}
	return nil
}

func (p *Pipeline) setInput(ctx context.Context, desc, view string) error {
	if err := p.exec(ctx, view); err != nil {
		return fmt.Errorf("input %s: %w", desc, err)
	}
	_, err := p.conn.ExecContext(ctx, `INSERT OR REPLACE INTO run_settings VALUES ('input', ?)`, desc)
	return err
}
