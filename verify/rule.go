package verify

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Input bounds of the rule verifier.
const (
	MaxAnswerLen = 64 << 10 // extraction looks at the last 64 KiB of a response
	maxCheckLen  = 16 << 10 // the rule check keeps the first and last 8 KiB of longer answers
	MaxGoldLen   = 8 << 10
	maxProseNums = 64
)

// RuleVerifier is the strong rule-based verifier: LaTeX/plain maths parsed and compared
// numerically and symbolically, units with dimensional analysis, structures (tuples, sets,
// intervals, matrices, equations), multiple choice, booleans, prose quantities and
// open-domain short answers. It returns a three-way outcome internally (Check) and is a Judge.
type RuleVerifier struct {
	// NoPercent disables the 25% == 0.25 equivalence.
	NoPercent bool
}

// Result is the three-way outcome of a rule check.
type Result struct {
	Outcome Outcome
	Type    string // answer type the checker recognised: number, expression, quantity, list, ...
	Reason  string
}

func (RuleVerifier) Name() string { return "rule" }

// Judge implements Judge: Yes is correct; No and Unknown are not.
func (r RuleVerifier) Judge(_ context.Context, question, gold, answer string) (Verdict, error) {
	res := r.Check(question, gold, answer)
	return Verdict{Correct: res.Outcome == Yes, Layer: "rule", Reason: res.Type + ": " + res.Reason}, nil
}

var trivialAnswers = map[string]bool{
	"": true, "none": true, "null": true, "nan": true, "answer": true, "final answer": true, "solution": true,
	"thought process": true, "lets think step by step": true, "let s think step by step": true,
	"step by step": true, "no answer": true, "n a": true, "unknown": true, "the answer is": true,
}

// IsTrivial reports whether an answer carries no content (empty, punctuation, a prompt echo).
func IsTrivial(answer string) bool {
	if len(answer) > 48 {
		return false
	}
	if strings.ContainsAny(answer, "0123456789") {
		return false // no trivial phrase has a digit
	}
	toks := tokenize(answer, 64)
	if len(toks) == 0 {
		return true
	}
	var b strings.Builder
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.w)
	}
	return trivialAnswers[b.String()]
}

var answerLead = regexp.MustCompile(`(?is)^(?:so,?\s+|thus,?\s+|therefore,?\s+|hence,?\s+)?(?:the\s+)?(?:final\s+)?(?:answer|solution|result)\s*(?:is|:)\s*:?\s*`)

// cleanAnswer removes wrappers around a short answer: \boxed, $...$, "The answer is", a
// trailing period.
func cleanAnswer(s string) string {
	s = strings.TrimSpace(s)
	if b, ok := lastBoxedAny(s); ok && len(s) < 400 {
		s = b
	}
	if mentionsAnswer(s) || strings.Contains(s, "olution") || strings.Contains(s, "esult") || strings.Contains(s, "OLUTION") {
		s = answerLead.ReplaceAllString(s, "")
	}
	s = strings.TrimSpace(s)
	for _, w := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\(`, `\)`}, {`\[`, `\]`}} {
		if strings.HasPrefix(s, w[0]) && strings.HasSuffix(s, w[1]) && len(s) >= len(w[0])+len(w[1]) {
			inner := s[len(w[0]) : len(s)-len(w[1])]
			if !strings.Contains(inner, w[0]) {
				s = strings.TrimSpace(inner)
			}
		}
	}
	s = strings.TrimRight(s, ". ")
	return s
}

// Check compares answer with gold. The gold may itself be a full solution: its answer is
// extracted the same way as the model's.
func (r RuleVerifier) Check(question, gold, answer string) Result {
	if len(answer) > maxCheckLen {
		head := answer[:maxCheckLen/2]
		for len(head) > 0 && head[len(head)-1]&0xC0 == 0x80 {
			head = head[:len(head)-1]
		}
		answer = head + "\n" + capTail(answer, maxCheckLen/2)
	}
	if len(gold) > MaxGoldLen {
		return Result{Unknown, "gold", "gold answer too long"}
	}
	if len(question) > maxCheckLen {
		question = question[:maxCheckLen]
	}
	if IsTrivial(answer) {
		return Result{No, "empty", "empty or trivial answer"}
	}
	g := cleanAnswer(goldAnswer(gold))
	a := cleanAnswer(answer)
	if IsTrivial(g) {
		return Result{Unknown, "gold", "empty gold answer"}
	}
	if IsTrivial(a) {
		return Result{No, "empty", "empty or trivial answer"}
	}
	if gb, ok := parseBool(g); ok {
		return checkBool(gb, a)
	}
	if letter, ok := choiceLetter(g); ok {
		return checkChoice(question, letter, a)
	}
	if strings.EqualFold(NormalizeString(g), NormalizeString(a)) {
		return Result{Yes, "string", "normalised strings equal"}
	}
	c := &cmpCtx{allowPct: !r.NoPercent && !reNoPercent.MatchString(question), deadline: time.Now().Add(Budget)}
	gv, gok := value{}, false
	if !isAliasList(g) {
		gv, gok = parseMath(g)
	}
	if gok {
		typ := valueType(gv)
		av, aok := parseMath(a)
		if aok {
			o := compareValues(c, gv, av)
			if o == Yes && asksForForm(question) && gv.kind == vExpr && av.kind == vExpr && isProduct(gv.expr) && !isProduct(av.expr) {
				return Result{No, typ, "equal in value, but the question asks for a factored form"}
			}
			switch o {
			case Yes:
				return Result{Yes, typ, "equivalent"}
			case No:
				if o2 := compareProse(c, gv, a); o2.Outcome == Yes && isProse(a) {
					return Result{Yes, typ, o2.Reason}
				}
				return Result{No, typ, "not equivalent"}
			}
			return Result{Unknown, typ, "could not decide (undefined at sample points or budget)"}
		}
		if res := compareMathSegments(c, gv, a); res.Outcome == Yes {
			res.Type = typ
			return res
		}
		if res := compareProse(c, gv, a); res.Outcome != Unknown {
			res.Type = typ
			// a multi-word gold such as a date range "1985–1993" may still be in the text
			if res.Outcome == No && len(tokenize(g, 8)) >= 2 && !strings.ContainsAny(g, `\^_{}`) {
				if t := matchText(g, a); t.o == Yes {
					return Result{Yes, typ, t.reason}
				}
			}
			return res
		}
		// a bare gold (a year, a name-like token) found in prose
		if t := matchText(g, a); t.o == Yes && gv.kind == vExpr && !strings.ContainsAny(g, `\^_{}`) {
			return Result{Yes, typ, t.reason}
		}
		return Result{Unknown, typ, "answer is not parseable mathematics"}
	}
	// option text given as gold, letter given as answer
	if opts := parseOptions(question); len(opts) > 0 {
		if l, ok := answerLetter(a, opts); ok {
			if txt, ok := opts[l]; ok {
				if strings.EqualFold(NormalizeString(txt), NormalizeString(g)) {
					return Result{Yes, "multiple choice", "answer letter " + l + " is the gold option"}
				}
			}
		}
	}
	if isRefusal(a) && matchText(g, a).o != Yes {
		return Result{No, "string", "answer declines to answer"}
	}
	t := matchText(g, a)
	return Result{t.o, "string", t.reason}
}

var reFactor = regexp.MustCompile(`(?i)\bfactor(?:ise|ize|ed|)\b`)

// asksForForm reports whether the question asks for a factored form (so an expanded but equal
// polynomial is not the answer).
func asksForForm(q string) bool { return q != "" && reFactor.MatchString(q) }

func isProduct(e *Expr) bool {
	for e.kind == nNeg {
		e = e.a
	}
	return e.kind == nMul || e.kind == nPow || e.kind == nDiv
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
	for _, p := range parts {
		if !reYearAlias.MatchString(p) {
			return false
		}
	}
	return len(parts) == 2
}

var reWord = regexp.MustCompile(`(?:^|[^\\A-Za-z])[A-Za-z]{4,}`)

// isProse reports whether an answer has words, not just mathematics.
func isProse(a string) bool { return reWord.MatchString(a) }

// reNoPercent matches questions that fix the form of a proportion, so 25% and 0.25 differ.
var reNoPercent = regexp.MustCompile(`(?i)\b(?:as|in)\s+(?:a\s+)?(?:decimal|fraction)(?:\s+form)?\b|\bnot\s+(?:as\s+)?a\s+percent`)

// IsTextGold reports whether a gold answer is free text (not mathematics, a truth value or an
// option letter), i.e. one that open-domain matching decides.
func IsTextGold(gold string) bool {
	g := cleanAnswer(goldAnswer(gold))
	if _, ok := parseBool(g); ok {
		return false
	}
	if _, ok := choiceLetter(g); ok {
		return false
	}
	if isAliasList(g) {
		return true
	}
	_, ok := parseMath(g)
	return !ok
}

// allBoxed returns the contents of every balanced \boxed{...} in s (at most maxItems).
func allBoxed(s string) []string {
	var out []string
	for len(out) < maxItems {
		i := strings.Index(s, `\boxed{`)
		if i < 0 {
			break
		}
		j := i + len(`\boxed`)
		end := matchBrace(s, j)
		if end < 0 {
			break
		}
		if b := strings.TrimSpace(s[j+1 : end]); b != "" {
			out = append(out, b)
		}
		s = s[end+1:]
	}
	return out
}

// goldAnswer extracts the answer from a gold that is a full solution.
func goldAnswer(gold string) string {
	gold = strings.TrimSpace(gold)
	if strings.Contains(gold, `\boxed`) || strings.Contains(gold, `\fbox`) {
		// a reference solution with several boxes ("\boxed{1} papers and \boxed{2} bins") has
		// several answers
		if all := allBoxed(gold); len(all) > 1 {
			return strings.Join(all, ", ")
		}
		if b, ok := lastBoxedAny(gold); ok && strings.TrimSpace(b) != "" {
			return b
		}
	}
	if len(gold) > 100 {
		if a, ok := ExtractRobust(gold); ok {
			return a
		}
	}
	return gold
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

var reProseNum = regexp.MustCompile(`[-−]?\d+(?:\.\d+)?(?:\s*(?:\\times|×|x|\*)\s*10\^\{?[-−]?\d+\}?|[eE][-+]?\d+)?`)

type proseNum struct {
	v        value
	anchored bool // preceded by "is", "=", "be", "of", ":" ...
}

var anchorWords = []string{" is", "=", " be", " are", " was", ":", "≈", " equals", " of", " to", "about", "approximately"}

// proseNumbers finds the numbers (with a following unit, when one parses) in free text.
func proseNumbers(text string) []proseNum {
	text = stripThousands(text)
	locs := reProseNum.FindAllStringIndex(text, maxProseNums)
	var out []proseNum
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
		num := strings.ReplaceAll(text[l[0]:l[1]], "−", "-")
		e, err := ParseExpr(num)
		if err != nil {
			continue
		}
		v := value{kind: vExpr, expr: e, tol: precisionTol(num)}
		// unit: up to three following words
		rest := text[l[1]:min(len(text), l[1]+48)]
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
		out = append(out, proseNum{v, anchored})
	}
	return out
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
	nums := proseNumbers(text)
	if len(nums) == 0 {
		return Result{Outcome: Unknown}
	}
	if len(golds) == 1 {
		last := nums[len(nums)-1]
		if compareValues(c, golds[0], last.v) == Yes {
			return Result{Outcome: Yes, Reason: "last quantity in the answer matches"}
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
	segs := reMathSeg.FindAllStringSubmatch(text, maxProseNums)
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-2; i-- {
		m := segs[i]
		seg := m[1] + m[2] + m[3] + m[4]
		if v, ok := parseMath(seg); ok {
			if compareValues(c, gv, v) == Yes {
				return Result{Outcome: Yes, Reason: "math in the answer's prose is equivalent"}
			}
			if v.kind == vRel && v.rel == "=" {
				if compareValues(c, gv, lastRHS(value{kind: vRel, rel: "=", lhs: &value{kind: vExpr, expr: &Expr{kind: nVar, name: "_"}}, rhs: v.rhs})) == Yes {
					return Result{Outcome: Yes, Reason: "result of the answer's equation is equivalent"}
				}
			}
		}
	}
	return Result{Outcome: Unknown}
}

// ---- booleans -------------------------------------------------------------------------------

var boolWords = map[string]bool{"true": true, "yes": true, "correct": true, "right": true, "valid": true,
	"false": false, "no": false, "incorrect": false, "wrong": false, "invalid": false}

func parseBool(s string) (bool, bool) {
	if len(s) > 24 || strings.ContainsAny(s, "0123456789") {
		return false, false
	}
	for _, cmd := range []string{`\text{`, `\textbf{`, `\mathrm{`, `\mbox{`} {
		s = unwrapCommand(s, cmd) // a gold "\text{yes}"
	}
	toks := tokenize(s, 8)
	if len(toks) != 1 {
		return false, false
	}
	b, ok := boolWords[toks[0].w]
	return b, ok
}

func checkBool(gold bool, answer string) Result {
	toks := tokenize(answer, 24)
	neg := false
	seen, first := 0, false
	for i, t := range toks {
		if i > 12 {
			break
		}
		if t.w == "not" || t.w == "isn" || t.w == "never" {
			neg = true
			continue
		}
		b, ok := boolWords[t.w]
		if !ok {
			continue
		}
		if neg {
			b, neg = !b, false
		}
		if seen > 0 && b != first {
			return Result{Unknown, "boolean", "hedged: both truth values in the answer"}
		}
		seen, first = seen+1, b
	}
	switch {
	case seen == 0:
		return Result{Unknown, "boolean", "no truth value in the answer"}
	case first == gold:
		return Result{Yes, "boolean", "same truth value"}
	}
	return Result{No, "boolean", "opposite truth value"}
}

// ---- multiple choice ------------------------------------------------------------------------

var reGoldLetter = regexp.MustCompile(`^\(?([A-J])\)?(?:[.:)]\s*.*)?$`)

func choiceLetter(s string) (string, bool) {
	if len(s) == 0 || len(s) > 200 {
		return "", false
	}
	s = strings.TrimSpace(NormalizeMCWrap(s))
	if len(s) == 0 || s[0] != '(' && (s[0] < 'A' || s[0] > 'J') {
		return "", false
	}
	m := reGoldLetter.FindStringSubmatch(s)
	if m == nil || len(s) > 1 && m[0] == s && len(s) > 3 && !strings.ContainsAny(s[:3], ".:)") {
		return "", false
	}
	return m[1], true
}

// NormalizeMCWrap removes \text{} and ['X'] list wrappers around an option letter.
func NormalizeMCWrap(s string) string {
	s = strings.TrimSpace(normalizeLatex(s))
	s = strings.Trim(s, "[]'\" ")
	return s
}

var reOption = regexp.MustCompile(`(?m)(?:^|\s)\(?([A-J])[.)]\s+([^\n(]+?)(?:\s*$|\s+\(?[A-J][.)]\s)`)
var reOptionLine = regexp.MustCompile(`(?m)^\s*\(?([A-J])[.):]\s+(.+?)\s*$`)

// parseOptions reads "A. text" / "(A) text" options from a question.
func parseOptions(q string) map[string]string {
	opts := map[string]string{}
	for _, m := range reOptionLine.FindAllStringSubmatch(q, 10) {
		opts[m[1]] = m[2]
	}
	if len(opts) < 2 {
		for _, m := range reOption.FindAllStringSubmatch(q, 10) {
			opts[m[1]] = m[2]
		}
	}
	if len(opts) < 2 {
		return nil
	}
	return opts
}

var reAnsLetterLead = regexp.MustCompile(`^\(?([A-J])\)?(?:[.:)\s]|$)`)
var reAnsLetterPhrase = regexp.MustCompile(`(?i)(?:answer|option|choice)\s*(?:is|:)?\s*:?\s*\(?([A-J])\)?(?:[.:)\s,]|$)`)

func answerLetter(a string, opts map[string]string) (string, bool) {
	s := NormalizeMCWrap(a)
	if t := strings.Trim(s, "()."); len(t) == 1 && t[0] >= 'a' && t[0] <= 'j' {
		return strings.ToUpper(t), true // a lone lower-case option letter
	}
	if m := reAnsLetterPhrase.FindAllStringSubmatch(s, -1); m != nil {
		return strings.ToUpper(m[len(m)-1][1]), true
	}
	if m := reAnsLetterLead.FindStringSubmatch(s); m != nil {
		return m[1], true
	}
	// the one standalone option letter that is not negated ("not A", "can't be A or B")
	if l, ok := soleLetter(s); ok {
		return l, true
	}
	// option text
	na := NormalizeString(s)
	hit := ""
	for l, txt := range opts {
		nt := NormalizeString(txt)
		if nt == "" {
			continue
		}
		if nt == na {
			return l, true
		}
		if strings.Contains(na, nt) {
			if hit != "" {
				return "", false
			}
			hit = l
		}
	}
	return hit, hit != ""
}

var reStandaloneLetter = regexp.MustCompile(`(?:^|[^A-Za-z])([A-J])(?:$|[^A-Za-z'’])`)

func soleLetter(s string) (string, bool) {
	if len(s) > 2000 {
		return "", false
	}
	found := ""
	locs := reStandaloneLetter.FindAllStringSubmatchIndex(s, 32)
	for _, l := range locs {
		letter := s[l[2]:l[3]]
		before := strings.ToLower(s[max(0, l[2]-24):l[2]])
		if strings.Contains(before, "not") || strings.Contains(before, "n't") || strings.Contains(before, "non ") ||
			strings.Contains(before, "不是") || strings.HasSuffix(strings.TrimSpace(before), "or") {
			continue
		}
		if letter == "A" && l[3] < len(s) && s[l[3]] == ' ' && l[2] > 0 && strings.HasSuffix(strings.TrimSpace(s[:l[2]]), ".") {
			continue // sentence-initial article "A"
		}
		if found != "" && found != letter {
			return "", false
		}
		found = letter
	}
	return found, found != ""
}

func checkChoice(question, letter, answer string) Result {
	opts := parseOptions(question)
	l, ok := answerLetter(answer, opts)
	if !ok {
		return Result{Unknown, "multiple choice", "no option letter in the answer"}
	}
	if l == letter {
		return Result{Yes, "multiple choice", "same option " + l}
	}
	return Result{No, "multiple choice", "option " + l + " instead of " + letter}
}

// Budget is the hard time budget of one rule check; work beyond it yields Unknown.
var Budget = 40 * time.Millisecond
