package verify

import (
	"context"
	"strings"
	"unicode"
)

// Verdict is the outcome of checking one answer against a gold answer.
type Verdict struct {
	Correct bool   `json:"correct"`
	Layer   string `json:"layer"`  // which checker decided: "string", "rule", "model", "llm-judge", ...
	Reason  string `json:"reason"` // short human-readable why
}

// Judge decides whether an extracted answer is equivalent to the gold answer of a question.
// Implementations must be safe for concurrent use.
type Judge interface {
	Name() string
	Judge(ctx context.Context, question, gold, answer string) (Verdict, error)
}

// StringJudge is the normalised-string baseline: both sides are normalised with
// NormalizeString and compared for equality.
type StringJudge struct{}

func (StringJudge) Name() string { return "string" }

func (StringJudge) Judge(_ context.Context, _, gold, answer string) (Verdict, error) {
	g, a := NormalizeString(gold), NormalizeString(answer)
	if a == "" {
		return Verdict{false, "string", "empty answer"}, nil
	}
	if g == a {
		return Verdict{true, "string", "normalised strings equal"}, nil
	}
	return Verdict{false, "string", "normalised strings differ"}, nil
}

var stringNormReplacer = strings.NewReplacer(
	`\left`, "", `\right`, "", `\!`, "", `\,`, "", `\;`, "", `\:`, "", `\ `, "",
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `^\circ`, "", `^{\circ}`, "", `\%`, "", "%", "",
	"$", "", `\displaystyle`, "",
)

// NormalizeString is a light, purely textual normalisation: LaTeX spacing and sizing commands,
// dollar signs, \text{...} wrappers, a trailing period and all whitespace are removed, and the
// result is lower-cased. It never parses mathematics.
func NormalizeString(s string) string {
	s = stringNormReplacer.Replace(s)
	for _, cmd := range []string{`\text{`, `\textbf{`, `\mathrm{`, `\mbox{`} {
		s = unwrapCommand(s, cmd)
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	var b strings.Builder
	for _, r := range s {
		if !unicode.IsSpace(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// unwrapCommand replaces every `cmd...}` (cmd ends with "{") by its balanced-brace content.
func unwrapCommand(s, cmd string) string {
	for {
		i := strings.Index(s, cmd)
		if i < 0 {
			return s
		}
		depth, j := 1, i+len(cmd)
		for ; j < len(s) && depth > 0; j++ {
			switch s[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth != 0 {
			return s
		}
		s = s[:i] + s[i+len(cmd):j-1] + s[j:]
	}
}
