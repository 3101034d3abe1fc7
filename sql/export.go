package sql

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() { goSteps["export"] = exportStep }

// ExportFiles are the files stage 9 writes, with the query and COPY options of each.
var ExportFiles = []struct{ Name, Query, Format string }{
	{"dataset.jsonl", "SELECT * FROM dataset", "FORMAT json"},
	{"dataset.parquet", "SELECT * FROM dataset", "FORMAT parquet, COMPRESSION zstd"},
	{"verl_train.parquet", "SELECT * FROM verl_rows", "FORMAT parquet, COMPRESSION zstd"},
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
	for _, f := range ExportFiles {
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
	}
	return nil
}
