package verify

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Input bounds of the rule verifier.
const (
	MaxAnswerLen = 64 << 10 // extraction looks at the last 64 KiB of a response
	maxCheckLen  = 16 << 10 // the rule check keeps the first and last 8 KiB of longer answers
	MaxGoldLen   = 8 << 10  // a longer gold is reduced to the answer at its end
	maxProseNums = 64
)

// RuleVerifier is the strong rule-based verifier: LaTeX/plain maths parsed and compared
// numerically and symbolically, units with dimensional analysis, structures (tuples, sets,
// intervals, matrices, equations), multiple choice, verdicts, prose quantities and open-domain
// short answers, with hedged, negated and copied answers rejected. It returns a three-way
// outcome internally (Check) and is a Judge.
type RuleVerifier struct {
	// NoPercent disables the 25% == 0.25 equivalence.
	NoPercent bool
}

// Result is the three-way outcome of a rule check.
type Result struct {
	Outcome Outcome
	Type    string // answer type the checker recognised: number, expression, quantity, list, ...
	Reason  string
	// Final marks a rejection no later layer may overturn: an empty or content-free answer, a
	// hedge (several candidates), a negated mention of the gold. The cascade does not ask its
	// model about these.
	Final bool
}

func (RuleVerifier) Name() string { return "rule" }

// Judge implements Judge: Yes is correct; No and Unknown are not.
func (r RuleVerifier) Judge(_ context.Context, question, gold, answer string) (Verdict, error) {
	res := r.Check(question, gold, answer)
	return Verdict{Correct: res.Outcome == Yes, Layer: "rule", Reason: res.Type + ": " + res.Reason}, nil
}

var trivialAnswers = map[string]bool{
	"": true, "none": true, "null": true, "nan": true, "nil": true, "n a": true, "no answer": true, "not applicable": true,
	"tbd": true, "todo": true, "etc": true, "blank": true, "empty": true,
}

// fillerWords carry no answer: a response made only of them ("Let's solve this step by step",
// "The final answer is", "Solution:") is empty.
var fillerWords = map[string]bool{"the": true, "final": true, "answer": true, "answers": true, "is": true,
	"are": true, "solution": true, "solutions": true, "result": true, "so": true, "therefore": true, "thus": true,
	"hence": true, "i": true, "think": true, "believe": true, "guess": true, "let": true, "s": true, "us": true,
	"solve": true, "this": true, "step": true, "by": true, "thought": true, "process": true, "here": true,
	"my": true, "our": true, "we": true, "now": true, "hope": true, "it": true, "be": true, "will": true,
	"would": true, "problem": true, "question": true, "reasoning": true, "work": true, "calculation": true,
	"box": true, "boxed": true, "text": true, "fbox": true, "im": true, "end": true, "start": true,
	"endoftext": true, "assistant": true, "user": true, "output": true, "response": true, "a": true, "an": true,
	"of": true, "to": true, "and": true, "that": true, "as": true, "follow": true, "following": true, "below": true,
	"carefully": true, "think step": true, "lets": true, "first": true, "quad": true, "qquad": true}

// trivialPhraseWords are the words of trivialAnswers.
var trivialPhraseWords = map[string]bool{"none": true, "null": true, "nan": true, "nil": true, "n": true,
	"a": true, "no": true, "not": true, "applicable": true, "tbd": true, "todo": true, "etc": true,
	"blank": true, "empty": true, "answer": true, "correct": true, "i": true, "hope": true, "it": true, "is": true}

// onlyFillerWords is a quick check before tokenizing: false as soon as an ASCII word is neither a
// filler word nor part of a trivial phrase.
func onlyFillerWords(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x80 {
			return true // leave non-ASCII text to the tokenizer
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		w := strings.ToLower(s[i:j])
		if !fillerWords[w] && !trivialPhraseWords[w] && !fillerWords[stem(w)] {
			return false
		}
		i = j
	}
	return true
}

var reHopeCorrect = regexp.MustCompile(`(?i)i\s+hope\s+it\s+is\s+correct\.?`)

// IsTrivial reports whether an answer carries no content: empty, punctuation, an empty box, a
// prompt echo ("Let's think step by step", "The final answer is", "Solution:").
func IsTrivial(answer string) bool {
	if len(answer) > 240 {
		return false
	}
	if strings.ContainsAny(answer, "0123456789") {
		return false // no trivial phrase has a digit
	}
	if t := strings.Trim(strings.TrimSpace(answer), "()*$."); len(t) == 1 && t[0] >= 'A' && t[0] <= 'J' {
		return false // an option letter ("A")
	}
	if !onlyFillerWords(answer) {
		return false
	}
	if strings.Contains(answer, "hope") {
		answer = reHopeCorrect.ReplaceAllString(answer, " ")
	}
	toks := tokenize(answer, 64)
	if len(toks) == 0 {
		return true
	}
	var b strings.Builder
	filler := true
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.w)
		if !fillerWords[t.w] {
			filler = false
		}
	}
	return filler || trivialAnswers[b.String()]
}

var answerLead = regexp.MustCompile(`(?is)^(?:\*\*)?(?:so,?\s+|thus,?\s+|therefore,?\s+|hence,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|solution|result)(?:\*\*)?\s*(?:is\b|:)\s*:?\s*(?:\*\*)?\s*`)

var reGSM8K = regexp.MustCompile(`(?m)^\s*####\s*([^\n]*)`)

// cleanAnswer removes wrappers around a short answer: \boxed (several different boxes become
// the list of their contents), $...$, "The answer is", "#### ", bold, a trailing period.
// multi reports several different boxed answers.
func cleanAnswer(s string) (out string, multi bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, `\boxed`) || strings.Contains(s, `\fbox`) {
		if bs := distinctAnswers(allBoxes(s, 64)); len(bs) == 1 {
			s = bs[0]
		} else if len(bs) > 1 {
			s, multi = strings.Join(bs, ", "), true
		}
	}
	if m := reGSM8K.FindAllStringSubmatch(s, -1); m != nil && strings.TrimSpace(m[len(m)-1][1]) != "" {
		s = m[len(m)-1][1]
	}
	if mentionsAnswer(s) || strings.Contains(s, "olution") || strings.Contains(s, "esult") || strings.Contains(s, "OLUTION") {
		s = answerLead.ReplaceAllString(s, "")
	}
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "*"))
	for _, w := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\(`, `\)`}, {`\[`, `\]`}} {
		if strings.HasPrefix(s, w[0]) && strings.HasSuffix(s, w[1]) && len(s) >= len(w[0])+len(w[1]) {
			inner := s[len(w[0]) : len(s)-len(w[1])]
			if !strings.Contains(inner, w[0]) {
				s = strings.TrimSpace(inner)
			}
		}
	}
	s = strings.TrimRight(s, ". ")
	return s, multi
}

// capAnswer keeps the first and last maxCheckLen/2 bytes of a long answer.
func capAnswer(answer string) string {
	if len(answer) <= maxCheckLen {
		return answer
	}
	head := answer[:maxCheckLen/2]
	for len(head) > 0 && head[len(head)-1]&0xC0 == 0x80 {
		head = head[:len(head)-1]
	}
	return head + "\n" + capTail(answer, maxCheckLen/2)
}

// Check compares answer with gold. The gold may itself be a full solution: its answer is
// extracted the same way as the model's.
func (r RuleVerifier) Check(question, gold, answer string) Result {
	answer = capAnswer(answer)
	if len(question) > maxCheckLen {
		question = question[:maxCheckLen]
	}
	g, _ := cleanAnswer(goldAnswer(gold))
	if len(g) > MaxGoldLen {
		return Result{Outcome: Unknown, Type: "gold", Reason: "gold answer too long"}
	}
	if IsTrivial(g) {
		return Result{Outcome: Unknown, Type: "gold", Reason: "empty gold answer"}
	}
	if IsTrivial(answer) {
		return Result{Outcome: No, Type: "empty", Reason: "empty or trivial answer", Final: true}
	}
	a, multi := cleanAnswer(answer)
	if !strings.Contains(g, ":") || !strings.Contains(a, ":") {
	} else if g2, a2 := clock24(g), clock24(a); g2 != "" && g2 == a2 {
		return Result{Outcome: Yes, Type: "time", Reason: "same time of day"}
	}
	if a != "" && sameText(g, a) {
		return Result{Outcome: Yes, Type: "string", Reason: "normalised strings equal"}
	}
	res := r.check(question, g, a)
	if multi && res.Outcome != Yes {
		res.Outcome, res.Final = No, true
		res.Reason = "several different boxed answers (" + res.Reason + ")"
	}
	return res
}

func (r RuleVerifier) check(question, g, a string) Result {
	tc := newTextCtx(question)
	if !copyMatters(tc, g) {
	} else if stripped := stripQuestionCopy(question, a); stripped != a {
		// what the cut leaves: "5 cars drove through the jam in the first 15 minutes." is "5"
		a = strings.Trim(stripped, " \t\n.,;:…")
		if IsTrivial(a) {
			return Result{Outcome: No, Type: "empty", Reason: "answer only repeats the question", Final: true}
		}
	}
	if IsTrivial(a) {
		return Result{Outcome: No, Type: "empty", Reason: "empty or trivial answer", Final: true}
	}
	if isQuestionMark(a) {
		return Result{Outcome: No, Type: "empty", Reason: "answer is a question, not an answer", Final: true}
	}
	if v, ok := parseVerdictGold(g); ok {
		return checkVerdict(v, a)
	}
	if isRefusal(a) && len(tokenize(a, 16)) <= 12 {
		return Result{Outcome: No, Type: "empty", Reason: "answer declines to answer", Final: true}
	}
	if letter, ok := choiceLetter(g, question); ok {
		return checkChoice(question, letter, a)
	}
	qh := qhead(question)
	c := &cmpCtx{allowPct: !r.NoPercent && !reNoPercent.MatchString(qh), deadline: time.Now().Add(Budget),
		ordered: asksOrder(qh), negQ: negQuestion(qh), question: question}
	gv, gok := value{}, false
	if !isAliasList(g) {
		gv, gok = parseMath(g)
	}
	if gok {
		return checkMath(c, tc, g, gv, a)
	}
	// a gold equation whose left side is a name ("\frac{NO}{BO} = \frac{1}{\sqrt6}", "V_1:V_2 =
	// 11:21"): the right side is the answer
	if rhs, ok := namedRHS(g); ok {
		if sameText(rhs, a) {
			return Result{Outcome: Yes, Type: "equation", Reason: "answer is the right side of the gold's equation"}
		}
		if rv, ok := parseMath(rhs); ok {
			if av, ok := parseMath(a); ok && compareValues(c, rv, av) == Yes {
				return Result{Outcome: Yes, Type: "equation", Reason: "answer equals the right side of the gold's equation"}
			}
		}
	}
	// option text given as gold, letter given as answer
	if opts := parseOptions(question); len(opts) > 0 {
		if l, hedge, ok := answerLetter(a, opts); ok && !hedge {
			if txt, ok := opts[l]; ok {
				if strings.EqualFold(NormalizeString(txt), NormalizeString(g)) {
					return Result{Outcome: Yes, Type: "multiple choice", Reason: "answer letter " + l + " is the gold option"}
				}
			}
		}
	}
	t := matchText(tc, g, a)
	if t.o != Yes && !t.final && isRefusal(a) {
		return Result{Outcome: No, Type: "string", Reason: "answer declines to answer"}
	}
	return Result{Outcome: t.o, Type: "string", Reason: t.reason, Final: t.final}
}

// copyMatters reports whether a copy of the question could pass for the answer: the question
// contains the gold, lists options or offers alternatives.
func copyMatters(tc *textCtx, g string) bool {
	question := tc.question
	if question == "" {
		return false
	}
	if strings.Contains(question, " or ") || len(parseOptions(question)) >= 2 {
		return true
	}
	qt := contentWords(tc.questionTokens())
	gw := contentWords(tokenize(g, 64))
	found := false
	for _, w := range gw {
		found = found || tc.inQuestion(w.w)
	}
	if !found {
		return false // no word of the gold is in the question
	}
	for _, al := range goldAliases(g) {
		if gt := contentWords(tokenize(al, 32)); len(gt) > 0 && findSeq(qt, gt) >= 0 {
			return true
		}
	}
	return false
}

// checkMath compares an answer with a gold that parses as mathematics.
func checkMath(c *cmpCtx, tc *textCtx, g string, gv value, a string) Result {
	typ := valueType(gv)
	av, aok := parseMath(a)
	if !aok {
		if alt, ok := decimalComma(a); ok {
			av, aok = alt, true
		}
	}
	if aok {
		o := compareValues(c, gv, av)
		if o != Yes {
			// European decimal commas on either side: "1,22" for 1.22
			if alt, ok := decimalComma(g); ok && compareValues(c, alt, av) == Yes {
				o = Yes
			} else if alt, ok := decimalComma(a); ok && compareValues(c, gv, alt) == Yes {
				o = Yes
			}
		}
		if o == Yes && asksForForm(tc.question) && gv.kind == vExpr && av.kind == vExpr && isProduct(gv.expr) && !isProduct(av.expr) {
			return Result{Outcome: No, Type: typ, Reason: "equal in value, but the question asks for a factored form"}
		}
		if o != Yes && gv.kind != vBare && gv.kind != vSet && gv.kind != vTuple && (av.kind == vBare || av.kind == vSet) && len(av.items) >= 2 {
			hit, other := false, false
			for _, it := range av.items {
				if compareValues(c, gv, it) == Yes {
					hit = true
				} else {
					other = true
				}
			}
			switch {
			case hit && other:
				return Result{Outcome: No, Type: typ, Reason: "hedged: the gold among several values", Final: true}
			case hit:
				return Result{Outcome: Yes, Type: typ, Reason: "equivalent (the same value written twice: \"5%, or 0.05\")"}
			}
		}
		if o == No {
			if r, ok := numberRunHedge(c, gv, a, typ); ok {
				return r
			}
		}
		switch o {
		case Yes:
			return Result{Outcome: Yes, Type: typ, Reason: "equivalent"}
		case No:
			if unitClash(gv, av) {
				return Result{Outcome: No, Type: typ, Reason: "the answer writes another word where the gold's unit is", Final: true}
			}
			if isProse(a) {
				if o2 := compareProse(c, gv, a); o2.Outcome == Yes || o2.Final {
					o2.Type = typ
					return o2
				}
			}
			return Result{Outcome: No, Type: typ, Reason: "not equivalent"}
		}
		return Result{Outcome: Unknown, Type: typ, Reason: "could not decide (undefined at sample points or budget)"}
	}
	if r, ok := numberRunHedge(c, gv, a, typ); ok {
		return r
	}
	if res := compareMathSegments(c, gv, a); res.Outcome == Yes || res.Final {
		res.Type = typ
		return res
	}
	if isProse(a) {
		if res := compareProse(c, gv, a); res.Outcome != Unknown {
			res.Type = typ
			// a multi-word gold such as a date range "1985–1993" may still be in the text
			if res.Outcome == No && !res.Final && len(tokenize(g, 8)) >= 2 && !strings.ContainsAny(g, `\^_{}`) {
				if t := matchText(tc, g, a); t.o == Yes {
					return Result{Outcome: Yes, Type: typ, Reason: t.reason}
				}
			}
			return res
		}
	}
	// a bare gold (a year, a name-like token) found in prose; a number only when the prose
	// states no other number ("in May 1984", not "0 1 2 ... 9" or "not 42")
	if gv.kind == vExpr && !strings.ContainsAny(g, `\^_{}`) && isProse(a) && (!gv.expr.IsConst() || onlyThisNumber(c, gv, a)) {
		if t := matchText(tc, g, a); t.o == Yes || t.final {
			return Result{Outcome: t.o, Type: typ, Reason: t.reason, Final: t.final}
		}
	}
	return Result{Outcome: Unknown, Type: typ, Reason: "answer is not parseable mathematics"}
}

// onlyThisNumber reports whether the numbers a prose answer states (at most three) all equal
// the gold and none is negated. Numbers that restate the question's do not count when the gold
// is not one of them ("Three trucks will be needed to transport 80 flagstones").
func onlyThisNumber(c *cmpCtx, gv value, a string) bool {
	nums := proseNumbers(a)
	if len(nums) == 0 {
		return true // number words only ("three episodes"): the text match decides
	}
	if len(nums) > 3 {
		return false
	}
	inQ := func(v value) bool {
		for _, q := range c.questionNumbers() {
			if compareValues(c, q, v) == Yes {
				return true
			}
		}
		return false
	}
	goldInQ := inQ(gv)
	for _, n := range nums {
		if n.negated || n.ranged || n.compound || n.orWith {
			return false
		}
		if compareValues(c, gv, n.v) != Yes && (goldInQ || !inQ(n.v)) {
			return false
		}
	}
	return true
}

// negQuestion reports a negative question ("when did the US not go to the Olympics").
func negQuestion(q string) bool {
	return q != "" && hasAnyFold(q, "not", "never", "n't", "cannot", "except") && reNegQuestion.MatchString(q)
}

var reNegQuestion = regexp.MustCompile(`(?i)\b(?:not|never|n't|cannot|except)\b|n't\b`)

var reNumberRun = regexp.MustCompile(`^[\s\d.,/;|$-]+$`)

// numberRunHedge rejects an answer made only of numbers and separators ("0 1 2 3 4 5 6 7 8 9",
// "42 / 43") that holds the gold among other numbers: a hedge.
func numberRunHedge(c *cmpCtx, gv value, a, typ string) (Result, bool) {
	if gv.kind != vExpr || !gv.expr.IsConst() || isProse(a) || len(a) > 8192 || !reNumberRun.MatchString(a) {
		return Result{}, false
	}
	hit, other := false, false
	nums := proseNumbers(strings.ReplaceAll(a, "/", " ; "))
	for _, n := range nums {
		if compareValues(c, gv, n.v) == Yes {
			hit = true
		} else {
			other = true
		}
	}
	if hit && other {
		return Result{Outcome: No, Type: typ, Reason: "hedged: the gold among several numbers", Final: true}, true
	}
	return Result{}, false
}

var reDecimalComma = regexp.MustCompile(`^\s*(-?\d+),(\d{1,2})\s*$|^\s*(-?0),(\d+)\s*$`)

// decimalComma reads "1,22" or "0,111" (a European decimal comma, which cannot be a thousands
// separator) as a decimal number.
func decimalComma(s string) (value, bool) {
	s = strings.Trim(strings.TrimSpace(s), "$")
	if !strings.Contains(s, ",") {
		return value{}, false
	}
	m := reDecimalComma.FindStringSubmatch(s)
	if m == nil {
		return value{}, false
	}
	num := m[1] + "." + m[2]
	if m[3] != "" {
		num = m[3] + "." + m[4]
	}
	return parseMath(num)
}

var (
	reNamedLHS  = regexp.MustCompile(`^[A-Za-z\\{}\s_^:/(),|]+$`)
	reSubscript = regexp.MustCompile(`_\{[^{}]*\}|_\d`)
)

// namedRHS returns the right side of a gold "NAME = value" whose left side is made of letters,
// subscripts, ratios and fractions of names only.
func namedRHS(g string) (string, bool) {
	g = strings.Trim(strings.TrimSpace(g), "$")
	if strings.Count(g, "=") != 1 {
		return "", false
	}
	i := strings.Index(g, "=")
	lhs := reSubscript.ReplaceAllString(g[:i], "")
	lhs = strings.ReplaceAll(lhs, `\frac`, "")
	if strings.TrimSpace(lhs) == "" || !reNamedLHS.MatchString(lhs) {
		return "", false
	}
	return strings.TrimSpace(g[i+1:]), true
}

var reClock = regexp.MustCompile(`(?i)^\s*(\d{1,2}):(\d{2})\s*(?:\\text\{\s*)?(a\.?\s*m\.?|p\.?\s*m\.?)?\s*\}?\s*$`)

// clock24 reads a time of day ("20:34", "8:34 P.M.", "08:34 \text{pm}") as 24-hour "HH:MM";
// "" when s is not one.
func clock24(s string) string {
	m := reClock.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if h > 24 || mm > 59 {
		return ""
	}
	ap := strings.ToLower(strings.NewReplacer(".", "", " ", "").Replace(m[3]))
	switch {
	case ap == "pm" && h < 12:
		h += 12
	case ap == "am" && h == 12:
		h = 0
	case ap != "" && h > 12:
		return ""
	}
	return fmt.Sprintf("%02d:%02d", h, mm)
}

// sameText compares two short answers as text: LaTeX spacing, \text{} and $ removed, case and
// spaces around symbols ignored; a space between two letters or digits counts ("4 2" is not
// 42, "P a r i s" is not Paris), except in digit groups of three ("1 000").
func sameText(g, a string) bool {
	ng, na := spacedNorm(g), spacedNorm(a)
	return ng != "" && ng == na
}

func spacedNorm(s string) string {
	if len(s) > 4096 {
		return s
	}
	if strings.ContainsAny(s, `\$%^~`) {
		s = stringNormReplacer.Replace(s)
		for _, cmd := range []string{`\text{`, `\textbf{`, `\mathrm{`, `\mbox{`} {
			s = unwrapCommand(s, cmd)
		}
	}
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	// one pass: lower case, whitespace runs collapsed, a space kept only between two letters or
	// digits, and not inside a digit group of three ("1 000")
	b := make([]byte, 0, len(s))
	alnum := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	digit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			if len(b) > 0 && j < len(s) && alnum(b[len(b)-1]) && alnum(s[j]) &&
				!(digit(b[len(b)-1]) && j+3 <= len(s) && digit(s[j]) && digit(s[j+1]) && digit(s[j+2]) && (j+3 == len(s) || !digit(s[j+3]))) {
				b = append(b, ' ')
			}
			i = j - 1
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// isQuestionMark reports whether a short answer is a question ("True?", "B?").
func isQuestionMark(a string) bool {
	a = strings.TrimSpace(a)
	return len(a) <= 60 && strings.HasSuffix(a, "?") && !strings.Contains(a, "\n")
}

var reFactor = regexp.MustCompile(`(?i)\bfactor(?:ise|ize|ed|)\b`)

// asksForForm reports whether the question asks for a factored form (so an expanded but equal
// polynomial is not the answer).
func asksForForm(q string) bool { return q != "" && reFactor.MatchString(qhead(q)) }

func isProduct(e *Expr) bool {
	for e.kind == nNeg {
		e = e.a
	}
	return e.kind == nMul || e.kind == nPow || e.kind == nDiv
}

// hasWord reports a word of two or more letters.
func hasWord(s string) bool {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
			if n >= 2 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// isAnswerPart: a part with a digit or a number word.
func isAnswerPart(p string) bool {
	if strings.ContainsAny(p, "0123456789") {
		return true
	}
	for _, t := range tokenize(p, 8) {
		if isNumber(t.w) {
			return true
		}
	}
	return false
}

var reYearAlias = regexp.MustCompile(`^\s*(?:1\d{3}|20\d{2})\s*$`)

// isAliasList reports whether a gold with "/" or "|" lists alternative answers rather than
// a fraction: three or more alternatives, or all of them years ("1988/2009").
func isAliasList(g string) bool {
	if !strings.ContainsAny(g, "/|") || strings.ContainsAny(g, `\$^{}`) {
		return false
	}
	parts := strings.FieldsFunc(g, func(r rune) bool { return r == '/' || r == '|' })
	if len(parts) >= 3 || strings.Contains(g, "|") {
		return true
	}
	// "6/six", "16/16 episodes", "57 yrs/35 yrs": both sides are answers of their own (a number,
	// a number word or a word each), not a fraction or a unit ("km/h", "60 miles/hour")
	if len(parts) == 2 && (hasWord(parts[0]) || hasWord(parts[1])) && isAnswerPart(parts[0]) && isAnswerPart(parts[1]) {
		return true
	}
	for _, p := range parts {
		if !reYearAlias.MatchString(p) {
			return false
		}
	}
	return len(parts) == 2
}

var reWord = regexp.MustCompile(`(?:^|[^\\\pL])\pL{2,}`)

// isProse reports whether an answer has words (in any script), not just mathematics. A
// character of a script written without spaces (Chinese, Japanese, Korean) is a word by itself:
// "3页" is a number with a word after it.
func isProse(a string) bool {
	for _, r := range a {
		if r >= 0x2e80 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)) {
			return true
		}
	}
	for _, m := range reWord.FindAllString(a, 32) {
		w := strings.ToLower(strings.TrimLeftFunc(m, func(r rune) bool { return !unicode.IsLetter(r) }))
		if len(w) >= 2 && !funcNames[w] && w != "pi" && w != "inf" && w != "text" && w != "mathrm" {
			return true
		}
	}
	return false
}

// reNoPercent matches questions that fix the form of a proportion, so 25% and 0.25 differ.
var reNoPercent = regexp.MustCompile(`(?i)\b(?:as|in)\s+(?:a\s+)?(?:decimal|fraction)(?:\s+form)?\b|\bnot\s+(?:as\s+)?a\s+percent`)

// IsTextGold reports whether a gold answer is free text (not mathematics, a verdict or an
// option letter), i.e. one that open-domain matching decides.
func IsTextGold(gold string) bool {
	g, _ := cleanAnswer(goldAnswer(gold))
	if _, ok := parseVerdictGold(g); ok {
		return false
	}
	if _, ok := choiceLetter(g, ""); ok {
		return false
	}
	if isAliasList(g) {
		return true
	}
	_, ok := parseMath(g)
	return !ok
}

func valueType(v value) string {
	switch v.kind {
	case vExpr:
		switch {
		case v.unitS != "":
			return "quantity"
		case v.pct:
			return "percentage"
		case v.expr.IsConst():
			return "number"
		}
		return "expression"
	case vTuple, vBare:
		return "list"
	case vSet:
		return "set"
	case vInterval, vUnion:
		return "interval"
	case vMatrix:
		return "matrix"
	case vRel:
		return "equation"
	}
	return "other"
}

// ---- prose: quantities pulled out of a sentence ---------------------------------------------

var reProseNum = regexp.MustCompile(`[-−]?\d{1,3}\s*/\s*\d{1,3}\b|[-−]?\d+(?:\.\d+|,\d{1,2}\b)?(?:\s*(?:\\times|×|x|\*)\s*10\^\{?[-−]?\d+\}?|[eE][-+]?\d+)?`)

type proseNum struct {
	v        value
	anchored bool // preceded by "is", "=", "be", "of", ":" ...
	negated  bool // "not 42", "≠ 42", "42 is not the answer"
	orWith   bool // coordinated with another number by "or" ("41 or 42", "either 41 or 42")
	ranged   bool // an end of a range ("between 40 and 45", "40-45", "40 to 45")
	sent     int  // index of the sentence it is in
	cite     bool // a citation mark glued to text ("Bus”1.")
	correct  bool // stated as a correction ("actually 41", "wait, 41", "the correct answer is 41")
	compound bool // a part of a compound quantity ("5 hours and 20 minutes", "6 ft 1 in")
}

// reCompoundJoin joins the parts of a compound quantity: nothing, "and" or a comma.
var reCompoundJoin = regexp.MustCompile(`^[\s$]*(?:,|and|,\s*and)?[\s$]*$`)

var anchorWords = []string{" is", "=", " be", " are", " was", ":", "≈", " equals", " of", " to", "about", "approximately"}

var (
	reNumNeg    = regexp.MustCompile(`(?i)(?:\bnot\b|\bnever\b|n't\b|\bnor\b|\bneither\b|≠|\\neq\b|\\ne\b|!=|\bno\b|\bexcept\b|\bother than\b|\brather than\b|\binstead of\b)[\s{}$()]*(?:(?:be|equal(?:s|\s+to)?|exactly|quite|just|it|it's|is|was|the|number|value|answer|of|in|to|at|on|by|[a-z]+(?:ed|ing|e|d|t|n)?)[\s{}]+){0,3}[$({}\s]*$`)
	reNumOr     = regexp.MustCompile(`(?i)^[\s$).!?;:(]*(?:,\s*)?(?:or|nor|/|maybe|possibly|perhaps|probably|\\text\{\s*or\s*\})[\s$(]*(?:[a-z]\w*\s*=\s*)?(?:(?:maybe|possibly|perhaps|probably)\s+)?$`)
	reNumEither = regexp.MustCompile(`(?i)\beither\s*[$(]*\s*$`)
	reNumRange  = regexp.MustCompile(`(?i)^[\s$)]*(?:-|–|—|to|and|through|until)[\s$(]*$`)
	reRangeLead = regexp.MustCompile(`(?i)\b(?:between|from|range\s+of|ranges?\s+from)\s*[$(]*\s*$`)
	reCorrLead  = regexp.MustCompile(`(?i)\b(?:actually|instead|wait|rather|correct(?:ion|ed)?|final(?:ly)?|in\s+fact|i\s+mean|no,)\b`)
	reSentEnd   = regexp.MustCompile(`[.!?]\s+|\n`)
)

// proseNumbers finds the numbers (with a following unit, when one parses) in free text.
func proseNumbers(text string) []proseNum {
	text = stripThousands(text)
	locs := reProseNum.FindAllStringIndex(text, maxProseNums)
	var out []proseNum
	var spans [][2]int
	sentEnds := reSentEnd.FindAllStringIndex(text, 256)
	for _, l := range locs {
		if l[0] > 0 {
			p := text[l[0]-1]
			if (p >= 'A' && p <= 'Z' || p >= 'a' && p <= 'z') && !afterCommand(text, l[0]) || p == '_' || p == '^' || p == '-' && l[0] > 1 && text[l[0]-2] >= 'a' && text[l[0]-2] <= 'z' {
				continue // part of a name like "1-propanol"'s neighbour or a subscript
			}
		}
		if l[1] < len(text) && text[l[1]] == '-' && l[1]+1 < len(text) && text[l[1]+1] >= 'a' && text[l[1]+1] <= 'z' {
			continue // "1-propanol"
		}
		if gluedToWord(text, l[1]) {
			continue // "13%entint": a number glued to a word through "%" or "." is part of the word
		}
		num := strings.ReplaceAll(text[l[0]:l[1]], "−", "-")
		if i := strings.IndexByte(num, ','); i > 0 {
			num = num[:i] + "." + num[i+1:] // "2,74": a decimal comma (never a thousands separator)
		}
		if len(out) > 0 && num[0] == '-' && l[0] > 0 && text[l[0]-1] >= '0' && text[l[0]-1] <= '9' {
			num = num[1:] // "40-45": a range, not -45
			l[0]++
		}
		e, err := ParseExpr(num)
		if err != nil {
			continue
		}
		v := value{kind: vExpr, expr: e, tol: precisionTol(num)}
		// unit: up to three following words
		rest := text[l[1]:min(len(text), l[1]+48)]
		if strings.HasPrefix(rest, "$") && l[0] > 0 && text[l[0]-1] == '$' {
			rest = rest[1:] // "$5$ hours": the math closes before the unit
		}
		words := strings.Fields(rest)
		if len(words) > 3 {
			words = words[:3]
		}
		for n := len(words); n >= 1; n-- {
			u := strings.TrimRight(strings.Join(words[:n], " "), ".,;)")
			if u == "%" || strings.HasPrefix(rest, "%") {
				v.pct = true
				break
			}
			if sc, ok := scaleWords[strings.ToLower(strings.TrimSuffix(u, "s"))]; ok && n == 1 {
				v.expr = &Expr{kind: nMul, a: e, b: &Expr{kind: nNum, val: sc}}
				v.tol *= sc
				break
			}
			if f, d, ok := parseUnit(u); ok {
				v.unitF, v.unitD, v.unitS = f, d, u
				break
			}
		}
		if strings.HasPrefix(rest, "%") {
			v.pct = true
		}
		before := strings.ToLower(text[max(0, l[0]-16):l[0]])
		anchored := false
		for _, w := range anchorWords {
			if strings.HasSuffix(strings.TrimRight(before, " $(~"), strings.TrimSpace(w)) {
				anchored = true
			}
		}
		pn := proseNum{v: v, anchored: anchored}
		for _, se := range sentEnds {
			if se[1] <= l[0] {
				pn.sent++
			}
		}
		if l[0] > 0 && l[1]-l[0] <= 2 && strings.ContainsRune(`”"’').]`, rune(text[l[0]-1])) && strings.TrimLeft(text[l[1]:min(len(text), l[1]+2)], ".,;") != text[l[1]:min(len(text), l[1]+2)] || l[0] > 0 && l[1]-l[0] <= 2 && strings.HasSuffix(text[:l[0]], "”") {
			pn.cite = true
		}
		lead := text[max(0, l[0]-40):l[0]]
		if i := strings.LastIndexAny(lead, ".;:!?\n"); i >= 0 {
			lead = lead[i+1:]
		}
		pn.correct = reCorrLead.MatchString(lead)
		pn.negated = reNumNeg.MatchString(lead) || negatedAfter(text, l[1])
		if reNumEither.MatchString(lead) {
			pn.orWith = true
		}
		if reRangeLead.MatchString(lead) {
			pn.ranged = true
		}
		if len(out) > 0 {
			prev := spans[len(spans)-1]
			between := text[prev[1]:l[0]]
			if reNumOr.MatchString(between) {
				out[len(out)-1].orWith, pn.orWith = true, true
				if out[len(out)-1].negated {
					pn.negated = true // "not 41 or 42"
				}
			}
			if reNumRange.MatchString(between) && (out[len(out)-1].ranged || !strings.Contains(between, "and")) {
				out[len(out)-1].ranged, pn.ranged = true, true
			}
			// "5 hours and 20 minutes": two units of one dimension make one quantity
			if p := out[len(out)-1].v; p.unitF != 0 && v.unitF != 0 && p.unitD == v.unitD && p.unitS != v.unitS &&
				reCompoundJoin.MatchString(strings.TrimPrefix(strings.TrimLeft(between, " \t$"), p.unitS)) {
				out[len(out)-1].compound, pn.compound = true, true
			}
		}
		out = append(out, pn)
		spans = append(spans, [2]int{l[0], l[1]})
	}
	return out
}

// gluedToWord reports whether the number ending at text[i] runs on into letters through a
// percent sign or a decimal point: "13%entint" is no percentage and "3.x" no number, while
// "20%." "5kg", "3rd" and a sentence end without a space ("in 1957.The") stay numbers.
func gluedToWord(text string, i int) bool {
	if i+1 >= len(text) || text[i] != '%' && text[i] != '.' {
		return false
	}
	c := text[i+1]
	if text[i] == '.' {
		return c >= 'a' && c <= 'z'
	}
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// afterCommand reports whether text[:i] ends in a LaTeX command name (`\times10`, `\b60.1`): the
// number that follows is a quantity of its own, not part of a name.
func afterCommand(text string, i int) bool {
	j := i
	for j > 0 && (text[j-1] >= 'a' && text[j-1] <= 'z' || text[j-1] >= 'A' && text[j-1] <= 'Z') {
		j--
	}
	return j > 0 && j < i && text[j-1] == '\\'
}

// compareProse matches the quantities of a prose answer to a (possibly multi-part) gold.
func compareProse(c *cmpCtx, gv value, text string) Result {
	var golds []value
	switch gv.kind {
	case vExpr:
		if !gv.expr.IsConst() {
			return Result{Outcome: Unknown}
		}
		golds = []value{gv}
	case vBare:
		for _, it := range gv.items {
			if it.kind != vExpr || !it.expr.IsConst() {
				return Result{Outcome: Unknown}
			}
		}
		golds = gv.items
	default:
		return Result{Outcome: Unknown}
	}
	all := proseNumbers(text)
	if len(all) == 0 {
		return Result{Outcome: Unknown}
	}
	if len(golds) == 1 {
		var nums []proseNum
		negHit := false
		for _, n := range all {
			eq := compareValues(c, golds[0], n.v) == Yes
			if c.negQ {
				n.negated = false
			}
			switch {
			case n.negated:
				negHit = negHit || eq
				continue
			case eq && n.orWith:
				for _, m := range all {
					if m.orWith && !m.negated && compareValues(c, golds[0], m.v) != Yes {
						return Result{Outcome: No, Reason: "hedged: the gold offered with another number (\"or\")", Final: true}
					}
				}
			case eq && n.ranged:
				return Result{Outcome: Unknown, Reason: "the gold is an end of a range in the answer"}
			case eq && n.compound:
				return Result{Outcome: Unknown, Reason: "the gold is a part of a compound quantity in the answer"}
			}
			nums = append(nums, n)
		}
		if len(nums) == 0 {
			if negHit {
				return Result{Outcome: No, Reason: "the gold appears only negated", Final: true}
			}
			return Result{Outcome: Unknown}
		}
		// numbers that restate the question ("how many episodes in ... 2017") or cite a source
		// are not the answer's
		qn := c.questionNumbers()
		inQ := func(n proseNum) bool {
			for _, q := range qn {
				if compareValues(c, q, n.v) == Yes {
					return true
				}
			}
			return false
		}
		goldInQ := inQ(proseNum{v: golds[0]})
		var own []proseNum
		for _, n := range nums {
			if !n.cite && (goldInQ || !inQ(n)) {
				own = append(own, n)
			}
		}
		if len(own) == 0 && !goldInQ {
			// every number restates the question ("Three trucks will carry the 80 flagstones"):
			// the answer states no quantity of its own in digits
			return Result{Outcome: Unknown}
		}
		if len(own) > 0 {
			nums = own
		}
		last := nums[len(nums)-1]
		if compareValues(c, golds[0], last.v) == Yes {
			return Result{Outcome: Yes, Reason: "last quantity in the answer matches"}
		}
		// the one number of the answer's first statement ("Toyota came to the US in 1957. The
		// first car ... sold 312 units."), unless a later one is given as a correction
		first, distinct := -1, []proseNum(nil)
		for _, n := range nums {
			if n.ranged {
				continue
			}
			if first < 0 {
				first = n.sent
			}
			if n.sent == first {
				dup := false
				for _, d := range distinct {
					dup = dup || compareValues(c, d.v, n.v) == Yes
				}
				if !dup {
					distinct = append(distinct, n)
				}
			}
		}
		if len(distinct) == 1 && compareValues(c, golds[0], distinct[0].v) == Yes {
			corrected := false
			for _, n := range nums {
				corrected = corrected || n.correct && compareValues(c, golds[0], n.v) != Yes
			}
			if !corrected {
				return Result{Outcome: Yes, Reason: "the number the answer's first statement gives matches"}
			}
		}
		// a stated value ("... is 30.0 torr, measured at 25 °C") counts, but not when the answer
		// states many values (a list of guesses "= 1 = 2 = 3 = 7")
		stated := 0
		for _, n := range nums {
			if n.anchored {
				stated++
			}
		}
		for _, n := range nums {
			if stated <= 2 && n.anchored && compareValues(c, golds[0], n.v) == Yes {
				return Result{Outcome: Yes, Reason: "stated quantity in the answer matches"}
			}
		}
		return Result{Outcome: No, Reason: "no quantity in the answer matches"}
	}
	// multi-part gold: each part matched, in order, by a distinct quantity
	var nums []proseNum
	for _, n := range all {
		if !n.negated {
			nums = append(nums, n)
		}
	}
	j := 0
	for _, g := range golds {
		found := false
		for ; j < len(nums); j++ {
			if compareValues(c, g, nums[j].v) == Yes {
				found = true
				j++
				break
			}
		}
		if !found {
			return Result{Outcome: No, Reason: "not every part of the gold is in the answer"}
		}
	}
	return Result{Outcome: Yes, Reason: "every part of the gold found in order in the answer"}
}

var reMathSeg = regexp.MustCompile(`\$\$([^$]+)\$\$|\$([^$]+)\$|\\\(((?s).+?)\\\)|\\\[((?s).+?)\\\]`)

// compareMathSegments compares the last math segment ($...$, \(...\), \[...\]) of a prose
// answer with the gold.
func compareMathSegments(c *cmpCtx, gv value, text string) Result {
	segs := reMathSeg.FindAllStringSubmatchIndex(text, maxProseNums)
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-2; i-- {
		m := segs[i]
		seg := ""
		for k := 2; k < len(m); k += 2 {
			if m[k] >= 0 {
				seg = text[m[k]:m[k+1]]
			}
		}
		// a segment after "not" ("it is not $42$") does not state the answer
		if reNumNeg.MatchString(text[max(0, m[0]-40):m[0]]) {
			continue
		}
		if v, ok := parseMath(seg); ok {
			if compareValues(c, gv, v) == Yes {
				return Result{Outcome: Yes, Reason: "math in the answer's prose is equivalent"}
			}
			if v.kind == vRel && v.rel == "=" {
				if compareValues(c, gv, lastRHS(value{kind: vRel, rel: "=", lhs: &value{kind: vExpr, expr: &Expr{kind: nVar, name: "_"}}, rhs: v.rhs})) == Yes {
					return Result{Outcome: Yes, Reason: "result of the answer's equation is equivalent"}
				}
			}
			if v.kind == vExpr && v.expr.IsConst() && gv.kind == vExpr && gv.expr.IsConst() {
				// the last number the prose states is another one ("$5$ hours and $20$ minutes")
				break
			}
		}
	}
	return Result{Outcome: Unknown}
}

// ---- multiple choice ------------------------------------------------------------------------

var (
	reGoldLetter     = regexp.MustCompile(`^\(([A-Ja-j])\)(?:\s+.*)?$|^([A-J])[.):]?$|^([A-J])\)\s+.*$`)
	reGoldLetterText = regexp.MustCompile(`^([A-J])[.:]\s+.*$`)
)

// choiceLetter reads a gold that is an option letter: "B", "(B)", "B.", "(B) Neon"; "B. Neon"
// only when the question lists options ("C. capillata" and "B. R. Ambedkar" are names).
func choiceLetter(s, question string) (string, bool) {
	if len(s) == 0 || len(s) > 200 || !strings.ContainsAny(s, "ABCDEFGHIJ(") {
		return "", false
	}
	s = strings.TrimSpace(NormalizeMCWrap(s))
	if m := reGoldLetter.FindStringSubmatch(s); m != nil {
		return strings.ToUpper(m[1] + m[2] + m[3]), true
	}
	if m := reGoldLetterText.FindStringSubmatch(s); m != nil && len(parseOptions(question)) >= 2 {
		return m[1], true
	}
	return "", false
}

// NormalizeMCWrap removes \text{} and ['X'] list wrappers around an option letter.
func NormalizeMCWrap(s string) string {
	s = strings.TrimSpace(normalizeLatex(s))
	s = strings.Trim(s, "[]'\"* ")
	return s
}

var reOptionMarker = regexp.MustCompile(`(?:^|\s)\(?([A-J])[.)]\s+`)
var reOptionLine = regexp.MustCompile(`(?m)^\s*\(?([A-J])[.):]\s+(.+?)\s*$`)

// mayHaveOptions is a cheap prefilter for option lines: "A." "B)" "(C" ...
func mayHaveOptions(q string) bool {
	for i := 0; i+1 < len(q); i++ {
		if q[i] >= 'A' && q[i] <= 'J' && (q[i+1] == '.' || q[i+1] == ')' || q[i+1] == ':') || q[i] == '(' && q[i+1] >= 'A' && q[i+1] <= 'J' {
			return true
		}
	}
	return false
}

// parseOptions reads "A. text" / "(A) text" options from a question.
func parseOptions(q string) map[string]string {
	if q == "" || !mayHaveOptions(q) {
		return nil
	}
	opts := map[string]string{}
	for _, m := range reOptionLine.FindAllStringSubmatch(q, 10) {
		opts[m[1]] = m[2]
	}
	if len(opts) < 2 {
		// inline options "(A) 74 (B) 18 (C) 97": each option's text runs to the next marker (or the
		// line's end), so that neighbouring options do not share a separator
		ms := reOptionMarker.FindAllStringSubmatchIndex(q, 16)
		for k, m := range ms {
			end := len(q)
			if k+1 < len(ms) {
				end = ms[k+1][0]
			}
			txt := q[m[1]:end]
			if i := strings.IndexByte(txt, '\n'); i >= 0 {
				txt = txt[:i]
			}
			if txt = strings.TrimSpace(txt); txt != "" {
				opts[q[m[2]:m[3]]] = txt
			}
		}
	}
	if len(opts) < 2 {
		return nil
	}
	return opts
}

var (
	reAnsLetterLead   = regexp.MustCompile(`^\(?([A-J])\)?(?:[.:),\s]|$)`)
	reAnsLetterPhrase = regexp.MustCompile(`(?i:answer|option|choice)\s*(?i:is|would\s+be|:)?\s*:?\s*(?:\*\*)?\s*(?:\(([A-Ja-j])\)|([A-J]))(?:[.:)\s,*]|$)`)
	reLetterListCont  = regexp.MustCompile(`^\s*(?:,|/|&|\bor\b|\band\b)\s*(?:\*\*)?\(?[A-J]\)?(?:[.:)\s,*]|$)`)
)

// answerLetter returns the option letter an answer commits to; hedge reports several different
// letters (or option texts) offered.
func answerLetter(a string, opts map[string]string) (letter string, hedge, ok bool) {
	s := NormalizeMCWrap(a)
	if t := strings.Trim(s, "()."); len(t) == 1 && t[0] >= 'a' && t[0] <= 'j' {
		return strings.ToUpper(t), false, true // a lone lower-case option letter
	}
	if t := strings.Trim(s, "()[]. "); len(t) >= 2 && len(t) <= 10 && strings.Trim(t, "ABCDEFGHIJ") == "" && strings.Count(t, t[:1]) < len(t) {
		return "", true, true // "ABCD": every option at once
	}
	// explicit "the answer is (B)" phrases decide; a list after one is a hedge
	if ms := reAnsLetterPhrase.FindAllStringSubmatchIndex(s, 16); ms != nil {
		seen := ""
		for _, m := range ms {
			l := ""
			if m[2] >= 0 {
				l = strings.ToUpper(s[m[2]:m[3]])
			} else {
				l = s[m[4]:m[5]]
			}
			if reLetterListCont.MatchString(s[m[1]-1:]) || reLetterListCont.MatchString(s[m[1]:]) {
				return "", true, true
			}
			if seen != "" && seen != l {
				return "", true, true
			}
			seen = l
		}
		return seen, false, true
	}
	// standalone letters that are not negated ("not A", "can't be A or B", "C is wrong")
	if ls := standaloneLetters(s); len(ls) > 1 {
		return "", true, true
	} else if len(ls) == 1 {
		return ls[0], false, true
	}
	if m := reAnsLetterLead.FindStringSubmatch(s); m != nil {
		return m[1], false, true
	}
	// option text
	na, sa := NormalizeString(s), spacedLower(s)
	var hits []string
	for l, txt := range opts {
		nt := NormalizeString(txt)
		if nt == "" || !strings.Contains(na, nt) {
			continue
		}
		// NormalizeString drops spaces and signs, so the option must also be whole in the spaced
		// text: "977", "74es" and "76%" do not name the options "97", "74" and "76"
		if st := spacedLower(txt); strings.Contains(sa, st) && !containsWhole(sa, st) {
			continue
		}
		if nt == na {
			return l, false, true
		}
		hits = append(hits, l)
	}
	switch len(hits) {
	case 0:
		return "", false, false
	case 1:
		return hits[0], false, true
	}
	return "", true, true
}

// spacedLower is s in lower case with its runs of white space as one space.
func spacedLower(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// containsWhole reports whether t occurs in s as a whole: not inside a longer number or word
// ("977" does not contain the option "97", nor "74es" the option "74").
func containsWhole(s, t string) bool {
	digit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	// attached: the byte at i continues the token at its side (a "." only as a decimal point)
	attached := func(i, side int) bool {
		c := s[i]
		if c == '.' {
			return digit(i + side)
		}
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || strings.IndexByte("%/^_'\\", c) >= 0
	}
	for off := 0; off <= len(s)-len(t); {
		i := strings.Index(s[off:], t)
		if i < 0 {
			return false
		}
		i += off
		if (i == 0 || !attached(i-1, -1)) && (i+len(t) == len(s) || !attached(i+len(t), 1)) {
			return true
		}
		off = i + 1
	}
	return false
}

var reLetterValue = regexp.MustCompile(`^\(?([A-J])\)?[.:)]?\s*([-+]?\d+(?:\.\d+)?)\s*\.?$`)
var rePlainNumber = regexp.MustCompile(`^\s*[-+]?\d+(?:\.\d+)?\s*$`)

// contradictsOption reports an answer that names an option by its letter and then a value that
// is not the option's ("B: 91" when B is 81): the letter and the value cannot both be meant.
func contradictsOption(answer string, opts map[string]string) bool {
	m := reLetterValue.FindStringSubmatch(NormalizeMCWrap(answer))
	if m == nil {
		return false
	}
	txt, ok := opts[m[1]]
	if !ok || !rePlainNumber.MatchString(txt) {
		return false
	}
	x, err1 := strconv.ParseFloat(m[2], 64)
	y, err2 := strconv.ParseFloat(strings.TrimSpace(txt), 64)
	return err1 == nil && err2 == nil && x != y
}

var (
	reLetterChain = regexp.MustCompile(`^[\s()]*(?:,|or|nor|and|/)?[\s()]*$`)
	reNotArticle  = regexp.MustCompile(`^\s+(?:or|and|nor|is|was|would|should|seems|looks|because|since|then|must|can|could|might|may|will)\b`)
)

// letterLocs finds option letters A-J standing alone (no letter, apostrophe or backslash next
// to them): [start, end, start, end] per hit, like a regexp submatch index.
func letterLocs(s string, max int) [][]int {
	var out [][]int
	isWord := func(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '\\' }
	for i := 0; i < len(s) && len(out) < max; i++ {
		c := s[i]
		if c < 'A' || c > 'J' {
			continue
		}
		if i > 0 && isWord(s[i-1]) || i+1 < len(s) && (isWord(s[i+1]) || s[i+1] == '\'') {
			continue
		}
		if i+3 < len(s) && s[i+1] == 0xE2 && s[i+2] == 0x80 && s[i+3] == 0x99 {
			continue // "A’s"
		}
		out = append(out, []int{i, i + 1, i, i + 1})
	}
	return out
}

// standaloneLetters lists the distinct option letters standing alone in s that are not negated
// (a negation carries over "or"/"nor"/"," chains: "not A or B").
func standaloneLetters(s string) []string {
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	var found []string
	locs := letterLocs(s, 64)
	negChain := false
	prevEnd := -1
	for _, l := range locs {
		letter := s[l[2]:l[3]]
		// the clause before the letter (up to 40 bytes, from the last comma or sentence end)
		before := strings.ToLower(s[max(0, l[2]-40):l[2]])
		if i := strings.LastIndexAny(before, ".;!?\n,"); i >= 0 {
			before = before[i+1:]
		}
		between := ""
		if prevEnd >= 0 && prevEnd <= l[2] {
			between = strings.ToLower(s[prevEnd:l[2]])
		}
		chained := prevEnd >= 0 && reLetterChain.MatchString(between)
		prevEnd = l[3]
		neg := strings.Contains(before, "not") || strings.Contains(before, "n't") || strings.Contains(before, "non ") ||
			strings.Contains(before, "不是") || strings.Contains(before, "except") || strings.Contains(before, "other than")
		if neg || chained && negChain {
			negChain = true
			continue
		}
		negChain = false
		if negatedAfter(s, l[3]) {
			continue
		}
		if letter == "I" && l[3]+1 < len(s) && (s[l[3]] == ' ' && s[l[3]+1] >= 'a' && s[l[3]+1] <= 'z' || s[l[3]] == '\'' || strings.HasPrefix(s[l[3]:], "’")) {
			continue // the pronoun "I" ("I think", "I'm")
		}
		if letter == "A" && l[3] < len(s) && s[l[3]] == ' ' && (l[2] == 0 || strings.HasSuffix(strings.TrimSpace(s[:l[2]]), ".")) && l[3]+1 < len(s) && s[l[3]+1] >= 'a' && s[l[3]+1] <= 'z' && !reNotArticle.MatchString(s[l[3]:]) {
			continue // sentence-initial article "A" ("A noble gas", not "A or B", "A is right")
		}
		dup := false
		for _, f := range found {
			dup = dup || f == letter
		}
		if !dup {
			found = append(found, letter)
		}
	}
	return found
}

func checkChoice(question, letter, answer string) Result {
	opts := parseOptions(question)
	l, hedge, ok := answerLetter(answer, opts)
	switch {
	case hedge:
		return Result{Outcome: No, Type: "multiple choice", Reason: "hedged: several options in the answer", Final: true}
	case !ok:
		return Result{Outcome: Unknown, Type: "multiple choice", Reason: "no option letter in the answer"}
	case l == letter && contradictsOption(answer, opts):
		return Result{Outcome: No, Type: "multiple choice", Reason: "option " + l + " named with a value that is not its value", Final: true}
	case l == letter:
		return Result{Outcome: Yes, Type: "multiple choice", Reason: "same option " + l}
	}
	return Result{Outcome: No, Type: "multiple choice", Reason: "option " + l + " instead of " + letter}
}

// Budget is the hard time budget of one rule check; work beyond it yields Unknown.
var Budget = 40 * time.Millisecond
