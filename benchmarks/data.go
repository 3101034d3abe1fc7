package benchmarks

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/internal/jsonl"
	"github.com/greason/greason/internal/zipcrypto"
)

// The vendored test sets (gzip-compressed originals; GPQA in a password-protected ZIP as its
// authors ship it). See data/NOTICE.md for sources, commits and licences.
//
//go:embed data/*.gz data/*.zip
var vendored embed.FS

// GPQAPassword is the password of data/gpqa_diamond.zip (the GPQA authors' own password).
const GPQAPassword = "deserted-untie-orchid"

// DataDir is where datasets that cannot be vendored (SuperGPQA) are looked up. It defaults to
// $GREASON_DATA_DIR, else "data" under the working directory.
var DataDir = func() string {
	if d := os.Getenv("GREASON_DATA_DIR"); d != "" {
		return d
	}
	return "data"
}()

func vendoredBytes(name string) ([]byte, error) {
	raw, err := vendored.ReadFile("data/" + name)
	if err != nil {
		return nil, fmt.Errorf("vendored data %s: %w", name, err)
	}
	switch filepath.Ext(name) {
	case ".gz":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("benchmarks/data/%s: %w", name, err)
		}
		return io.ReadAll(zr)
	case ".zip":
		return zipcrypto.ReadFile(raw, "gpqa_diamond.csv", GPQAPassword)
	}
	return raw, nil
}

// readJSONL decodes each non-empty line of data into a T, naming file and line on error.
func readJSONL[T any](file string, data []byte) ([]T, error) {
	rows, _, err := jsonl.Decode[T](bytes.NewReader(data), file)
	return rows, err
}

func loadVendoredJSONL[T any](name string) ([]T, error) {
	data, err := vendoredBytes(name)
	if err != nil {
		return nil, err
	}
	return readJSONL[T]("benchmarks/data/"+name, data)
}

// fieldError names the file, row and field of a bad record.
func fieldError(file string, row int, field, problem string) error {
	return fmt.Errorf("%s: row %d: field %q: %s", file, row, field, problem)
}

// WriteVendored writes the vendored files as they are stored (gzip originals, the GPQA ZIP) into
// dir, for tools that read them from disk (the DuckDB data stages). Files already there with the
// same size are kept; others are written atomically.
func WriteVendored(dir string) error {
	entries, err := vendored.ReadDir("data")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		raw, err := vendored.ReadFile("data/" + e.Name())
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, e.Name())
		if st, err := os.Stat(dst); err == nil && st.Size() == int64(len(raw)) {
			continue
		}
		if err := atomicfile.WriteFile(dst, raw); err != nil {
			return err
		}
	}
	return nil
}
