package verify

import (
	"regexp"
	"strings"
	"time"
)

// boxSpan is one \boxed{...} / \fbox{...} (any nesting depth) with the offset where it ends.
type boxSpan struct {
	content string
	end     int
}

// boxesIn returns the non-empty \boxed{...} / \fbox{...} contents of s in order (any depth,
// also "\boxed 5"), keeping the last max of them, bounded by the input length.
func boxesIn(s string, max int) []boxSpan {
	var out []boxSpan
	var closeAt map[int]int // brace matches, computed once for inputs with many boxes
	boxes := 0
	nb, nf := -2, -2 // next \boxed / \fbox at or after i (-1: none left)
	next := func(cur int, i int, pat string) int {
		if cur == -1 || cur >= i {
			return cur
		}
		if k := strings.Index(s[i:], pat); k >= 0 {
			return i + k
		}
		return -1
	}
	for i := 0; i < len(s); {
		nb, nf = next(nb, i, `\boxed`), next(nf, i, `\fbox`)
		j, cmd := nb, `\boxed`
		if j < 0 || nf >= 0 && nf < j {
			j, cmd = nf, `\fbox`
		}
		if j < 0 {
			break
		}
		p := j + len(cmd)
		for p < len(s) && s[p] == ' ' {
			p++
		}
		switch {
		case p < len(s) && s[p] == '{':
			boxes++
			end := -1
			if boxes > 8 && closeAt == nil {
				closeAt = braceMatches(s)
			}
			if closeAt != nil {
				if e, ok := closeAt[p]; ok {
					end = e
				}
			} else {
				end = matchBrace(s, p)
			}
			if end < 0 {
				i = p + 1 // unbalanced: skip it
				continue
			}
			if c := strings.TrimSpace(s[p+1 : end]); c != "" && !blankLatex(c) {
				out = append(out, boxSpan{c, end + 1})
			}
			i = end + 1
		case p > j+len(cmd) && cmd == `\boxed`:
			q := p
			for q < len(s) && s[q] != '$' && s[q] != '\n' && s[q] != ' ' {
				q++
			}
			if q > p {
				out = append(out, boxSpan{s[p:q], q})
			}
			i = q
		default:
			i = p
		}
		if len(out) > 2*max {
			out = append(out[:0], out[len(out)-max:]...)
		}
	}
	if len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

var reBlankLatex = regexp.MustCompile(`\\[hv]?phantom\{[^{}]*\}|\\(?:quad|qquad|,|;|:|!| )|\\(?:text|mathrm|mbox)\{\s*\}|[\s~{}]`)

// blankLatex reports whether a box holds only spacing or invisible content (\phantom{2}, the
// blank of a fill-in-the-box question).
func blankLatex(c string) bool {
	if len(c) > 64 || !strings.ContainsAny(c, "\\~{} ") {
		return false
	}
	return reBlankLatex.ReplaceAllString(c, "") == ""
}

// allBoxes returns the contents of the last max boxes of s.
func allBoxes(s string, max int) []string {
	bs := boxesIn(s, max)
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.content
	}
	return out
}

// lastBoxedAny returns the content of the last non-empty \boxed{...} or \fbox{...} with any
// nesting depth, also "\boxed 5" (no braces).
func lastBoxedAny(s string) (string, bool) {
	// only the tail can hold the last box; scan a bounded window first
	tail := s
	if len(s) > 8192 {
		tail = s[len(s)-8192:]
		if bs := boxesIn(tail, 1); len(bs) == 1 {
			return bs[0].content, true
		}
	}
	if bs := boxesIn(s, 1); len(bs) == 1 {
		return bs[0].content, true
	}
	return "", false
}

// braceMatches maps every '{' of s that is closed to its matching '}' in one pass (escaped
// \{ \} are skipped).
func braceMatches(s string) map[int]int {
	m := map[int]int{}
	var stack []int
	for k := 0; k < len(s); k++ {
		switch s[k] {
		case '{':
			stack = append(stack, k)
		case '}':
			if len(stack) > 0 {
				m[stack[len(stack)-1]] = k
				stack = stack[:len(stack)-1]
			}
		case '\\':
			k++
		}
	}
	return m
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

// distinctAnswers drops answers equal to an earlier one (as text, or as mathematics:
// "\frac12" and "0.5" are one answer).
func distinctAnswers(as []string) []string {
	var out []string
	var vals []value
	var oks []bool
	c := &cmpCtx{deadline: time.Now().Add(Budget)}
	for _, a := range as {
		dup := false
		na := spacedNorm(a)
		v, ok := value{}, false
		if len(out) > 0 && len(a) <= 512 {
			v, ok = parseMath(a)
		}
		for k, o := range out {
			if spacedNorm(o) == na {
				dup = true
				break
			}
			if ok && k < len(oks) && oks[k] && compareValues(c, vals[k], v) == Yes {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		if len(out) == 0 && len(a) <= 512 {
			v, ok = parseMath(a)
		}
		out, vals, oks = append(out, a), append(vals, v), append(oks, ok)
	}
	return out
}

// Final-answer markers besides boxes: "Final Answer: X" (also "**Final Answer**" on its own
// line, the answer on the next), GSM8K's "#### X", an "Answer: X" line, "the answer is X".
var (
	reFinalAnswer  = regexp.MustCompile(`(?i)final\s+answer(?:\*\*)?\s*(?:is\s*:?|:|：)\s*(?:\*\*)?[ \t]*\n*[ \t]*([^\n]*)`)
	reFinalHeading = regexp.MustCompile(`(?im)^[ \t]*(?:\*\*|#+[ \t]*)?final\s+answer(?:\*\*)?[ \t]*:?[ \t]*(?:\*\*)?[ \t]*\n+[ \t]*([^\n]+)`)
	reHashAnswer   = regexp.MustCompile(`(?m)^[ \t]*####[ \t]*([^\n]+)`)
	// reHashInline is GSM8K's "#### N" anywhere in a line ("... is 20%. #### 20"), as lm-eval's
	// GSM8K filter reads it: a number must follow.
	reHashInline = regexp.MustCompile(`####[ \t]*((?:\$[ \t]*)?[-−]?(?:\$[ \t]*)?\.?\d[^\n]*)`)
	// reLastALine is a solution's last line "A: N" (openai/grade-school-math's solutions), a
	// number or mathematics after it: "A: Paris" may be option A, not an answer line.
	reLastALine   = regexp.MustCompile(`\n[ \t]*(?:\*\*)?A(?:\*\*)?[ \t]*[:：][ \t]*(?:\*\*)?[ \t]*((?:[-−+$€£\\(]|\.?\d)(?:[^\n]*[^\s])?)\s*$`)
	reAnswerLine  = regexp.MustCompile(`(?im)^[ \t]*(?:\*\*)?(?:answer|réponse|respuesta|antwort|risposta|resposta|ответ|答案)(?:\*\*)?[ \t]*[:：][ \t]*(?:\*\*)?[ \t]*([^\n]*)`)
	reTheAnswerIs = regexp.MustCompile(`(?i)(?:the\s+)?(?:final\s+|correct\s+)?answer\s*(?:is|:)\s*:?\s*([^\n]+)`)
	// reAnswerPhraseAt is reTheAnswerIs anchored at an "answer" (a later phrase inside a match)
	reAnswerPhraseAt = regexp.MustCompile(`^(?i)answer\s*(?:is|:)\s*:?\s*([^\n]+)`)
	reAnswerIsGold   = regexp.MustCompile(`(?i)\b(?:the\s+)?(?:final\s+|correct\s+)?answer\s+(?:is|should\s+be)\s*:?\s*([^\n]+)`)
	reBoldNumber     = regexp.MustCompile(`\\mathbf\{\s*(-?[\d\s.,]+)\}`)
	reLastMathSeg    = regexp.MustCompile(`\$\$([^$]+)\$\$|\$([^$]+)\$|\\\[((?s).+?)\\\]|\\\(((?s).+?)\\\)`)
	reSpacedDigits   = regexp.MustCompile(`(\d)\s+(\d)`)
	reLeadAnswerIs   = regexp.MustCompile(`(?i)^\s*(?:the\s+)?(?:final\s+)?answer\s+is\s*:?\s*`)
)

// lastMarker returns the answer given by the last final-answer marker of text and the offset
// where the marker starts; long also allows "the answer is" in running text.
func lastMarker(text string, long bool) (string, int) {
	if !mentionsMarker(text) {
		return "", -1
	}
	best, at := "", -1
	try := func(re *regexp.Regexp) {
		ms := re.FindAllStringSubmatchIndex(text, -1)
		if len(ms) == 0 {
			return
		}
		m := ms[len(ms)-1]
		if re == reTheAnswerIs {
			// "The answer is 6. The answer is (D).": a later phrase inside the last match's
			// capture is the last one (the last "answer" there that starts a phrase)
			c := text[m[2]:m[3]]
			lc := asciiLower(c) // byte for byte: offsets into lc are offsets into c
			for k, end := 0, len(lc); k < 64; k++ {
				j := strings.LastIndex(lc[:end], "answer")
				if j < 0 {
					break
				}
				if n := reAnswerPhraseAt.FindStringSubmatchIndex(c[j:]); n != nil {
					off := m[2] + j
					m = []int{off + n[0], off + n[1], off + n[2], off + n[3]}
					break
				}
				end = j
			}
		}
		if m[0] <= at {
			return
		}
		a := ""
		if m[2] >= 0 {
			a = text[m[2]:m[3]]
		}
		if t := strings.TrimSpace(a); t == `\[` || t == "$$" || t == `\(` {
			// "The answer is:\n\[\n5\n\]": the display that opens there
			closer := map[string]string{`\[`: `\]`, "$$": "$$", `\(`: `\)`}[t]
			open := m[2] + strings.Index(text[m[2]:m[3]], t) + len(t)
			if j := strings.Index(text[open:], closer); j >= 0 && j < 2048 {
				a = text[open : open+j]
			}
		}
		if strings.TrimSpace(a) == "" && re == reAnswerLine {
			// "Answer:" alone on its line: the next non-empty line
			rest := strings.TrimLeft(text[m[1]:], " \t\n")
			if i := strings.IndexByte(rest, '\n'); i >= 0 {
				rest = rest[:i]
			}
			a = rest
		}
		if a = tidyPhrase(a); a != "" {
			best, at = a, m[0]
		}
	}
	try(reFinalAnswer)
	try(reFinalHeading)
	try(reHashAnswer)
	try(reHashInline)
	try(reAnswerLine)
	try(reLastALine)
	if long {
		try(reTheAnswerIs)
	}
	return best, at
}

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
	if a, at := lastMarker(text, true); at >= 0 {
		return a, true
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
// or a short answer: the last explicit answer (a box, or a "Final Answer:" / "####" / "Answer:"
// line after the last box); several different boxes give the list of them (a hedge the judge
// sees); otherwise the whole response when it is short (a sentence or paragraph: open-domain
// answers), else "the answer is", else its last line.
func ExtractForJudging(response string) (answer, how string) {
	r := strings.TrimSpace(capTail(response, MaxAnswerLen))
	boxes := boxesIn(r, 64)
	mk, at := lastMarker(r, false)
	if at >= 0 && (len(boxes) == 0 || at > boxes[len(boxes)-1].end) {
		return mk, "final-answer"
	}
	if len(boxes) > 0 {
		all := make([]string, len(boxes))
		for i, b := range boxes {
			all[i] = b.content
		}
		if d := distinctAnswers(all); len(d) > 1 {
			return joinBoxes(d), "boxes"
		}
		return boxes[len(boxes)-1].content, "boxed"
	}
	// a worked solution (it calculates) without a box or a marker line: "the answer is" in its
	// text, else its conclusion, else no answer; never the whole solution, whose intermediate
	// numbers and first statement are not its answer
	if isWorked(r) {
		if a, at := lastMarker(r, true); at >= 0 {
			return a, "answer-is"
		}
		if c := conclusion(r); c != "" {
			return c, "conclusion"
		}
		return "", "no-answer"
	}
	if len(r) <= 1500 {
		return r, "whole"
	}
	if a, at := lastMarker(r, true); at >= 0 {
		return a, "answer-is"
	}
	a, _ := ExtractRobust(r)
	return a, "last-line"
}

// RewardAnswer is the answer the reward sends its judge: the paper's ExtractReward, except that
// a response whose boxes hold different answers gives all of them (the judge then sees the
// hedge; the paper's extractor would pass on only the last box).
func RewardAnswer(text string) (string, bool) {
	a, ok := ExtractReward(text)
	if !ok {
		return a, ok
	}
	if d := distinctAnswers(allBoxes(capTail(text, MaxAnswerLen), 64)); len(d) > 1 {
		return joinBoxes(d), true
	}
	return a, ok
}

// joinBoxes writes several different boxed answers as the boxes themselves, "\boxed{41},
// \boxed{42}": a judge sees every one of them, and the rule verifier knows they were boxed
// separately (a hedge unless the gold is their list).
func joinBoxes(d []string) string {
	var b strings.Builder
	for i, x := range d {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`\boxed{`)
		b.WriteString(x)
		b.WriteString("}")
	}
	return b.String()
}

// goldAnswer reduces a gold that is a reference solution to its final answer, the way a
// response is read: its boxes (several different ones are a multi-part answer), else its last
// final-answer marker, else, for a long solution, the result its last sentence states. Short
// golds are kept whole.
func goldAnswer(gold string) string {
	gold = strings.TrimSpace(gold)
	if len(gold) > MaxAnswerLen {
		gold = capTail(gold, MaxAnswerLen)
	}
	if strings.Contains(gold, `\boxed`) || strings.Contains(gold, `\fbox`) {
		if d := distinctAnswers(allBoxes(gold, 64)); len(d) == 1 {
			return d[0]
		} else if len(d) > 1 {
			return strings.Join(d, ", ")
		}
	}
	if a, at := lastMarker(gold, false); at >= 0 {
		return a
	}
	if !mentionsAnswer(gold) {
	} else if m := reAnswerIsGold.FindAllStringSubmatch(gold, -1); m != nil {
		if a := tidyPhrase(m[len(m)-1][1]); a != "" {
			return a
		}
	}
	if len(gold) > 200 && !isAliasList(gold) {
		return finalOfSolution(gold)
	}
	return gold
}

// finalOfSolution reads the final result of a reference solution without a box or a marker:
// the last bold number (\mathbf{2 0}), else the last math segment of its last paragraph, else
// its last line.
func finalOfSolution(text string) string {
	tail := strings.TrimSpace(text)
	if i := strings.LastIndex(tail, "\n\n"); i >= 0 && len(tail)-i > 40 {
		tail = tail[i:]
	}
	if ms := reBoldNumber.FindAllStringSubmatch(tail, -1); ms != nil {
		n := strings.TrimSpace(ms[len(ms)-1][1])
		for k := 0; k < 8 && reSpacedDigits.MatchString(n); k++ {
			n = reSpacedDigits.ReplaceAllString(n, "$1$2")
		}
		return strings.TrimRight(n, ".,")
	}
	// "... is 2016 ." at the very end
	if m := reStatedEnd.FindStringSubmatch(tail); m != nil {
		return strings.TrimSpace(m[1])
	}
	if ms := reLastMathSeg.FindAllStringSubmatchIndex(tail, -1); ms != nil {
		// the math of the last sentence that has any, without negated ones ("we may choose $k=2$
		// but not $k=3$"); several joined by "or"/"and" are a list ("$n=0$ or $n=1$")
		var segs []string
		end := -1
		for i := len(ms) - 1; i >= 0; i-- {
			m := ms[i]
			if end >= 0 && (reSentenceBreak.MatchString(tail[m[1]:end]) || len(segs) > 0 && !reCoordinated.MatchString(tail[m[1]:end])) {
				break
			}
			if !reNumNeg.MatchString(tail[max(0, m[0]-24):m[0]]) {
				seg := ""
				for k := 2; k < len(m); k += 2 {
					if m[k] >= 0 {
						seg = tail[m[k]:m[k+1]]
					}
				}
				segs = append([]string{strings.TrimSpace(seg)}, segs...)
			} else if len(segs) > 0 {
				break
			}
			end = m[0]
		}
		if len(segs) > 0 {
			return strings.Join(segs, ", ")
		}
	}
	a, _ := ExtractRobust(text)
	return a
}

var (
	reStatedEnd     = regexp.MustCompile(`(?i)\b(?:is|are|equals|was|be)\s+\$?(-?\d[\d,]*(?:\.\d+)?)\$?\s*\.?\s*$`)
	reSentenceBreak = regexp.MustCompile(`\.\s+[A-Z]|\n\s*\n|:\s*$`)
	reCoordinated   = regexp.MustCompile(`^\s*(?:,|or|and|,\s*and|,\s*or)\s*$`)
)

// capTail keeps the last n bytes of s (answers are at the end), on a UTF-8 boundary.
func capTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	// start at a word: skip a cut word when a space follows within 64 bytes
	if j := strings.IndexAny(s[i:min(len(s), i+64)], " \n\t"); j >= 0 {
		i += j + 1
	}
	return s[i:]
}

// asciiLower lowers A-Z and keeps every other byte, so that offsets stay valid (strings.ToLower
// rewrites invalid UTF-8 and some letters to sequences of another length).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// mentionsMarker is a cheap prefilter for the final-answer markers.
func mentionsMarker(s string) bool {
	if mentionsAnswer(s) || strings.Contains(s, "####") || strings.Contains(s, "A:") || strings.Contains(s, "A：") {
		return true
	}
	for _, w := range []string{"éponse", "ÉPONSE", "espuesta", "ESPUESTA", "ntwort", "NTWORT", "isposta", "esposta", "твет", "ТВЕТ", "答案"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// mentionsAnswer is a cheap case-insensitive prefilter for the "answer" regexes.
func mentionsAnswer(s string) bool {
	return strings.Contains(s, "nswer") || strings.Contains(s, "NSWER")
}

// tidyPhrase cleans the text captured after "Final Answer:"/"the answer is": a repeated
// "The final answer is", a leading $...$ segment ("$28 \%$. I hope it is correct." -> "28 \%"),
// or the first sentence; bold markers and a trailing period are dropped.
func tidyPhrase(a string) string {
	a = strings.TrimSpace(reLeadAnswerIs.ReplaceAllString(strings.TrimSpace(a), ""))
	a = strings.TrimSpace(strings.Trim(a, "* "))
	a = strings.TrimSpace(reLeadAnswerIs.ReplaceAllString(a, ""))
	if strings.HasPrefix(a, "$") && !strings.HasPrefix(a, "$$") {
		if j := strings.Index(a[1:], "$"); j > 0 {
			return strings.TrimSpace(a[1 : j+1])
		}
	}
	if strings.HasPrefix(a, `\boxed`) || strings.HasPrefix(a, `\(`) || strings.HasPrefix(a, `\[`) || strings.HasPrefix(a, "$$") {
		return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(a), "."))
	}
	if i := strings.Index(a, ". "); i >= 0 {
		a = a[:i]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.Trim(a, "*$ "), "."))
}
