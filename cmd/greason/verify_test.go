package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyCLISingle(t *testing.T) {
	out, err := runCLI(t, "verify", "--gold", "4.9 J", "--answer", "4.9 N·m")
	if err != nil || !strings.Contains(out, "verdict:   correct") || !strings.Contains(out, "layer:     rule") {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = runCLI(t, "verify", "--judge", "exact", "--gold", "4.9 J", "--answer", "4.9 N·m")
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
	out, err := runCLI(t, "verify", "--batch", in, "--out", outPath)
	if err != nil || !strings.Contains(out, "overall") || !strings.Contains(out, "100.0%") {
		t.Fatalf("%v\n%s", err, out)
	}
	b, _ := os.ReadFile(outPath)
	if strings.Count(string(b), "\n") != 2 || !strings.Contains(string(b), `"extracted":"6"`) {
		t.Errorf("output file:\n%s", b)
	}
	os.WriteFile(in, []byte("{\"id\":\"1\",\"question\":\"q\",\"response\":\"x\"}\n"), 0o644)
	if _, err := runCLI(t, "verify", "--batch", in, "--out", outPath); err == nil || !strings.Contains(err.Error(), `in.jsonl:1: missing field "gold"`) {
		t.Errorf("want a file:line:field error, got %v", err)
	}
}

// TestVerifyLocalVerifier: --judge general-verifier / cascade with --verifier-model DIR and no
// URL run a checkpoint folder in-process (model init --tokenizer embedded writes a complete
// one); a folder without tokenizer.json, or a name that is not a folder, is an error (exit 2)
// naming what is missing.
func TestVerifyLocalVerifier(t *testing.T) {
	dir := t.TempDir()
	gv := filepath.Join(dir, "gv")
	if out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", gv, "--seed", "2", "--tokenizer", "embedded"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	in, outPath := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	os.WriteFile(in, []byte(`{"id":"1","question":"Capital of France?","gold":"Paris","response":"It is Lutetia.","label":true}
{"id":"2","question":"q","gold":"5","response":"so \\boxed{5}","label":true}
{"id":"3","question":"q","gold":"5","response":"so \\boxed{6}","label":false}
`), 0o644)
	for _, judge := range []string{"general-verifier", "cascade"} {
		out, err := runCLI(t, "verify", "--batch", in, "--out", outPath, "--judge", judge, "--verifier-model", gv, "--verifier-max-tokens", "4", "--verifier-batch", "2")
		if err != nil || !strings.Contains(out, "local General-Verifier:") {
			t.Fatalf("%s: %v\n%s", judge, err, out)
		}
		b, _ := os.ReadFile(outPath)
		models := strings.Count(string(b), `"layer":"model"`)
		if want := map[string]int{"general-verifier": 3, "cascade": 2}[judge]; models != want {
			t.Errorf("%s: %d rows judged by the model, want %d:\n%s", judge, models, want, b)
		}
		t.Logf("%s: %s", judge, strings.TrimSpace(out[strings.Index(out, "local General-Verifier"):]))
	}
	os.Remove(filepath.Join(gv, "tokenizer.json"))
	_, err := runCLI(t, "verify", "--judge", "general-verifier", "--verifier-model", gv, "--gold", "1", "--answer", "1")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "lacks tokenizer.json") {
		t.Fatalf("folder without tokenizer.json: %v", err)
	}
	_, err = runCLI(t, "verify", "--judge", "cascade", "--verifier-model", filepath.Join(dir, "nope"), "--gold", "1", "--answer", "2")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "not a checkpoint folder") || !strings.Contains(err.Error(), "--verifier-url") {
		t.Fatalf("missing folder: %v", err)
	}
}

// TestEvalLocalVerifier: greason eval's judge general-verifier with a local folder: the run
// scores every sample through the in-process model (one load, shared runs).
func TestEvalLocalVerifier(t *testing.T) {
	srv, _ := fakeServer(t, 0)
	dir := t.TempDir()
	gv := filepath.Join(dir, "gv")
	if out, err := runCLI(t, "model", "init", "--config", "tiny-qwen2", "--out", gv, "--seed", "2", "--tokenizer", "embedded"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := greason("eval", "--model", "m", "--endpoint", srv.URL+"/v1,4", "--bench", "gsm8k", "--limit", "3", "--results", dir,
		"--judge", "general-verifier", "--verifier-model", gv, "--verifier-batch", "4", "--verifier-max-tokens", "8").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "local General-Verifier: 3 prompts") {
		t.Fatalf("%v\n%s", err, out)
	}
	rec, err := os.ReadFile(filepath.Join(dir, "runs", "m", "record.json"))
	if err != nil || !strings.Contains(string(rec), `"verifier_model": "`+gv+`"`) || !strings.Contains(string(rec), `"verifier_max_tokens": 8`) {
		t.Fatalf("record.json (%v):\n%s", err, rec)
	}
	t.Log(strings.TrimSpace(string(out)))
}

// TestTrainSFTVerifierTask: a config with "task": "verifier" goes to the verifier SFT job (its
// errors name the init folder; an unknown key is refused), the micro tasks to train/micro.
func TestTrainSFTVerifierTask(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "job.json")
	os.WriteFile(cfg, []byte(`{"task": "verifier", "init": "`+filepath.Join(dir, "nope")+`", "train": "t.jsonl", "out": "`+dir+`"}`), 0o644)
	if _, err := runCLI(t, "train", "sft", "--config", cfg); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("verifier job with a missing init folder: %v", err)
	}
	os.WriteFile(cfg, []byte(`{"task": "verifier", "init": "x", "train": "t.jsonl", "out": "o", "policy": "p"}`), 0o644)
	if _, err := runCLI(t, "train", "sft", "--config", cfg); err == nil || !strings.Contains(err.Error(), `unknown field "policy"`) {
		t.Fatalf("a micro key in a verifier job: %v", err)
	}
	os.WriteFile(cfg, []byte(`{"task": "nonsense"}`), 0o644)
	if _, err := runCLI(t, "train", "sft", "--config", cfg); err == nil || !strings.Contains(err.Error(), "micro-verifier") {
		t.Fatalf("unknown task: %v", err)
	}
}
