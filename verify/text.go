package verify

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Open-domain short-answer matching (the String answer type): aliases, answers buried in
// prose, number words, dates, articles and punctuation, person names, hedged, negated and
// multi-candidate answers, and different entities that merely contain the gold's words.

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
	"thirtieth": 30, "fortieth": 40, "fiftieth": 50, "hundredth": 100,
}

var scaleWords = map[string]float64{"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}

var monthNames = map[string]string{
	"january": "jan", "february": "feb", "march": "mar", "april": "apr", "june": "jun", "july": "jul",
	"august": "aug", "september": "sep", "sept": "sep", "october": "oct", "november": "nov", "december": "dec",
	"jan": "jan", "feb": "feb", "mar": "mar", "apr": "apr", "jun": "jun", "jul": "jul", "aug": "aug",
	"sep": "sep", "oct": "oct", "nov": "nov", "dec": "dec", "may": "may",
}

// unitWords maps abbreviations of common units (after a number) to the word's normal form.
var unitWords = map[string]string{
	"km": "kilometer", "kms": "kilometer", "cm": "centimeter", "mm": "millimeter", "kg": "kilogram",
	"kgs": "kilogram", "lb": "pound", "lbs": "pound", "ft": "foot", "feet": "foot", "yd": "yard", "mi": "mile",
	"hr": "hour", "hrs": "hour", "min": "minute", "mins": "minute", "sec": "second", "secs": "second",
	"yr": "year", "yrs": "year", "sq": "square", "percent": "percent", "pct": "percent",
}

var stopWords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "and": true, "in": true,
	"on": true, "at": true, "to": true, "for": true, "by": true, "is": true, "was": true, "s": true, "that": true,
	"which": true, "who": true, "it": true, "are": true, "were": true, "be": true, "with": true, "from": true, "as": true,
	// currency words: "$5 million" is "5 million dollars"
	"dollar": true, "usd": true, "us": true}

// textToken is one normalised word with whether it started with a capital in the source and its
// byte span there.
type textToken struct {
	w    string
	cap  bool
	i    int // index in the full token list (kept by contentWords)
	s, e int // byte offsets in the tokenized string
}

// tokenize lower-cases, folds accents, drops punctuation, joins thousands separators, splits
// words glued together ("byHugo"), and normalises number words, ordinals, scales ("5 million"),
// Roman numerals, months, unit abbreviations, British spellings and plurals.
func tokenize(s string, limit int) []textToken {
	var toks []textToken
	var b strings.Builder
	capital := false
	start := 0
	var splits []int // byte offsets in b where a glued word starts ("byHugo")
	prevLower := false
	flush := func(end int) {
		if b.Len() == 0 {
			return
		}
		w := b.String()
		b.Reset()
		if len(splits) > 0 {
			last := 0
			for k, p := range splits {
				toks = append(toks, textToken{w: w[last:p], cap: k > 0 || capital, s: start, e: end})
				last = p
			}
			lw := w[last:]
			if j := strings.IndexAny(lw, "0123456789"); j > 0 && isDigits(lw[j:]) {
				toks = append(toks, textToken{w: lw[:j], cap: true, s: start, e: end}, textToken{w: lw[j:], s: start, e: end})
			} else {
				toks = append(toks, textToken{w: lw, cap: true, s: start, e: end})
			}
			splits = splits[:0]
			return
		}
		splits = splits[:0]
		// "in 18501.": a citation mark glued to a year at the end of a sentence
		if len(w) >= 5 && len(w) <= 6 && isDigits(w) && (w[0] == '1' && w[1] >= '5' || w[:2] == "20") && (end == len(s) || strings.ContainsRune(".,;)", rune(s[end]))) {
			toks = append(toks, textToken{w: w[:4], cap: false, s: start, e: start + 4}, textToken{w: w[4:], s: start + 4, e: end})
			return
		}
		// "2016by", "1973on", "6ft": a number glued to the word after it
		if j := strings.IndexFunc(w, func(r rune) bool { return r < '0' || r > '9' }); j > 0 && isDigits(w[:j]) {
			if rest := w[j:]; glueWords[rest] || unitWords[rest] != "" && rest != "min" {
				toks = append(toks, textToken{w: w[:j], s: start, e: start + j}, textToken{w: rest, s: start + j, e: end})
				return
			}
		}
		// "Holt1", "Wars7": a citation digit glued to a word is split off
		if j := strings.IndexAny(w, "0123456789"); j > 0 && isDigits(w[j:]) && !strings.ContainsAny(w[:j], "0123456789") {
			toks = append(toks, textToken{w: w[:j], cap: capital, s: start, e: start + j}, textToken{w: w[j:], s: start + j, e: end})
			return
		}
		toks = append(toks, textToken{w: w, cap: capital, s: start, e: end})
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
				start = i
				capital = unicode.IsUpper(r)
				prevLower = false
			} else if prevLower && unicode.IsUpper(r) {
				splits = append(splits, b.Len())
			}
			prevLower = unicode.IsLower(r)
			if f, ok := foldMap[unicode.ToLower(r)]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		case r == '%':
			flush(i)
			toks = append(toks, textToken{w: "percent", s: i, e: i + 1})
		default:
			// possessives and contractions split too: "Vader's" -> "vader" "s"
			flush(i)
		}
		i += size
	}
	flush(len(s))
	return normalizeTokens(s, toks)
}

// normalizeTokens maps number words, ordinals, scales, Roman numerals, months, units, spellings
// and plurals to one form, merging multi-word numbers.
func normalizeTokens(src string, toks []textToken) []textToken {
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
			t.w = strconv.Itoa(n)
		} else if n, ok := ordinalWords[t.w]; ok {
			t.w = strconv.Itoa(n)
		} else if len(t.w) > 2 && isDigits(t.w[:len(t.w)-2]) && (strings.HasSuffix(t.w, "st") || strings.HasSuffix(t.w, "nd") || strings.HasSuffix(t.w, "rd") || strings.HasSuffix(t.w, "th")) {
			t.w = t.w[:len(t.w)-2] // 21st -> 21
		} else if m, ok := monthNames[t.w]; ok && (t.w != "may" && t.w != "mar" || t.cap) {
			t.w = m
		} else if isDigits(t.w) && len(t.w) > 1 && t.w[0] == '0' {
			t.w = strings.TrimLeft(t.w, "0")
			if t.w == "" {
				t.w = "0"
			}
		} else if v, ok := romanValue(src, t); ok {
			t.w = strconv.Itoa(v)
		} else if u, ok := unitWords[t.w]; ok && len(out) > 0 && isNumber(out[len(out)-1].w) {
			t.w = u
		} else if t.w == "per" && i+1 < len(toks) && toks[i+1].w == "cent" {
			t.w = "percent"
			i++
		} else if !isNumber(t.w) {
			t.w = spelling(stem(t.w))
		}
		// "1979–80": the second year of a range written with two digits
		if len(t.w) == 2 && isDigits(t.w) && len(out) > 0 {
			p := out[len(out)-1]
			if len(p.w) == 4 && isDigits(p.w) && p.e <= t.s && t.s <= len(src) && strings.Trim(src[p.e:t.s], " ") != "" && strings.Trim(src[p.e:t.s], " -–—/") == "" {
				y, _ := strconv.Atoi(p.w)
				n, _ := strconv.Atoi(t.w)
				full := y/100*100 + n
				if full <= y {
					full += 100
				}
				t.w = strconv.Itoa(full)
			}
		}
		// "5 million", "twenty thousand": a number times a scale word is one number
		if isNumber(t.w) {
			for i+1 < len(toks) {
				sc, ok := scaleWords[toks[i+1].w]
				if !ok {
					break
				}
				f, _ := strconv.ParseFloat(t.w, 64)
				t.w = strconv.FormatFloat(f*sc, 'f', -1, 64)
				t.e = toks[i+1].e
				i++
			}
		}
		t.i = len(out)
		out = append(out, t)
	}
	return out
}

// romanValue reads an upper-case Roman numeral of two or more letters (II, XIV; "Article II",
// "Australia II"); single letters are initials or pronouns.
func romanValue(src string, t textToken) (int, bool) {
	if len(t.w) < 2 || len(t.w) > 7 || t.e-t.s != len(t.w) || t.s < 0 || t.e > len(src) {
		return 0, false
	}
	raw := src[t.s:t.e]
	total, prev := 0, 0
	for k := len(raw) - 1; k >= 0; k-- {
		v := romanDigits[raw[k]]
		if v == 0 {
			return 0, false
		}
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	// canonical spelling only (no "IIII", "VX")
	if toRoman(total) != raw {
		return 0, false
	}
	return total, true
}

var romanDigits = [256]int{'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100}

func toRoman(n int) string {
	if n <= 0 || n > 399 {
		return ""
	}
	var b strings.Builder
	for _, p := range []struct {
		v int
		s string
	}{{100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for n >= p.v {
			b.WriteString(p.s)
			n -= p.v
		}
	}
	return b.String()
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
		if _, month := monthNames[w[:n-1]]; month || w == "nots" {
			return w // "Mars" is not "Mar", "Have Nots" has no "not"
		}
		return w[:n-1]
	}
	return w
}

// spelling maps British spellings to American ones (kilometre, colour, organise, analyse).
func spelling(w string) string {
	n := len(w)
	switch {
	case n > 4 && (strings.HasSuffix(w, "tre") || strings.HasSuffix(w, "bre")):
		return w[:n-2] + "er"
	case n >= 6 && strings.HasSuffix(w, "our") && w != "contour" && w != "devour":
		return w[:n-2] + "r"
	case n >= 6 && (strings.HasSuffix(w, "ise") || strings.HasSuffix(w, "yse")):
		return w[:n-2] + "ze"
	case n >= 7 && (strings.HasSuffix(w, "ised") || strings.HasSuffix(w, "ysed")):
		return w[:n-3] + "zed"
	case n >= 8 && strings.HasSuffix(w, "isation"):
		return w[:n-6] + "zation"
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

// isNumber reports whether a token is a plain decimal number (digits with at most one point).
func isNumber(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.' && !dot:
			dot = true
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return true
}

// goldAliases splits a gold answer listing aliases with "/" or "|" (or " or ").
func goldAliases(gold string) []string {
	parts := strings.FieldsFunc(gold, func(r rune) bool { return r == '|' || r == '/' })
	var out []string
	if len(parts) > 1 && len(gold) <= 40 {
		out = append(out, gold) // "Road/Track" may be one name
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
			// "Extroverted Thinking (Te)": the name without its parenthetical also counts
			if i := strings.Index(p, " ("); i > 0 && strings.HasSuffix(p, ")") {
				out = append(out, strings.TrimSpace(p[:i]))
			}
			// "Munich, Bavaria", "Charles, Prince of Wales": the part before the comma names it
			if cs := strings.Split(p, ","); len(cs) == 2 && len(strings.Fields(cs[0])) <= 3 && len(strings.Fields(cs[1])) <= 3 && !strings.ContainsAny(p, "0123456789") {
				if h := strings.TrimSpace(cs[0]); h != "" && h[0] >= 'A' && h[0] <= 'Z' {
					out = append(out, h)
				}
			}
			// "Swedish botanist Carl Linnaeus": the name after a lowercase description
			if tail := capitalisedTail(p); tail != "" {
				out = append(out, tail)
			}
			// "Thomas Hobbes in his Leviathan": the name before a place or source qualifier
			if head := capitalisedHead(p); head != "" {
				out = append(out, head)
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

var prepositions = map[string]bool{"from": true, "in": true, "of": true, "at": true, "on": true, "to": true,
	"by": true, "with": true, "for": true, "near": true, "into": true, "between": true, "as": true, "and": true, "or": true}

// capitalisedTail returns the run of two or more capitalised words ending a gold that starts
// with lowercase words ("the Swedish astronomer Anders Celsius" -> "Anders Celsius"), unless a
// preposition or a conjunction precedes it ("nomads from Inner Asia").
func capitalisedTail(p string) string {
	ws := strings.Fields(p)
	if len(ws) < 3 {
		return ""
	}
	i := len(ws)
	for i > 0 && ws[i-1] != "" && unicode.IsUpper([]rune(ws[i-1])[0]) {
		i--
	}
	if i == 0 || len(ws)-i < 2 || prepositions[strings.ToLower(ws[i-1])] || unicode.IsUpper([]rune(ws[i-1])[0]) {
		return ""
	}
	return strings.Join(ws[i:], " ")
}

var qualifierPreps = map[string]bool{"in": true, "at": true, "from": true, "by": true, "on": true}

// capitalisedHead returns the run of two or more capitalised words that starts a gold and is
// followed by "in"/"at"/"from"/"by"/"on" ("Lincoln Financial Field in Philadelphia").
func capitalisedHead(p string) string {
	ws := strings.Fields(p)
	i := 0
	for i < len(ws) && ws[i] != "" && unicode.IsUpper([]rune(ws[i])[0]) {
		i++
	}
	if i < 2 || i >= len(ws) || !qualifierPreps[ws[i]] {
		return ""
	}
	return strings.Join(ws[:i], " ")
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

var refusalPhrases = []string{"i don't know", "i do not know", "i'm sorry", "i am sorry", "i cannot", "i can't",
	"not able to", "unable to", "no information", "not sure", "cannot be determined", "there is no", "i couldn't find"}

// textResult is the outcome of open-domain matching with a reason; final marks a rejection
// that no later layer may overturn (a hedge or a negated mention).
type textResult struct {
	o      Outcome
	reason string
	final  bool
}

// textCtx carries what open-domain matching needs besides the two strings.
type textCtx struct {
	question   string
	person     bool // the question asks for a person
	set        bool // the question asks for a set (order does not matter)
	plural     bool // the question asks for several things ("who were", "what are", "list")
	multi      bool // the gold lists several different answers ("Paul/James/Barnabas")
	ordered    bool // the question asks for an order
	negQ       bool // the question is itself negative: a negation in the answer may echo it
	lowerAlias bool // an alias of the gold is written in lower case (a common noun: "microfilament")
	qwords     map[string]bool
	qtoks      []textToken
}

var rePluralQ = regexp.MustCompile(`(?i)\b(?:who|what|which|where)\s+(?:were|are)\b|\b(?:list|name)\s+(?:the|all|some|two|three|four|five)\b|\bwho\s+were\b|\bmembers\b|\bcast\b|\b(?:types|kinds|examples|some)\s+of\b|\b(?:which|what)\s+\w+(?:ies|es|[^s]s)\s+(?:are|were|have|had|do|did)\b`)

// inQuestion reports whether a normalised word occurs in the question.
func (tc *textCtx) inQuestion(w string) bool {
	if tc.qwords == nil {
		tc.qwords = map[string]bool{}
		for _, t := range tc.questionTokens() {
			tc.qwords[t.w] = true
		}
	}
	return tc.qwords[w]
}

// questionTokens tokenizes the question once.
func (tc *textCtx) questionTokens() []textToken {
	if tc.qtoks == nil && tc.question != "" {
		tc.qtoks = tokenize(tc.question, 512)
	}
	return tc.qtoks
}

func newTextCtx(question string) *textCtx {
	qh := qhead(question)
	return &textCtx{question: question, person: asksPerson(qh), set: asksSet(qh), negQ: negQuestion(qh),
		plural: qh != "" && (asksSet(qh) || hasAnyFold(qh, "were", "are", "list", "name", "members", "cast", "types", "kinds", "examples", "some") && rePluralQ.MatchString(qh)), ordered: asksOrder(qh)}
}

// matchText matches a free-text answer against a gold that may list aliases.
func matchText(tc *textCtx, gold, answer string) textResult {
	atoks := tokenize(answer, 4096)
	if len(atoks) == 0 {
		return textResult{o: No, reason: "empty answer"}
	}
	aliases := goldAliases(gold)
	tc.multi = len(aliases) > 1 && distinctAliases(aliases)
	tc.lowerAlias = false
	for _, al := range aliases {
		if al != "" && al[0] >= 'a' && al[0] <= 'z' && len(tokenize(al, 8)) == 1 {
			tc.lowerAlias = true
		}
	}
	// an answer that is a list of candidates
	if r, ok := matchListAnswer(tc, aliases, answer); ok {
		return r
	}
	// a gold that is itself a list (word sorting, rankings, several names): compared in order
	if r, ok := matchListGold(tc, gold, answer); ok {
		return r
	}
	best := textResult{o: No, reason: "gold not found in answer"}
	for _, alias := range aliases {
		r := matchAlias(tc, alias, atoks, answer)
		if r.o == Yes {
			if h := closedClassHedge(alias, atoks, answer); h.o != Unknown || h.reason != "" {
				return h
			}
			return r
		}
		if r.final {
			return r // a hedged or negated mention of any alias rejects the answer
		}
		if r.reason != "" && best.reason == "gold not found in answer" {
			best = r
		}
	}
	return best
}

func matchAlias(tc *textCtx, alias string, atoks []textToken, answer string) textResult {
	gall := tokenize(alias, 256)
	gtoks := contentWords(gall)
	if len(gtoks) == 0 {
		gtoks = gall
	}
	if len(gtoks) == 0 {
		return textResult{o: No}
	}
	atoks = unglue(atoks, gtoks)
	acontent := contentWords(atoks)
	// 1. contiguous occurrences of the gold's content words: a negated or hedged one rejects the
	// answer; one inside a longer name does not count
	found := false
	var skipped textResult
	for from := 0; from < len(acontent); {
		pos := findSeq(acontent[from:], gtoks)
		if pos < 0 {
			break
		}
		pos += from
		from = pos + len(gtoks)
		if r, bad := rejectContent(tc, acontent, atoks, pos, len(gtoks), gtoks, answer); bad {
			if r.final {
				return r
			}
			skipped = r
			continue
		}
		found = true
	}
	if found {
		return textResult{o: Yes, reason: "gold \"" + alias + "\" found in answer"}
	}
	if skipped.reason != "" {
		return skipped
	}
	// 2. all gold words present within a short window: in any order for dates, numbers and
	// phrases ("6 February 2005" for "February 6, 2005", "the nucleus of the cell" for "cell
	// nucleus"), in the gold's order for lists and when the question asks for an order
	if len(gtoks) >= 2 {
		anyOrder := hasDateOrNumber(gtoks) || strings.Count(alias, ",")+strings.Count(alias, ";") <= 1 && !tc.ordered
		if lo, hi, ok := window(acontent, gtoks, 3*len(gtoks)+2, anyOrder); ok {
			if _, bad := rejectPartial(tc, acontent, atoks, lo, hi-lo, gtoks, answer); !bad {
				return textResult{o: Yes, reason: "all words of gold \"" + alias + "\" found together"}
			}
		}
	}
	// 3. a person's name in another form: surname only, initials, middle names, a title
	if r, ok := matchPersonName(tc, gall, atoks, answer); ok {
		return r
	}
	// 4. a shortened name: the answer (or a capitalised run of it) is a subset of the gold's
	// words including its last (head) word: "Wilhelm Röntgen" for "Wilhelm Conrad Röntgen"
	if len(gtoks) >= 3 && !isDigits(gtoks[len(gtoks)-1].w) && properName(gtoks) && !hasDescriptor(gtoks) {
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
				if _, bad := rejectPartial(tc, acontent, atoks, i-n, n+1, gtoks, answer); !bad {
					return textResult{o: Yes, reason: "shortened form of gold \"" + alias + "\" found"}
				}
			}
		}
	}
	// 5. most of a multi-word gold: all but one content word (at least two) close together, in
	// the gold's order
	if len(gtoks) >= 3 {
		anyOrder := hasDateOrNumber(gtoks) || strings.Count(alias, ",")+strings.Count(alias, ";") <= 1 && !tc.ordered
		if lo, hi, ok := windowAtLeast(acontent, gtoks, len(gtoks)-1, 3*len(gtoks)+2, anyOrder); ok && numbersIn(gtoks, acontent[lo:hi]) {
			if _, bad := rejectPartial(tc, acontent, atoks, lo, hi-lo, gtoks, answer); !bad {
				return textResult{o: Yes, reason: "most words of gold \"" + alias + "\" found together"}
			}
		}
	}
	// 7. a date given less precisely: "in 1890" or "in July 1890" for "July 1, 1890" (never with
	// another month or day next to the year)
	if r, ok := matchDateLoosely(tc, gall, atoks, answer); ok {
		return r
	}
	// 6. a descriptor-free form of the gold: "Himadri" for "Himadri Station", "Caucasus" for
	// "Caucasus Mountains"
	if core := dropDescriptors(gtoks); len(core) > 0 && len(core) < len(gtoks) && properName(core) {
		if pos := findSeq(acontent, core); pos >= 0 && !otherDescriptor(acontent, pos+len(core), gtoks) && !demonym(core[len(core)-1].w) {
			if _, bad := rejectPartial(tc, acontent, atoks, pos, len(core), core, answer); !bad {
				return textResult{o: Yes, reason: "gold \"" + alias + "\" found without its descriptor"}
			}
		}
	}
	return textResult{o: No}
}

// otherDescriptor reports whether the word after a descriptor-free match is a descriptor the
// gold does not have ("the Caucasus region" for "the Caucasus Mountains").
func otherDescriptor(hay []textToken, at int, gold []textToken) bool {
	return at < len(hay) && descriptorWords[hay[at].w] && !containsWord(gold, hay[at].w)
}

// demonym reports an adjective of a people or place ("Korean", "Chinese"), which names no
// entity once its noun is dropped.
func demonym(w string) bool {
	return strings.HasSuffix(w, "an") || strings.HasSuffix(w, "ese") || strings.HasSuffix(w, "ish") || strings.HasSuffix(w, "ic")
}

// glueWords are short words that responses glue to a neighbour ("Kennedyduring",
// "thecella", "Astroswon").
var glueWords = map[string]bool{"on": true, "in": true, "at": true, "won": true, "was": true, "is": true,
	"and": true, "or": true, "during": true, "for": true, "from": true, "with": true, "the": true, "to": true,
	"by": true, "of": true, "as": true, "who": true, "which": true, "were": true, "are": true, "has": true,
	"had": true, "a": true, "an": true, "it": true, "its": true, "s": true}

// unglue splits answer tokens that are a gold word glued to a function word ("Kennedyduring" ->
// "kennedy" "during", "thecella" -> "the" "cella"); tokens equal to a gold word stay.
func unglue(atoks, gtoks []textToken) []textToken {
	var out []textToken
	changed := false
	for k := 0; k < len(atoks); k++ {
		t := atoks[k]
		// pieces of one source word split at a capital ("Hyper" "Sport") that make a gold word
		if k+1 < len(atoks) && atoks[k+1].s == t.s && atoks[k+1].e == t.e && containsWord(gtoks, t.w+atoks[k+1].w) {
			if !changed {
				out = append(out, atoks[:k]...)
				changed = true
			}
			t.w += atoks[k+1].w
			t.i = len(out)
			out = append(out, t)
			k++
			continue
		}
		if len(t.w) < 5 || isNumber(t.w) || containsWord(gtoks, t.w) {
			if changed {
				t.i = len(out)
				out = append(out, t)
			}
			continue
		}
		var pre, mid, suf string
		for _, g := range gtoks {
			if len(g.w) < 3 || isNumber(g.w) {
				continue
			}
			if i := strings.Index(t.w, g.w); i >= 0 && glueWords[t.w[:i]] || i == 0 {
				if i < 0 {
					continue
				}
				rest := t.w[i+len(g.w):]
				if strings.HasPrefix(rest, "s") && glueWords[rest[1:]] {
					rest = rest[1:] // "Astroswon": a plural glued to "won"
				}
				if (i == 0 || glueWords[t.w[:i]]) && (rest == "" || glueWords[rest]) && (i > 0 || rest != "") {
					pre, mid, suf = t.w[:i], g.w, rest
					break
				}
			}
		}
		if mid == "" {
			if changed {
				t.i = len(out)
				out = append(out, t)
			}
			continue
		}
		if !changed {
			out = append(out, atoks[:k]...)
			changed = true
		}
		for _, w := range []string{pre, mid, suf} {
			if w != "" {
				out = append(out, textToken{w: w, cap: t.cap && w == mid, i: len(out), s: t.s, e: t.e})
			}
		}
	}
	if !changed {
		return atoks
	}
	return out
}

func hasDescriptor(ts []textToken) bool {
	for _, t := range ts {
		if descriptorWords[t.w] {
			return true
		}
	}
	return false
}

// matchDateLoosely accepts an answer that names a gold date's year (and month, when it names
// one) without a different month or day: the same date, less precisely.
func matchDateLoosely(tc *textCtx, gall, atoks []textToken, answer string) (textResult, bool) {
	year, month, day := "", "", ""
	for _, t := range gall {
		switch {
		case len(t.w) == 4 && isDigits(t.w) && (t.w[0] == '1' || t.w[:2] == "20"):
			year = t.w
		case isMonth(t.w):
			month = t.w
		case isDigits(t.w) && len(t.w) <= 2:
			day = t.w
		case stopWords[t.w]:
		default:
			return textResult{}, false // not just a date
		}
	}
	if year == "" || month == "" || tc.inQuestion(year) {
		return textResult{}, false // (a year the question names tells nothing)
	}
	for k, t := range atoks {
		if t.w != year {
			continue
		}
		conflict, sameMonth := false, false
		for j := k - 1; j >= 0 && j >= k-3; j-- {
			if clauseBreak(answer, atoks[j].e, atoks[j+1].s) && !strings.Contains(gapText(answer, atoks[j], atoks[j+1]), ",") {
				break
			}
			w := atoks[j].w
			switch {
			case isMonth(w):
				if w != month {
					conflict = true
				} else {
					sameMonth = true
				}
			case isDigits(w) && len(w) <= 2 && (day == "" || w != day):
				conflict = true
			}
		}
		if k+1 < len(atoks) && isMonth(atoks[k+1].w) && atoks[k+1].w != month {
			conflict = true
		}
		if conflict {
			continue
		}
		if _, bad := rejectSpan(tc, atoks, k, k, gall, answer); bad {
			continue
		}
		why := "the gold date's year"
		if sameMonth {
			why = "the gold date's month and year"
		}
		return textResult{o: Yes, reason: "answer gives " + why + " (less precise, not different)"}, true
	}
	return textResult{}, false
}

// hasDateOrNumber reports whether gold words include a number or a month (dates and quantities
// may be written in any order).
func hasDateOrNumber(ts []textToken) bool {
	for _, t := range ts {
		if isNumber(t.w) {
			return true
		}
		if _, ok := monthNames[t.w]; ok {
			return true
		}
	}
	return false
}

// windowAtLeast finds a span of hay of at most max tokens holding at least need needle words;
// unless anyOrder, the needle words must appear in the needle's order.
func windowAtLeast(hay, needle []textToken, need, max int, anyOrder bool) (int, int, bool) {
	for i := range hay {
		if !containsWord(needle, hay[i].w) {
			continue
		}
		seen := 0
		var mark [16]bool
		next := 0 // in order: the next needle index allowed
		for j := i; j < len(hay) && j < i+max; j++ {
			for k := range needle {
				if k >= 16 || mark[k] || hay[j].w != needle[k].w {
					continue
				}
				if !anyOrder && k < next {
					continue
				}
				mark[k] = true
				seen++
				next = k + 1
				break
			}
			if seen >= need {
				return i, j + 1, true
			}
		}
	}
	return 0, 0, false
}

// window finds a span of hay, shorter than max, with every needle word.
func window(hay, needle []textToken, max int, anyOrder bool) (int, int, bool) {
	return windowAtLeast(hay, needle, min(len(needle), 16), max, anyOrder)
}

// numbersIn reports whether every numeric gold word (a day, a year, a count) is in span: a
// partial match may drop a name part, never a number.
func numbersIn(gold, span []textToken) bool {
	for _, g := range gold {
		if (isNumber(g.w) || isMonth(g.w)) && !containsWord(span, g.w) {
			return false // (nor a month: "March 20, 2018" is not "April 20, 2018")
		}
	}
	return true
}

// properName reports whether every word of a gold is capitalised (a person or place name,
// where dropping a middle name keeps the referent; "rock python" for "Indian rock python"
// does not).
func properName(ts []textToken) bool {
	for _, t := range ts {
		if !t.cap && !isNumber(t.w) {
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
