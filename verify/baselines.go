package verify

import (
	"context"
	"strconv"
	"strings"
)

// ExactJudge is the exact-string-match baseline (surrounding whitespace ignored).
type ExactJudge struct{}

func (ExactJudge) Name() string { return "exact" }

func (ExactJudge) Judge(_ context.Context, _, gold, answer string) (Verdict, error) {
	if strings.TrimSpace(answer) == "" {
		return Verdict{false, "exact", "empty answer"}, nil
	}
	if strings.TrimSpace(gold) == strings.TrimSpace(answer) {
		return Verdict{true, "exact", "strings identical"}, nil
	}
	return Verdict{false, "exact", "strings differ"}, nil
}

// HendrycksJudge is the hendrycks/math `is_equiv` baseline: both sides normalised with
// `strip_string` and compared as strings (what compute_score.py used before math-verify).
type HendrycksJudge struct{}

func (HendrycksJudge) Name() string { return "hendrycks" }

func (HendrycksJudge) Judge(_ context.Context, _, gold, answer string) (Verdict, error) {
	if IsEquivHendrycks(gold, answer) {
		return Verdict{true, "hendrycks", "strip_string forms equal"}, nil
	}
	return Verdict{false, "hendrycks", "strip_string forms differ"}, nil
}

// IsEquivHendrycks is hendrycks/math `is_equiv`: when strip_string raises (Python exceptions
// are reproduced as ok=false), the raw strings are compared.
func IsEquivHendrycks(a, b string) bool {
	sa, ok1 := StripStringHendrycks(a)
	sb, ok2 := StripStringHendrycks(b)
	if !ok1 || !ok2 {
		return a == b
	}
	return sa == sb
}

// StripStringHendrycks is hendrycks/math `strip_string`; ok=false where Python raises.
func StripStringHendrycks(s string) (string, bool) {
	s = strings.ReplaceAll(s, "\n", "")
	s = strings.ReplaceAll(s, `\!`, "")
	s = strings.ReplaceAll(s, `\\`, `\`)
	s = strings.ReplaceAll(s, "tfrac", "frac")
	s = strings.ReplaceAll(s, "dfrac", "frac")
	s = strings.ReplaceAll(s, `\left`, "")
	s = strings.ReplaceAll(s, `\right`, "")
	s = strings.ReplaceAll(s, `^{\circ}`, "")
	s = strings.ReplaceAll(s, `^\circ`, "")
	s = strings.ReplaceAll(s, `\$`, "")
	// _remove_right_units
	if strings.Contains(s, `\text{ `) {
		parts := strings.Split(s, `\text{ `)
		if len(parts) != 2 {
			return "", false
		}
		s = parts[0]
	}
	s = strings.ReplaceAll(s, `\%`, "")
	s = strings.ReplaceAll(s, " .", " 0.")
	s = strings.ReplaceAll(s, "{.", "{0.")
	if len(s) == 0 {
		return s, true
	}
	if s[0] == '.' {
		s = "0" + s
	}
	if parts := strings.Split(s, "="); len(parts) == 2 && len(parts[0]) <= 2 {
		s = parts[1]
	}
	// _fix_sqrt
	if strings.Contains(s, `\sqrt`) {
		parts := strings.Split(s, `\sqrt`)
		out := parts[0]
		for _, p := range parts[1:] {
			if p == "" {
				return "", false
			}
			if p[0] != '{' {
				out += `\sqrt{` + p[:1] + "}" + p[1:]
			} else {
				out += `\sqrt` + p
			}
		}
		s = out
	}
	s = strings.ReplaceAll(s, " ", "")
	// _fix_fracs
	if parts := strings.Split(s, `\frac`); len(parts) > 1 {
		out := parts[0]
		for _, p := range parts[1:] {
			out += `\frac`
			if p == "" {
				return "", false
			}
			if p[0] == '{' {
				out += p
				continue
			}
			if len(p) < 2 {
				out = s // Python returns the unchanged string
				break
			}
			a, b := p[:1], p[1:2]
			if b != "{" {
				out += "{" + a + "}{" + b + "}" + p[2:]
			} else {
				out += "{" + a + "}" + b + p[2:]
			}
		}
		s = out
	}
	if s == "0.5" {
		s = `\frac{1}{2}`
	}
	// _fix_a_slash_b
	if parts := strings.Split(s, "/"); len(parts) == 2 {
		a, err1 := strconv.Atoi(parts[0])
		b, err2 := strconv.Atoi(parts[1])
		if err1 == nil && err2 == nil && s == strconv.Itoa(a)+"/"+strconv.Itoa(b) {
			s = `\frac{` + strconv.Itoa(a) + "}{" + strconv.Itoa(b) + "}"
		}
	}
	return s, true
}
