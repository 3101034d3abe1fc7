package benchmarks

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTheoremQAProcessState grades the TheoremQA repository's published predictions
// (data/published) under theoremqa-repo the way compute_accuracy.py runs a file: one process,
// rows in file order, latex2sympy2's global state carried from row to row. The repository's
// figures are reproduced exactly (122/800, 147/800), and the rows the state changes are pinned:
// after a row whose input held a differential ("method is" in row 4 of the Mistral file,
// "Insufficient information provided" in InternLM2's row 646) every letter raises, number_it
// falls back to Python's eval() and "False" is 0, "True" is 1 against number golds. Graded alone
// (a process per row), the same predictions give 117 and 146.
func TestTheoremQAProcessState(t *testing.T) {
	b, items := load(t, "theoremqa")
	for _, c := range []struct {
		file          string
		alone, inFile int
		changed       []string // ids of the rows the state changes, in file order
		setBy         string
	}{
		{"Mistral_7B_v0.1_5shots_mistral.jsonl.gz", 117, 122, []string{"mingyin/laplace-operator1.json", "wenhuchen/divergence2.json",
			"jianyu_xu/Cayley_5.json", "elainewan/math_calculus_2_7.json", "wenhuchen/series_convergen2.json"}, "The Newton-Raphson method"},
		{"internlm2_20b_5shots_short.jsonl.gz", 146, 147, []string{"elainewan/math_calculus_2_6.json"}, "Insufficient information provided"},
	} {
		f, err := os.Open(filepath.Join("data", "published", c.file))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		st := NewProcessState()
		alone, inFile, row := 0, 0, 0
		for sc.Scan() {
			var r struct{ Question, Pred string }
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			it := items[row]
			row++
			if normQ(r.Question) != normQ(it.Question) {
				t.Fatalf("%s line %d: not in the vendored order", c.file, row)
			}
			a, err := b.Score(context.Background(), it, r.Pred, Scorer{Protocol: "theoremqa-repo", Extracted: true})
			if err != nil {
				t.Fatal(err)
			}
			p, err := b.Score(context.Background(), it, r.Pred, Scorer{Protocol: "theoremqa-repo", Extracted: true, State: st})
			if err != nil {
				t.Fatal(err)
			}
			if a.Correct {
				alone++
			}
			if p.Correct {
				inFile++
			}
		}
		zr.Close()
		f.Close()
		var changed []string
		for _, ch := range st.StateChanges() {
			changed = append(changed, ch.ID)
			if ch.Stage != "grade" || !strings.Contains(ch.Why, c.setBy) {
				t.Errorf("%s: %+v", c.file, ch)
			}
		}
		if alone != c.alone || inFile != c.inFile || !slices.Equal(changed, c.changed) {
			t.Errorf("%s: alone %d, in file order %d, rows the state changes %v; want %d, %d, %v", c.file, alone, inFile, changed,
				c.alone, c.inFile, c.changed)
		}
	}
	// the state lasts for the process: once set, a letter is no number, and "False" is 0
	st := NewProcessState()
	it := Item{ID: "x", Gold: "0", Meta: map[string]string{"answer_json": "0"}}
	score := func(s string) bool {
		r, err := b.Score(context.Background(), it, s, Scorer{Protocol: "theoremqa-repo", Extracted: true, State: st})
		if err != nil {
			t.Fatal(err)
		}
		return r.Correct
	}
	if score("False") || score("the integral of x dx") || !score("False") || !score("False") {
		t.Error("latex2sympy2's state: False before the differential, then 0 for the rest of the process")
	}
}

func normQ(s string) string { return strings.Join(strings.Fields(s), " ") }
