package e2e

import (
	"encoding/csv"
	"strings"
	"testing"

	"github.com/greason/greason/train/job"
)

// TestCSVParses: the report's table reads back as CSV (the model names hold commas), one header
// and two rows of 7 fields, the findings as "# " lines after them, as `greason tables` reads it.
func TestCSVParses(t *testing.T) {
	ev := func(acc float64) *Eval {
		return &Eval{Config: EvalConfig{Samples: 4, Temperature: 1}, Accuracy: acc, Greedy: 7.5,
			ByGroup: map[string]float64{"math": 1, "physics": 2, "other": 3}, Boxed: 50}
	}
	s := &Summary{Data: &DataSummary{Train: 10, HeldOut: 5, TeacherCorrect: 0.4}, SFT: &job.SFTSummary{Steps: 3, Examples: 20},
		GRPO: &job.Summary{Steps: 2, TrainRows: 10, TrainPrompts: 10}, Warm: ev(4), After: ev(9), Gain: 5}
	var table, notes []string
	for _, l := range strings.Split(strings.TrimSpace(s.CSV()), "\n") {
		if strings.HasPrefix(l, "# ") {
			notes = append(notes, l)
		} else {
			table = append(table, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(table, "\n"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2][0] != "after GRPO (2 steps, rules reward)" || recs[2][1] != "9.0" || recs[0][1] != "held-out avg@4 (%)" || len(notes) != 2 {
		t.Fatalf("table %q, notes %q", recs, notes)
	}
}
