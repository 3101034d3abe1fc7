package verify

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeServer serves /completions and /chat/completions, recording the request body.
func fakeServer(t *testing.T, reply string, got *map[string]any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("bad request body: %v", err)
		}
		body["_path"] = r.URL.Path
		*got = body
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": reply}, "finish_reason": "stop"}}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"text": reply, "finish_reason": "stop"}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

const wantVerifierPrompt = "User: ### Question: What is 2+2?\n\n### Ground Truth Answer: 4\n\n### Student Answer: None\n\n" +
	"For the above question, please verify if the student's answer is equivalent to the ground truth answer.\n" +
	"Do not solve the question by yourself; just check if the student's answer is equivalent to the ground truth answer.\n" +
	"If the student's answer is correct, output \"Final Decision: Yes\". If the student's answer is incorrect, output \"Final Decision: No\". Assistant:"

func TestGeneralVerifierPrompt(t *testing.T) {
	var got map[string]any
	srv := fakeServer(t, "  The answers match.\nFinal Decision: Yes  ", &got)
	g := NewGeneralVerifier(srv.URL+"/v1", "TIGER-Lab/general-verifier")
	v, err := g.Judge(context.Background(), "What is 2+2?", "4", NoneAnswer)
	if err != nil {
		t.Fatal(err)
	}
	if got["_path"] != "/v1/completions" {
		t.Errorf("path %v", got["_path"])
	}
	if got["prompt"] != wantVerifierPrompt {
		t.Errorf("prompt mismatch:\n%q\nwant\n%q", got["prompt"], wantVerifierPrompt)
	}
	if got["temperature"] != 0.0 || got["max_tokens"] != 2048.0 || got["model"] != "TIGER-Lab/general-verifier" {
		t.Errorf("params: temperature=%v max_tokens=%v model=%v", got["temperature"], got["max_tokens"], got["model"])
	}
	if !v.Correct || v.Layer != "model" {
		t.Errorf("verdict %+v", v)
	}
	for out, want := range map[string]bool{"Final Decision: Yes": true, "final decision: yes": false, "Final Decision: No": false, "Final Decision: Y": false} {
		if VerifierPass(out) != want {
			t.Errorf("VerifierPass(%q) != %v", out, want)
		}
	}
}

func TestEqualityJudgePrompt(t *testing.T) {
	var got map[string]any
	srv := fakeServer(t, " Yes\n", &got)
	j := NewEqualityJudge(srv.URL+"/v1", "gpt-4o")
	v, err := j.Judge(context.Background(), "q", "$2x+3$", "")
	if err != nil {
		t.Fatal(err)
	}
	msgs := got["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("want one user message, got %v", msgs)
	}
	m := msgs[0].(map[string]any)
	content := m["content"].(string)
	if m["role"] != "user" || !strings.HasPrefix(content, "Look at the following two expressions (answers to a math problem) and judge whether they are equivalent. Only perform trivial simplifications\n\nExamples:\n\n    Expression 1: $2x+3$\n    Expression 2: $3+2x$\n\nYes\n\n") {
		t.Errorf("prompt start: %q", content[:min(200, len(content))])
	}
	if !strings.HasSuffix(content, "Do not include a rationale.\n\n    Expression 1: $2x+3$\n    Expression 2: None") {
		t.Errorf("prompt end: %q", content[max(0, len(content)-120):])
	}
	if got["temperature"] != 0.5 || got["max_tokens"] != 1024.0 {
		t.Errorf("params %v %v", got["temperature"], got["max_tokens"])
	}
	if !v.Correct {
		t.Errorf("\" Yes\\n\" must count as yes: %+v", v)
	}
	srv2 := fakeServer(t, "Yes, they are equal", &got)
	v, _ = NewEqualityJudge(srv2.URL+"/v1", "gpt-4o").Judge(context.Background(), "q", "1", "1")
	if v.Correct {
		t.Error("only exactly \"yes\" counts")
	}
}

func TestCascade(t *testing.T) {
	var got map[string]any
	srv := fakeServer(t, "Final Decision: Yes", &got)
	c := &Cascade{Model: NewGeneralVerifier(srv.URL+"/v1", "m")}
	v, err := c.Judge(context.Background(), "", "4.9 J", "4.9 N·m")
	if err != nil || !v.Correct || v.Layer != "rule" || got != nil {
		t.Fatalf("rules must decide a rule-yes without calling the model: %+v %v %v", v, err, got)
	}
	v, err = c.Judge(context.Background(), "Capital of France?", "Paris", "The capital city is Lutetia.")
	if err != nil || !v.Correct || v.Layer != "model" || !strings.Contains(v.Reason, "rules said no") {
		t.Fatalf("a rule-no must go to the model: %+v %v", v, err)
	}
	v, _ = (&Cascade{}).Judge(context.Background(), "", "Paris", "Lyon")
	if v.Correct || v.Layer != "rule" {
		t.Errorf("rules-only cascade: %+v", v)
	}
}

func TestReward(t *testing.T) {
	n := func(s string) int { return len(strings.Fields(s)) }
	cases := []struct {
		ans       string
		extracted bool
		pass      bool
		gold      string
		want      float64
	}{
		{"4", true, true, "4", 1},
		{"4 J", true, true, "4", 0.95},
		{strings.Repeat("x ", 30), true, true, "4", 0.5}, // capped at 10 tokens
		{"5", true, false, "4", 0},
		{"", false, false, "4", -0.5},
		{"", false, true, "a b c", 0.5 - 0.05}, // "No Answer" is 2 tokens vs 3
	}
	for _, c := range cases {
		if got := Reward(c.ans, c.extracted, c.pass, c.gold, n); got < c.want-1e-12 || got > c.want+1e-12 {
			t.Errorf("Reward(%q,%v,%v,%q) = %v, want %v", c.ans, c.extracted, c.pass, c.gold, got, c.want)
		}
	}
	var got map[string]any
	srv := fakeServer(t, "Final Decision: Yes", &got)
	r, v, err := RewardFor(context.Background(), NewGeneralVerifier(srv.URL+"/v1", "m"), "q", "4", "no box here", RuneCounter)
	if err != nil || !v.Correct || math.Abs(r-(0.5-0.05*8)) > 1e-12 || !strings.Contains(got["prompt"].(string), "### Student Answer: None\n") {
		t.Errorf("RewardFor without extraction: r=%v v=%+v err=%v", r, v, err)
	}
}

func TestBatchIO(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(`{"id":"a","question":null,"gold":"4.9 J","response":"4.9 N·m","label":true,"answer_type":"quantity"}
{"id":"b","question":"q","gold":"5","response":"The answer is \\boxed{6}.","label":false}
`), 0o644)
	rows, err := ReadRows(in)
	if err != nil || len(rows) != 2 {
		t.Fatal(rows, err)
	}
	outs, err := RunBatch(context.Background(), RuleVerifier{}, rows, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !outs[0].Correct || outs[1].Correct || outs[1].Extracted != "6" {
		t.Errorf("outputs %+v", outs)
	}
	long := strings.Repeat("Some background about the city and its history. ", 40) + "\nIt is a lovely place."
	o2, err := JudgeRow(context.Background(), RuleVerifier{}, Row{ID: "c", Gold: "Paris", Response: "The capital of France is Paris.\n" + long})
	if err != nil || !o2.Correct || !strings.Contains(o2.Reason, "text gold") {
		t.Errorf("long open-domain answer: %+v %v", o2, err)
	}
	o, byType := Score(outs)
	if o.N != 2 || o.Accuracy() != 1 || byType["quantity"].N != 1 {
		t.Errorf("metrics %+v", o)
	}
	out := filepath.Join(dir, "out.jsonl")
	if err := WriteJSONL(out, outs); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), `"correct":true`) || !strings.Contains(string(b), `"layer":"rule"`) {
		t.Errorf("output %s", b)
	}
	for text, want := range map[string]string{
		"{\"id\":\"a\",\"question\":\"q\",\"gold\":\"1\",\"response\":\"1\"}\n{broken\n": "bad.jsonl:2: invalid JSON",
		"{\"id\":\"a\",\"question\":\"q\",\"response\":\"1\"}\n":                         `bad.jsonl:1: missing field "gold"`,
		"{\"id\":\"a\",\"gold\":\"1\",\"response\":\"1\"}\n":                             `bad.jsonl:1: missing field "question"`,
		"{\"id\":\"a\",\"question\":\"q\",\"gold\":\"1\",\"response\":2}\n":              `bad.jsonl:1: field "response"`,
	} {
		p := filepath.Join(dir, "bad.jsonl")
		os.WriteFile(p, []byte(text), 0o644)
		if _, err := ReadRows(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadRows(%q) error %v, want %q", text, err, want)
		}
	}
}
