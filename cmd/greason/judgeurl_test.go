package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestJudgeWithoutURL: --judge cascade / general-verifier / llm-judge without the URL they
// need stop verify, eval and score with exit status 2 and an error naming the flag, before any
// work (the eval endpoint is never contacted).
func TestJudgeWithoutURL(t *testing.T) {
	srv, requests := fakeServer(t, 0)
	dir := t.TempDir()
	gens := filepath.Join(dir, "g.jsonl")
	os.WriteFile(gens, []byte("{\"id\":\"0\",\"response\":\"\\\\boxed{18}\"}\n"), 0o644)
	for _, c := range []struct{ judge, flag string }{{"cascade", "--verifier-url"}, {"general-verifier", "--verifier-url"}, {"llm-judge", "--judge-url"}} {
		for _, args := range [][]string{
			{"verify", "--judge", c.judge, "--gold", "1", "--answer", "1"},
			{"eval", "--judge", c.judge, "--model", "m", "--endpoint", srv.URL + "/v1", "--bench", "gsm8k", "--limit", "2", "--results", dir},
			{"score", "--judge", c.judge, "--bench", "gsm8k", "--generations", gens},
		} {
			cmd := greason(args...)
			out, err := cmd.CombinedOutput()
			if err == nil || cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), c.flag) {
				t.Errorf("%s: want exit 2 and a message naming %s, got %v:\n%s", strings.Join(args, " "), c.flag, err, out)
			}
		}
	}
	if requests.Load() != 0 {
		t.Fatalf("eval sent %d requests before failing", requests.Load())
	}
	// A URL the judge does not use is refused too, in-process (same exit status).
	_, err := runCLI(t, "verify", "--judge", "rule", "--verifier-url", "http://127.0.0.1:1/v1", "--gold", "1", "--answer", "1")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "--verifier-url is set") {
		t.Fatalf("unused --verifier-url: %v", err)
	}
}
