package verify

import "strings"

// LastBoxedBalanced returns the content of the last \boxed{...} (or \fbox{...}) in text, matching
// braces to any depth (the hendrycks-MATH last_boxed_only_string rule). ok is false when there
// is no complete box.
func LastBoxedBalanced(text string) (string, bool) {
	i, cmd := strings.LastIndex(text, `\boxed`), `\boxed`
	if j := strings.LastIndex(text, `\fbox`); j > i {
		i, cmd = j, `\fbox`
	}
	if i < 0 {
		return "", false
	}
	rest := text[i+len(cmd):]
	start := len(rest) - len(strings.TrimLeft(rest, " "))
	if start >= len(rest) || rest[start] != '{' {
		return "", false
	}
	depth := 0
	for k := start; k < len(rest); k++ {
		switch rest[k] {
		case '{':
			depth++
		case '}':
			if depth--; depth == 0 {
				return rest[start+1 : k], true
			}
		}
	}
	return "", false
}
