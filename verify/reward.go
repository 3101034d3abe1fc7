package verify

import (
	"context"
	"unicode/utf8"
)

// TokenCounter counts tokens of a string (the verifier's tokenizer in the paper). The trainer
// passes its policy's tokenizer; RuneCounter serves callers that have none.
type TokenCounter func(string) int

// RuneCounter counts Unicode code points (for callers without a tokenizer).
func RuneCounter(s string) int { return utf8.RuneCountInString(s) }

// Reward is the paper's GRPO reward (protocol §2.2): −0.5 when no answer was extracted
// (extracted=false); on a pass +1 − 0.05·min(10, |tokens(answer) − tokens(gold)|), where a
// failed extraction counts as "No Answer" for the length term; 0 otherwise.
func Reward(answer string, extracted, pass bool, gold string, count TokenCounter) float64 {
	score := 0.0
	if !extracted {
		score -= 0.5
	}
	if answer == "" {
		answer = "No Answer"
	}
	if pass {
		score += 1.0
		d := count(answer) - count(gold)
		if d < 0 {
			d = -d
		}
		score -= 0.05 * float64(min(d, 10))
	}
	return score
}

// RewardFor extracts the answer of a decoded policy text with RewardAnswer (the paper's
// ExtractReward, except that several different boxed answers reach the judge as the list of
// them, a hedge it rejects), judges it with j (the General-Verifier in the paper; any Judge
// here) and returns the reward and the verdict.
func RewardFor(ctx context.Context, j Judge, question, gold, text string, count TokenCounter) (float64, Verdict, error) {
	ans, ok := RewardAnswer(text)
	sent := ans
	if !ok {
		sent = NoneAnswer // Python formats None into the prompt
	}
	v, err := j.Judge(ctx, question, gold, sent)
	if err != nil {
		return 0, v, err
	}
	return Reward(ans, ok, v.Correct, gold, count), v, nil
}
