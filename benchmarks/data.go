package benchmarks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", file, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", file, line+1, err)
	}
	return out, nil
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
