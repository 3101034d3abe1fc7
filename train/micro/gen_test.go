package micro

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TestGenerator checks the generator's data: at least three correct forms and one wrong answer
// per item, every gold one of the forms, and gold forms spread over the forms (the gold is drawn
// at random, as WebInstruct's sources write their reference answers each their own way). How the
// rewards judge the forms is logged, not required: that is what the experiment measures.
func TestGenerator(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	judges := map[string]int{}
	for _, d := range Domains {
		goldAt := map[int]int{}
		others := 0
		accepted := map[string]int{}
		for k := 0; k < 300; k++ {
			it := Generate(r, d)
			if len(it.Forms) < 3 || len(it.Wrong) == 0 {
				t.Fatalf("%s: %q: %d forms, %d wrong answers", d, it.Question, len(it.Forms), len(it.Wrong))
			}
			isGold := false
			for i, f := range it.Forms {
				if f == it.Gold {
					goldAt[i]++
					isGold = true
					continue
				}
				others++
				for _, name := range []string{RewardString, RewardMathRules, RewardRules} {
					j, _ := newJudge(name, nil)
					if v, _ := j.Judge(ctx, it.Question, it.Gold, f); v.Correct {
						accepted[name]++
					}
				}
			}
			if !isGold {
				t.Fatalf("%s: gold %q is none of the forms %q", d, it.Gold, it.Forms)
			}
		}
		for name, n := range accepted {
			judges[name] += n
		}
		t.Logf("%s: gold form index counts %v; forms other than the gold's accepted (of %d): %v", d, goldAt, others, accepted)
		for i := 0; i < 3; i++ {
			if goldAt[i] < 60 {
				t.Errorf("%s: gold written in form %d only %d/300 times", d, i, goldAt[i])
			}
		}
	}
}
