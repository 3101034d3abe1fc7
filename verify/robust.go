package verify

import (
	"regexp"
	"strings"
)

// lastBoxedAny returns the content of the last \boxed{...} or \fbox{...} with any nesting
// depth (brace counting, bounded by the input), also "\boxed 5" (no braces).
func lastBoxedAny(s string) (string, bool) {
	i := max(strings.LastIndex(s, `\boxed`), strings.LastIndex(s, `\fbox`))
	for i >= 0 {
		j := i + len(`\fbox`)
		if strings.HasPrefix(s[i:], `\boxed`) {
			j = i + len(`\boxed`)
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '{' {
			depth := 0
			for k := j; k < len(s); k++ {
				switch s[k] {
				case '{':
					depth++
				case '}':
					depth--
					if depth == 0 {
						return s[j+1 : k], true
					}
				case '\\':
					k++ // skip escaped braces \{ \}
				}
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
	for _, s := range StopTokens {
		if i := strings.Index(text, s); i >= 0 {
			text = text[:i]
		}
	}
	if b, ok := lastBoxedAny(text); ok && strings.TrimSpace(b) != "" {
		return strings.TrimSpace(b), true
	}
	for _, re := range []*regexp.Regexp{reFinalAnswer, reTheAnswerIs} {
		if m := re.FindAllStringSubmatch(text, -1); m != nil {
			a := strings.TrimSpace(m[len(m)-1][1])
			a = strings.TrimSuffix(a, ".")
			a = strings.Trim(a, "*$ ")
			if a != "" {
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
	r := strings.TrimSpace(response)
	if b, ok := lastBoxedAny(r); ok && strings.TrimSpace(b) != "" {
		return strings.TrimSpace(b), "boxed"
	}
	if m := reFinalAnswer.FindAllStringSubmatch(r, -1); m != nil {
		if a := strings.Trim(strings.TrimSpace(m[len(m)-1][1]), "*$ ."); a != "" {
			return a, "final-answer"
		}
	}
	if len(r) <= 1500 {
		return r, "whole"
	}
	if m := reTheAnswerIs.FindAllStringSubmatch(r, -1); m != nil {
		if a := strings.Trim(strings.TrimSpace(m[len(m)-1][1]), "*$ ."); a != "" {
			return a, "answer-is"
		}
	}
	a, _ := ExtractRobust(r)
	return a, "last-line"
}
