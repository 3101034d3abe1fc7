package verify

import (
	"regexp"
	"strings"
)

// Verdict-like answers: truth values (true/yes/correct/valid), proof status (proved/proven,
// disproved/disproven), entailment labels (entailment/entails, contradiction/contradicts,
// neutral) and "unknown" ("cannot be determined", "undetermined"), a real answer in logic
// tasks. Inflections of one lemma are the same verdict; naming several verdicts is a hedge.

type verdict struct{ class, value string }

var verdictWords = map[string]verdict{
	"true": {"truth", "true"}, "yes": {"truth", "true"}, "correct": {"truth", "true"}, "valid": {"truth", "true"},
	"right": {"truth", "true"}, "false": {"truth", "false"}, "no": {"truth", "false"}, "incorrect": {"truth", "false"},
	"wrong": {"truth", "false"}, "invalid": {"truth", "false"}, "untrue": {"truth", "false"},
	"proved": {"proof", "proved"}, "proven": {"proof", "proved"}, "prove": {"proof", "proved"}, "provable": {"proof", "proved"},
	"disproved": {"proof", "disproved"}, "disproven": {"proof", "disproved"}, "disprove": {"proof", "disproved"},
	"refuted":    {"proof", "disproved"},
	"entailment": {"entail", "entailment"}, "entailed": {"entail", "entailment"}, "entail": {"entail", "entailment"},
	"entailing": {"entail", "entailment"}, "entails": {"entail", "entailment"},
	"contradiction": {"entail", "contradiction"}, "contradict": {"entail", "contradiction"},
	"contradicts": {"entail", "contradiction"}, "contradicted": {"entail", "contradiction"},
	"contradictory": {"entail", "contradiction"}, "neutral": {"entail", "neutral"},
	"unknown": {"any", "unknown"}, "undetermined": {"any", "unknown"}, "indeterminate": {"any", "unknown"},
	"uncertain": {"any", "unknown"}, "undeterminable": {"any", "unknown"}, "undecidable": {"any", "unknown"},
}

// goldOnlyExcluded are verdict words that, as a gold, usually mean something else ("right" is
// a direction).
var goldOnlyExcluded = map[string]bool{"right": true, "prove": true, "entail": true, "contradict": true}

var reUnknownPhrase = regexp.MustCompile(`(?i)\b(?:can\s*not|can't|cannot|could\s+not|couldn't|impossible\s+to|not\s+possible\s+to|unable\s+to)\s+(?:be\s+)?(?:determined?|tell|told|known?|decided?|say|conclude|concluded)\b|\bnot\s+(?:enough|sufficient)\s+information\b|\binsufficient\s+information\b|\bnot\s+determinable\b|\bnot\s+determined\b`)

var verdictNegators = map[string]bool{"not": true, "isn": true, "never": true, "non": true, "doesn": true, "wasn": true, "aren": true}

var verdictStems = []string{"tru", "yes", "correct", "valid", "fals", "no", "wrong", "prov", "refut",
	"entail", "contradict", "neutral", "unknown", "determin", "certain", "decid", "tell", "told", "know", "say",
	"conclu", "information"}

// mayBeVerdict is a cheap prefilter for parseVerdictGold.
func mayBeVerdict(s string) bool {
	l := strings.ToLower(s)
	for _, w := range verdictStems {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// mayBeUnknownPhrase is a cheap prefilter for reUnknownPhrase.
func mayBeUnknownPhrase(s string) bool {
	l := strings.ToLower(s)
	for _, w := range []string{"determin", "tell", "told", "know", "decid", "say", "conclu", "information"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// parseVerdictGold reads a gold that is one verdict ("Yes", "\text{disproven}", "not
// entailment", "cannot be determined").
func parseVerdictGold(g string) (verdict, bool) {
	if len(g) > 40 || strings.ContainsAny(g, "0123456789") || !mayBeVerdict(g) {
		return verdict{}, false
	}
	for _, cmd := range []string{`\text{`, `\textbf{`, `\mathrm{`, `\mbox{`, `\textit{`, `\mathbf{`} {
		g = unwrapCommand(g, cmd)
	}
	if mayBeUnknownPhrase(g) && reUnknownPhrase.MatchString(g) && len(tokenize(g, 8)) <= 5 {
		return verdict{"any", "unknown"}, true
	}
	toks := tokenize(g, 8)
	neg := false
	switch {
	case len(toks) == 2 && verdictNegators[toks[0].w]:
		neg = true
		toks = toks[1:]
	case len(toks) != 1:
		return verdict{}, false
	}
	if goldOnlyExcluded[toks[0].w] {
		return verdict{}, false
	}
	v, ok := verdictWords[toks[0].w]
	if !ok {
		return verdict{}, false
	}
	if neg {
		v = negateVerdict(v)
	}
	return v, true
}

func negateVerdict(v verdict) verdict {
	if v.class == "truth" {
		if v.value == "true" {
			return verdict{"truth", "false"}
		}
		return verdict{"truth", "true"}
	}
	return verdict{v.class, "not " + v.value}
}

// answerVerdicts lists the distinct verdicts an answer states in its first sentence (at most
// 40 words), negations applied ("not true" is false, "not entailment" its own label).
func answerVerdicts(class, answer string) []verdict {
	head := answer
	if len(head) > 600 {
		head = head[:600]
	}
	var out []verdict
	addV := func(v verdict) {
		for _, o := range out {
			if o == v {
				return
			}
		}
		out = append(out, v)
	}
	if mayBeUnknownPhrase(head) && reUnknownPhrase.MatchString(head) {
		addV(verdict{"any", "unknown"})
	}
	toks := tokenize(head, 40)
	negAt := -10
	for k, t := range toks {
		if len(out) > 0 && k > 0 && strings.ContainsAny(gapText(head, toks[k-1], t), ".;!?\n") {
			// the first sentence that states a verdict decides, unless the next one is only
			// another verdict ("Yes. No.")
			n := k
			for n < len(toks) && (n == k || !strings.ContainsAny(gapText(head, toks[n-1], toks[n]), ".;!?\n")) {
				n++
			}
			if n-k > 3 {
				break
			}
		}
		if verdictNegators[t.w] {
			negAt = k
			continue
		}
		v, ok := verdictWords[t.w]
		if !ok || v.class != class && v.class != "any" && class != "any" {
			continue // (a gold "unknown" competes with every other verdict)
		}
		if t.w == "right" && k+1 < len(toks) && (toks[k+1].w == "side" || toks[k+1].w == "hand") {
			continue
		}
		if k-negAt <= 2 {
			v = negateVerdict(v)
		}
		addV(v)
	}
	return out
}

// checkVerdict compares an answer with a verdict gold.
func checkVerdict(gold verdict, answer string) Result {
	vs := answerVerdicts(gold.class, answer)
	switch {
	case len(vs) == 0:
		if isRefusal(answer) {
			return Result{Outcome: No, Type: "verdict", Reason: "answer declines to answer", Final: len(tokenize(answer, 16)) <= 12}
		}
		return Result{Outcome: Unknown, Type: "verdict", Reason: "no verdict in the answer"}
	case len(vs) > 1:
		return Result{Outcome: No, Type: "verdict", Reason: "hedged: several verdicts in the answer", Final: true}
	case vs[0] == gold:
		return Result{Outcome: Yes, Type: "verdict", Reason: "same verdict (" + gold.value + ")"}
	}
	return Result{Outcome: No, Type: "verdict", Reason: "verdict " + vs[0].value + " instead of " + gold.value}
}
