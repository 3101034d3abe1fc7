package verify

import (
	"regexp"
	"strings"
)

// lastBoxedAny returns the content of the last \boxed{...} or \fbox{...} with any nesting
// depth (brace counting, bounded by the input), also "\boxed 5" (no braces).
func lastBoxedAny(s string) (string, bool) {
	i := max(strings.LastIndex(s, `\boxed`), strings.LastIndex(s, `\fbox`))
	for tries := 0; i >= 0 && tries < 4; tries++ { // bounded: unbalanced boxes are not rescanned
		j := i + len(`\fbox`)
		if strings.HasPrefix(s[i:], `\boxed`) {
			j = i + len(`\boxed`)
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '{' {
			if k := matchBrace(s, j); k > 0 {
				return s[j+1 : k], true
			}
		} else if j > i+len(`\fbox`) || strings.HasPrefix(s[i:], `\boxed `) {
			k := j
			for k < len(s) && s[k] != '$' && s[k] != '\n' && s[k] != ' ' {
				k++
			}
			if k > j {
				return s[j:k], true
			}
		}
		// unbalanced: try the previous box
		prev := max(strings.LastIndex(s[:i], `\boxed`), strings.LastIndex(s[:i], `\fbox`))
		i = prev
	}
	return "", false
}

// matchBrace returns the index of the brace closing the one at s[open] (escaped \{ \} are
// skipped), or -1 when it is not closed.
func matchBrace(s string, open int) int {
	depth := 0
	for k := open; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		case '\\':
			k++
		}
	}
	return -1
}

// LastBoxedAny exposes the any-depth \boxed / \fbox extractor.
func LastBoxedAny(s string) (string, bool) { return lastBoxedAny(s) }

var (
	reTheAnswerIs = regexp.MustCompile(`(?i)(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*:?\s*([^\n]+)`)
	reFinalAnswer = regexp.MustCompile(`(?i)final\s+answer\s*(?:is)?\s*[:：]?\s*\n*\s*([^\n]+)`)
)

// ExtractRobust is our own extractor (used when asked): the last \boxed/\fbox at any depth,
// else the last "final answer"/"the answer is" phrase, else the last non-empty line. The
// answer is empty and ok false only for empty input.
func ExtractRobust(text string) (string, bool) {
	text = capTail(text, MaxAnswerLen)
	for _, s := range StopTokens {
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	if b, ok := lastBoxedAny(text); ok && strings.TrimSpace(b) != "" {
		return strings.TrimSpace(b), true
	}
	for _, re := range []*regexp.Regexp{reFinalAnswer, reTheAnswerIs} {
		if !mentionsAnswer(text) {
			break
		}
		if m := re.FindAllStringSubmatch(text, -1); m != nil {
			if a := tidyPhrase(m[len(m)-1][1]); a != "" {
				return a, true
			}
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l, true
		}
	}
	return "", false
}

// ExtractForJudging picks what to compare from a response that may be a whole chain of thought
// or a short answer: a boxed or "answer is" answer when present, otherwise the whole response
// when it is short (a sentence or paragraph: open-domain answers), else its last line.
func ExtractForJudging(response string) (answer, how string) {
	r := strings.TrimSpace(capTail(response, MaxAnswerLen))
	if b, ok := lastBoxedAny(r); ok && strings.TrimSpace(b) != "" {
		return strings.TrimSpace(b), "boxed"
	}
	hasAnswer := mentionsAnswer(r)
	if hasAnswer {
		if m := reFinalAnswer.FindAllStringSubmatch(r, -1); m != nil {
			if a := tidyPhrase(m[len(m)-1][1]); a != "" {
				return a, "final-answer"
			}
		}
	}
	if len(r) <= 1500 {
		return r, "whole"
	}
	if hasAnswer {
		if m := reTheAnswerIs.FindAllStringSubmatch(r, -1); m != nil {
			if a := tidyPhrase(m[len(m)-1][1]); a != "" {
				return a, "answer-is"
			}
		}
	}
	a, _ := ExtractRobust(r)
	return a, "last-line"
}

// capTail keeps the last n bytes of s (answers are at the end), on a UTF-8 boundary.
func capTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return s[i:]
}

// mentionsAnswer is a cheap case-insensitive prefilter for the "answer" regexes.
func mentionsAnswer(s string) bool {
	return strings.Contains(s, "nswer") || strings.Contains(s, "NSWER")
}

var reLeadAnswerIs = regexp.MustCompile(`(?i)^\s*(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*`)

// tidyPhrase cleans the text captured after "Final Answer:"/"the answer is": a repeated
// "The final answer is", a leading $...$ segment ("$28 \%$. I hope it is correct." -> "28 \%"),
// or the first sentence; bold markers and a trailing period are dropped.
func tidyPhrase(a string) string {
	a = strings.TrimSpace(reLeadAnswerIs.ReplaceAllString(strings.TrimSpace(a), ""))
	a = strings.Trim(a, "* ")
	if strings.HasPrefix(a, "$") {
		if j := strings.Index(a[1:], "$"); j > 0 && !strings.HasPrefix(a, "$$") {
			return strings.TrimSpace(a[1 : j+1])
		}
	}
	if i := strings.Index(a, ". "); i > 0 {
		a = a[:i]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.Trim(a, "*$ "), "."))
}
