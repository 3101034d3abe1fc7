package verify

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The labelled sets every judge change is measured on (docs/verifier.md, "Every labelled set"):
// the four verifier-dev copies, the published GSM8K outputs with their authors' verdicts, and
// sets derived from labelled ones by removing the final-answer marker (long solutions that end
// without "A: N" or a box), whose labels still hold because the marker only repeated the result.

type labelledSet struct {
	name string
	rows []Row
}

// openAISetups are the four setups of openai/grade-school-math's example_model_solutions.
var openAISetups = []string{"6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"}

const publishedDir = "../benchmarks/data/published"

// gunzipJSONL decodes every line of a gzipped JSONL file into a map.
func gunzipJSONL(t testing.TB, path string) []map[string]json.RawMessage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	dec := json.NewDecoder(zr)
	var out []map[string]json.RawMessage
	for {
		var m map[string]json.RawMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: record %d: %v", path, len(out)+1, err)
		}
		out = append(out, m)
	}
	return out
}

func rawString(t testing.TB, m map[string]json.RawMessage, key string) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(m[key], &s); err != nil {
		// ToRA keeps one-element lists
		var l []string
		if err2 := json.Unmarshal(m[key], &l); err2 != nil || len(l) != 1 {
			t.Fatalf("field %q: %v", key, err)
		}
		s = l[0]
	}
	return s
}

var reFinalALine = regexp.MustCompile(`\nA: ([^\n]*)\s*$`)

// openAIRows returns the rows of one setup of the OpenAI GSM8K file: gold = the reference
// solution's "A: N", label = the authors' is_correct; with strip, the solution's final "A: N"
// line is removed.
func openAIRows(t testing.TB, setup string, strip bool) []Row {
	var rows []Row
	for i, m := range gunzipJSONL(t, filepath.Join(publishedDir, "gsm8k_openai_example_model_solutions.jsonl.gz")) {
		gt := rawString(t, m, "ground_truth")
		g := reFinalALine.FindStringSubmatch(gt)
		if g == nil {
			t.Fatalf("openai record %d: ground_truth without a final A: line", i+1)
		}
		var s struct {
			Solution  string `json:"solution"`
			IsCorrect bool   `json:"is_correct"`
		}
		if err := json.Unmarshal(m[setup], &s); err != nil {
			t.Fatalf("openai record %d: %s: %v", i+1, setup, err)
		}
		resp := s.Solution
		if strip {
			if loc := reFinalALine.FindStringIndex(resp); loc != nil {
				resp = resp[:loc[0]]
			}
		}
		l := s.IsCorrect
		rows = append(rows, Row{ID: fmt.Sprint(i), Question: rawString(t, m, "question"), Gold: g[1], Response: resp, Label: &l})
	}
	return rows
}

var reBoxWrap = regexp.MustCompile(`\\boxed\{([^{}]*)\}`)

// toraRows returns a ToRA GSM8K file as rows: response = the whole tool-integrated solution,
// label = the authors' extracted pred equal to gt as numbers (the plain numeric equality the
// shared README describes); with strip, one-level boxes are unwrapped (no final-answer marker).
func toraRows(t testing.TB, file string, strip bool) []Row {
	var rows []Row
	for i, m := range gunzipJSONL(t, filepath.Join(publishedDir, file)) {
		resp := rawString(t, m, "code")
		if strip {
			resp = reBoxWrap.ReplaceAllString(resp, "$1")
		}
		gt, pred := rawString(t, m, "gt"), rawString(t, m, "pred")
		gf, err1 := strconv.ParseFloat(strings.ReplaceAll(gt, ",", ""), 64)
		pf, err2 := strconv.ParseFloat(strings.ReplaceAll(pred, ",", ""), 64)
		l := err1 == nil && err2 == nil && gf == pf
		rows = append(rows, Row{ID: fmt.Sprint(i), Question: rawString(t, m, "question"), Gold: gt, Response: resp, Label: &l})
	}
	return rows
}

// stripBoxes unwraps the boxes of every response (the qwen set without its final-answer marker).
func stripBoxes(rows []Row) []Row {
	out := make([]Row, len(rows))
	for i, r := range rows {
		r.Response = reBoxWrap.ReplaceAllString(r.Response, "$1")
		out[i] = r
	}
	return out
}

func labelledSets(t *testing.T) []labelledSet {
	var sets []labelledSet
	for _, f := range []string{"seed_examples", "rule_test_vectors", "qwen25_math_cot100_dev", "evouna_nq_dev"} {
		sets = append(sets, labelledSet{f, readShipped(t, f+".jsonl.gz")})
	}
	sets = append(sets, labelledSet{"qwen25_math_cot100_dev (boxes unwrapped)", stripBoxes(sets[2].rows)})
	for _, s := range openAISetups {
		sets = append(sets, labelledSet{"gsm8k openai " + s, openAIRows(t, s, false)})
	}
	for _, s := range openAISetups {
		sets = append(sets, labelledSet{"gsm8k openai " + s + " (A: line removed)", openAIRows(t, s, true)})
	}
	for _, f := range []string{"gsm8k_tora-70b-v1.0_tora.jsonl.gz", "gsm8k_tora-code-34b-v1.0_tora.jsonl.gz"} {
		sets = append(sets, labelledSet{strings.TrimSuffix(f, ".jsonl.gz"), toraRows(t, f, false)})
		sets = append(sets, labelledSet{strings.TrimSuffix(f, ".jsonl.gz") + " (boxes unwrapped)", toraRows(t, f, true)})
	}
	return sets
}

// longResponse is the "long solution" subset of a set: responses of 400 bytes or more.
func longResponse(r Row) bool { return len(r.Response) >= 400 }

// TestLabelledReport prints, per labelled set, the rule verifier's figures on the batch path
// (ExtractForJudging, then the rules) and on the long responses alone, as the Markdown rows of
// docs/verifier.md's "Every labelled set" table. VERIFY_REPORT=fp also lists every false
// acceptance of a long response; VERIFY_REPORT=verdicts:PATH writes every verdict (set, id,
// label, verdict, extracted, reason) to PATH for a before/after diff.
func TestLabelledReport(t *testing.T) {
	mode := os.Getenv("VERIFY_REPORT")
	if mode == "" {
		t.Skip("set VERIFY_REPORT=1 to print the figures of every labelled set")
	}
	// figures independent of the machine's load: the 40 ms budget (a guard against adversarial
	// input) would otherwise turn a check slowed by other processes into "unknown"
	defer func(b time.Duration) { Budget = b }(Budget)
	Budget = 10 * time.Second
	var verdicts strings.Builder
	for _, s := range labelledSets(t) {
		outs, err := RunBatch(context.Background(), RuleVerifier{}, s.rows, 2)
		if err != nil {
			t.Fatal(err)
		}
		var all, long Metrics
		for _, o := range outs {
			all.Add(o.Correct, *o.Label)
			fmt.Fprintf(&verdicts, "%s\t%s\t%v\t%v\t%q\t%q\n", s.name, o.ID, *o.Label, o.Correct, o.Extracted, o.Reason)
			if longResponse(o.Row) {
				long.Add(o.Correct, *o.Label)
				if o.Correct && !*o.Label && mode == "fp" {
					t.Logf("  FP %s %s gold %q extracted %.80q: %s", s.name, o.ID, o.Gold, o.Extracted, o.Reason)
				}
			}
		}
		t.Logf("| %s | %d | %.2f%% | %.2f%% | %.2f%% | %d | %d | %d | %d | %.2f%% |", s.name, all.N, 100*all.Accuracy(),
			100*all.Precision(), 100*all.Recall(), all.FP, all.FN, long.N, long.FP, 100*long.Precision())
	}
	if path, ok := strings.CutPrefix(mode, "verdicts:"); ok {
		if err := os.WriteFile(path, []byte(verdicts.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPublishedGSM8KJudging keeps the judge's agreement with the authors' verdicts on the
// published GSM8K outputs (batch path: ExtractForJudging, then the rules): at least 99.5% on
// each of openai/grade-school-math's four setups and on ToRA's two files as given, 99% with the
// final-answer marker removed (the conclusion of a worked solution is read), and no more false
// acceptances than measured when the floors were set (docs/verifier.md: as given 0 everywhere;
// without the marker 0, 5, 0, 2 on the OpenAI setups and 0 on ToRA, each explained there).
func TestPublishedGSM8KJudging(t *testing.T) {
	maxFP := map[string]int{
		"6b_finetuning (A: line removed)": 0, "6b_verification (A: line removed)": 5, "175b_finetuning (A: line removed)": 0,
		"175b_verification (A: line removed)": 2,
	}
	var sets []labelledSet
	for _, s := range openAISetups {
		sets = append(sets, labelledSet{s, openAIRows(t, s, false)}, labelledSet{s + " (A: line removed)", openAIRows(t, s, true)})
	}
	for _, f := range []string{"gsm8k_tora-70b-v1.0_tora", "gsm8k_tora-code-34b-v1.0_tora"} {
		sets = append(sets, labelledSet{f, toraRows(t, f+".jsonl.gz", false)}, labelledSet{f + " (boxes unwrapped)", toraRows(t, f+".jsonl.gz", true)})
	}
	for _, s := range sets {
		outs, err := RunBatch(context.Background(), RuleVerifier{}, s.rows, 2)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := Score(outs)
		floor := 0.995
		if strings.Contains(s.name, "(") {
			floor = 0.99 // the label belongs to the removed marker, which a few solutions contradict
		}
		if m.N != 1319 || m.Accuracy() < floor || m.FP > maxFP[s.name] {
			t.Errorf("%s: n=%d agreement %.2f%% (floor %.1f%%), %d false acceptances (at most %d)", s.name, m.N, 100*m.Accuracy(),
				100*floor, m.FP, maxFP[s.name])
		}
	}
}
