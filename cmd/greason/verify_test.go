package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runVerifyCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	rootCmd.SetArgs(args)
	err := rootCmd.Execute()
	// reset flags that persist between Execute calls
	for _, n := range []string{"gold", "answer", "question", "batch", "out", "judge", "no-extract"} {
		if f := verifyCmd.Flags().Lookup(n); f != nil {
			f.Changed = false
		}
	}
	verifyFlags.batch, verifyFlags.out, verifyFlags.judge, verifyFlags.noExtract = "", "", "rule", false
	return out.String(), err
}

func TestVerifyCLISingle(t *testing.T) {
	out, err := runVerifyCLI(t, "verify", "--gold", "4.9 J", "--answer", "4.9 N·m")
	if err != nil || !strings.Contains(out, "verdict:   correct") || !strings.Contains(out, "layer:     rule") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = runVerifyCLI(t, "verify", "--judge", "exact", "--gold", "4.9 J", "--answer", "4.9 N·m")
	if err != nil || !strings.Contains(out, "verdict:   incorrect") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestVerifyCLIBatch(t *testing.T) {
	dir := t.TempDir()
	in, outPath := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	os.WriteFile(in, []byte(`{"id":"1","question":"q","gold":"30.0 torr, 26.3 torr","response":"The partial pressure of ethanol is 30.0 torr and the partial pressure of 1-propanol is 26.32 torr.","label":true}
{"id":"2","question":"q","gold":"5","response":"so \\boxed{6}","label":false}
`), 0o644)
	out, err := runVerifyCLI(t, "verify", "--batch", in, "--out", outPath)
	if err != nil || !strings.Contains(out, "overall") || !strings.Contains(out, "100.0%") {
		t.Fatalf("%v\n%s", err, out)
	}
	b, _ := os.ReadFile(outPath)
	if strings.Count(string(b), "\n") != 2 || !strings.Contains(string(b), `"extracted":"6"`) {
		t.Errorf("output file:\n%s", b)
	}
	os.WriteFile(in, []byte("{\"id\":\"1\",\"question\":\"q\",\"response\":\"x\"}\n"), 0o644)
	if _, err := runVerifyCLI(t, "verify", "--batch", in, "--out", outPath); err == nil || !strings.Contains(err.Error(), `in.jsonl:1: missing field "gold"`) {
		t.Errorf("want a file:line:field error, got %v", err)
	}
}
