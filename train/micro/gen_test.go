package micro

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/greason/greason/verify"
)

// TestFormsJudged checks the generator's contract: every form is judged correct by the strong
// rule verifier, only the canonical one (mostly) by string match, and wrong answers by neither.
func TestFormsJudged(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	rule := verify.RuleVerifier{}
	for _, d := range Domains {
		strHits, n := 0, 0
		for k := 0; k < 30; k++ {
			it := Generate(r, d)
			for i, f := range it.Forms {
				v, _ := rule.Judge(ctx, it.Question, it.Gold, f)
				if !v.Correct {
					t.Errorf("%s: %q: form %q of gold %q rejected by the rule verifier: %s", d, it.Question, f, it.Gold, v.Reason)
				}
				s, _ := verify.StringJudge{}.Judge(ctx, it.Question, it.Gold, f)
				if i > 0 {
					n++
					if s.Correct {
						strHits++
					}
				}
			}
			for _, w := range it.Wrong {
				v, _ := rule.Judge(ctx, it.Question, it.Gold, w)
				if v.Correct {
					t.Errorf("%s: %q: wrong %q accepted for gold %q: %s", d, it.Question, w, it.Gold, v.Reason)
				}
			}
		}
		t.Logf("%s: string match accepts %d/%d variant forms", d, strHits, n)
	}
}
