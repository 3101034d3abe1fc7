// Package micro is the CPU micro reproduction of the paper's two ablations: a generator of
// synthetic verifiable multi-domain questions whose answers can be written in many equivalent
// forms, a character-level tokenizer, a tiny Qwen3-architecture policy warm-started by SFT and
// trained with GRPO, a micro model verifier trained by SFT, and the experiment driver.
package micro

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Item is one generated question with its gold answer, the equivalent correct forms of that
// answer (Gold is one of them), plausible wrong answers and what the answer means (the
// oracle's ground truth, set from the numbers drawn, never parsed from a string).
type Item struct {
	Domain   string   `json:"domain"`
	Group    string   `json:"group"` // "math", "physics" or "other" (ablation columns)
	Question string   `json:"question"`
	Gold     string   `json:"gold"`
	Forms    []string `json:"forms"`
	Wrong    []string `json:"wrong"`
	Meaning  Meaning  `json:"meaning"`
}

// Domains lists the generator's domains; MathDomains are those of the math-only ablation.
var (
	Domains     = []string{"arith", "fraction", "algebra", "units", "percent", "list", "boolean", "choice"}
	MathDomains = []string{"arith", "fraction", "algebra"}
)

// GroupOf maps a domain to its held-out group.
func GroupOf(domain string) string {
	switch domain {
	case "arith", "fraction", "algebra":
		return "math"
	case "units":
		return "physics"
	}
	return "other"
}

func itoa(n int) string { return strconv.Itoa(n) }

func dec(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Generate draws one item of the domain.
//
// Every domain is a procedure a small model can learn and apply to questions it has never seen
// (composing place values, shifting a decimal point, adding like terms, converting units,
// reading a percentage change, filtering odd numbers, comparing, picking the largest option);
// the question spaces are large enough that the held-out questions are new ones, not facts the
// policy could only have memorised.
//
// The gold answer is one of the equivalent forms drawn at random, as in WebInstruct, where each
// source writes its reference answer its own way (\frac{1}{2}, 0.5, 50%; 2.35 m or 235 cm) and
// nothing in the question says which. Wrong answers that happen to mean the answer are dropped
// (judged by the oracle).
func Generate(r *rand.Rand, domain string) Item {
	it := Item{Domain: domain, Group: GroupOf(domain)}
	switch domain {
	case "arith": // place-value composition: 300+40+7 = 347
		h, t, u := r.IntN(10), 1+r.IntN(9), 1+r.IntN(9)
		ans := 100*h + 10*t + u
		if h == 0 {
			it.Question = fmt.Sprintf("%d+%d=?", 10*t, u)
		} else {
			it.Question = fmt.Sprintf("%d+%d+%d=?", 100*h, 10*t, u)
		}
		it.Forms = []string{itoa(ans), itoa(ans) + ".0", dec(float64(ans)/10) + " \\times 10"}
		it.Wrong = []string{itoa(100*h + 10*u + t), itoa(ans + 10), itoa(10 * ans)}
		it.Meaning = Meaning{Kind: "number", Value: ratString(int64(ans), 1)}
	case "fraction": // a decimal point shift: 347/100 = 3.47
		n := 11 + r.IntN(989)
		if n%10 == 0 {
			n++
		}
		d := []int{10, 100}[r.IntN(2)]
		it.Question = fmt.Sprintf("Divide %d by %d", n, d)
		it.Forms = []string{dec(float64(n) / float64(d)), fmt.Sprintf("%d/%d", n, d), fmt.Sprintf("\\frac{%d}{%d}", n, d)}
		it.Wrong = []string{dec(float64(n) / float64(10*d)), dec(float64(n) * 10 / float64(d))}
		it.Meaning = Meaning{Kind: "number", Value: ratString(int64(n), int64(d))}
	case "algebra": // like terms: 3x+4x = 7x
		a, b := 1+r.IntN(9), 1+r.IntN(9)
		v := string(rune('a' + r.IntN(26)))
		if v == "e" || v == "i" {
			v = "x" // e and i read as constants
		}
		it.Question = fmt.Sprintf("Simplify %d%s+%d%s", a, v, b, v)
		s := a + b
		it.Forms = []string{fmt.Sprintf("%d%s", s, v), fmt.Sprintf("%d*%s", s, v), fmt.Sprintf("%s*%d", v, s)}
		it.Wrong = []string{fmt.Sprintf("%d%s", a*b, v), fmt.Sprintf("%d%s^2", s, v)}
		it.Meaning = Meaning{Kind: "monomial", Value: ratString(int64(s), 1), Var: v, Power: 1}
	case "units": // mixed units: 2 m + 35 cm = 2.35 m = 235 cm
		big, small := 1+r.IntN(9), 1+r.IntN(99)
		type pair struct {
			b, s, fine, dim string
			ratio, base     int // small units per big unit; small units per base unit (metre, gram)
		}
		p := []pair{{"m", "cm", "mm", "length", 100, 100}, {"kg", "g", "mg", "mass", 1000, 1}, {"km", "m", "cm", "length", 1000, 1}}[r.IntN(3)]
		if p.ratio == 1000 {
			small = 10 * small // 350 g, 350 m: whole tens keep the answers short
		}
		total := big*p.ratio + small
		it.Question = fmt.Sprintf("%d %s + %d %s = ?", big, p.b, small, p.s)
		fineScale := map[string]int{"mm": 10, "mg": 1000, "cm": 100}[p.fine]
		it.Forms = []string{dec(float64(total)/float64(p.ratio)) + " " + p.b, itoa(total) + " " + p.s, itoa(total*fineScale) + " " + p.fine}
		it.Wrong = []string{itoa(big+small) + " " + p.b, dec(float64(total)/float64(p.ratio)) + " " + p.s}
		it.Meaning = Meaning{Kind: "quantity", Dim: p.dim, Value: ratString(int64(total), int64(p.base))}
	case "percent": // a price change read as a percentage: 100 → 137 is 37%
		pct := 1 + r.IntN(99)
		base := []int{100, 1000}[r.IntN(2)]
		it.Question = fmt.Sprintf("Price rose from %d to %d. Change?", base, base+pct*base/100)
		it.Forms = []string{fmt.Sprintf("%d%%", pct), dec(float64(pct) / 100), fmt.Sprintf("%d percent", pct)}
		it.Wrong = []string{fmt.Sprintf("%d%%", 100+pct), fmt.Sprintf("%d%%", 100-pct)}
		it.Meaning = Meaning{Kind: "number", Value: ratString(int64(pct), 100)}
	case "list": // filter: the odd numbers of a list, in any order
		var nums, odd, even []string
		var oddSet []int
		for _, v := range r.Perm(49)[:4+r.IntN(2)] {
			v++
			nums = append(nums, itoa(v))
			if v%2 == 1 {
				odd = append(odd, itoa(v))
				oddSet = append(oddSet, v)
			} else {
				even = append(even, itoa(v))
			}
		}
		if len(odd) == 0 || len(even) == 0 {
			return Generate(r, domain)
		}
		rev := make([]string, len(odd))
		for i, d := range odd {
			rev[len(odd)-1-i] = d
		}
		it.Question = "Odd numbers in " + strings.Join(nums, ", ") + "?"
		it.Forms = []string{strings.Join(odd, ", "), "{" + strings.Join(odd, ", ") + "}", strings.Join(rev, ", ")}
		it.Wrong = []string{strings.Join(even, ", "), strings.Join(nums, ", ")}
		if len(odd) > 1 {
			it.Wrong = append(it.Wrong, strings.Join(odd[1:], ", "))
		}
		slices.Sort(oddSet)
		it.Meaning = Meaning{Kind: "set", Set: oddSet}
	case "boolean":
		a, b := 1+r.IntN(99), 1+r.IntN(99)
		if a == b {
			b++
		}
		it.Question = fmt.Sprintf("Is %d > %d? True or False", a, b)
		if a > b {
			it.Forms = []string{"True", "Yes", "correct"}
			it.Wrong = []string{"False", "No"}
		} else {
			it.Forms = []string{"False", "No", "incorrect"}
			it.Wrong = []string{"True", "Yes"}
		}
		it.Meaning = Meaning{Kind: "truth", Truth: a > b}
	case "choice":
		vals := r.Perm(100)[:3]
		best := 0
		for i, v := range vals {
			if v > vals[best] {
				best = i
			}
		}
		letters := "ABC"
		it.Question = fmt.Sprintf("Largest? (A) %d (B) %d (C) %d", vals[0], vals[1], vals[2])
		L := string(letters[best])
		it.Forms = []string{L, "(" + L + ")", L + ": " + itoa(vals[best])}
		it.Wrong = []string{string(letters[(best+1)%3]), string(letters[(best+2)%3])}
		it.Meaning = Meaning{Kind: "choice", Choice: L, Options: vals}
	default:
		panic("micro: unknown domain " + domain)
	}
	it.Gold = it.Forms[r.IntN(len(it.Forms))]
	// Drop "wrong" answers that happen to mean the answer.
	var wrong []string
	for _, w := range it.Wrong {
		if !OracleAnswer(it.Meaning, w) {
			wrong = append(wrong, w)
		}
	}
	it.Wrong = wrong
	return it
}

// Dataset draws n items uniformly over domains, never repeating a question and skipping any
// question in exclude (so held-out sets are disjoint from training sets).
func Dataset(seed uint64, n int, domains []string, exclude map[string]bool) []Item {
	r := rand.New(rand.NewPCG(seed, 0xda7a))
	seen := map[string]bool{}
	var out []Item
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		it := Generate(r, domains[r.IntN(len(domains))])
		if seen[it.Question] || exclude[it.Question] {
			continue
		}
		seen[it.Question] = true
		out = append(out, it)
	}
	return out
}
