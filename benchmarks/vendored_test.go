package benchmarks

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteVendored writes the embedded files byte for byte, and a second call keeps them.
func TestWriteVendored(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	for round := 0; round < 2; round++ {
		if err := WriteVendored(dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := vendored.ReadDir("data")
	if err != nil || len(entries) < 11 {
		t.Fatalf("%d embedded files: %v", len(entries), err)
	}
	for _, e := range entries {
		want, _ := vendored.ReadFile("data/" + e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes written, %d embedded (%v)", e.Name(), len(got), len(want), err)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
