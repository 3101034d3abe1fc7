package micro

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/greason/greason/verify"
)

// TestFormsJudged checks the generator's contract: every form is judged correct by the strong
// rule verifier, string match accepts the gold's own form but (almost) never another, and
// wrong answers are accepted by neither. Gold forms are spread over the equivalent forms.
func TestFormsJudged(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	rule := verify.RuleVerifier{}
	for _, d := range Domains {
		strHits, n := 0, 0
		goldAt := map[int]int{}
		for k := 0; k < 300; k++ {
			it := Generate(r, d)
			if len(it.Forms) < 3 || len(it.Wrong) == 0 {
				t.Fatalf("%s: %q: %d forms, %d wrong answers", d, it.Question, len(it.Forms), len(it.Wrong))
			}
			for i, f := range it.Forms {
				if f == it.Gold {
					goldAt[i]++
					if s, _ := (verify.StringJudge{}).Judge(ctx, it.Question, it.Gold, f); !s.Correct {
						t.Errorf("%s: string match rejects the gold itself %q", d, f)
					}
					continue
				}
				v, _ := rule.Judge(ctx, it.Question, it.Gold, f)
				if !v.Correct {
					t.Errorf("%s: %q: form %q of gold %q rejected by the rule verifier: %s", d, it.Question, f, it.Gold, v.Reason)
				}
				s, _ := verify.StringJudge{}.Judge(ctx, it.Question, it.Gold, f)
				n++
				if s.Correct {
					strHits++
				}
			}
			for _, w := range it.Wrong {
				v, _ := rule.Judge(ctx, it.Question, it.Gold, w)
				if v.Correct {
					t.Errorf("%s: %q: wrong %q accepted for gold %q: %s", d, it.Question, w, it.Gold, v.Reason)
				}
			}
		}
		t.Logf("%s: string match accepts %d/%d other forms; gold form index counts %v", d, strHits, n, goldAt)
		if strHits*10 > n {
			t.Errorf("%s: string match accepts %d/%d forms other than the gold's", d, strHits, n)
		}
		for i := 0; i < 3; i++ {
			if goldAt[i] < 60 {
				t.Errorf("%s: gold written in form %d only %d/300 times", d, i, goldAt[i])
			}
		}
	}
}
