package sql

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/greason/greason/internal/zipcrypto"
)

// GPQAPassword is the published password of the GPQA-Diamond zip (the authors ask that the
// questions are not put online in plain text; the repo ships them only encrypted).
const GPQAPassword = "deserted-untie-orchid"

func init() { goSteps["gpqa"] = loadGPQA }

// loadGPQA decrypts benchmarks/data/gpqa_diamond.zip in memory and appends its rows to gpqa_raw.
func loadGPQA(ctx context.Context, p *Pipeline) error {
	path := filepath.Join(p.Opt.BenchDir, "gpqa_diamond.zip")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	plain, err := zipcrypto.ReadFile(data, "gpqa_diamond.csv", GPQAPassword)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := csv.NewReader(bytes.NewReader(plain))
	recs, err := r.ReadAll()
	if err != nil {
		return fmt.Errorf("%s: gpqa_diamond.csv: %w", path, err)
	}
	if len(recs) < 2 {
		return fmt.Errorf("%s: gpqa_diamond.csv has no rows", path)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	need := []string{"Record ID", "Question", "Correct Answer", "High-level domain", "Subdomain", "Writer's Difficulty Estimate"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return fmt.Errorf("%s: gpqa_diamond.csv: missing column %q", path, n)
		}
	}
	if err := p.exec(ctx, `CREATE OR REPLACE TABLE gpqa_raw (record_id VARCHAR, question VARCHAR, correct_answer VARCHAR,
		high_level_domain VARCHAR, subdomain VARCHAR, difficulty VARCHAR)`); err != nil {
		return err
	}
	return p.withAppender("gpqa_raw", func(a *duckdb.Appender) error {
		for i, rec := range recs[1:] {
			if len(rec) != len(recs[0]) {
				return fmt.Errorf("%s: gpqa_diamond.csv record %d: %d fields, header has %d", path, i+1, len(rec), len(recs[0]))
			}
			if err := a.AppendRow(rec[col["Record ID"]], rec[col["Question"]], rec[col["Correct Answer"]],
				rec[col["High-level domain"]], rec[col["Subdomain"]], rec[col["Writer's Difficulty Estimate"]]); err != nil {
				return err
			}
		}
		return nil
	})
}
