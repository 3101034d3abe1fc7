package micro

import (
	"context"
	"testing"
)

// TestMathRules: mathematics is compared by value, everything else as a normalised string (no
// units, percentages, prose, booleans or options).
func TestMathRules(t *testing.T) {
	cases := []struct {
		gold, ans string
		want      bool
	}{
		{"347", "347.0", true}, {"347", "34.7 \\times 10", true}, {"3.47", "347/100", true}, {"3.47", "\\frac{347}{100}", true},
		{"\\frac{347}{100}", "3.470", true}, {"7x", "x*7", true}, {"7x", "7*x", true}, {"7x", "7y", false}, {"7x", "7x^2", false},
		{"347", "346", false}, {"3.47", "34.7", false},
		{"2.35 m", "235 cm", false}, {"2.35 m", "2.35 m", true}, {"2.35 m", "2.35m", true}, {"235 cm", "2.35 m", false},
		{"37%", "0.37", false}, {"0.37", "37 percent", false}, {"37 percent", "37 Percent", true},
		{"True", "Yes", false}, {"Yes", "yes", true}, {"C", "C: 83", false}, {"7, 5", "5, 7", false}, {"{7, 5}", "7, 5", false},
		{"347", "", false}, {"347", "None", false},
	}
	for _, c := range cases {
		v, err := MathRules{}.Judge(context.Background(), "", c.gold, c.ans)
		if err != nil || v.Correct != c.want {
			t.Errorf("gold %q answer %q: %v (%s), want %v", c.gold, c.ans, v.Correct, v.Reason, c.want)
		}
	}
}
