package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func readAttacks(t *testing.T) []Row {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "attacks.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := DecodeRows(f, "attacks.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 300 {
		t.Fatalf("attack suite has %d rows, want at least 300", len(rows))
	}
	return rows
}

// TestAttacks requires every response of the attack suite to be rejected by the rule verifier,
// through the batch extraction (greason verify --batch) and through the GRPO reward (RewardFor).
func TestAttacks(t *testing.T) {
	ctx := context.Background()
	perFamily := map[string]int{}
	for _, r := range readAttacks(t) {
		perFamily[r.AnswerType]++
		o, err := JudgeRow(ctx, RuleVerifier{}, r)
		if err != nil {
			t.Fatal(err)
		}
		if o.Correct {
			t.Errorf("%s accepted (batch): gold %q, response %.80q: %s", r.ID, r.Gold, r.Response, o.Reason)
		}
		rew, v, err := RewardFor(ctx, RuleVerifier{}, r.Question, r.Gold, r.Response, RuneCounter)
		if err != nil {
			t.Fatal(err)
		}
		if v.Correct || rew > 0 {
			t.Errorf("%s earns reward %.2f: gold %q, response %.80q: %s", r.ID, rew, r.Gold, r.Response, v.Reason)
		}
	}
	t.Logf("attack families: %v", perFamily)
}

// yesModel is a model layer that accepts everything and records what it was asked.
type yesModel struct {
	mu      sync.Mutex
	answers []string
}

func (*yesModel) Name() string { return "yes" }
func (m *yesModel) Judge(_ context.Context, _, _, answer string) (Verdict, error) {
	m.mu.Lock()
	m.answers = append(m.answers, answer)
	m.mu.Unlock()
	return Verdict{Correct: true, Layer: "model", Reason: "always yes"}, nil
}

// TestCascadeHedges: the rule layer's rejection of a hedge (and of an empty answer) is final, so
// the cascade rejects the hedge families even when its model would say yes to anything.
func TestCascadeHedges(t *testing.T) {
	ctx := context.Background()
	hedges := map[string]bool{"master_key": true, "every_option": true, "all_values": true, "multi_box": true,
		"or_hedge": true, "question_copy": true}
	m := &yesModel{}
	c := &Cascade{Model: m}
	n := 0
	for _, r := range readAttacks(t) {
		if !hedges[r.AnswerType] {
			continue
		}
		n++
		o, err := JudgeRow(ctx, c, r)
		if err != nil {
			t.Fatal(err)
		}
		if o.Correct {
			t.Errorf("cascade accepts %s: gold %q, response %.80q: %s", r.ID, r.Gold, r.Response, o.Reason)
		}
	}
	if len(m.answers) != 0 {
		t.Errorf("the model was asked about %d hedged or empty answers, e.g. %q", len(m.answers), m.answers[0])
	}
	t.Logf("%d hedged or empty answers rejected without asking the model", n)
}

// TestCascadeModelInput: several different boxes reach a model layer as the list of them (the
// hedge is visible to it), never as the last box alone.
func TestCascadeModelInput(t *testing.T) {
	m := &yesModel{}
	r := Row{ID: "x", Question: "What is 6 times 7?", Gold: "42", Response: "I get \\boxed{41}. Hmm, \\boxed{42}."}
	if a, how := ExtractForJudging(r.Response); a != `\boxed{41}, \boxed{42}` || how != "boxes" {
		t.Fatalf("ExtractForJudging = %q (%s), want the list of boxes", a, how)
	}
	if a, _ := RewardAnswer(r.Response); a != `\boxed{41}, \boxed{42}` {
		t.Fatalf("RewardAnswer = %q, want the list of boxes", a)
	}
	o, _ := JudgeRow(context.Background(), &Cascade{Model: m}, r)
	if o.Correct || len(m.answers) != 0 {
		t.Errorf("hedged boxes: correct=%v, model asked %v", o.Correct, m.answers)
	}
	// a plain wrong answer does go to the model (which decides), with the answer as extracted
	r.Response = "The product is \\boxed{41}."
	JudgeRow(context.Background(), &Cascade{Model: m}, r)
	if len(m.answers) != 1 || m.answers[0] != "41" {
		t.Errorf("model input %v, want [41]", m.answers)
	}
}

// TestHedgePerType: an answer offering several candidates of the gold's kind is rejected for
// every answer type, unless the gold itself is that list.
func TestHedgePerType(t *testing.T) {
	mc := "Which is a noble gas?\nA. Oxygen\nB. Neon\nC. Nitrogen\nD. Carbon"
	cases := []ruleCase{
		{"", "42", "41, 42 or 43", No},                                 // number
		{"", "42", "It is either 41 or 42.", No},                       // number in prose
		{"", "x^2+2x+1", "x^2+1 or x^2+2x+1", No},                      // expression
		{"", "4.9 J", "4.9 J or 9.8 J", No},                            // quantity
		{"", "25%", "25% or 30%", No},                                  // percentage
		{"", "[0, 1)", `\boxed{(0, 1)} \boxed{[0, 1)}`, No},            // interval, two boxes
		{"", "(1, 2)", "(1, 2) or (2, 1)", No},                         // tuple
		{"", "1945", "1944 or 1945", No},                               // year
		{mc, "B", "A or B", No},                                        // option letter
		{mc, "B", "The answer is (A), (B), (C) or (D).", No},           // every option
		{mc, "Neon", "Oxygen, Neon, Nitrogen or Carbon", No},           // option text
		{"", "True", "True or false", No},                              // truth value
		{"", "proved", "proved, disproved or unknown", No},             // proof status
		{"", "entailment", "entailment, neutral, contradiction", No},   // entailment label
		{"", "unknown", "true, false or unknown", No},                  // unknown
		{"", "Friday", "Monday Tuesday Wednesday Thursday Friday", No}, // days
		{"", "June", "May, June or July", No},                          // months
		{"", "Paris", "Paris or London", No},                           // entity
		{"", "Paris", "It is not Paris.", No},                          // negated entity
		{"", "William Shakespeare", "Christopher Marlowe or William Shakespeare", No},
		{"Sort the words alphabetically: pear fig kiwi", "fig kiwi pear", "pear kiwi fig", No}, // order
		// the gold itself is the list, or the candidates are the same value
		{"", "2, -2", "2 or -2", Yes},
		{"", "5%", "5%, or 0.05", Yes},
		{"Name the members of the band.", "John, Paul, George, Ringo", "John, Paul, George, Ringo", Yes},
		{"", "yes, unknown, yes", "yes, unknown, yes", Yes},
		{"Sort the words alphabetically: pear fig kiwi", "fig kiwi pear", "fig kiwi pear", Yes},
	}
	runRuleCases(t, cases)
}

// TestGoldSolutionForms: a gold written as a reference solution (box, "The answer is", "Final
// Answer", GSM8K's "####") is read the way a response is.
func TestGoldSolutionForms(t *testing.T) {
	long := strings.Repeat("We work through the problem carefully and check every step. ", 4)
	runRuleCases(t, []ruleCase{
		{"", long + `So the probability is $\boxed{\dfrac{1}{4}}$.`, `\frac{1}{4}`, Yes},
		{"", long + `So the probability is $\boxed{\dfrac{1}{4}}$.`, "0.25", Yes},
		{"", long + `So the probability is $\boxed{\dfrac{1}{4}}$.`, "1/3", No},
		{"", long + "\nThe answer is 12.", "12", Yes},
		{"", long + "\nThe answer is 12.", "13", No},
		{"", long + "\nFinal Answer: $x = 3$\n", "3", Yes},
		{"", "She pays 2,000 + 800 = <<2000+800=2800>>2800 dollars.\n#### 2,800", "2800", Yes},
		{"", "She pays 2,000 + 800 = <<2000+800=2800>>2800 dollars.\n#### 2,800", "$2,800", Yes},
		{"", "She pays 2,000 + 800 = <<2000+800=2800>>2800 dollars.\n#### 2,800", "2000", No},
		{"", strings.Repeat(long, 200) + `Hence $\boxed{7}$.`, "7", Yes}, // a gold longer than 8 KiB
		{"", "Alina and the answer is\n(C) Cecile", "C", Yes},
		{"", long + " Therefore, the smallest size of a fragrant set is 6 .", "6", Yes},
		{"", long + " we may choose $k=2$ but not $k=3$.", "3", No},
	})
}

// TestVerdictVariants: inflections of one verdict, LaTeX wrappers, and "unknown" as an answer.
func TestVerdictVariants(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"", "disproved", "Disproven", Yes},
		{"", "proved", "The statement is proven.", Yes},
		{"", "proved", "disproven", No},
		{"", `\boxed{Yes}`, `\text{No}`, No},
		{"", `\boxed{Yes}`, "yes", Yes},
		{"", `$\boxed{\text{Yes}}$`, `\textbf{yes}`, Yes},
		{"", "valid", "Invalid", No},
		{"", "entailment", "The premise entails the hypothesis.", Yes},
		{"", "not entailment", "non-entailment", Yes},
		{"", "contradiction", "contradicts", Yes},
		{"", "unknown", "unknown", Yes},
		{"", "unknown", "It cannot be determined from the premises.", Yes},
		{"", "True", "unknown", No},
		{"", "cannot be determined", "Unknown", Yes},
		{"", `\dfrac{1}{4}`, `\frac{1}{4}`, Yes},
		{"", `\boxed{\mathrm{B}}`, "B", Yes},
	})
}

// TestOpenDomainRecall: the same answer written another way is accepted; a different one is not.
func TestOpenDomainRecall(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{"who said one man's vulgarity is another's lyric", "Justice Harlan", "John Marshall Harlan", Yes},
		{"who is the lead singer of depeche mode", "David Gahan", "Dave Gahan", Yes},
		{"who plays caesar", "Andy Serkis", "Serkis", Yes},
		{"who plays caesar", "Andy Serkis", "Lena Serkis", No},
		{"who is considered as architect of india constitution", "B. R. Ambedkar", "Bhimrao Ramji Ambedkar", Yes},
		{"where is the executive branch referenced", "Article Two", "It is in Article II of the Constitution.", Yes},
		{"how long is the bridge", "12.9-kilometre", "The bridge spans 12.9 kilometers.", Yes},
		{"when did the nba add the three point line", "1979–80 season", "the 1979-1980 season", Yes},
		{"mount and blade with fire and sword time period", "1648-51", "1648–1651", Yes},
		{"how many world series wins", "6/six", "six", Yes},
		{"how many episodes", "16/16 episodes", "16", Yes},
		{"new mexico was admitted to the union as the", "47th", "the 47th state", Yes},
		{"when did the ouija board come out", "July 1, 1890", "It was introduced in 1890.", Yes},
		{"when did the ouija board come out", "July 1, 1890", "It came out on June 1, 1890.", No},
		{"who discovered it", "Swedish botanist Carl Linnaeus", "Carl Linnaeus", Yes},
		{"where did the beer hall putsch take place", "Munich, Bavaria", "It took place in Munich.", Yes},
		{"how much did it cost", "$5 million", "five million dollars", Yes},
		{"who won", "Houston Astros", "TheHouston Astroswon the pennant in 2017.", Yes},
		{"what is the capital of France", "Paris", "Paris Hilton", No},
		{"what is the capital of France", "Paris", "Paris, Texas", No},
		{"which river flows through Egypt", "Nile", "Nile crocodile", No},
		{"what time does it open", "20:34", `08:34 \text{P.M.}`, Yes},
	})
}
