package harness

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/greason/greason/benchmarks"
)

// DefaultPublishedDir holds the vendored published generation files and their reference.csv.
const DefaultPublishedDir = "benchmarks/data/published"

// PublishedRef is one row of a published-generations folder's reference.csv: a file (and the run
// in it), how to score it, and the accuracy its authors' code gives.
type PublishedRef struct {
	File, Run, Benchmark, Protocol string
	GradedField                    string // "" = the response, full extraction chain
	CompareField                   string // the authors' extracted prediction, compared per item
	VerdictField                   string // the authors' per-item verdict (a boolean), compared with ours
	Accuracy                       float64
	// Correct is the authors' count of correct items; -1 when they published only a rounded
	// percentage (Accuracy, to its written decimals: ToRA's metrics files).
	Correct, Total     int
	Decimals           int // decimals of the written reference_accuracy
	ComputedBy, Source string
	Line               int
}

// Exact reports whether the reference is a count (not only a rounded percentage).
func (r PublishedRef) Exact() bool { return r.Correct >= 0 }

var publishedColumns = []string{"file", "run", "benchmark", "protocol", "graded_field", "compare_field", "verdict_field",
	"reference_accuracy", "reference_correct", "reference_total", "computed_by", "source"}

// ReadPublishedRefs reads DIR/reference.csv ('#' lines are comments). Every row must name an
// existing file, a known benchmark and protocol, and an accuracy equal to correct/total (or,
// with reference_correct empty, a percentage that some count of the total rounds to).
func ReadPublishedRefs(dir string) ([]PublishedRef, error) {
	path := filepath.Join(dir, "reference.csv")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var lines []string
	var lineNo []int
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		lines = append(lines, l)
		lineNo = append(lineNo, i+1)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(publishedColumns, ",") {
		return nil, fmt.Errorf("%s: header must be %s", path, strings.Join(publishedColumns, ","))
	}
	var out []PublishedRef
	for i, r := range recs[1:] {
		at := fmt.Sprintf("%s: line %d", path, lineNo[i+1])
		ref := PublishedRef{File: r[0], Run: r[1], Benchmark: r[2], Protocol: r[3], GradedField: r[4], CompareField: r[5],
			VerdictField: r[6], ComputedBy: r[10], Source: r[11], Line: lineNo[i+1]}
		var err error
		if ref.Accuracy, err = strconv.ParseFloat(r[7], 64); err != nil {
			return nil, fmt.Errorf("%s: field reference_accuracy: %v", at, err)
		}
		if j := strings.IndexByte(r[7], '.'); j >= 0 {
			ref.Decimals = len(r[7]) - j - 1
		}
		if ref.Total, err = strconv.Atoi(r[9]); err != nil || ref.Total <= 0 {
			return nil, fmt.Errorf("%s: field reference_total: not a positive integer %q", at, r[9])
		}
		if r[8] == "" {
			ref.Correct = -1
			half := 0.5 * math.Pow(10, -float64(ref.Decimals))
			lo, hi := math.Ceil((ref.Accuracy-half)*float64(ref.Total)/100-1e-9), math.Floor((ref.Accuracy+half)*float64(ref.Total)/100+1e-9)
			if lo > hi {
				return nil, fmt.Errorf("%s: reference_accuracy %s is no count of %d rounded", at, r[7], ref.Total)
			}
		} else {
			if ref.Correct, err = strconv.Atoi(r[8]); err != nil {
				return nil, fmt.Errorf("%s: field reference_correct: %v", at, err)
			}
			if got := 100 * float64(ref.Correct) / float64(ref.Total); math.Abs(got-ref.Accuracy) > 0.005 {
				return nil, fmt.Errorf("%s: reference_accuracy %s is not reference_correct/reference_total (%.4f)", at, r[7], got)
			}
		}
		b, err := benchmarks.Get(ref.Benchmark)
		if err != nil {
			return nil, fmt.Errorf("%s: field benchmark: %v", at, err)
		}
		if !slices.Contains(b.Spec().Protocols, ref.Protocol) {
			return nil, fmt.Errorf("%s: field protocol: %s has no protocol %q (%v)", at, ref.Benchmark, ref.Protocol, b.Spec().Protocols)
		}
		if _, err := os.Stat(filepath.Join(dir, ref.File)); err != nil {
			return nil, fmt.Errorf("%s: field file: %v", at, err)
		}
		out = append(out, ref)
	}
	return out, nil
}

// PublishedResult is greason's scoring of one published file (or run) beside its reference.
type PublishedResult struct {
	Ref                    PublishedRef
	Correct, Total         int // the graded field under the file's protocol
	FullCorrect, FullTotal int // the whole chain from the response (= Correct/Total when GradedField is "")
	Agree, Compared        int // our extraction from the response = the compare field, where that is set
	VerdictAgree           int // our verdict (graded field) = the authors' verdict field
	VerdictCompared        int
	Disagreements          []PublishedDisagreement
	// StateChanges are the items whose grading a stateful protocol's process state changed
	// (TheoremQA: latex2sympy2's global), graded field first, then the full chain.
	StateChanges []benchmarks.StateChange
}

// PublishedDisagreement is one item where greason differs from what a file carries: its
// extracted prediction (Kind "extraction") or its authors' verdict ("verdict").
type PublishedDisagreement struct {
	Kind, Record, ID, Ours, Published string
	OursCorrect                       bool
	Reason                            string // our judge's reason
}

// sameExtraction reports whether our extraction is the prediction a file carries: the same text,
// or the same plain number written another way (ToRA's pred "160" for the box "160.0").
func sameExtraction(ours, theirs string) bool {
	if ours == theirs {
		return true
	}
	a, errA := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(ours), ",", ""), 64)
	b, errB := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(theirs), ",", ""), 64)
	return errA == nil && errB == nil && a == b
}

// ScorePublished scores every file listed in DIR/reference.csv.
func ScorePublished(ctx context.Context, dir string) ([]PublishedResult, error) {
	refs, err := ReadPublishedRefs(dir)
	if err != nil {
		return nil, err
	}
	judge, err := NewJudge("rule", JudgeConfig{})
	if err != nil {
		return nil, err
	}
	var out []PublishedResult
	for _, ref := range refs {
		b, _ := benchmarks.Get(ref.Benchmark)
		items, err := b.Load()
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, ref.File)
		stateful := benchmarks.IsStateful(b.Spec(), ref.Protocol)
		sc := benchmarks.Scorer{Protocol: ref.Protocol, Judge: judge}
		fullState := benchmarks.NewProcessState()
		if stateful {
			sc.State = fullState
		}
		full, _, err := ScoreFile(ctx, b, items, path, ReadOptions{Run: ref.Run}, sc, 8)
		if err != nil {
			return nil, err
		}
		pr := PublishedResult{Ref: ref, FullTotal: len(full)}
		for _, r := range full {
			if r.Correct {
				pr.FullCorrect++
			}
		}
		pr.Correct, pr.Total = pr.FullCorrect, pr.FullTotal
		graded := full
		if ref.GradedField != "" {
			sc.Extracted = true
			if stateful {
				sc.State = benchmarks.NewProcessState()
			}
			graded, _, err = ScoreFile(ctx, b, items, path, ReadOptions{TextField: ref.GradedField, Run: ref.Run}, sc, 8)
			if err != nil {
				return nil, err
			}
			pr.Correct, pr.Total = 0, len(graded)
			for _, r := range graded {
				if r.Correct {
					pr.Correct++
				}
			}
			for _, c := range sc.State.StateChanges() {
				c.Stage += " of " + ref.GradedField
				pr.StateChanges = append(pr.StateChanges, c)
			}
		}
		for _, c := range fullState.StateChanges() {
			c.Stage += " of the response"
			pr.StateChanges = append(pr.StateChanges, c)
		}
		if ref.CompareField != "" {
			cmp, err := ReadGenerations(path, ReadOptions{TextField: ref.CompareField, Optional: true, Run: ref.Run})
			if err != nil {
				return nil, err
			}
			if len(cmp) != len(full) {
				return nil, fmt.Errorf("%s: %d values of %s for %d responses", path, len(cmp), ref.CompareField, len(full))
			}
			for i, c := range cmp {
				if c.Missing {
					continue
				}
				pr.Compared++
				if sameExtraction(full[i].Extracted, c.Text) {
					pr.Agree++
					continue
				}
				pr.Disagreements = append(pr.Disagreements, PublishedDisagreement{Kind: "extraction", Record: strings.TrimPrefix(c.Where, path+": "),
					ID: full[i].ID, Ours: full[i].Extracted, Published: c.Text, OursCorrect: full[i].Correct, Reason: full[i].Reason})
			}
		}
		if ref.VerdictField != "" {
			vs, err := ReadGenerations(path, ReadOptions{TextField: ref.VerdictField, Run: ref.Run})
			if err != nil {
				return nil, err
			}
			if len(vs) != len(graded) {
				return nil, fmt.Errorf("%s: %d values of %s for %d responses", path, len(vs), ref.VerdictField, len(graded))
			}
			for i, v := range vs {
				if v.Text != "true" && v.Text != "false" {
					return nil, fmt.Errorf("%s: field %q: want a boolean verdict, got %q", v.Where, ref.VerdictField, v.Text)
				}
				pr.VerdictCompared++
				if strconv.FormatBool(graded[i].Correct) == v.Text {
					pr.VerdictAgree++
					continue
				}
				pr.Disagreements = append(pr.Disagreements, PublishedDisagreement{Kind: "verdict", Record: strings.TrimPrefix(v.Where, path+": "),
					ID: graded[i].ID, Ours: graded[i].Extracted, Published: ref.VerdictField + "=" + v.Text, OursCorrect: graded[i].Correct,
					Reason: graded[i].Reason})
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

func pctOf(c, n int) string {
	return fmt.Sprintf("%.2f (%s/%s)", 100*float64(c)/float64(n), thousands(c), thousands(n))
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// PublishedTable is the "published generations" table: per file (and run), greason's accuracy
// under the file's original protocol beside the reference accuracy of the authors' code, the
// difference, the per-item agreement of greason's verdicts with the authors' (where the file
// carries them) and of greason's extraction with the prediction the file carries.
func PublishedTable(results []PublishedResult, dir string) Table {
	t := Table{Name: "published", Title: "Published generations: greason vs the authors' own scoring",
		Note: "Files and reference accuracies from " + dir + "/reference.csv (reference = the authors' code, see its computed_by and source; " +
			"a reference without a count is the rounded percentage the authors published). " +
			"Ours = `greason score` with the file's protocol on the graded field; full chain = from the response itself. " +
			"Verdicts = items where greason's verdict equals the authors' per-item verdict (where the file carries one). " +
			"Extraction = items where greason's extraction from the response equals the prediction the file carries (where it carries one). " +
			"Every disagreement is listed in published_disagreements.csv with its reason and explained in docs/harness.md."}
	t.Header = []string{"File", "Run", "Benchmark", "Protocol", "Graded", "Ours", "Reference", "Δ", "Full chain (ours)",
		"Verdicts = authors'", "Extraction = file's prediction"}
	t.CSV = [][]string{{"file", "run", "benchmark", "protocol", "graded_field", "ours_accuracy", "ours_correct", "ours_total",
		"reference_accuracy", "reference_correct", "reference_total", "delta", "full_chain_accuracy", "full_chain_correct",
		"verdict_field", "verdict_agree", "verdict_compared", "compare_field", "agree", "compared", "reference_source"}}
	for _, r := range results {
		graded := "response"
		if r.Ref.GradedField != "" {
			graded = r.Ref.GradedField
		}
		ours := 100 * float64(r.Correct) / float64(r.Total)
		refAcc, refCell, refCorrect := r.Ref.Accuracy, "", ""
		if r.Ref.Exact() {
			refAcc = 100 * float64(r.Ref.Correct) / float64(r.Ref.Total) // reference_accuracy is its rounding
			refCell, refCorrect = pctOf(r.Ref.Correct, r.Ref.Total), strconv.Itoa(r.Ref.Correct)
		} else {
			refCell = fmt.Sprintf("%.*f (rounded, n=%s)", r.Ref.Decimals, r.Ref.Accuracy, thousands(r.Ref.Total))
		}
		delta := math.Round((ours-refAcc)*1e9) / 1e9
		if delta == 0 {
			delta = 0 // no "-0.00"
		}
		full := "= ours"
		if r.Ref.GradedField != "" {
			full = pctOf(r.FullCorrect, r.FullTotal)
		}
		agree, verdicts := "–", "–"
		if r.Compared > 0 {
			agree = fmt.Sprintf("%s/%s on `%s`", thousands(r.Agree), thousands(r.Compared), r.Ref.CompareField)
		}
		if r.VerdictCompared > 0 {
			verdicts = fmt.Sprintf("%s/%s (%.2f%%) on `%s`", thousands(r.VerdictAgree), thousands(r.VerdictCompared),
				100*float64(r.VerdictAgree)/float64(r.VerdictCompared), r.Ref.VerdictField)
		}
		run := r.Ref.Run
		if run == "" {
			run = "–"
		}
		t.Rows = append(t.Rows, []string{r.Ref.File, run, r.Ref.Benchmark, r.Ref.Protocol, graded, pctOf(r.Correct, r.Total),
			refCell, fmt.Sprintf("%+.2f", delta), full, verdicts, agree})
		t.CSV = append(t.CSV, []string{r.Ref.File, r.Ref.Run, r.Ref.Benchmark, r.Ref.Protocol, r.Ref.GradedField,
			fmt.Sprintf("%.4f", ours), strconv.Itoa(r.Correct), strconv.Itoa(r.Total),
			fmt.Sprintf("%.4f", refAcc), refCorrect, strconv.Itoa(r.Ref.Total), fmt.Sprintf("%+.4f", delta),
			fmt.Sprintf("%.4f", 100*float64(r.FullCorrect)/float64(r.FullTotal)), strconv.Itoa(r.FullCorrect),
			r.Ref.VerdictField, strconv.Itoa(r.VerdictAgree), strconv.Itoa(r.VerdictCompared),
			r.Ref.CompareField, strconv.Itoa(r.Agree), strconv.Itoa(r.Compared), r.Ref.Source})
	}
	t.Files = map[string][]byte{"published_disagreements.csv": PublishedDisagreementsCSV(results)}
	return t
}

// PublishedDir resolves the folder of published generations: the flag's value, else
// $GREASON_PUBLISHED_DIR, else DefaultPublishedDir (explicit=false: a missing default folder
// is not an error, the table is skipped with a message).
func PublishedDir(flag string) (dir string, explicit bool) {
	if flag != "" {
		return flag, true
	}
	if env := os.Getenv("GREASON_PUBLISHED_DIR"); env != "" {
		return env, true
	}
	return DefaultPublishedDir, false
}

// PublishedDisagreementsCSV lists every item where greason's verdict differs from the authors'
// verdict, where its extraction differs from the prediction a published file carries, and
// where a stateful protocol's process state changed the grading (texts cut at 300 bytes).
func PublishedDisagreementsCSV(results []PublishedResult) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"file", "run", "kind", "record", "id", "ours", "published", "ours_correct", "reason"})
	for _, r := range results {
		for _, d := range r.Disagreements {
			w.Write([]string{r.Ref.File, r.Ref.Run, d.Kind, d.Record, d.ID, truncate(d.Ours, 300), truncate(d.Published, 300),
				strconv.FormatBool(d.OursCorrect), truncate(d.Reason, 300)})
		}
		for _, c := range r.StateChanges {
			w.Write([]string{r.Ref.File, r.Ref.Run, "state (" + c.Stage + ")", "", c.ID, truncate(c.Input, 300), "", "", truncate(c.Why, 300)})
		}
	}
	w.Flush()
	return b.Bytes()
}
