package jsonl

import (
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	type row struct{ ID string }
	rows, lines, err := Decode[row](strings.NewReader("{\"ID\":\"a\"}\n\n  \n{\"ID\":\"b\"}\n"), "f.jsonl")
	if err != nil || len(rows) != 2 || rows[1].ID != "b" || lines[1] != 4 {
		t.Fatalf("%v %v %v", rows, lines, err)
	}
	if _, _, err := Decode[row](strings.NewReader("{\"ID\":\"a\"}\n{oops\n"), "f.jsonl"); err == nil || !strings.Contains(err.Error(), "f.jsonl: line 2: broken JSON") {
		t.Fatalf("%v", err)
	}
}
