package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/greason/greason/serve"
)

// TestMain lets the test binary act as the greason CLI when GREASON_RUN_MAIN=1, so tests can
// run (and kill) real `greason` processes.
func TestMain(m *testing.M) {
	if os.Getenv("GREASON_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func greason(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GREASON_RUN_MAIN=1")
	return cmd
}

// fakeServer is an OpenAI-compatible chat server on loopback that answers every question with
// \boxed{18} after a short delay, counting requests.
func fakeServer(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 || req.Messages[0].Content != "You are a helpful assistant." {
			http.Error(w, "bad request", 400)
			return
		}
		n.Add(1)
		time.Sleep(delay)
		fmt.Fprint(w, `{"choices":[{"message":{"role":"assistant","content":"Let me think. \\boxed{18}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":5}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func countLines(t *testing.T, path string) (lines int, keys map[string]int) {
	keys = map[string]int{}
	f, err := os.Open(path)
	if err != nil {
		return 0, keys
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var s struct{ Key string }
		if json.Unmarshal(sc.Bytes(), &s) == nil && s.Key != "" {
			keys[s.Key]++
			lines++
		}
	}
	return lines, keys
}

func TestEvalKillAndResume(t *testing.T) {
	srv, requests := fakeServer(t, 15*time.Millisecond)
	dir := t.TempDir()
	args := []string{"eval", "--model", "fake-model", "--endpoint", srv.URL + "/v1,4", "--bench", "gsm8k",
		"--limit", "120", "--run", "r1", "--results", dir}
	samples := filepath.Join(dir, "runs", "r1", "samples.jsonl")

	cmd := greason(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n, _ := countLines(t, samples); n >= 30 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("run did not progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before, _ := countLines(t, samples)
	if before >= 120 {
		t.Fatalf("killed run already finished (%d samples): not a mid-run kill", before)
	}

	out, err := greason(args...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume failed: %v\n%s", err, out)
	}
	n, keys := countLines(t, samples)
	if n != 120 || len(keys) != 120 {
		t.Fatalf("after resume: %d lines, %d distinct keys, want 120 each", n, len(keys))
	}
	for k, c := range keys {
		if c != 1 {
			t.Fatalf("sample %s stored %d times", k, c)
		}
	}
	var rec struct {
		Benchmarks map[string]struct {
			Generated int
			FromCache int `json:"from_cache"`
		}
		Metrics    map[string]struct{ N, Correct int }
		ConfigHash string `json:"config_hash"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "runs", "r1", "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	g := rec.Benchmarks["gsm8k"]
	if g.FromCache < before || g.Generated+g.FromCache != 120 || rec.ConfigHash == "" {
		t.Fatalf("record: %+v (had %d before resume)", rec, before)
	}
	// Every sample answered 18; the first GSM8K item's gold is 18, so at least one is right,
	// and all 120 were scored.
	if m := rec.Metrics["gsm8k"]; m.N != 120 || m.Correct < 1 {
		t.Fatalf("metrics %+v", m)
	}
	// A third run generates nothing.
	reqs := requests.Load()
	if out, err := greason(args...).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if requests.Load() != reqs {
		t.Fatalf("a complete run sent %d more requests", requests.Load()-reqs)
	}
}

func TestEvalFailoverBetweenEndpoints(t *testing.T) {
	good, _ := fakeServer(t, 0)
	var badHits atomic.Int64
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		badHits.Add(1)
		http.Error(w, "down", 503)
	}))
	defer bad.Close()
	dir := t.TempDir()
	out, err := greason("eval", "--model", "m", "--endpoint", bad.URL+"/v1,2", "--endpoint", good.URL+"/v1,2",
		"--bench", "amc23", "--retries", "1", "--max-endpoint-failures", "2", "--run", "fo", "--results", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "dropped") || badHits.Load() == 0 {
		t.Fatalf("bad endpoint not dropped:\n%s", out)
	}
	n, keys := countLines(t, filepath.Join(dir, "runs", "fo", "samples.jsonl"))
	if n != 40 || len(keys) != 40 {
		t.Fatalf("%d samples, %d keys", n, len(keys))
	}
}

func TestEvalAllEndpointsDown(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }))
	defer bad.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "eval", "--model", "m", "--endpoint", bad.URL+"/v1,1", "--bench", "amc23",
		"--retries", "0", "--max-endpoint-failures", "1", "--results", t.TempDir())
	cmd.Env = append(os.Environ(), "GREASON_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "every endpoint failed") {
		t.Fatalf("want a clear failure, got %v\n%s", err, out)
	}
}

func TestScoreCommandErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := map[string]string{
		write("broken.jsonl", "{\"id\": \"70\", \"response\": \"x\"}\n{broken\n"):                   "line 2: broken JSON",
		write("noresp.jsonl", "{\"id\": \"70\", \"response\": \"x\"}\n{\"id\": \"71\"}\n"):          "line 2: no response field",
		write("noid.json", `[{"response": "x"}]`):                                                   "record 1: no id field",
		write("unknown.jsonl", "{\"id\": \"nope\", \"response\": \"x\"}\n"):                         `no item with id "nope"`,
		write("unmatched.jsonl", "{\"question\": \"Is this in MMLU-Pro?\", \"response\": \"x\"}\n"): "1 record(s) match no question",
	}
	for file, want := range cases {
		out, err := greason("score", "--bench", "mmlu-pro", "--generations", file).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), filepath.Base(file)) {
			t.Errorf("%s: want error containing %q and the file name, got %v: %s", filepath.Base(file), want, err, out)
		}
	}
	out, err := greason("score", "--bench", "mmlu", "--generations", "x").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown benchmark "mmlu"`) {
		t.Errorf("unknown benchmark: %s", out)
	}
}

// TestScoreRuns: `greason score` on openai/grade-school-math's published solutions (four setups
// per record, each a run) prints the metrics per run; with --run one setup; with the
// final-answer protocol the counts are the authors' is_correct means.
func TestScoreRuns(t *testing.T) {
	file := filepath.Join("..", "..", "benchmarks", "data", "published", "gsm8k_openai_example_model_solutions.jsonl.gz")
	out := filepath.Join(t.TempDir(), "rows.jsonl")
	res, err := greason("score", "--bench", "gsm8k", "--generations", file, "--protocol", "final-answer", "--out", out).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	var perRun map[string]struct{ Correct, N int }
	if err := json.Unmarshal(res, &perRun); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	want := map[string]int{"6b_finetuning": 286, "6b_verification": 515, "175b_finetuning": 458, "175b_verification": 742}
	for run, c := range want {
		if perRun[run].Correct != c || perRun[run].N != 1319 {
			t.Errorf("%s: %+v, want %d/1319", run, perRun[run], c)
		}
	}
	rows, _ := os.ReadFile(out)
	if n := strings.Count(string(rows), "\n"); n != 4*1319 || !strings.Contains(string(rows), `"run":"175b_verification"`) {
		t.Errorf("%d rows", n)
	}
	res, err = greason("score", "--bench", "gsm8k", "--generations", file, "--protocol", "final-answer", "--run", "6b_finetuning").Output()
	if err != nil || !strings.Contains(string(res), `"6b_finetuning"`) || strings.Contains(string(res), "175b") {
		t.Fatalf("--run: %v: %s", err, res)
	}
	// the paper's protocol (first \boxed{}) finds no answer in these solutions, and says what to use
	res, err = greason("score", "--bench", "gsm8k", "--generations", file, "--run", "6b_finetuning").CombinedOutput()
	if err != nil || !strings.Contains(string(res), "1319 of 1319 responses have no") || !strings.Contains(string(res), "--protocol final-answer") {
		t.Fatalf("paper protocol hint: %v: %s", err, res)
	}
}

// TestEvalAgainstServe is the real end-to-end path: `greason eval` (a separate process) against
// `greason serve`'s handler on loopback with a tiny random Qwen3 model, the real tokenizer and
// chat template. A random model answers nonsense; the test checks the plumbing, not accuracy.
func TestEvalAgainstServe(t *testing.T) {
	dir := t.TempDir()
	if out, err := greason("model", "init", "--config", "tiny-qwen3", "--out", dir, "--seed", "1").CombinedOutput(); err != nil {
		t.Fatalf("model init: %v\n%s", err, out)
	}
	s, err := serve.Open(dir, "float32", "", serve.Options{ModelName: "tiny"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewServer(s)
	defer srv.Close()
	res := t.TempDir()
	out, err := greason("eval", "--model", "tiny", "--endpoint", srv.URL+"/v1,4", "--bench", "gsm8k,mmlu-pro",
		"--limit", "3", "--max-tokens", "8", "--run", "e2e", "--results", res).CombinedOutput()
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	var rec struct {
		Metrics map[string]struct{ N int }
	}
	b, err := os.ReadFile(filepath.Join(res, "runs", "e2e", "record.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &rec)
	if rec.Metrics["gsm8k"].N != 3 || rec.Metrics["mmlu-pro"].N != 3 {
		t.Fatalf("metrics %+v\n%s", rec.Metrics, out)
	}
	n, _ := countLines(t, filepath.Join(res, "runs", "e2e", "samples.jsonl"))
	if n != 6 || s.Stats().Requests < 6 {
		t.Fatalf("%d samples stored, %d requests served", n, s.Stats().Requests)
	}
	// The completions API sends the raw prompt (no chat template).
	out, err = greason("eval", "--model", "tiny", "--api", "completions", "--endpoint", srv.URL+"/v1", "--bench", "aime25",
		"--limit", "1", "--samples", "2", "--max-tokens", "4", "--run", "e2e-completions", "--results", res).CombinedOutput()
	if err != nil {
		t.Fatalf("eval --api completions: %v\n%s", err, out)
	}
	if n, keys := countLines(t, filepath.Join(res, "runs", "e2e-completions", "samples.jsonl")); n != 2 || len(keys) != 2 {
		t.Fatalf("completions run stored %d samples", n)
	}
}

// TestScoreWithLLMJudge re-scores generations with the paper's equality judge served by a fake
// chat endpoint that answers like GPT-4o would for exact matches.
func TestScoreWithLLMJudge(t *testing.T) {
	var calls atomic.Int64
	judge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		calls.Add(1)
		p := req.Messages[0].Content
		ans := "No"
		if strings.Contains(p, "Look at the following two expressions") && strings.Contains(p, "Expression 1: 18\n") && strings.HasSuffix(p, "Expression 2: 18") {
			ans = "Yes"
		}
		fmt.Fprintf(w, `{"choices":[{"message":{"role":"assistant","content":%q}}]}`, ans)
	}))
	defer judge.Close()
	dir := t.TempDir()
	gens := filepath.Join(dir, "g.jsonl")
	os.WriteFile(gens, []byte("{\"id\":\"0\",\"response\":\"so \\\\boxed{18}\"}\n{\"id\":\"0\",\"sample\":1,\"response\":\"\\\\boxed{17}\"}\n{\"id\":\"0\",\"sample\":2,\"response\":\"no box\"}\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	res, err := greason("score", "--bench", "gsm8k", "--generations", gens, "--judge", "llm-judge", "--judge-url", judge.URL, "--out", out).Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	var m struct{ N, Correct int }
	json.Unmarshal(res, &m)
	if m.N != 3 || m.Correct != 1 || calls.Load() != 3 {
		t.Fatalf("metrics %+v, %d judge calls\n%s", m, calls.Load(), res)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `"judge":"llm-judge"`) {
		t.Fatalf("rows do not record the judge:\n%s", b)
	}
}
