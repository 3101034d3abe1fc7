package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEvalOneWriterPerRun: two real `greason eval` processes on the same --run: the second
// fails at once naming the first one's pid, the first finishes with every sample stored once;
// a holder killed with SIGKILL leaves no lock behind.
func TestEvalOneWriterPerRun(t *testing.T) {
	srv, _ := fakeServer(t, 20*time.Millisecond)
	dir := t.TempDir()
	args := []string{"eval", "--model", "fake-model", "--endpoint", srv.URL + "/v1,2", "--bench", "gsm8k",
		"--limit", "60", "--run", "shared", "--results", dir}
	samples := filepath.Join(dir, "runs", "shared", "samples.jsonl")
	waitSamples := func(cmd *exec.Cmd, n int) {
		deadline := time.Now().Add(60 * time.Second)
		for {
			if got, _ := countLines(t, samples); got >= n {
				return
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("run did not reach %d samples", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	first := greason(args...)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitSamples(first, 5)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, os.Args[0], args...)
	second.Env = append(os.Environ(), "GREASON_RUN_MAIN=1")
	out, err := second.CombinedOutput()
	took := time.Since(start)
	if err == nil || !strings.Contains(string(out), "pid "+strconv.Itoa(first.Process.Pid)) || !strings.Contains(string(out), "in use") {
		t.Fatalf("second eval on a busy run: want a failure naming pid %d, got %v:\n%s", first.Process.Pid, err, out)
	}
	if n, _ := countLines(t, samples); n >= 60 {
		t.Fatalf("the first run had already finished (%d samples) when the second failed: the test proves nothing", n)
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first eval: %v\n%s", err, firstOut.String())
	}
	n, keys := countLines(t, samples)
	if n != 60 || len(keys) != 60 {
		t.Fatalf("%d lines, %d distinct samples, want 60 each", n, len(keys))
	}
	t.Logf("second process refused in %s: %s", took.Round(time.Millisecond), strings.TrimSpace(string(out)))

	// A holder killed mid-run (no chance to unlock) does not block the next run.
	args[len(args)-3] = "killed"
	samples = filepath.Join(dir, "runs", "killed", "samples.jsonl")
	holder := greason(args...)
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	waitSamples(holder, 3)
	holder.Process.Signal(syscall.SIGKILL)
	holder.Wait()
	if out, err := greason(args...).CombinedOutput(); err != nil {
		t.Fatalf("eval after the holder was killed: %v\n%s", err, out)
	}
}
