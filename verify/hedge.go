package verify

import (
	"regexp"
	"strings"
)

// Hedging, negation and copying: an answer earns nothing for naming the gold among other
// candidates ("Monday Tuesday ... Friday", "Paris or London", several different boxes), for a
// negated mention ("it is not Paris"), for copying the question (which may list the options),
// or for a longer different entity that contains the gold's words ("Paris Hilton").

// Question kinds.
var (
	rePersonQ = regexp.MustCompile(`(?i)^\s*(?:who|whom|whose)\b|\b(?:who|whom)\s+(?:is|was|are|were|did|does|do|has|had|played|plays|sang|sings|wrote|writes|won|invented|discovered|founded|said|says|created|directed|killed|became|becomes|will|would|can|could)\b|\bwhich\s+(?:actor|actress|person|player|singer|president|king|queen|author|writer|artist|scientist|apostle|character|pope|emperor|general|composer|painter|poet|philosopher)\b|\bname\s+of\s+the\s+(?:actor|actress|person|player|singer|president|king|queen|author|writer|artist|scientist)\b`)
	reSetQ    = regexp.MustCompile(`(?i)\bin\s+any\s+order\b|\bset\s+of\b|\ball\s+(?:the\s+)?(?:possible\s+|real\s+|integer\s+|positive\s+|distinct\s+|such\s+)*(?:values|solutions|roots|zeros|zeroes|answers|pairs|triples|numbers|integers|primes|elements|members|points)\b|\bfind\s+all\b|\blist\s+all\b|\bsolutions\b|\broots\b|\bzeros\b|\bunordered\b|\border\s+(?:does\s+not|doesn't)\s+matter\b`)
	reOrderQ  = regexp.MustCompile(`(?i)\b(?:sort|sorted|sorting|order|ordered|rank|ranked|ranking|arrange|arranged|sequence|ascending|descending|alphabetical(?:ly)?|chronological(?:ly)?|increasing|decreasing|first,?\s+second)\b|\bfrom\s+(?:\w+\s+){0,3}to\s+(?:\w+\s+){0,3}\w+est\b`)
)

func asksPerson(q string) bool {
	q = qhead(q)
	return q != "" && hasAnyFold(q, "who", "which", "name") && rePersonQ.MatchString(q)
}
func asksSet(q string) bool {
	q = qhead(q)
	return q != "" && hasAnyFold(q, "order", "set of", "all", "solution", "root", "zero", "matter") && reSetQ.MatchString(q)
}
func asksOrder(q string) bool {
	q = qhead(q)
	return q != "" && hasAnyFold(q, "sort", "order", "rank", "arrang", "sequen", "ascend", "descend", "alphabet",
		"chrono", "increas", "decreas", "first", "from") && !asksSet(q) && reOrderQ.MatchString(q)
}

// hasAnyFold is a cheap case-insensitive prefilter: does s contain any of the (lower-case) words?
func hasAnyFold(s string, ws ...string) bool {
	l := strings.ToLower(s)
	for _, w := range ws {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// qhead is what the question classifiers read: the first and last 600 bytes of a long question
// (its request is at one end), so a huge question costs no more than a short one.
func qhead(q string) string {
	if len(q) <= 1200 {
		return q
	}
	return strings.ToValidUTF8(q[:600]+" … "+q[len(q)-600:], "")
}

// ---- negation and hedges around one mention --------------------------------------------------

var preNegators = map[string]bool{"not": true, "never": true, "cannot": true, "neither": true, "nor": true,
	"except": true, "excluding": true}

// negGlue are the words that may stand between a negator and what it negates ("not the",
// "don't think it's", "isn't really").
var negGlue = map[string]bool{"t": true, "think": true, "believe": true, "it": true, "s": true, "is": true,
	"be": true, "the": true, "a": true, "an": true, "that": true, "just": true, "exactly": true, "quite": true,
	"really": true, "actually": true, "necessarily": true, "likely": true, "probably": true, "certainly": true,
	"definitely": true, "even": true, "ever": true, "always": true, "was": true, "were": true, "are": true,
	"been": true, "this": true, "my": true, "answer": true, "correct": true, "right": true, "simply": true,
	"at": true, "all": true, "called": true, "named": true, "made": true, "by": true, "in": true, "on": true, "of": true}

// contractionNegators are negators only when followed by "t" ("won't", not "won").
var contractionNegators = map[string]bool{"isn": true, "wasn": true, "aren": true, "weren": true, "don": true,
	"doesn": true, "didn": true, "won": true, "couldn": true, "shouldn": true, "wouldn": true, "hasn": true,
	"haven": true, "hadn": true, "can": true, "ain": true, "mustn": true}

// negatedBefore reports whether the mention starting at full token index first is negated by
// a word shortly before it in the same clause ("not Paris", "I don't think it's Paris",
// "anything but Paris", "other than Paris").
func negatedBefore(atoks []textToken, first int, answer string) (string, bool) {
	for k := first - 1; k >= 0 && k >= first-5; k-- {
		if clauseBreak(answer, atoks[k].e, atoks[k+1].s) {
			return "", false
		}
		w := atoks[k].w
		switch {
		case preNegators[w]:
			return w, true
		case contractionNegators[w] && k+1 < len(atoks) && atoks[k+1].w == "t":
			return w + "'t", true
		case w == "but" && k > 0 && (atoks[k-1].w == "anything" || atoks[k-1].w == "everything" || atoks[k-1].w == "all"):
			return "anything but", true
		case w == "than" && k > 0 && (atoks[k-1].w == "other" || atoks[k-1].w == "rather"):
			return atoks[k-1].w + " than", true
		case w == "of" && k > 0 && atoks[k-1].w == "instead":
			return "instead of", true
		case !negGlue[w]:
			// any other word ends the search: in "Sins Not Tragedies is by Panic!" the "not"
			// belongs to "Tragedies"
			return "", false
		}
	}
	return "", false
}

// gapText is the source text between two tokens ("" when they overlap: glued words).
func gapText(src string, a, b textToken) string {
	if a.e < 0 || b.s > len(src) || a.e >= b.s {
		return ""
	}
	return src[a.e:b.s]
}

// clauseBreak reports whether the source text between two tokens ends a clause.
func clauseBreak(answer string, from, to int) bool {
	if from < 0 || to > len(answer) || from >= to {
		return false
	}
	return strings.ContainsAny(answer[from:to], ",.;:!?()\n…")
}

var rePostNeg = regexp.MustCompile(`(?i)^[\s"'’*]*(?:(?:is|was|are|were|'s|’s)\s+(?:not|never)|isn[’']?t|wasn[’']?t|aren[’']?t)\s+(?:the\s+)?(?:(?:correct|right|final|true)\s+)?(?:answer|correct|right|true|it|one|case)\b|^[\s"'’*]*(?:is|was|are|were|'s|’s)\s+(?:(?:definitely|clearly|simply|certainly)\s+)?(?:wrong|incorrect|false|not\s+correct|a\s+wrong\s+answer)\b|^\s*\?+\s*(?:no|nope|not|wrong)\b`)

// negatedAfter reports whether the text right after a mention denies it ("Paris is not the
// answer", "Paris is wrong", "Paris? No").
func negatedAfter(answer string, end int) bool {
	if end >= len(answer) {
		return false
	}
	rest := strings.TrimLeft(answer[end:min(len(answer), end+60)], " \t\"'*")
	if rest == "" || !strings.ContainsRune("iIwWaA'’?", rune(rest[0])) && !strings.HasPrefix(rest, "’") {
		return false // cheap prefilter: no "is", "was", "are", "'s", "?" follows
	}
	return rePostNeg.MatchString(rest)
}

var hedgeWords = map[string]bool{"maybe": true, "possibly": true, "perhaps": true, "probably": true}

// hedgedAround reports whether a mention spanning full tokens first..last is offered as one of
// several alternatives: "X or Y", "Y or X", "X/Y", "either ... X", "X, or maybe Y".
func hedgedAround(atoks []textToken, first, last int, answer string, strict bool) bool {
	for k := first - 1; k >= 0 && k >= first-4; k-- {
		if atoks[k].w == "either" {
			return true
		}
	}
	if !strict {
		// a common-noun gold: "a statute or statutory law", "a bank or credit union" name
		// synonyms or equally valid alternatives; only "either" and "maybe" hedge
		if last+2 < len(atoks) && atoks[last+1].w == "or" && hedgeWords[atoks[last+2].w] {
			return true
		}
		return false
	}
	if last+2 < len(atoks) && (atoks[last+1].w == "or" || atoks[last+1].w == "nor") && !stopWords[atoks[last+2].w] {
		between := gapText(answer, atoks[last], atoks[last+1])
		if !strings.ContainsAny(between, ",(") || hedgeWords[atoks[last+2].w] {
			return true
		}
	}
	if first >= 2 && (atoks[first-1].w == "or" || atoks[first-1].w == "nor") && !stopWords[atoks[first-2].w] {
		if !strings.Contains(gapText(answer, atoks[first-2], atoks[first-1]), ",") {
			return true
		}
	}
	// "Paris/London", "Paris (or London)" (but "5 liters (or 1.3 gallons)" converts units)
	if last+1 < len(atoks) {
		between := gapText(answer, atoks[last], atoks[last+1])
		if strings.ContainsAny(between, "/|") || strings.Contains(between, "(") && atoks[last+1].w == "or" && !(last+2 < len(atoks) && isNumber(atoks[last+2].w)) {
			return true
		}
	}
	if first >= 1 && strings.ContainsAny(gapText(answer, atoks[first-1], atoks[first]), "/|") {
		return true
	}
	return false
}

// strictGold reports whether a gold names an entity, a number or a member of a closed class
// (days, colours ...), for which "X or Y" is a hedge; for a common-noun gold "or" often joins
// synonyms ("statute or statutory law").
func strictGold(g []textToken) bool {
	if len(g) == 0 {
		return true
	}
	if len(g) == 1 && (classOf(g[0].w) != "" || isNumber(g[0].w)) {
		return true
	}
	return properName(g)
}

// distinctAliases reports whether a gold lists two or more different answers (aliases that share
// no word: "Paul/James/Barnabas"), rather than spellings of one.
func distinctAliases(aliases []string) bool {
	var sets [][]textToken
	for _, a := range aliases {
		if strings.ContainsAny(a, "/|") {
			continue // the unsplit gold
		}
		t := contentWords(tokenize(a, 16))
		if len(t) == 0 {
			continue
		}
		shared := false
		for _, o := range sets {
			for _, w := range t {
				if containsWord(o, w.w) {
					shared = true
				}
			}
		}
		if !shared {
			sets = append(sets, t)
		}
		if len(sets) >= 2 {
			return true
		}
	}
	return false
}

// descriptor words name the kind of a place or body; they may follow or precede a name without
// changing the referent ("Nile River", "Mount Everest", "Gupta Dynasty").
var descriptorWords = map[string]bool{"river": true, "lake": true, "mountain": true, "mount": true, "mt": true,
	"island": true, "sea": true, "ocean": true, "bay": true, "gulf": true, "desert": true, "valley": true,
	"peninsula": true, "station": true, "city": true, "town": true, "village": true, "county": true, "state": true,
	"province": true, "region": true, "country": true, "empire": true, "dynasty": true, "kingdom": true,
	"republic": true, "range": true, "strait": true, "channel": true, "canal": true, "falls": true, "creek": true,
	"district": true, "territory": true, "family": true, "clan": true, "tribe": true, "period": true, "era": true,
	"age": true, "language": true, "people": true, "estuary": true, "plain": true, "plateau": true, "basin": true,
	"university": true, "college": true, "army": true, "force": true, "navy": true, "party": true, "church": true,
	"airport": true, "stadium": true, "team": true, "club": true, "school": true, "institute": true,
	"company": true, "corporation": true, "inc": true, "ltd": true, "group": true, "band": true, "series": true,
	"season": true, "film": true, "movie": true, "novel": true, "book": true, "song": true, "album": true,
	"project": true, "program": true, "programme": true, "network": true, "agency": true, "administration": true,
	"organization": true, "foundation": true, "association": true, "society": true, "council": true,
	"system": true, "hospital": true, "center": true, "centre": true, "museum": true, "library": true}

var timeWords = map[string]bool{"am": true, "pm": true, "a": true, "m": true, "p": true, "gmt": true, "utc": true,
	"bc": true, "bce": true, "ad": true, "ce": true, "peso": true, "euro": true, "pound": true, "rupee": true,
	"yen": true, "cent": true, "percent": true, "inch": true, "foot": true, "mile": true, "meter": true, "kilometer": true}

// titleWords precede names without changing the person.
var titleWords = map[string]bool{"justice": true, "president": true, "king": true, "queen": true, "sir": true,
	"dame": true, "dr": true, "doctor": true, "saint": true, "st": true, "general": true, "captain": true,
	"lord": true, "lady": true, "prince": true, "princess": true, "pope": true, "emperor": true, "empress": true,
	"chief": true, "judge": true, "senator": true, "governor": true, "mr": true, "mrs": true, "ms": true,
	"miss": true, "professor": true, "prof": true, "rev": true, "reverend": true, "father": true, "sister": true,
	"brother": true, "coach": true, "admiral": true, "colonel": true, "major": true, "sergeant": true,
	"lieutenant": true, "duke": true, "duchess": true, "count": true, "countess": true, "baron": true,
	"minister": true, "prime": true, "vice": true, "chancellor": true, "sheikh": true, "sultan": true, "tsar": true,
	"czar": true, "pharaoh": true, "apostle": true, "prophet": true, "actor": true, "actress": true, "singer": true}

var nameParticles = map[string]bool{"de": true, "van": true, "von": true, "da": true, "di": true, "du": true,
	"del": true, "della": true, "der": true, "den": true, "le": true, "la": true, "bin": true, "ibn": true, "al": true}

var nameSuffixes = map[string]bool{"jr": true, "sr": true, "2": true, "3": true, "4": true}

// rejectSpan says whether a gold occurrence over full tokens first..last must not count:
// negated or offered as one of several candidates (a final rejection of the answer), or part
// of a longer different name (that occurrence does not count; the result is not final).
func rejectSpan(tc *textCtx, atoks []textToken, first, last int, gtoks []textToken, answer string) (textResult, bool) {
	if w, neg := negatedBefore(atoks, first, answer); neg && !tc.negQ {
		return textResult{o: No, reason: "gold appears negated (\"" + w + "\")", final: true}, true
	}
	if negatedAfter(answer, atoks[last].e) && !tc.negQ {
		return textResult{o: No, reason: "gold mentioned only to be denied", final: true}, true
	}
	if hedgedAround(atoks, first, last, answer, strictGold(gtoks) && !tc.lowerAlias) {
		return textResult{o: No, reason: "gold offered as one of several candidates", final: true}, true
	}
	// a different entity containing the gold's words: the gold is followed by a capitalised name
	// ("Paris Hilton", "George Washington Carver"), or preceded by one when the question does
	// not ask for a person ("New York" for "York", "Michael Jordan" for "Jordan")
	// (a person's other names may surround a one-word gold: "Benny Hammond" for "Benny")
	partialName := tc.person && len(gtoks) == 1 && len(atoks) > 5
	if last+1 < len(atoks) && !partialName && len(atoks) <= 8 && atoks[last].cap && !isNumber(atoks[last].w) {
		nx := atoks[last+1]
		gap := gapText(answer, atoks[last], nx)
		if nx.cap && !stopWords[nx.w] && !isNumber(nx.w) && !descriptorWords[nx.w] && !nameSuffixes[nx.w] &&
			!isMonth(nx.w) && !containsWord(gtoks, nx.w) && strings.Trim(gap, " -") == "" && !sentenceStart(answer, nx.s) {
			return textResult{o: No, reason: "answer names a longer, different entity"}, true
		}
	}
	// a short answer that goes on after the gold names something else ("Nile crocodile",
	// "Sodium chloride", "Shakespeare in Love"), unless a descriptor follows ("Nile River")
	if len(atoks) <= 5 && !hasClauseWord(atoks) {
		afterStop := false
		for k := last + 1; k < len(atoks); k++ {
			if clauseBreak(answer, atoks[k-1].e, atoks[k].s) {
				break
			}
			w := atoks[k].w
			if stopWords[w] {
				afterStop = true
				continue
			}
			if tc.person && len(gtoks) == 1 && !afterStop && atoks[k].cap {
				continue // the rest of a person's name ("Benny Hammond" for "Benny")
			}
			if descriptorWords[w] || nameSuffixes[w] || containsWord(gtoks, w) || tc.inQuestion(w) || timeWords[w] || isNumber(w) {
				continue // "Bactrian camel" for "what is a camel with 2 humps", "9:15 am"
			}
			return textResult{o: No, reason: "answer names a longer, different thing"}, true
		}
	}
	if first > 0 && tc.question != "" && !tc.person && len(atoks) <= 5 {
		pv := atoks[first-1]
		gap := gapText(answer, pv, atoks[first])
		if pv.cap && !stopWords[pv.w] && !isNumber(pv.w) && !descriptorWords[pv.w] && !titleWords[pv.w] &&
			!isMonth(pv.w) && !containsWord(gtoks, pv.w) && strings.Trim(gap, " -") == "" {
			return textResult{o: No, reason: "answer names a longer, different entity"}, true
		}
	}
	return textResult{}, false
}

func isMonth(w string) bool { _, ok := monthNames[w]; return ok }

// sentenceStart reports whether the token at byte offset i starts the text or a sentence.
func sentenceStart(answer string, i int) bool {
	j := strings.TrimRight(answer[:i], " \t\"'“‘*(")
	return j == "" || strings.HasSuffix(j, ".") || strings.HasSuffix(j, "!") || strings.HasSuffix(j, "?") ||
		strings.HasSuffix(j, ":") || strings.HasSuffix(j, "\n")
}

// ---- answers that are lists of candidates ----------------------------------------------------

var reListEither = regexp.MustCompile(`(?i)\beither\b|\b(?:or|,)\s+(?:maybe|possibly|perhaps|probably)\b`)

var reListLead = regexp.MustCompile(`(?i)^(?:(?:so|thus|therefore|hence|well)[,:]?\s+)?(?:(?:i\s+think|i\s+believe|i\s+guess|probably|maybe|perhaps|possibly|likely)[,:]?\s+)?(?:(?:the\s+)?(?:final\s+|correct\s+)?answers?\s+(?:is|are|would\s+be|could\s+be|might\s+be|may\s+be)|it\s+(?:is|was|could\s+be|might\s+be|may\s+be|must\s+be|would\s+be)|it's|they\s+(?:are|were)|these\s+are|one\s+of|either|options?|choices?)\s*:?\s*`)

var reSentenceEnd = regexp.MustCompile(`[a-z0-9][a-z0-9]\.\s+`)

var reSortQ = regexp.MustCompile(`(?i)\b(?:sort|sorted|alphabetical(?:ly)?|alphabeti[sz]e|arrange|rank|order\s+(?:the|these|them))\b`)

var reYearAhead = regexp.MustCompile(`^\d{4}\b`)

var reEnumMarker = regexp.MustCompile(`(?m)^\s*(?:\d{1,2}|[a-z])[.)]\s+`)

var reGoldListSep = regexp.MustCompile(`\s*[,;\n]\s*|\s+(?:and|then)\s+`)

var reListSep = regexp.MustCompile(`\s*(?:[,;/|\n]|\s(?:or|and|nor|and/or|either)\s)\s*|\s+(?:or|nor)\s+`)

var clauseWords = map[string]bool{"play": true, "played": true, "won": true, "win": true, "became": true,
	"include": true, "includes": true, "including": true, "led": true, "said": true, "say": true, "wrote": true,
	"written": true, "named": true, "topped": true, "according": true, "means": true, "mean": true, "refers": true,
	"used": true, "held": true, "takes": true, "take": true, "took": true, "goes": true, "went": true, "born": true,
	"died": true, "released": true, "aired": true, "happened": true, "began": true, "started": true, "ended": true,
	"is": true, "was": true, "are": true, "were": true, "has": true, "have": true,
	"had": true, "be": true, "been": true, "will": true, "would": true, "can": true, "could": true, "did": true,
	"does": true, "do": true, "which": true, "that": true, "who": true, "because": true, "since": true,
	"when": true, "where": true, "while": true, "i": true, "we": true, "you": true, "he": true, "she": true,
	"they": true, "it": true, "this": true, "there": true, "if": true, "but": true, "also": true, "known": true,
	"called": true, "located": true, "found": true, "made": true}

func hasClauseWord(ts []textToken) bool {
	for _, t := range ts {
		if clauseWords[t.w] {
			return true
		}
	}
	return false
}

type listItem struct {
	text string
	sep  string // the separator before it
}

// listItems splits an answer that is a list of short noun phrases ("Paris, London or Rome",
// "Monday\nTuesday", "Mercury Venus Earth Mars") into its items; ok is false for prose.
// Separators in noSplit (those the gold itself contains) are not split on.
func listItems(answer, noSplit string, minRun int) ([]listItem, bool) {
	a := strings.TrimSpace(answer)
	if len(a) > 4000 {
		// both ends of a long answer, cut between words
		h, t := a[:2000], a[len(a)-2000:]
		if i := strings.LastIndexAny(h, " \n"); i > 0 {
			h = h[:i]
		}
		if i := strings.IndexAny(t, " \n"); i >= 0 {
			t = t[i+1:]
		}
		a = strings.ToValidUTF8(h+" "+t, "")
	}
	if proseSegments(a) {
		return nil, false
	}
	a = reEnumMarker.ReplaceAllString(a, "")
	if i := strings.LastIndex(a, ": "); i >= 0 && !strings.ContainsAny(a[:i], ".\n") {
		a = a[i+2:] // "Bennie and the Jets Release: 1973."
	}
	a = reListLead.ReplaceAllString(a, "")
	a = strings.TrimRight(a, ".!? ")
	if a == "" {
		return nil, false
	}
	var items []listItem
	locs := reListSep.FindAllStringIndex(a, -1)
	last, sep := 0, ""
	for _, l := range locs {
		s := strings.TrimSpace(a[l[0]:l[1]])
		if s != "" && (strings.Contains(noSplit, s) && (s == "," || s == ";") || (s == "and" || s == "or") && strings.Contains(noSplit, " "+s+" ")) {
			continue // the gold itself has this separator ("Rufus and Chaka Khan")
		}
		if s == "," && l[0] > 0 && a[l[0]-1] >= '0' && a[l[0]-1] <= '9' && reYearAhead.MatchString(a[l[1]:]) {
			continue // "October 1, 2006"
		}
		items = append(items, listItem{strings.TrimSpace(a[last:l[0]]), sep})
		if s == "" {
			s = "\n"
		}
		sep, last = s, l[1]
	}
	items = append(items, listItem{strings.TrimSpace(a[last:]), sep})
	// sentence-separated short items: "Lyon. Paris", "Yes. No." (not initials: "Gerald R. Ford")
	if len(items) == 1 && strings.Count(a, ". ") >= 1 {
		items = items[:0]
		last := 0
		for _, l := range reSentenceEnd.FindAllStringIndex(a, 64) {
			items = append(items, listItem{strings.TrimSpace(a[last : l[0]+1]), "."})
			last = l[1]
		}
		items = append(items, listItem{strings.TrimSpace(a[last:]), "."})
	}
	if len(items) == 1 {
		return spaceRun(a, minRun)
	}
	var out []listItem
	seen := map[string]bool{}
	for k, it := range items {
		t := strings.TrimSpace(strings.Trim(it.text, "*\"'“”‘’()[]{}$ "))
		if seen[strings.ToLower(t)] {
			continue // a repeated item counts once
		}
		seen[strings.ToLower(t)] = true
		toks := tokenize(t, 16)
		if len(toks) == 0 {
			continue
		}
		long := len(answer) > 4000 && (k == 0 || k == len(items)-1) // cut by the length bound
		if (len(toks) > 6 || len(contentWords(toks)) > 3) && !long {
			return spaceRun(a, minRun)
		}
		if len(toks) > 1 && prepositions[toks[0].w] && toks[0].w != "and" && toks[0].w != "or" {
			return nil, false // "with the song ...": prose, not a list
		}
		if len(toks) == 1 && nameSuffixes[toks[0].w] && len(out) > 0 {
			out[len(out)-1].text += " " + t // "David McCallum, Jr."
			continue
		}
		for _, tk := range toks {
			if clauseWords[tk.w] {
				return nil, false
			}
		}
		out = append(out, listItem{t, it.sep})
	}
	if len(out) >= 2 {
		return out, true
	}
	return spaceRun(a, minRun)
}

// proseSegments is a cheap test for running text: a stretch between separators of more than
// eight words that no "or"/"and" could split into list items.
func proseSegments(a string) bool {
	words, lower, start := 0, false, 0
	for i := 0; i <= len(a); i++ {
		if i == len(a) || strings.IndexByte(",;/|\n", a[i]) >= 0 {
			if words > 8 && lower {
				seg := a[start:i]
				if !strings.Contains(seg, " or ") && !strings.Contains(seg, " and ") && !strings.Contains(seg, " nor ") {
					return true
				}
			}
			words, lower, start = 0, false, i+1
			continue
		}
		if a[i] == ' ' {
			words++
			if i+1 < len(a) && a[i+1] >= 'a' && a[i+1] <= 'z' {
				lower = true // running text has lower-case words; a run of names does not
			}
		}
	}
	return false
}

// spaceRun splits an answer made of names without separators ("Mercury Venus Earth Mars
// Jupiter", "Monday Tuesday Wednesday") into items.
func spaceRun(a string, minRun int) ([]listItem, bool) {
	var out []listItem
	// space-separated runs: "Mercury Venus Earth Mars Jupiter", "Monday Tuesday Wednesday"
	toks := tokenize(a, 4096)
	if len(toks) < 3 || strings.ContainsAny(a, ",;/|") {
		return nil, false
	}
	class := classOf(toks[len(toks)/2].w)
	sameClass, allCap := class != "", true
	for k, t := range toks {
		okClass, okCap := classOf(t.w) == class, t.cap && !stopWords[t.w]
		if (k == 0 || k == len(toks)-1) && len(toks) > 20 && !(okClass && sameClass || okCap && allCap) {
			continue // a long run may be cut mid-word at either end
		}
		sameClass = sameClass && okClass
		allCap = allCap && okCap
	}
	if !sameClass && !(allCap && len(toks) >= minRun) {
		return nil, false
	}
	seen := map[string]bool{}
	for _, t := range toks {
		if !seen[t.w] && t.s < t.e && t.e <= len(a) {
			seen[t.w] = true
			out = append(out, listItem{a[t.s:t.e], " "})
		}
	}
	if len(out) == 1 {
		out = append(out, out[0]) // "42 42 42": one item repeated is still a list
	}
	return out, true
}

// mayBeList is a cheap prefilter: separators, a conjunction, or three or more words.
func mayBeList(a string) bool {
	if strings.ContainsAny(a, ",;/|\n") || strings.Contains(a, " or ") || strings.Contains(a, " and ") || strings.Contains(a, ". ") {
		return true
	}
	return strings.Count(strings.TrimSpace(a), " ") >= 2
}

// matchListAnswer judges an answer that lists candidates: every item a gold alias is correct;
// the gold among other candidates is a hedge.
func matchListAnswer(tc *textCtx, aliases []string, answer string) (textResult, bool) {
	if !mayBeList(answer) || len(answer) <= 4000 && proseSegments(answer) {
		return textResult{}, false
	}
	var noSplit strings.Builder
	for _, al := range aliases {
		noSplit.WriteString(al)
		noSplit.WriteString("\x00")
	}
	// the whole answer is an alias ("Covington, Kentucky")
	acontent := contentWords(tokenize(answer, 64))
	for _, al := range aliases {
		if g := contentWords(tokenize(al, 64)); len(g) > 0 && len(g) == len(acontent) && findSeq(acontent, g) == 0 {
			return textResult{}, false
		}
	}
	minRun := 4 // "Sydney Melbourne Canberra Perth"
	if tc.person {
		minRun = 5 // names run to four words ("Martin Luther King Jr")
	}
	items, ok := listItems(answer, noSplit.String(), minRun)
	if !ok {
		return textResult{}, false
	}
	matched, other := 0, 0
	firstMatched := false
	hedgeSep, either := false, false
	strict := false
	for _, al := range aliases {
		strict = strict || strictGold(contentWords(tokenize(al, 16)))
	}
	strict = strict && !tc.lowerAlias
	if reListEither.MatchString(answer) {
		either = true
	}
	for k, it := range items {
		itoks := tokenize(it.text, 32)
		hit := false
		for _, al := range aliases {
			if r := matchAlias(tc, al, itoks, it.text); r.o == Yes {
				hit = true
				break
			}
		}
		if len(itoks) > 1 && (preNegators[itoks[0].w] || itoks[0].w == "no") {
			continue // "not Lyon" is not a candidate
		}
		if hit {
			matched++
			if k == 0 {
				firstMatched = true
			}
		} else {
			other++
		}
		switch it.sep {
		case "or", "/", "|", "\n", ";", " ", "nor", "either", "and/or", ".":
			hedgeSep = true
		}
	}
	switch {
	case matched == 0:
		return textResult{}, false // prose matching decides
	case other == 0:
		return textResult{o: Yes, reason: "every item of the answer is a gold alias"}, true
	case (tc.plural || tc.multi) && !either:
		// the question asks for several things, or the gold lists several answers
		return textResult{o: Yes, reason: "answer lists several items, the gold's among them (several are asked for)"}, true
	case either || len(items) >= 3 || hedgeSep && strict:
		return textResult{o: No, reason: "gold offered among several candidates", final: true}, true
	case !strict:
		return textResult{o: Yes, reason: "gold named with a synonym or a second valid form"}, true
	case firstMatched:
		return textResult{o: No, reason: "answer adds another item to the gold (a qualifier or a second candidate)"}, true
	}
	return textResult{o: No, reason: "answer names two items, one of them the gold"}, true
}

// matchListGold compares an answer with a gold that is a list of three or more items (or two
// when the question asks for an order): item by item in order, or as a set when the question
// asks for one.
func matchListGold(tc *textCtx, gold, answer string) (textResult, bool) {
	if strings.ContainsAny(gold, "/|") {
		return textResult{}, false
	}
	if !strings.ContainsAny(gold, ",;\n") && !strings.Contains(gold, " and ") && !strings.Contains(gold, " then ") && tc.question == "" {
		return textResult{}, false
	}
	ordered := tc.ordered
	var gitems []string
	for _, p := range reGoldListSep.Split(strings.TrimSpace(gold), 64) {
		if p = strings.TrimSpace(strings.TrimSuffix(p, ".")); p != "" {
			gitems = append(gitems, p)
		}
	}
	if len(gitems) < 2 && ordered && reSortQ.MatchString(qhead(tc.question)) && !strings.Contains(gold, " or ") {
		gitems = strings.Fields(gold) // "apple banana cherry" for a sorting question
	}
	if len(gitems) < 3 && !(ordered && len(gitems) == 2) {
		return textResult{}, false
	}
	for _, it := range gitems {
		if len(tokenize(it, 8)) > 6 {
			return textResult{}, false
		}
	}
	atoks := tokenize(answer, 4096)
	used := make([]bool, len(atoks))
	pos := 0
	for _, it := range gitems {
		gt := contentWords(tokenize(it, 16))
		if len(gt) == 0 {
			continue
		}
		at := -1
		from := pos
		if tc.set {
			from = 0
		}
		for i := from; i+len(gt) <= len(atoks); i++ {
			ok := true
			for j := range gt {
				if used[i+j] || atoks[i+j].w != gt[j].w {
					ok = false
					break
				}
			}
			if ok {
				at = i
				break
			}
		}
		if at < 0 {
			if !tc.set && findSeq(atoks, gt) >= 0 {
				return textResult{o: No, reason: "the gold's items are not in the gold's order"}, true
			}
			return textResult{o: No, reason: "item \"" + it + "\" of the gold is missing"}, true
		}
		for j := range gt {
			used[at+j] = true
		}
		pos = at + len(gt)
	}
	if !tc.set {
		return textResult{o: Yes, reason: "every item of the gold found in order"}, true
	}
	return textResult{o: Yes, reason: "every item of the gold found"}, true
}

// ---- closed classes: days, months, directions ... ---------------------------------------------

var closedClasses = func() map[string]string {
	m := map[string]string{}
	add := func(class string, ws ...string) {
		for _, w := range ws {
			m[w] = class
		}
	}
	add("day", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
	add("month", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
	add("direction", "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest")
	add("season", "spring", "summer", "autumn", "fall", "winter")
	add("planet", "mercury", "venus", "earth", "mars", "jupiter", "saturn", "uranus", "neptune", "pluto")
	add("colour", "red", "orange", "yellow", "green", "blue", "indigo", "violet", "purple", "black", "white", "pink", "brown", "grey", "gray")
	add("suit", "heart", "diamond", "club", "spade")
	add("continent", "africa", "asia", "europe", "antarctica", "australia", "oceania")
	return m
}()

func classOf(w string) string { return closedClasses[w] }

// closedClassHedge rejects an answer that names several members of the gold's closed class
// (days, months, directions, seasons, planets, colours): three or more distinct ones is a
// hedge; two is left undecided. It returns Unknown with an empty reason when nothing applies.
func closedClassHedge(alias string, atoks []textToken, answer string) textResult {
	if l := strings.ToLower(strings.TrimSpace(alias)); strings.Contains(l, " ") && !strings.HasPrefix(l, "the ") || len(atoks) > 12 {
		return textResult{o: Unknown}
	}
	g := contentWords(tokenize(alias, 8))
	if len(g) != 1 || classOf(g[0].w) == "" || len(atoks) > 12 {
		return textResult{o: Unknown}
	}
	class := classOf(g[0].w)
	seen := map[string]bool{}
	for k, t := range atoks {
		if classOf(t.w) != class {
			continue
		}
		if _, neg := negatedBefore(atoks, k, answer); neg || negatedAfter(answer, t.e) {
			continue
		}
		if class == "month" && (k+1 < len(atoks) && isNumber(atoks[k+1].w) || k > 0 && isNumber(atoks[k-1].w)) && t.w != g[0].w {
			continue // a date elsewhere in the answer
		}
		seen[t.w] = true
	}
	switch {
	case len(seen) >= 3:
		return textResult{o: No, reason: "answer names several " + class + "s", final: true}
	case len(seen) == 2:
		return textResult{o: No, reason: "answer names two " + class + "s"}
	}
	return textResult{o: Unknown}
}

// ---- person names -------------------------------------------------------------------------------

// matchPersonName accepts, when the question asks for a person, a capitalised name in the answer
// that ends with the gold's surname and agrees with its given name (or initials): "Harlan" or
// "John Marshall Harlan" for "Justice Harlan", "Bhimrao Ramji Ambedkar" for "B. R. Ambedkar",
// "John G. Roberts Jr." for "John Roberts"; "Lena Serkis" for "Andy Serkis" does not.
func matchPersonName(tc *textCtx, gall, atoks []textToken, answer string) (textResult, bool) {
	if !tc.person || len(gall) < 2 || len(gall) > 5 || gall[0].w == "the" {
		return textResult{}, false
	}
	for k, t := range gall {
		if nameParticles[t.w] && k > 0 && k < len(gall)-1 {
			continue
		}
		if !t.cap || descriptorWords[t.w] || isNumber(t.w) && !(k == len(gall)-1 && nameSuffixes[t.w]) {
			return textResult{}, false // not a person's name ("Empire of Japan", "John II of Portugal")
		}
	}
	for k := len(gall) - 2; k >= 0; k-- {
		if titleWords[gall[k].w] {
			gall = gall[k+1:] // "U.S. President John F. Kennedy" -> "John F. Kennedy"
			break
		}
	}
	if len(gall) < 1 {
		return textResult{}, false
	}
	gi := len(gall) - 1
	for gi > 0 && nameSuffixes[gall[gi].w] {
		gi--
	}
	sur := gall[gi].w
	if len(sur) < 3 || titleWords[sur] || isNumber(sur) {
		return textResult{}, false
	}
	var given []string
	for _, t := range gall[:gi] {
		if !titleWords[t.w] && !stopWords[t.w] {
			given = append(given, t.w)
		}
	}
	for k, t := range atoks {
		if t.w != sur || !t.cap {
			continue
		}
		// the capitalised run ending at the surname
		lo := k
		for lo > 0 && k-lo < 4 && atoks[lo-1].cap && !stopWords[atoks[lo-1].w] && !strings.ContainsAny(strings.Trim(gapText(answer, atoks[lo-1], atoks[lo]), " "), ",;:()\n") {
			lo--
		}
		var run []string
		for _, r := range atoks[lo:k] {
			if !titleWords[r.w] {
				run = append(run, r.w)
			}
		}
		if len(given) > 0 && len(run) > 0 && !nameCompatible(run[0], given[0]) {
			continue
		}
		hi := k
		for hi+1 < len(atoks) && nameSuffixes[atoks[hi+1].w] {
			hi++
		}
		if r, bad := rejectSpan(tc, atoks, lo, hi, gall, answer); bad {
			return r, true
		}
		return textResult{o: Yes, reason: "the gold's person named in another form"}, true
	}
	return textResult{}, false
}

// nameCompatible: equal names, an initial that starts the other name, or a common short form
// of the other ("Dave" for "David").
func nameCompatible(a, b string) bool {
	if a == b {
		return true
	}
	if nicknames[a] == b || nicknames[b] == a || nicknames[a] != "" && nicknames[a] == nicknames[b] {
		return true
	}
	return len(a) == 1 && strings.HasPrefix(b, a) || len(b) == 1 && strings.HasPrefix(a, b)
}

// nicknames maps common English short forms of given names to the full name.
var nicknames = map[string]string{"dave": "david", "bob": "robert", "rob": "robert", "bobby": "robert",
	"bill": "william", "will": "william", "billy": "william", "mike": "michael", "mick": "michael",
	"jim": "james", "jimmy": "james", "tom": "thomas", "tommy": "thomas", "joe": "joseph", "chris": "christopher",
	"nick": "nicholas", "tony": "anthony", "dick": "richard", "rick": "richard", "ricky": "richard",
	"ted": "edward", "ed": "edward", "eddie": "edward", "steve": "steven", "dan": "daniel", "danny": "daniel",
	"sam": "samuel", "ben": "benjamin", "alex": "alexander", "andy": "andrew", "fred": "frederick",
	"jack": "john", "johnny": "john", "jon": "jonathan", "matt": "matthew", "pat": "patrick", "pete": "peter",
	"phil": "philip", "ron": "ronald", "ken": "kenneth", "larry": "lawrence", "charlie": "charles",
	"chuck": "charles", "greg": "gregory", "jerry": "gerald", "josh": "joshua", "liz": "elizabeth",
	"beth": "elizabeth", "kate": "katherine", "katie": "katherine", "cathy": "catherine", "sue": "susan",
	"jenny": "jennifer", "jen": "jennifer", "meg": "margaret", "maggie": "margaret", "peggy": "margaret",
	"becky": "rebecca", "vicky": "victoria", "abby": "abigail", "mandy": "amanda", "tim": "timothy",
	"doug": "douglas", "stan": "stanley", "walt": "walter", "al": "albert", "herb": "herbert"}

// dropDescriptors removes place and body descriptors from a multi-word gold ("Himadri Station"
// -> "Himadri", "the Caucasus Mountains" -> "Caucasus").
func dropDescriptors(g []textToken) []textToken {
	if len(g) < 2 {
		return nil
	}
	var out []textToken
	for _, t := range g {
		if !descriptorWords[t.w] {
			out = append(out, t)
		}
	}
	return out
}

// ---- copies of the question ------------------------------------------------------------------

// stripQuestionCopy blanks out the parts of an answer that repeat the question word for word
// (six or more tokens in a row, or nearly all of a short question), so that options listed in
// the question do not count as the answer's.
func stripQuestionCopy(question, answer string) string {
	if question == "" || answer == "" {
		return answer
	}
	qt := tokenize(question, 512)
	need := 6
	if len(qt) < 8 {
		need = max(4, len(qt)-1)
	}
	if len(qt) < need {
		return answer
	}
	at := tokenize(answer, 4096)
	if len(at) < need {
		return answer
	}
	pos := map[string][]int{}
	for j, t := range qt {
		if len(pos[t.w]) < 16 { // bounded: a word repeated all over the question is tried 16 times
			pos[t.w] = append(pos[t.w], j)
		}
	}
	cover := make([]bool, len(at))
	any := false
	for i := 0; i < len(at); {
		best := 0
		for _, j := range pos[at[i].w] {
			n := 0
			for i+n < len(at) && j+n < len(qt) && n < 256 && at[i+n].w == qt[j+n].w {
				n++
			}
			best = max(best, n)
			if best > 64 {
				break
			}
		}
		if best >= need {
			for k := i; k < i+best; k++ {
				cover[k] = true
			}
			any = true
			i += best
			continue
		}
		i++
	}
	if !any {
		return answer
	}
	// the copied runs become "…", which ends a clause (so the words around a copy are not read as
	// one name)
	var b strings.Builder
	last := 0
	for k := 0; k < len(cover); k++ {
		if !cover[k] {
			continue
		}
		j := k
		for j+1 < len(cover) && cover[j+1] {
			j++
		}
		if at[k].s >= last {
			b.WriteString(answer[last:at[k].s])
			b.WriteString(" … ")
			last = max(last, at[j].e)
		}
		k = j
	}
	b.WriteString(answer[last:])
	return b.String()
}

// rejectPartial is rejectContent for a partial or reordered match: it may make that match not
// count, but never rejects the whole answer (the words it found may be unrelated).
func rejectPartial(tc *textCtx, acontent, atoks []textToken, pos, n int, gtoks []textToken, answer string) (textResult, bool) {
	r, bad := rejectContent(tc, acontent, atoks, pos, n, gtoks, answer)
	r.final = false
	return r, bad
}

// rejectContent is rejectSpan for a match over content words acontent[pos:pos+n].
func rejectContent(tc *textCtx, acontent, atoks []textToken, pos, n int, gtoks []textToken, answer string) (textResult, bool) {
	if n <= 0 || pos < 0 || pos+n > len(acontent) {
		return textResult{}, false
	}
	return rejectSpan(tc, atoks, acontent[pos].i, acontent[pos+n-1].i, gtoks, answer)
}
