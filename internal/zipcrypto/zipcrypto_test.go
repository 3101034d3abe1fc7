package zipcrypto

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestReadGPQAZip(t *testing.T) {
	data, err := os.ReadFile("../../benchmarks/data/gpqa_diamond.zip")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadFile(data, "gpqa_diamond.csv", "deserted-untie-orchid")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1373492 || !bytes.HasPrefix(out, []byte("Pre-Revision Question")) {
		t.Fatalf("unexpected content: %d bytes, prefix %q", len(out), out[:40])
	}
	if _, err := ReadFile(data, "gpqa_diamond.csv", "wrong"); !errors.Is(err, ErrPassword) {
		t.Fatalf("wrong password: got %v", err)
	}
}
