package sql

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func init() { goSteps["export"] = exportStep }

// ExportFiles are the files stage 9 writes, with the query and COPY options of each.
// All three are written from one in-memory copy (export_dataset) of the dataset view, in the
// order of the rows' ids: the stages run on both cores, so the view's own row order changes from
// run to run, and a trainer that reads a file in order (verl, greason train) must get the same
// rows in the same order from the same input.
var ExportFiles = []struct{ Name, Query, Format string }{
	{"dataset.jsonl", "SELECT * FROM export_dataset ORDER BY id", "FORMAT json"},
	{"dataset.parquet", "SELECT * FROM export_dataset ORDER BY id", "FORMAT parquet"},
	{"verl_train.parquet", "SELECT * FROM verl_layout('export_dataset') ORDER BY extra_info.index", "FORMAT parquet"},
}

func exportStep(ctx context.Context, p *Pipeline) error {
	if p.Opt.ExportDir == "" {
		return nil
	}
	return p.Export(ctx, p.Opt.ExportDir)
}

// Export writes the ExportFiles into dir. Each file is written under a temporary name and
// renamed, so a reader never sees a partial file.
func (p *Pipeline) Export(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := p.exec(ctx, "CREATE OR REPLACE TEMP TABLE export_dataset AS SELECT * FROM dataset"); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer p.exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS export_dataset")
	for _, f := range ExportFiles {
		t := time.Now()
		final := filepath.Join(dir, f.Name)
		tmp := filepath.Join(dir, ".tmp-"+f.Name)
		q := fmt.Sprintf("COPY (%s) TO '%s' (%s)", f.Query, strings.ReplaceAll(tmp, "'", "''"), f.Format)
		if _, err := p.conn.ExecContext(ctx, q); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("export %s: %w", final, err)
		}
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
		p.logf("wrote %s\n", final)
		p.tracef("    export %s: %.2fs\n", f.Name, time.Since(t).Seconds())
	}
	return nil
}
