package benchmarks

import (
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/greason/greason/internal/pyrand"
	"github.com/greason/greason/verify"
)

const letters = "ABCDEFGHIJ"

// optionsBlock is the authors' form_options: "Options are:\n(A): ...\n(B): ...\n".
func optionsBlock(opts []string) string {
	var b strings.Builder
	b.WriteString("Options are:\n")
	for i, o := range opts {
		if i >= len(letters) {
			break
		}
		b.WriteString("(" + letters[i:i+1] + "): " + o + "\n")
	}
	return b.String()
}

// PaperLetter is the authors' get_prediction: the first of A..J (alphabetical order) that occurs
// as a substring of the extracted answer. ok=false means the random fallback applies.
func PaperLetter(extracted string) (string, bool) {
	for i := 0; i < len(letters); i++ {
		if strings.Contains(extracted, letters[i:i+1]) {
			return letters[i : i+1], true
		}
	}
	return "", false
}

// FallbackLetter is the seeded replacement of the authors' unseeded random.choice over A..J:
// a deterministic function of (seed, item id, sample), so re-scoring gives the same letter.
func FallbackLetter(seed uint64, id string, sample int) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	r := rand.New(rand.NewPCG(seed, h.Sum64()^uint64(sample)*0x9e3779b97f4a7c15))
	i := r.IntN(len(letters))
	return letters[i : i+1]
}

// scorePaperLetter is the MMLU-Pro / SuperGPQA rule of the paper's eval scripts.
func scorePaperLetter(it Item, response string, sc Scorer) Result {
	ext, found := verify.ExtractEvalScripts(response)
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Gold: it.Gold, Group: it.Group}
	if found {
		r.Pred, found = PaperLetter(ext)
	}
	if !found {
		r.Pred, r.Fallback = FallbackLetter(sc.Seed, it.ID, sc.Sample), true
		r.Reason = "no letter extracted: seeded random fallback"
	}
	r.Correct = r.Pred == it.Gold
	return r
}

var (
	mmluRepoAnswerIs = regexp.MustCompile(`answer is \(?([A-J])\)?`)
	mmluRepoAnswer   = regexp.MustCompile(`.*[aA]nswer:` + pySpaceClass + `*([A-J])`) // Python's \s is Unicode whitespace
)

// MMLUProRepoExtract is evaluate_from_local.py of the MMLU-Pro repository: "answer is (X)", else
// the first line holding `[aA]nswer:\s*X` (its last such occurrence: `.*` is greedy and does not
// cross newlines, but `\s*` does, and matches Unicode whitespace such as a no-break space), else the last standalone A–J letter (`\b[A-J]\b(?!.*\b[A-J]\b)`
// with DOTALL, where `\b` is Python's Unicode word boundary).
func MMLUProRepoExtract(text string) (string, bool) {
	if m := mmluRepoAnswerIs.FindStringSubmatch(text); m != nil {
		return m[1], true
	}
	if m := mmluRepoAnswer.FindStringSubmatch(text); m != nil {
		return m[1], true
	}
	return lastStandaloneLetter(text)
}

func isPyWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

func lastStandaloneLetter(text string) (string, bool) {
	for i := len(text) - 1; i >= 0; i-- {
		c := text[i]
		if c < 'A' || c > 'J' {
			continue
		}
		if i > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(text[:i]); isPyWord(prev) {
				continue
			}
		}
		if next, size := utf8.DecodeRuneInString(text[i+1:]); size > 0 && isPyWord(next) {
			continue
		}
		return string(c), true
	}
	return "", false
}

// mmluRepoFallback is the repository's None handling: random.seed(12345) then
// random.randint(0, len(options)-1) picks the option index that is scored.
func mmluRepoFallback(nOptions int) string {
	if nOptions <= 0 {
		nOptions = 10
	}
	x := pyrand.New(12345).RandInt(0, nOptions-1)
	return letters[x : x+1]
}
