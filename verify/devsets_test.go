package verify

import (
	"context"
	"os"
	"testing"
)

// TestDevSetsReport prints the metrics of the three judges on the shared dev files when they
// are present (../../shared/verifier-dev); run with -v to see them.
func TestDevSetsReport(t *testing.T) {
	if os.Getenv("VERIFY_DEVSETS") == "" {
		t.Skip("set VERIFY_DEVSETS=1 to score the shared dev files")
	}
	for _, f := range []string{"seed_examples", "rule_test_vectors", "qwen25_math_cot100_dev", "evouna_nq_dev"} {
		rows, err := ReadRows("../../shared/verifier-dev/" + f + ".jsonl")
		if err != nil {
			t.Skip(err)
		}
		for _, j := range []Judge{ExactJudge{}, HendrycksJudge{}, RuleVerifier{}} {
			outs, err := RunBatch(context.Background(), j, rows, 2)
			if err != nil {
				t.Fatal(err)
			}
			o, bt := Score(outs)
			if os.Getenv("VERIFY_DEVSETS") == "types" {
				t.Logf("%s / %s\n%s", f, j.Name(), FormatMetrics(o, bt))
			} else {
				t.Logf("%-24s %-10s n=%5d acc=%.1f%% P=%.1f%% R=%.1f%% F1=%.1f%%", f, j.Name(), o.N, 100*o.Accuracy(), 100*o.Precision(), 100*o.Recall(), 100*o.F1())
			}
		}
	}
}
