// Package verify holds answer extraction, the rule-based and model-based verifiers, and the
// General-Reasoner reward. It depends on nothing else in the project except package llm.
package verify

import (
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
	// the literal each pattern starts with, lower case: a match starts where it occurs, and the
	// rest of every pattern is the same (matchAfterHead)
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
	// Every head ends with ':' and holds no letter that (?i) folds to a non-ASCII rune except 's'
	// (U+017F, 'ſ'): without one in the text, the heads before its colons are every place a match
	// can start.
	fast := !strings.Contains(text, "ſ")
	var starts [][]int
	if fast {
		starts = headStarts(text)
	}
	for i, re := range rewardFinalAnswer {
		var start, g0, g1 int
		if fast {
			start, g0, g1 = lastMatchAtHeads(text, starts[i], len(rewardFinalAnswerHeads[i]))
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

// headStarts returns, for each pattern, the offsets where its head occurs in text (ASCII letters
// compared case-insensitively), in increasing order: the heads that end at each ':'.
func headStarts(text string) [][]int {
	starts := make([][]int, len(rewardFinalAnswerHeads))
	for c := 0; ; c++ {
		k := strings.IndexByte(text[c:], ':')
		if k < 0 {
			return starts
		}
		c += k
		for i, head := range rewardFinalAnswerHeads {
			if s := c + 1 - len(head); s >= 0 && equalFoldASCII(text[s:c+1], head) {
				starts[i] = append(starts[i], s)
			}
		}
	}
}

// equalFoldASCII reports whether s equals lower (lower-case ASCII) with s's ASCII letters
// lower-cased.
func equalFoldASCII(s string, lower []byte) bool {
	for j := 0; j < len(s); j++ {
		if s[j]+asciiLowerDelta[s[j]] != lower[j] {
			return false
		}
	}
	return true
}

// asciiLowerDelta[c] is what lower-casing adds to byte c: 32 for 'A'..'Z', 0 otherwise.
var asciiLowerDelta = func() (t [256]byte) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 'a' - 'A'
	}
	return t
}()

// lastMatchAtHeads is the last match of FindAll(text) for one of the patterns, given the offsets
// where its head occurs (headLen bytes long): FindAll's leftmost-first scan, trying a match only
// at those offsets instead of at every offset. It returns the match's start and its group's
// bounds, start -1 for none.
func lastMatchAtHeads(text string, heads []int, headLen int) (start, g0, g1 int) {
	start = -1
	pos := 0
	for _, s := range heads {
		if s < pos {
			continue // inside the previous match
		}
		a, b, end, ok := matchAfterHead(text, s+headLen)
		if !ok {
			continue
		}
		start, g0, g1 = s, a, b
		pos = end
	}
	return start, g0, g1
}

// matchAfterHead matches what follows a head in every pattern, `\s*((?:[^<]|<[^<])*?)\n`, at
// offset h the way Go's backtracking matcher does, without a regexp: the greedy `\s*` (Go's \s is
// [\t\n\f\r ]) takes the whole run of spaces, then the lazy group grows a token at a time (a
// character other than '<', or '<' and a character other than '<') until the next character
// is '\n'. If that fails (a "<<", a '<' at the end, no '\n' at a token boundary), `\s*` gives back
// characters: a shorter run starts the group inside the run, where every character is a token,
// so the group ends empty at the run's last '\n' if it has one, and fails as the full run did if
// not. It returns the group's bounds and the match's end.
func matchAfterHead(text string, h int) (g0, g1, end int, ok bool) {
	w := h
	lastNL := -1
	for w < len(text) {
		c := text[w]
		if c != ' ' && c != '\t' && c != '\n' && c != '\f' && c != '\r' {
			break
		}
		if c == '\n' {
			lastNL = w
		}
		w++
	}
	for p := w; p < len(text); {
		switch text[p] {
		case '\n':
			return w, p, p + 1, true
		case '<':
			if p+1 >= len(text) || text[p+1] == '<' {
				p = len(text) // the group cannot pass here
				continue
			}
			p += 2 // bytes of a multi-byte rune after '<' are neither '\n' nor '<': stepping by bytes finds the same boundaries
		default:
			p++
		}
	}
	if lastNL >= 0 {
		return lastNL, lastNL, lastNL + 1, true
	}
	return 0, 0, 0, false
}

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
