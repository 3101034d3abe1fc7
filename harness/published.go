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

// PublishedRef is one row of a published-generations folder's reference.csv: a file, how to
// score it, and the accuracy its authors' code gives.
type PublishedRef struct {
	File, Benchmark, Protocol string
	GradedField               string // "" = the response, full extraction chain
	CompareField              string // the authors' extracted prediction, compared per item
	Accuracy                  float64
	Correct, Total            int
	ComputedBy, Source        string
	Line                      int
}

var publishedColumns = []string{"file", "benchmark", "protocol", "graded_field", "compare_field", "reference_accuracy",
	"reference_correct", "reference_total", "computed_by", "source"}

// ReadPublishedRefs reads DIR/reference.csv ('#' lines are comments). Every row must name an
// existing file, a known benchmark and protocol, and an accuracy equal to correct/total.
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
		ref := PublishedRef{File: r[0], Benchmark: r[1], Protocol: r[2], GradedField: r[3], CompareField: r[4],
			ComputedBy: r[8], Source: r[9], Line: lineNo[i+1]}
		var err error
		if ref.Accuracy, err = strconv.ParseFloat(r[5], 64); err != nil {
			return nil, fmt.Errorf("%s: field reference_accuracy: %v", at, err)
		}
		if ref.Correct, err = strconv.Atoi(r[6]); err != nil {
			return nil, fmt.Errorf("%s: field reference_correct: %v", at, err)
		}
		if ref.Total, err = strconv.Atoi(r[7]); err != nil || ref.Total <= 0 {
			return nil, fmt.Errorf("%s: field reference_total: not a positive integer %q", at, r[7])
		}
		if got := 100 * float64(ref.Correct) / float64(ref.Total); math.Abs(got-ref.Accuracy) > 0.005 {
			return nil, fmt.Errorf("%s: reference_accuracy %s is not reference_correct/reference_total (%.4f)", at, r[5], got)
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

// PublishedResult is greason's scoring of one published file beside its reference.
type PublishedResult struct {
	Ref                    PublishedRef
	Correct, Total         int // the graded field under the file's protocol
	FullCorrect, FullTotal int // the whole chain from the response (= Correct/Total when GradedField is "")
	Agree, Compared        int // our extraction from the response = the compare field, where that is set
	Disagreements          []PublishedDisagreement
}

// PublishedDisagreement is one item where our extraction differs from the authors' prediction.
type PublishedDisagreement struct {
	Record, ID, Ours, Published string
	OursCorrect                 bool
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
		sc := benchmarks.Scorer{Protocol: ref.Protocol, Judge: judge}
		full, err := ScoreFile(ctx, b, items, path, ReadOptions{}, sc, 8)
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
		if ref.GradedField != "" {
			sc.Extracted = true
			graded, err := ScoreFile(ctx, b, items, path, ReadOptions{TextField: ref.GradedField}, sc, 8)
			if err != nil {
				return nil, err
			}
			pr.Correct, pr.Total = 0, len(graded)
			for _, r := range graded {
				if r.Correct {
					pr.Correct++
				}
			}
		}
		if ref.CompareField != "" {
			cmp, err := ReadGenerations(path, ReadOptions{TextField: ref.CompareField, Optional: true})
			if err != nil {
				return nil, err
			}
			for i, c := range cmp {
				if c.Missing {
					continue
				}
				pr.Compared++
				if full[i].Extracted == c.Text {
					pr.Agree++
					continue
				}
				pr.Disagreements = append(pr.Disagreements, PublishedDisagreement{Record: strings.TrimPrefix(c.Where, path+": "), ID: full[i].ID,
					Ours: full[i].Extracted, Published: c.Text, OursCorrect: full[i].Correct})
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

// PublishedTable is the "published generations" table: per file, greason's accuracy under the
// file's original protocol beside the reference accuracy of the authors' code, the difference,
// and the per-item agreement of greason's extraction with the prediction the file carries.
func PublishedTable(results []PublishedResult, dir string) Table {
	t := Table{Name: "published", Title: "Published generations: greason vs the authors' own scoring",
		Note: "Files and reference accuracies from " + dir + "/reference.csv (reference = the authors' code, see its computed_by and source). " +
			"Ours = `greason score` with the file's protocol on the graded field; full chain = from the response itself. " +
			"Agreement = items where greason's extraction from the response equals the prediction the file carries (where it carries one). " +
			"Every disagreement is explained in docs/harness.md."}
	t.Header = []string{"File", "Benchmark", "Protocol", "Graded", "Ours", "Reference", "Δ", "Full chain (ours)", "Extraction = file's prediction"}
	t.CSV = [][]string{{"file", "benchmark", "protocol", "graded_field", "ours_accuracy", "ours_correct", "ours_total",
		"reference_accuracy", "reference_correct", "reference_total", "delta", "full_chain_accuracy", "full_chain_correct",
		"compare_field", "agree", "compared", "reference_source"}}
	for _, r := range results {
		graded := "response"
		if r.Ref.GradedField != "" {
			graded = r.Ref.GradedField
		}
		ours := 100 * float64(r.Correct) / float64(r.Total)
		refAcc := 100 * float64(r.Ref.Correct) / float64(r.Ref.Total) // reference_accuracy is its rounding
		delta := math.Round((ours-refAcc)*1e9) / 1e9
		if delta == 0 {
			delta = 0 // no "-0.00"
		}
		full := "= ours"
		if r.Ref.GradedField != "" {
			full = pctOf(r.FullCorrect, r.FullTotal)
		}
		agree := "–"
		if r.Compared > 0 {
			agree = fmt.Sprintf("%s/%s on `%s`", thousands(r.Agree), thousands(r.Compared), r.Ref.CompareField)
		}
		t.Rows = append(t.Rows, []string{r.Ref.File, r.Ref.Benchmark, r.Ref.Protocol, graded, pctOf(r.Correct, r.Total),
			pctOf(r.Ref.Correct, r.Ref.Total), fmt.Sprintf("%+.2f", delta), full, agree})
		t.CSV = append(t.CSV, []string{r.Ref.File, r.Ref.Benchmark, r.Ref.Protocol, r.Ref.GradedField,
			fmt.Sprintf("%.4f", ours), strconv.Itoa(r.Correct), strconv.Itoa(r.Total),
			fmt.Sprintf("%.4f", refAcc), strconv.Itoa(r.Ref.Correct), strconv.Itoa(r.Ref.Total), fmt.Sprintf("%+.4f", delta),
			fmt.Sprintf("%.4f", 100*float64(r.FullCorrect)/float64(r.FullTotal)), strconv.Itoa(r.FullCorrect),
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

// PublishedDisagreementsCSV lists every item where greason's extraction differs from the
// prediction a published file carries (texts cut at 300 bytes).
func PublishedDisagreementsCSV(results []PublishedResult) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"file", "record", "id", "ours", "published", "ours_correct"})
	for _, r := range results {
		for _, d := range r.Disagreements {
			w.Write([]string{r.Ref.File, d.Record, d.ID, truncate(d.Ours, 300), truncate(d.Published, 300), strconv.FormatBool(d.OursCorrect)})
		}
	}
	w.Flush()
	return b.Bytes()
}
