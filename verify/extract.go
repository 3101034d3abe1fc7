// Package verify holds answer extraction, the rule-based and model-based verifiers, and the
// General-Reasoner reward. It depends on nothing else in the project except package llm.
package verify

import (
	"bytes"
	"regexp"
	"strings"
)

// boxed2 is the authors' `extract_last_boxed` pattern: \boxed{...} with at most two levels of
// nested braces inside. Go's RE2 is leftmost-first like Python's re, so FindAll gives finditer.
var boxed2 = regexp.MustCompile(`\\boxed\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}`)

// LastBoxed2 returns the content of the last \boxed{} that the authors' 2-level regex matches.
// found is false when nothing matches; an empty box is found with an empty string.
func LastBoxed2(text string) (content string, found bool) {
	m := boxed2.FindAllStringSubmatchIndex(text, -1)
	if len(m) == 0 {
		return "", false
	}
	last := m[len(m)-1]
	return text[last[2]:last[3]], true
}

// StopTokens are the stop strings the authors strip (in this order).
var StopTokens = []string{"</s>", "<|im_end|>", "<|endoftext|>"}

// rewardFinalAnswerPats are the case-insensitive "final answer" patterns of the training
// reward (`verifier.py` extract_last_final_answer), in priority order for ties.
var rewardFinalAnswerPats = []string{
	`Final Answer:\s*((?:[^<]|<[^<])*?)\n`,
	`Final Answer is:\s*((?:[^<]|<[^<])*?)\n`,
	`The answer is:\s*((?:[^<]|<[^<])*?)\n`,
	`Answer:\s*((?:[^<]|<[^<])*?)\n`,
	`Solution:\s*((?:[^<]|<[^<])*?)\n`,
	`The solution is:\s*((?:[^<]|<[^<])*?)\n`,
}

var (
	rewardFinalAnswer = compileAll(`(?i)`, rewardFinalAnswerPats...)
	// the same patterns anchored at the start of the text they are applied to
	rewardFinalAnswerAt = compileAll(`(?i)^`, rewardFinalAnswerPats...)
	// the literal each pattern starts with, lower case: a match starts where it occurs
	rewardFinalAnswerHeads = [][]byte{[]byte("final answer:"), []byte("final answer is:"), []byte("the answer is:"),
		[]byte("answer:"), []byte("solution:"), []byte("the solution is:")}
)

func compileAll(prefix string, pats ...string) []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(pats))
	for i, p := range pats {
		out[i] = regexp.MustCompile(prefix + p)
	}
	return out
}

// lastFinalAnswer picks, over all patterns, the match with the largest start offset (ties go to
// the earlier pattern) and returns its stripped group with a trailing stop token removed.
func lastFinalAnswer(text string) (string, bool) {
	bestStart, best := -1, ""
	// The heads hold no letter that (?i) folds to a non-ASCII rune except 's' (U+017F, 'ſ'): without
	// one in the text, an ASCII search for the heads finds every place a match can start.
	fast := !strings.Contains(text, "ſ")
	var lower []byte // text with ASCII letters lower-cased: the same byte offsets
	if fast {
		lower = asciiLower(text)
	}
	for i, re := range rewardFinalAnswer {
		var start, g0, g1 int
		if fast {
			start, g0, g1 = lastMatchAtHeads(text, lower, rewardFinalAnswerHeads[i], rewardFinalAnswerAt[i])
		} else {
			start = -1
			if m := re.FindAllStringSubmatchIndex(text, -1); len(m) > 0 {
				last := m[len(m)-1]
				start, g0, g1 = last[0], last[2], last[3]
			}
		}
		if start > bestStart {
			bestStart, best = start, text[g0:g1]
		}
	}
	if bestStart < 0 {
		return "", false
	}
	best = pyStrip(best)
	for _, s := range StopTokens {
		if strings.HasSuffix(best, s) {
			best = pyStrip(strings.TrimSuffix(best, s))
			break
		}
	}
	return best, true
}

// lastMatchAtHeads is the last match of FindAll(text) for a pattern whose every match starts
// with head (case-insensitively, ASCII only): FindAll's leftmost-first scan, trying the anchored
// pattern only where head occurs in lower (text lower-cased) instead of at every offset. It
// returns the match's start and its group's bounds, start -1 for none.
func lastMatchAtHeads(text string, lower []byte, head []byte, at *regexp.Regexp) (start, g0, g1 int) {
	start = -1
	for pos := 0; pos < len(text); {
		k := bytes.Index(lower[pos:], head)
		if k < 0 {
			break
		}
		s := pos + k
		m := at.FindStringSubmatchIndex(text[s:])
		if m == nil {
			pos = s + 1
			continue
		}
		start, g0, g1 = s, s+m[2], s+m[3]
		pos = s + m[1]
	}
	return start, g0, g1
}

// asciiLower returns s with its ASCII letters lower-cased and every other byte as it is (so the
// byte offsets are s's).
func asciiLower(s string) []byte {
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		b[i] = c + asciiLowerDelta[c]
	}
	return b
}

// asciiLowerDelta[c] is what lower-casing adds to byte c: 32 for 'A'..'Z', 0 otherwise.
var asciiLowerDelta = func() (t [256]byte) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 'a' - 'A'
	}
	return t
}()

// ExtractReward is the training-reward extractor of protocol §2.1: the last non-empty 2-level
// \boxed{}, else the latest "Final Answer:"-style line. ok=false is the authors' None.
func ExtractReward(text string) (answer string, ok bool) {
	if b, found := LastBoxed2(text); found && b != "" {
		return b, true
	}
	return lastFinalAnswer(text)
}

// firstBoxedSimpleEvals is simple-evals' ANSWER_PATTERN_BOXED: first match, greedy to the last
// closing brace on the same line.
var firstBoxedSimpleEvals = regexp.MustCompile(`(?i)\\boxed\s*\{([^\n]+)\}`)

// ExtractSimpleEvals returns the first simple-evals boxed answer (GPQA and the math sets).
func ExtractSimpleEvals(text string) (string, bool) {
	m := firstBoxedSimpleEvals.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	return m[1], true
}

var (
	evalFinalAnswer = regexp.MustCompile(`Final Answer:((?:[^<]|<[^<])*?)\n`)
	evalTheAnswerIs = regexp.MustCompile(`The answer is:((?:[^<]|<[^<])*?)\n`)
)

// ExtractEvalScripts is `extract_solution` of the authors' eval_mmlupro.py / eval_supergpqa.py /
// eval_bbeh.py: drop the prompt echo, cut at the first stop word, then the last non-empty 2-level
// \boxed{}, else the last "Final Answer:" line, else the last "The answer is:" line
// (case-sensitive, group not stripped). ok=false is Python's None.
func ExtractEvalScripts(text string) (string, bool) {
	out := text
	if strings.Contains(out, "<|im_start|>user") {
		if i := strings.Index(out, "<|im_start|>assistant"); i >= 0 {
			out = out[i:]
		}
	} else if strings.Contains(out, "Assistant:") {
		parts := strings.Split(out, "Assistant:")
		out = pyStrip(parts[len(parts)-1])
	}
	for _, s := range StopTokens {
		if i := strings.Index(out, s); i >= 0 {
			out = pyStrip(out[:i])
		}
	}
	if b, found := LastBoxed2(out); found && b != "" {
		return b, true
	}
	if m := evalFinalAnswer.FindAllStringSubmatch(out, -1); m != nil {
		return m[len(m)-1][1], true
	}
	if m := evalTheAnswerIs.FindAllStringSubmatch(out, -1); m != nil {
		return m[len(m)-1][1], true
	}
	return "", false
}

// pyStrip is Python's str.strip() with no arguments: it removes Unicode whitespace at both ends.
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// PyStrip exposes Python's str.strip() semantics to other packages.
func PyStrip(s string) string { return pyStrip(s) }
