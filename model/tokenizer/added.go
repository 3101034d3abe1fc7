package tokenizer

import (
	"sort"
	"strings"
)

// addedMatcher finds added tokens in text, leftmost first and longest at a position, like
// HF's AddedVocabulary (Aho-Corasick, MatchKind::LeftmostLongest).
type addedMatcher struct {
	first [256]bool        // bytes that start some added token
	byLen map[byte][]entry // first byte -> candidates, longest first
}

type entry struct {
	content string
	id      int
}

func newAddedMatcher(toks []AddedToken) addedMatcher {
	m := addedMatcher{byLen: map[byte][]entry{}}
	for _, a := range toks {
		c := a.Content[0]
		m.first[c] = true
		m.byLen[c] = append(m.byLen[c], entry{a.Content, a.ID})
	}
	for _, es := range m.byLen {
		sort.SliceStable(es, func(i, j int) bool { return len(es[i].content) > len(es[j].content) })
	}
	return m
}

// split calls fn for each maximal stretch of text without added tokens (id -1) and for each
// added token found (its id), in order. Empty stretches are not reported.
func (m *addedMatcher) split(text string, fn func(seg string, id int)) {
	if len(m.byLen) == 0 {
		if text != "" {
			fn(text, -1)
		}
		return
	}
	start := 0
	for i := 0; i < len(text); i++ {
		if !m.first[text[i]] {
			continue
		}
		for _, e := range m.byLen[text[i]] {
			if strings.HasPrefix(text[i:], e.content) {
				if start < i {
					fn(text[start:i], -1)
				}
				fn(e.content, e.id)
				start = i + len(e.content)
				i = start - 1
				break
			}
		}
	}
	if start < len(text) {
		fn(text[start:], -1)
	}
}
