package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/benchmarks"
)

// TestPublishedGenerations re-scores the vendored published files: the MMLU-Pro repository's
// extraction must agree with the published pred on every item that has one and give the
// reference 3,721/12,032; TheoremQA's graded preds must give the repository's 122/800 and
// 147/800 with latex2sympy2's process state (and its run.py extraction reproduce InternLM2's
// pred on all 800 items); on openai/grade-school-math's four setups our verdicts must agree
// with the authors' is_correct on at least 99.5% of the items; on ToRA's outputs our accuracy
// must be within 0.3 points of their metrics files (84.3, 80.7). docs/harness.md explains every
// remaining difference.
func TestPublishedGenerations(t *testing.T) {
	res, err := ScorePublished(context.Background(), filepath.Join("..", DefaultPublishedDir))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][7]int{ // correct, full-chain correct, agree, compared, verdict agree, verdict compared, state changes
		"model_outputs_Mistral-7B-v0.1_5shots.zip":                        {3721, 3721, 10781, 10781, 0, 0, 0},
		"Mistral_7B_v0.1_5shots_mistral.jsonl.gz":                         {122, 134, 619, 800, 0, 0, 9},
		"internlm2_20b_5shots_short.jsonl.gz":                             {147, 147, 800, 800, 0, 0, 2},
		"gsm8k_openai_example_model_solutions.jsonl.gz 6b_finetuning":     {286, 286, 0, 0, 1319, 1319, 0},
		"gsm8k_openai_example_model_solutions.jsonl.gz 6b_verification":   {515, 515, 0, 0, 1319, 1319, 0},
		"gsm8k_openai_example_model_solutions.jsonl.gz 175b_finetuning":   {458, 458, 0, 0, 1319, 1319, 0},
		"gsm8k_openai_example_model_solutions.jsonl.gz 175b_verification": {742, 742, 0, 0, 1319, 1319, 0},
		"gsm8k_tora-70b-v1.0_tora.jsonl.gz":                               {1112, 1112, 1288, 1319, 0, 0, 0},
		"gsm8k_tora-code-34b-v1.0_tora.jsonl.gz":                          {1062, 1062, 1293, 1319, 0, 0, 0},
	}
	if len(res) != len(want) {
		t.Fatalf("%d files", len(res))
	}
	for _, r := range res {
		key := strings.TrimSpace(r.Ref.File + " " + r.Ref.Run)
		w, ok := want[key]
		if !ok {
			t.Fatalf("unexpected row %s", key)
		}
		if got := [7]int{r.Correct, r.FullCorrect, r.Agree, r.Compared, r.VerdictAgree, r.VerdictCompared, len(r.StateChanges)}; got != w {
			t.Errorf("%s: got %v, want %v", key, got, w)
		}
		if r.Ref.Exact() && r.Ref.Benchmark != "gsm8k" && r.Correct != r.Ref.Correct {
			t.Errorf("%s: %d correct, the authors' code %d", key, r.Correct, r.Ref.Correct)
		}
		if r.VerdictCompared > 0 && float64(r.VerdictAgree) < 0.995*float64(r.VerdictCompared) {
			t.Errorf("%s: verdicts agree on %d/%d, below 99.5%%", key, r.VerdictAgree, r.VerdictCompared)
		}
		if !r.Ref.Exact() {
			if d := 100*float64(r.Correct)/float64(r.Total) - r.Ref.Accuracy; d > 0.3 || d < -0.3 {
				t.Errorf("%s: ours %d/%d is %.2f points from the authors' %.1f", key, r.Correct, r.Total, d, r.Ref.Accuracy)
			}
		}
	}
	tb := PublishedTable(res, "x")
	md := string(markdown(tb))
	for _, s := range []string{"| 30.93 (3,721/12,032) | 30.93 (3,721/12,032) | +0.00 |", "800/800 on `pred`",
		"| 15.25 (122/800) | 15.25 (122/800) | +0.00 |", "1,319/1,319 (100.00%) on `is_correct`", "| 84.3 (rounded, n=1,319) | +0.01 |"} {
		if !strings.Contains(md, s) {
			t.Fatalf("published.md lacks %q:\n%s", s, md)
		}
	}
	dis := string(tb.Files["published_disagreements.csv"])
	if !strings.Contains(string(latex(tb)), `3,721/12,032`) || len(tb.CSV) != 10 || !strings.Contains(dis, "state (grade of pred)") ||
		!strings.Contains(dis, ",extraction,") {
		t.Fatal("latex / csv / disagreements")
	}
}

func TestPublishedReferenceErrors(t *testing.T) {
	src := filepath.Join("..", DefaultPublishedDir)
	head := strings.Join(publishedColumns, ",") + "\n"
	for body, wantErr := range map[string]string{
		head + "internlm2_20b_5shots_short.jsonl.gz,,theoremqa,theoremqa-repo,pred,pred,,18.0,147,800,x,y\n": "line 2: reference_accuracy 18.0 is not",
		head + "nope.jsonl.gz,,theoremqa,theoremqa-repo,pred,pred,,18.375,147,800,x,y\n":                     "line 2: field file",
		head + "internlm2_20b_5shots_short.jsonl.gz,,theoremqa,paperish,pred,pred,,18.375,147,800,x,y\n":     `field protocol: theoremqa has no protocol "paperish"`,
		"file,benchmark\n": "header must be",
		head + "# comment\ninternlm2_20b_5shots_short.jsonl.gz,,theoremqa,theoremqa-repo,pred,pred,,18.375,147,0,x,y\n": "line 3: field reference_total",
		head + "internlm2_20b_5shots_short.jsonl.gz,,theoremqa,theoremqa-repo,pred,pred,,18.3333,,800,x,y\n":            "line 2: reference_accuracy 18.3333 is no count of 800 rounded",
	} {
		dir := t.TempDir()
		b, _ := os.ReadFile(filepath.Join(src, "internlm2_20b_5shots_short.jsonl.gz"))
		os.WriteFile(filepath.Join(dir, "internlm2_20b_5shots_short.jsonl.gz"), b, 0o644)
		os.WriteFile(filepath.Join(dir, "reference.csv"), []byte(body), 0o644)
		if _, err := ReadPublishedRefs(dir); err == nil || !strings.Contains(err.Error(), wantErr) || !strings.Contains(err.Error(), "reference.csv") {
			t.Errorf("want error containing %q, got %v", wantErr, err)
		}
	}
}

func TestMatchQuestions(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "g.jsonl")
	os.WriteFile(p, []byte("{\"question\": \"  What  is\\n2+2? \", \"response\": \"4\"}\n{\"question\": \"What is 2+2?\", \"response\": \"5\"}\n{\"question\": \"Unknown\", \"response\": \"x\"}\n"), 0o644)
	rs, err := ReadGenerations(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	items := []benchmarks.Item{{ID: "a", Question: "What is 2+2?"}, {ID: "b", Question: "Other"}}
	err = MatchQuestions(items, rs)
	if err == nil || !strings.Contains(err.Error(), "1 record(s) match no question") || !strings.Contains(err.Error(), "g.jsonl: line 3") {
		t.Fatalf("%v", err)
	}
	if rs[0].ID != "a" || rs[1].ID != "a" || rs[0].Sample != 0 || rs[1].Sample != 1 {
		t.Fatalf("%+v", rs[:2])
	}
}

// TestReadGenerationsRuns: records holding one object per run (openai/grade-school-math's
// setups) give one response per run, matched to items per run; lists are one response per
// sample; booleans read as verdicts; a missing run or a bad field is an error naming it.
func TestReadGenerationsRuns(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "g.jsonl")
	os.WriteFile(p, []byte(`{"question": "What is 2+2?", "b_run": {"solution": "4", "is_correct": true}, "a_run": {"solution": "5", "is_correct": false}}
{"question": "Other", "a_run": {"solution": "x", "is_correct": false}, "b_run": {"solution": "y", "is_correct": true}}
`), 0o644)
	rs, err := ReadGenerations(p, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[0].Run != "a_run" || rs[0].Text != "5" || rs[1].Run != "b_run" || rs[1].Text != "4" || !strings.Contains(rs[1].Where, "line 1: run b_run") {
		t.Fatalf("%+v", rs)
	}
	items := []benchmarks.Item{{ID: "a", Question: "What is 2+2?"}, {ID: "b", Question: "Other"}}
	if err := MatchQuestions(items, rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Sample != 0 {
			t.Fatalf("each run answers each question once: %+v", r)
		}
	}
	vs, err := ReadGenerations(p, ReadOptions{TextField: "is_correct", Run: "b_run"})
	if err != nil || len(vs) != 2 || vs[0].Text != "true" || vs[1].Text != "true" {
		t.Fatalf("%+v %v", vs, err)
	}
	if _, err := ReadGenerations(p, ReadOptions{Run: "c_run"}); err == nil || !strings.Contains(err.Error(), `no run "c_run"`) {
		t.Fatalf("%v", err)
	}
	l := filepath.Join(dir, "l.jsonl")
	os.WriteFile(l, []byte(`{"idx": 0, "code": ["a", "b"], "pred": ["1", "2"]}
{"idx": 1, "code": []}
`), 0o644)
	if _, err := ReadGenerations(l, ReadOptions{}); err == nil || !strings.Contains(err.Error(), `l.jsonl: line 2: field "code": an empty list`) {
		t.Fatalf("%v", err)
	}
	os.WriteFile(l, []byte(`{"idx": 0, "code": ["a", "b"], "pred": ["1", "2"]}`+"\n"), 0o644)
	rs, err = ReadGenerations(l, ReadOptions{})
	if err != nil || len(rs) != 2 || rs[1].Text != "b" || rs[1].Sample != 1 || rs[0].ID != "0" {
		t.Fatalf("%+v %v", rs, err)
	}
}
