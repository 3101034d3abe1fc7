package verify

import "testing"

// TestFinalAnswerForms: final answers as models write them, read by ExtractForJudging.
func TestFinalAnswerForms(t *testing.T) {
	for _, c := range []struct{ response, want, how string }{
		{"Half of 40 is 20, so 20%. #### 20", "20", "final-answer"},             // lm-eval's GSM8K filter: "####" anywhere in a line
		{"#### Step 1\nShe has 3 + 4 = 7 apples.\n#### 7", "7", "final-answer"}, // the last marker
		{"She has 3 + 4 = 7 apples.\nA: 7", "7", "final-answer"},                // openai/grade-school-math's last line
		{"She pays $1,000 + $200 = $1,200.\nA: $1,200", "1,200", "final-answer"},
		{"The capital of France.\nA: Paris", "The capital of France.\nA: Paris", "whole"}, // "A: Paris" may be option A
		{"2 + 5 = 7, so the area is 7\\pi. The answer is:\n\\[\n7\\pi\n\\]", "7\\pi", "answer-is"},
		{"The answer is 6C5 = 6! / 5! = 6. The answer is (F).", "(F)", "answer-is"}, // the last phrase on the line
		{"Some text \\boxed{18} and so on.", "18", "boxed"},
	} {
		a, how := ExtractForJudging(c.response)
		if a != c.want || how != c.how {
			t.Errorf("%q: got %q (%s), want %q (%s)", c.response, a, how, c.want, c.how)
		}
	}
}

// TestConclusion: a worked solution without a marker is read by its conclusion, never whole.
func TestConclusion(t *testing.T) {
	for _, c := range []struct{ response, want, how string }{
		// GSM8K calculator notes dropped; what follows the last "=" of the last line
		{"Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the market.", "$18 every day at the market", "conclusion"},
		{"The glee club left 20 * 0.7 = 14 pizzas.\nThere are 14 + 32 = 46 pizzas left.", "46 pizzas left", "conclusion"},
		{"Bill rides 4 * 3 + 6 = 18 floors.\nHe ends on 18 + 3 = 21, which is the top.", "21", "conclusion"},     // up to the clause's end
		{"There are 76 - 36 = 40 stars left.\nThere are 40 / 5 = 8 rows of 5 stars.", "8 rows of", "conclusion"}, // the first quantity
		{"He works 3 + 2 = 5 hours.\nIt takes 5 hours and 20 minutes = 5 hours and 20 minutes.", "5 hours and 20 minutes", "conclusion"},
		{"réponse est (35 + 70 = 105).", "105", "conclusion"}, // a bracket the result did not open
		{"We have $x = \\frac{24.08}{3.44} = 7$ and $y = 8.8 - 2.8 = 6$ So, the pair is $(7, 6)$.", "So, the pair is $(7, 6)$.", "conclusion"},
		{"It takes 5 + 7 = 12.0 days for Mrs. Jameson's bamboo to reach 600 inches.", "12.0 days for Mrs. Jameson's bamboo to reach", "conclusion"},
		{"The profits are 90 - 30 = 60 and 30.\nFern makes $64800 dollars more from the Widgeteer 3000 vs. the WidgetMaster 9000.",
			"Fern makes $64800 dollars more from the Widgeteer 3000 vs. the WidgetMaster 9000.", "conclusion"}, // "vs." ends no sentence
		{"5页 - 2页 = 3页 因此，多 **3页**。", "3页", "conclusion"}, // a bold figure
		{"```python\nx = 16 - 3 - 4\nprint(x * 2)\n```\n```output\n18\n```\nJanet makes $18$ dollars every day.", "Janet makes $18$ dollars every day.", "conclusion"},
		{"First 4 * 2 = 8 feet.\nThen 8 * 2 = 16 feet.\nThen 16 * 2 =", "", "no-answer"}, // cut off: no answer, not the gold among 8, 16
		{"The answer follows. 2 + 2 = 4.\nI hope this helps!", "4", "conclusion"},        // a sign-off states nothing
	} {
		a, how := ExtractForJudging(c.response)
		if a != c.want || how != c.how {
			t.Errorf("%q: got %q (%s), want %q (%s)", c.response, a, how, c.want, c.how)
		}
	}
}

// TestWorkedSolutionsJudged: the judge does not accept a worked solution because the gold is one
// of its intermediate numbers or in its first statement.
func TestWorkedSolutionsJudged(t *testing.T) {
	q := "A landscaping company is delivering flagstones. Each flagstone weighs 75 pounds. If the trucks can carry 2000 pounds, how many trucks will be needed to transport 80 flagstones in one trip?"
	for _, c := range []struct {
		question, gold, response string
		want                     bool
	}{
		{"", "230", "The two trains traveled 80+150=<<80+150=230>>230 miles.\nSo, each train traveled 230/2=<<230/2=115.0>>115 miles in the two days.", false},
		{"", "75", "He paid 5*15 = $75 for the first hours.\nSo in total he paid $240 + $75 = $315", false},
		{"", "14", "The glee club left 20 * 0.7 = 14 pizzas.\nThere are 14 + 32 = 46 pizzas left.", false},
		{"", "46", "The glee club left 20 * 0.7 = 14 pizzas.\nThere are 14 + 32 = 46 pizzas left.", true},
		{"", "5", "He needs $39 − $14 = $25.\nHe has to work $25 / $5 = 5 hours.", true}, // "/" is division, not "or"
		{"", "36", "The toy cost $72.\nSo, the final price of the toy was $72 - $36 = $36.", true},
		{"", "5", "It takes 4 + 1 = 5 steps.\nIt will take Jay $5$ hours and $20$ minutes to have 60 snowballs.", false}, // a compound quantity
		{q, "3", "```python\ntrucks = 75 * 80 / 2000\nprint(trucks)\n```\n```output\n3.0\n```\nThree trucks will be needed to transport 80 flagstones in one trip.", true},
		{"", "3", "5页 - 2页 = 3页 因此，多 **3页**。", true},
	} {
		o, err := JudgeRow(t.Context(), RuleVerifier{}, Row{Question: c.question, Gold: c.gold, Response: c.response})
		if err != nil {
			t.Fatal(err)
		}
		if o.Correct != c.want {
			t.Errorf("gold %q, %q: got %v (%q, %s), want %v", c.gold, c.response, o.Correct, o.Extracted, o.Reason, c.want)
		}
	}
}
