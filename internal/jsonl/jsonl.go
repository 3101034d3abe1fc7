// Package jsonl decodes JSON Lines with errors that name the file and the line.
package jsonl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Decode reads one T per non-empty line of r and returns them with their 1-based line numbers.
// name is the file name used in errors ("NAME: line N: broken JSON: ...").
func Decode[T any](r io.Reader, name string) ([]T, []int, error) {
	var out []T
	var lines []int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 512<<20)
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, nil, fmt.Errorf("%s: line %d: broken JSON: %w", name, n, err)
		}
		out = append(out, v)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: line %d: %w", name, n+1, err)
	}
	return out, lines, nil
}
