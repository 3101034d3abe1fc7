package verify

import (
	"context"
	"os"
	"testing"
)

func TestDumpDisagreements(t *testing.T) {
	f := os.Getenv("VERIFY_DUMP")
	if f == "" {
		t.Skip()
	}
	rows, _ := ReadRows("../../shared/verifier-dev/" + f + ".jsonl")
	outs, _ := RunBatch(context.Background(), RuleVerifier{}, rows, 2)
	n := 0
	for _, o := range outs {
		if o.Label != nil && *o.Label != o.Correct {
			n++
			if n > 400 {
				break
			}
			r := o.Response
			if len(r) > 160 {
				r = r[:160]
			}
			t.Logf("label=%v gold=%q | ans=%q | %s", *o.Label, o.Gold, o.Extracted[:min(len(o.Extracted), 160)], o.Reason)
		}
	}
}
