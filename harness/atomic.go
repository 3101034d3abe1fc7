package harness

import (
	"encoding/json"

	"github.com/greason/greason/internal/atomicfile"
)

// WriteFileAtomic writes data to path through a temporary file in the same folder and a
// rename, so readers never see a half-written file.
func WriteFileAtomic(path string, data []byte) error { return atomicfile.WriteFile(path, data) }

// WriteJSONAtomic writes v as indented JSON.
func WriteJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteJSONLAtomic writes one JSON object per line.
func WriteJSONLAtomic[T any](path string, rows []T) error {
	var buf []byte
	for _, r := range rows {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf = append(append(buf, b...), '\n')
	}
	return WriteFileAtomic(path, buf)
}
