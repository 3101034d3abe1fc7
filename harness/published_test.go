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
// reference 3,721/12,032; TheoremQA's run.py extraction must reproduce InternLM2's pred on all
// 800 items; the graded preds land where docs/harness.md explains.
func TestPublishedGenerations(t *testing.T) {
	res, err := ScorePublished(context.Background(), filepath.Join("..", DefaultPublishedDir))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][5]int{ // correct, full-chain correct, agree, compared, reference correct
		"model_outputs_Mistral-7B-v0.1_5shots.zip": {3721, 3721, 10781, 10781, 3721},
		"Mistral_7B_v0.1_5shots_mistral.jsonl.gz":  {117, 130, 613, 800, 122},
		"internlm2_20b_5shots_short.jsonl.gz":      {146, 146, 800, 800, 147},
	}
	if len(res) != len(want) {
		t.Fatalf("%d files", len(res))
	}
	for _, r := range res {
		w := want[r.Ref.File]
		if got := [5]int{r.Correct, r.FullCorrect, r.Agree, r.Compared, r.Ref.Correct}; got != w {
			t.Errorf("%s: got %v, want %v", r.Ref.File, got, w)
		}
	}
	tb := PublishedTable(res, "x")
	md := string(markdown(tb))
	if !strings.Contains(md, "| 30.93 (3,721/12,032) | 30.93 (3,721/12,032) | +0.00 |") || !strings.Contains(md, "800/800 on `pred`") {
		t.Fatalf("published.md:\n%s", md)
	}
	if !strings.Contains(string(latex(tb)), `3,721/12,032`) || len(tb.CSV) != 4 || len(tb.Files["published_disagreements.csv"]) == 0 {
		t.Fatal("latex / csv / disagreements")
	}
}

func TestPublishedReferenceErrors(t *testing.T) {
	src := filepath.Join("..", DefaultPublishedDir)
	head := strings.Join(publishedColumns, ",") + "\n"
	for body, wantErr := range map[string]string{
		head + "internlm2_20b_5shots_short.jsonl.gz,theoremqa,theoremqa-repo,pred,pred,18.0,147,800,x,y\n": "line 2: reference_accuracy 18.0 is not",
		head + "nope.jsonl.gz,theoremqa,theoremqa-repo,pred,pred,18.375,147,800,x,y\n":                     "line 2: field file",
		head + "internlm2_20b_5shots_short.jsonl.gz,theoremqa,paperish,pred,pred,18.375,147,800,x,y\n":     `field protocol: theoremqa has no protocol "paperish"`,
		"file,benchmark\n": "header must be",
		head + "# comment\ninternlm2_20b_5shots_short.jsonl.gz,theoremqa,theoremqa-repo,pred,pred,18.375,147,0,x,y\n": "line 3: field reference_total",
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
