package verify

import (
	"regexp"
	"strings"
	"unicode"
)

// Worked solutions without a final-answer marker. A response that calculates ("16 - 3 - 4 = 9",
// "$20 x 2 = $40") states intermediate numbers on the way to its result; the gold appearing among
// them, or in the solution's first statement, says nothing about the answer. Its answer is its
// conclusion: the last line that states something, the last sentence in it that states a number
// or mathematics, and in that sentence the result (a bold figure, else what follows the last
// "="). A worked solution with no such line has no answer.

var (
	// reCalcNote is GSM8K's calculator annotation "<<16-3-4=9>>": the result is written again
	// after it, so it is dropped.
	reCalcNote = regexp.MustCompile(`<<[^<>\n]{0,256}>>`)
	// reSignOff is a closing line that states nothing ("I hope this helps!").
	reSignOff = regexp.MustCompile(`(?i)^\W*(?:i\s+hope|hope\s+(?:this|that|it)|let\s+me\s+know|feel\s+free|if\s+you\s+have|good\s+luck|thanks?\b|thank\s+you|cheers)`)
	// reSentenceStop ends a sentence: a period, "!" or "?" followed by a space (a decimal point
	// has a digit after it).
	reSentenceStop = regexp.MustCompile(`[.!?]\s+|[。！？]\s*|\s(?:So|Therefore|Thus|Hence)\b`)
	reBoldSpan     = regexp.MustCompile(`\*\*([^*\n]{1,200})\*\*`)
	reHasMath      = regexp.MustCompile(`\d|\\frac|\\sqrt|\\pi|\\infty`)
	// reClauseBreak ends the result that follows an "=": a comma, a semicolon or a new clause.
	// "and" is left to firstQuantity: "5 hours and 20 minutes" is one quantity.
	reClauseBreak = regexp.MustCompile(`(?i),\s|;|\s(?:which|so|but|because|since|while|whereas|then|therefore|thus|hence)\s`)
)

// stripCalcNotes removes GSM8K calculator annotations.
func stripCalcNotes(s string) string {
	if !strings.Contains(s, "<<") {
		return s
	}
	return reCalcNote.ReplaceAllString(s, "")
}

// isWorked reports whether text is a worked solution: it has words (not only mathematics) and
// it calculates (a number, then an "=" and a number on one line) or runs a program (a code
// block, ToRA's tool-integrated solutions).
func isWorked(text string) bool {
	if strings.Contains(text, "```") && strings.Contains(text, "=") {
		return true
	}
	if !strings.ContainsAny(text, "=≈") && !strings.Contains(text, `\approx`) {
		return false
	}
	return calculates(stripCalcNotes(text)) && proseWords(text, 2) >= 2
}

// calculates reports a calculation: an "=" (≈, \approx) with a digit before it on its line
// (within 160 bytes) and a number after it (past spaces, "$", "\(", "\[", "{", "**"). It looks
// at the first 256 signs, in linear time.
func calculates(text string) bool {
	seen := 0
	for i := 0; i < len(text) && seen < 256; i++ {
		w := 0
		switch {
		case text[i] == '=':
			w = 1
		case strings.HasPrefix(text[i:], "≈"):
			w = len("≈")
		case strings.HasPrefix(text[i:], `\approx`):
			w = len(`\approx`)
		default:
			continue
		}
		seen++
		digitBefore := false
		for j := i - 1; j >= 0 && j >= i-160 && text[j] != '\n' && text[j] != '='; j-- {
			if text[j] >= '0' && text[j] <= '9' {
				digitBefore = true
				break
			}
		}
		if !digitBefore {
			continue
		}
		rest := strings.TrimLeft(text[i+w:], " \t")
		for {
			t := strings.TrimLeft(rest, " \t")
			for _, p := range []string{`\(`, `\[`, `\$`, "$", "{", "**"} {
				t = strings.TrimPrefix(t, p)
			}
			if t == rest {
				break
			}
			rest = t
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "-"), "−")
		rest = strings.TrimPrefix(rest, ".")
		if rest != "" && rest[0] >= '0' && rest[0] <= '9' {
			return true
		}
	}
	return false
}

// reProseWord is a word of two or more letters that is not a LaTeX command name or a brace
// argument ("\frac", "\begin{cases}").
var reProseWord = regexp.MustCompile(`(?:^|[^\\\pL{])\pL{2,}`)

// proseWords counts the words of text outside math segments, up to limit.
func proseWords(text string, limit int) int {
	text = reMathSeg.ReplaceAllString(capTail(text, 4096), " ")
	n := 0
	for _, r := range text {
		if r >= 0x2e80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			if n++; n >= limit { // a script written without spaces: every character is a word
				return n
			}
		}
	}
	for _, m := range reProseWord.FindAllString(text, limit+8) {
		w := strings.ToLower(strings.TrimLeftFunc(m, func(r rune) bool { return !unicode.IsLetter(r) }))
		if !funcNames[w] && w != "pi" && w != "text" && w != "mathrm" {
			n++
			if n >= limit {
				break
			}
		}
	}
	return n
}

// conclusion returns the result a worked solution concludes with ("" when it states none): the
// last line that is not a code fence, a rule or a sign-off; in it, the last sentence that states
// a number or mathematics (else its last sentence); in that sentence, the result.
func conclusion(text string) string {
	text = stripCalcNotes(capTail(text, 8192))
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !hasAlnum(l) || strings.HasPrefix(l, "```") || reSignOff.MatchString(l) {
			continue
		}
		return resultOf(lastStatingSentence(l))
	}
	return ""
}

func hasAlnum(s string) bool {
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f {
			return true
		}
	}
	return false
}

// lastStatingSentence returns the last sentence of line that states a number or mathematics,
// else the line's last sentence that has a word.
func lastStatingSentence(line string) string {
	var sents []string
	start := 0
	for _, m := range reSentenceStop.FindAllStringIndex(line, -1) {
		if m[0] < start {
			continue
		}
		switch c := line[m[0]]; {
		case c == ' ' || c == '\t': // a connective starts the next sentence
			sents = append(sents, line[start:m[0]])
			start = m[0] + 1
		case c == '.' && !sentenceStartsAt(line, m[0], m[1]):
			// "vs. the", "Mrs. Jameson": a period inside a sentence
		default:
			sents = append(sents, line[start:m[1]])
			start = m[1]
		}
	}
	if start < len(line) {
		sents = append(sents, line[start:])
	}
	for i := len(sents) - 1; i >= 0; i-- {
		if reHasMath.MatchString(sents[i]) {
			return strings.TrimSpace(sents[i])
		}
	}
	for i := len(sents) - 1; i >= 0; i-- {
		if hasAlnum(sents[i]) {
			return strings.TrimSpace(sents[i])
		}
	}
	return ""
}

// abbreviations end with a period inside a sentence.
var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "jr": true,
	"sr": true, "vs": true, "no": true, "approx": true, "etc": true, "e.g": true, "i.e": true, "prof": true, "mt": true}

// sentenceStartsAt reports whether the period at line[dot] (followed by spaces up to next) ends
// a sentence: a capital letter, a digit or mathematics follows, and the word before it is no
// abbreviation.
func sentenceStartsAt(line string, dot, next int) bool {
	if next >= len(line) {
		return true
	}
	c := line[next]
	if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '$' || c == '\\' || c >= 0x80) {
		return false
	}
	w := dot
	for w > 0 && (line[w-1] >= 'a' && line[w-1] <= 'z' || line[w-1] >= 'A' && line[w-1] <= 'Z' || line[w-1] == '.') {
		w--
	}
	return !abbreviations[strings.ToLower(line[w:dot])]
}

// resultOf reads the result a concluding sentence states: its last bold figure ("**$18**"),
// else what follows its last "=" up to the end of the clause ("... = $46 pizzas, which ..." is
// "$46 pizzas"), with the math delimiters the cut opened closed again; else the sentence.
func resultOf(s string) string {
	if strings.Contains(s, "**") {
		if ms := reBoldSpan.FindAllStringSubmatch(s, -1); ms != nil {
			for i := len(ms) - 1; i >= 0; i-- {
				if b := strings.TrimSpace(ms[i][1]); reHasMath.MatchString(b) {
					return strings.TrimRight(b, ".")
				}
			}
		}
	}
	at, width := -1, 0
	for _, op := range []string{"=", "≈", `\approx`} {
		if i := strings.LastIndex(s, op); i > at {
			at, width = i, len(op)
		}
	}
	if at < 0 {
		return s
	}
	rest := strings.TrimSpace(s[at+width:])
	if loc := reClauseBreak.FindStringIndex(rest); loc != nil {
		rest = rest[:loc[0]]
	}
	rest = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(rest), ".。"))
	// a bracket closed after the result that it did not open: "(35 + 70 = 105)."
	for _, p := range [][2]string{{"(", ")"}, {"[", "]"}} {
		for strings.HasSuffix(rest, p[1]) && strings.Count(rest, p[1]) > strings.Count(rest, p[0]) {
			rest = strings.TrimSpace(strings.TrimSuffix(rest, p[1]))
		}
	}
	// the "=" stood inside a math segment: close the segment the cut opened
	switch {
	case strings.Count(rest, "$")%2 == 1 && !strings.HasPrefix(rest, "$"):
		rest = "$" + rest
	case strings.Contains(rest, `\)`) && !strings.Contains(rest, `\(`):
		rest = `\(` + rest
	case strings.Contains(rest, `\]`) && !strings.Contains(rest, `\[`):
		rest = `\[` + rest
	}
	if !hasAlnum(rest) {
		return ""
	}
	return firstQuantity(rest)
}

var reLeadNumber = regexp.MustCompile(`^[-−]?[$€£]?[-−]?\d[\d,]*(?:\.\d+)?%?$`)

// firstQuantity keeps the quantity that opens the result of an "=": its number and the words
// after it, up to the next number ("8 rows of 5 stars" is "8 rows of"), unless "and" joins the
// two ("5 hours and 20 minutes" is one quantity).
func firstQuantity(rest string) string {
	toks := strings.Fields(rest)
	if len(toks) < 3 || !reLeadNumber.MatchString(toks[0]) {
		return rest
	}
	for i := 1; i < len(toks); i++ {
		w := strings.Trim(toks[i], ",.;:()")
		if w == "" {
			continue
		}
		isWord := true
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '\'' || r == '-') {
				isWord = false
				break
			}
		}
		if isWord {
			continue
		}
		if !strings.ContainsAny(w, "0123456789") || i < 2 || strings.EqualFold(toks[i-1], "and") {
			return rest // mathematics, or a compound quantity: the judge reads the whole
		}
		return strings.Join(toks[:i], " ")
	}
	return rest
}
