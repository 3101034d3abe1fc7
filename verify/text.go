package verify

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Open-domain short-answer matching (the String answer type): aliases, answers buried in
// prose, number words, dates, articles and punctuation, hedged, negated and multi-candidate
// answers, and different entities that merely contain the gold's words.

var foldMap = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae", 'ç': "c", 'è': "e", 'é': "e",
	'ê': "e", 'ë': "e", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o",
	'õ': "o", 'ö': "o", 'ø': "o", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
	'ā': "a", 'ă': "a", 'ą': "a", 'ć': "c", 'č': "c", 'ď': "d", 'ē': "e", 'ę': "e", 'ě': "e", 'ğ': "g",
	'ī': "i", 'ı': "i", 'ł': "l", 'ń': "n", 'ň': "n", 'ō': "o", 'ő': "o", 'œ': "oe", 'ř': "r", 'ś': "s",
	'ş': "s", 'š': "s", 'ţ': "t", 'ť': "t", 'ū': "u", 'ů': "u", 'ű': "u", 'ź': "z", 'ż': "z", 'ž': "z",
}

var numberWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

var ordinalWords = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
	"ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
	"fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
}

var scaleWords = map[string]int{"hundred": 100, "thousand": 1000, "million": 1000000, "billion": 1000000000}

var monthNames = map[string]string{
	"january": "jan", "february": "feb", "march": "mar", "april": "apr", "june": "jun", "july": "jul",
	"august": "aug", "september": "sep", "sept": "sep", "october": "oct", "november": "nov", "december": "dec",
	"jan": "jan", "feb": "feb", "mar": "mar", "apr": "apr", "jun": "jun", "jul": "jul", "aug": "aug",
	"sep": "sep", "oct": "oct", "nov": "nov", "dec": "dec", "may": "may",
}

var stopWords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "and": true, "in": true,
	"on": true, "at": true, "to": true, "for": true, "by": true, "is": true, "was": true, "s": true, "that": true,
	"which": true, "who": true, "it": true, "are": true, "were": true, "be": true, "with": true, "from": true, "as": true}

// textToken is one normalised word with whether it started with a capital in the source.
type textToken struct {
	w   string
	cap bool
	i   int // index in the full token list (kept by contentWords)
}

// tokenize lower-cases, folds accents, drops punctuation, joins thousands separators and
// turns number words and ordinals into digits.
func tokenize(s string, limit int) []textToken {
	var toks []textToken
	var b strings.Builder
	capital := false
	flush := func() {
		if b.Len() > 0 {
			w := b.String()
			// "Holt1", "Wars7": a citation digit glued to a word is split off
			if j := strings.IndexAny(w, "0123456789"); j > 0 && isDigits(w[j:]) && !strings.ContainsAny(w[:j], "0123456789") {
				toks = append(toks, textToken{w: w[:j], cap: capital}, textToken{w: w[j:]})
			} else {
				toks = append(toks, textToken{w: w, cap: capital})
			}
			b.Reset()
		}
	}
	for i := 0; i < len(s) && len(toks) < limit; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ',' && b.Len() > 0 && isDigits(b.String()) && i+3 < len(s) && isDigits(s[i+1:i+4]) && (i+4 == len(s) || s[i+4] < '0' || s[i+4] > '9'):
			// thousands separator: keep the number whole
		case r == '.' && b.Len() > 0 && isDigits(b.String()) && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			b.WriteByte('.')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if b.Len() == 0 {
				capital = unicode.IsUpper(r)
			}
			if f, ok := foldMap[unicode.ToLower(r)]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		case r == '\'' || r == '’':
			// possessive / contraction: "Vader's" -> "vader" "s"
			flush()
		default:
			flush()
		}
		i += size
	}
	flush()
	// number words
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if n, ok := numberWords[t.w]; ok {
			// twenty one / twenty-one
			if n >= 20 && i+1 < len(toks) {
				if m, ok := numberWords[toks[i+1].w]; ok && m < 10 {
					n += m
					i++
				}
			}
			for i+1 < len(toks) {
				if sc, ok := scaleWords[toks[i+1].w]; ok {
					n *= sc
					i++
					continue
				}
				break
			}
			t.w = strconv.Itoa(n)
		} else if n, ok := ordinalWords[t.w]; ok {
			t.w = strconv.Itoa(n)
		} else if len(t.w) > 2 && isDigits(t.w[:len(t.w)-2]) && (strings.HasSuffix(t.w, "st") || strings.HasSuffix(t.w, "nd") || strings.HasSuffix(t.w, "rd") || strings.HasSuffix(t.w, "th")) {
			t.w = t.w[:len(t.w)-2] // 21st -> 21
		} else if m, ok := monthNames[t.w]; ok && (t.w != "may" || t.cap) {
			t.w = m
		} else if isDigits(t.w) && len(t.w) > 1 && t.w[0] == '0' {
			t.w = strings.TrimLeft(t.w, "0")
		} else {
			t.w = stem(t.w)
		}
		t.i = len(out)
		out = append(out, t)
	}
	return out
}

// stem is a light plural stemmer: lobes -> lobe, countries -> country, boxes -> box.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 4 && (strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes")):
		return w[:n-2]
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i' && !isDigits(w[:n-1]):
		return w[:n-1]
	}
	return w
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// goldAliases splits a gold answer listing aliases with "/" or "|" (or " or ").
func goldAliases(gold string) []string {
	parts := strings.FieldsFunc(gold, func(r rune) bool { return r == '|' || r == '/' })
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
			// "Extroverted Thinking (Te)": the name without its parenthetical also counts
			if i := strings.Index(p, " ("); i > 0 && strings.HasSuffix(p, ")") {
				out = append(out, strings.TrimSpace(p[:i]))
			}
			// "hit points or health points": either is an alias
			if ors := strings.Split(p, " or "); len(ors) > 1 && len(ors) <= 4 {
				for _, o := range ors {
					if o = strings.TrimSpace(o); o != "" {
						out = append(out, o)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return []string{gold}
	}
	return out
}

func contentWords(toks []textToken) []textToken {
	var out []textToken
	for _, t := range toks {
		if !stopWords[t.w] {
			out = append(out, t)
		}
	}
	return out
}

var negators = map[string]bool{"not": true, "never": true, "isn": true, "wasn": true, "neither": true,
	"nor": true, "don": true, "doesn": true, "didn": true, "aren": true, "weren": true, "cannot": true}

var refusalPhrases = []string{"i don't know", "i do not know", "i'm sorry", "i am sorry", "i cannot", "i can't",
	"not able to", "unable to", "no information", "not sure", "cannot be determined", "there is no", "i couldn't find"}

// textResult is the outcome of open-domain matching with a reason.
type textResult struct {
	o      Outcome
	reason string
}

// matchText matches a free-text answer against a gold that may list aliases.
func matchText(gold, answer string) textResult {
	atoks := tokenize(answer, 4096)
	if len(atoks) == 0 {
		return textResult{No, "empty answer"}
	}
	best := textResult{No, "gold not found in answer"}
	for _, alias := range goldAliases(gold) {
		r := matchAlias(alias, atoks, answer)
		if r.o == Yes {
			return r
		}
		if r.reason != "" && best.reason == "gold not found in answer" {
			best = r
		}
	}
	return best
}

func matchAlias(alias string, atoks []textToken, answer string) textResult {
	gtoks := contentWords(tokenize(alias, 256))
	if len(gtoks) == 0 {
		gtoks = tokenize(alias, 256)
	}
	if len(gtoks) == 0 {
		return textResult{No, ""}
	}
	acontent := contentWords(atoks)
	// 1. contiguous occurrence of the gold's content words
	pos := findSeq(acontent, gtoks)
	if pos >= 0 {
		if r, bad := rejectSpan(acontent, pos, len(gtoks), len(gtoks) == 1, answer); bad {
			return r
		}
		return textResult{Yes, "gold \"" + alias + "\" found in answer"}
	}
	// 2. all gold words present (reordered dates and names) within a short window
	if len(gtoks) >= 2 {
		if lo, hi, ok := window(acontent, gtoks, 3*len(gtoks)+2); ok {
			if r, bad := rejectSpan(acontent, lo, hi-lo, false, answer); bad {
				return r
			}
			return textResult{Yes, "all words of gold \"" + alias + "\" found together"}
		}
	}
	// 3. a shortened name: the answer (or a capitalised run of it) is a subset of the gold's
	// words including its last (head) word: "Wilhelm Röntgen" for "Wilhelm Conrad Röntgen"
	if len(gtoks) >= 3 && !isDigits(gtoks[len(gtoks)-1].w) && properName(gtoks) {
		head := gtoks[len(gtoks)-1].w
		for i, t := range acontent {
			if t.w != head {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && j >= i-3; j-- {
				if containsWord(gtoks, acontent[j].w) {
					n++
				} else {
					break
				}
			}
			if n >= 1 && n+1 >= (len(gtoks)+1)/2 && numbersIn(gtoks, acontent[max(0, i-n-2):min(len(acontent), i+3)]) {
				if r, bad := rejectSpan(acontent, i-n, n+1, false, answer); bad {
					return r
				}
				return textResult{Yes, "shortened form of gold \"" + alias + "\" found"}
			}
		}
	}
	// 4. most of a multi-word gold: all but one content word (at least two) close together
	if len(gtoks) >= 3 {
		if lo, hi, ok := windowAtLeast(acontent, gtoks, len(gtoks)-1, 3*len(gtoks)+2); ok && numbersIn(gtoks, acontent[lo:hi]) {
			if r, bad := rejectSpan(acontent, lo, hi-lo, false, answer); bad {
				return r
			}
			return textResult{Yes, "most words of gold \"" + alias + "\" found together"}
		}
	}
	return textResult{No, ""}
}

// windowAtLeast finds a span of hay of at most max tokens holding at least need needle words.
func windowAtLeast(hay, needle []textToken, need, max int) (int, int, bool) {
	for i := range hay {
		if !containsWord(needle, hay[i].w) {
			continue
		}
		seen := 0
		var mark [16]bool
		for j := i; j < len(hay) && j < i+max; j++ {
			for k, n := range needle {
				if k < 16 && !mark[k] && hay[j].w == n.w {
					mark[k] = true
					seen++
					break
				}
			}
			if seen >= need {
				return i, j + 1, true
			}
		}
	}
	return 0, 0, false
}

// numbersIn reports whether every numeric gold word (a day, a year, a count) is in span: a
// partial match may drop a name part, never a number.
func numbersIn(gold, span []textToken) bool {
	for _, g := range gold {
		if isDigits(g.w) && !containsWord(span, g.w) {
			return false
		}
	}
	return true
}

// properName reports whether every word of a gold is capitalised (a person or place name,
// where dropping a middle name keeps the referent; "rock python" for "Indian rock python"
// does not).
func properName(ts []textToken) bool {
	for _, t := range ts {
		if !t.cap && !isDigits(t.w) {
			return false
		}
	}
	return true
}

func containsWord(ts []textToken, w string) bool {
	for _, t := range ts {
		if t.w == w {
			return true
		}
	}
	return false
}

func findSeq(hay, needle []textToken) int {
	if len(needle) == 0 || len(needle) > len(hay) {
		return -1
	}
outer:
	for i := 0; i+len(needle) <= len(hay); i++ {
		for j := range needle {
			if hay[i+j].w != needle[j].w {
				continue outer
			}
		}
		return i
	}
	return -1
}

// window finds a span of hay, shorter than max, with every needle word.
func window(hay, needle []textToken, max int) (int, int, bool) {
	return windowAtLeast(hay, needle, min(len(needle), 16), max)
}

// rejectSpan says whether a gold occurrence at hay[pos:pos+n] must not count: negated,
// offered as one of several candidates, or part of a longer different name.
func rejectSpan(hay []textToken, pos, n int, single bool, answer string) (textResult, bool) {
	// negation just before the span: "not Paris", "it is not the Seine"
	for j := pos - 1; j >= 0 && j >= pos-2; j-- {
		if negators[hay[j].w] && !hay[j].cap {
			return textResult{No, "gold appears negated (\"" + hay[j].w + "\")"}, true
		}
	}
	// hedged alternatives: "either X or Y", "X or Y" when hedged with "either"
	end := pos + n
	for j := pos - 1; j >= 0 && j >= pos-4; j-- {
		if hay[j].w == "either" {
			return textResult{No, "gold offered as one of several candidates"}, true
		}
	}
	// a different entity containing the gold's words: the gold word modifies a following
	// capitalised name ("Paris Hilton" for "Paris", "Washington Monument" for "Washington");
	// a preceding first name ("Regina Spektor" for "Spektor") is the same entity
	if single && len(hay) <= 4 && hay[pos].cap && end < len(hay) && hay[end].cap && hay[end].i == hay[end-1].i+1 && !isDigits(hay[end].w) {
		return textResult{No, "answer names a longer, different entity"}, true
	}
	return textResult{}, false
}

// isRefusal reports whether the answer declines to answer.
func isRefusal(answer string) bool {
	l := strings.ToLower(answer)
	if len(l) > 400 {
		l = l[:400]
	}
	for _, p := range refusalPhrases {
		if strings.Contains(l, p) {
			return true
		}
	}
	return false
}
