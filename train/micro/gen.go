// Package micro is the CPU micro reproduction of the paper's two ablations: a generator of
// synthetic verifiable multi-domain questions whose answers can be written in many equivalent
// forms, a character-level tokenizer, a tiny Qwen3-architecture policy warm-started by SFT and
// trained with GRPO, a micro model verifier trained by SFT, and the experiment driver.
package micro

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/greason/greason/verify"
)

var rule = verify.RuleVerifier{}

// Item is one generated question with its gold answer (canonical form), equivalent correct
// forms (Forms[0] == Gold) and plausible wrong answers.
type Item struct {
	Domain   string   `json:"domain"`
	Group    string   `json:"group"` // "math", "physics" or "other" (ablation columns)
	Question string   `json:"question"`
	Gold     string   `json:"gold"`
	Forms    []string `json:"forms"`
	Wrong    []string `json:"wrong"`
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

// CanonicalProb is the probability that the warm-start (SFT) data writes the gold answer in
// exactly its canonical form; otherwise an equivalent variant is written. A string-match reward
// only recognises the canonical form, so its false negatives are common where this is low.
var CanonicalProb = map[string]float64{
	"arith": 0.2, "fraction": 0.2, "algebra": 0.2, "units": 0.2,
	"percent": 0.2, "list": 0.2, "boolean": 0.2, "choice": 0.2,
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func itoa(n int) string { return strconv.Itoa(n) }

func dec(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func offBy(r *rand.Rand, n int) int {
	d := 1 + r.IntN(2)
	if r.IntN(2) == 0 {
		d = -d
	}
	return n + d
}

// Generate draws one item of the domain.
func Generate(r *rand.Rand, domain string) Item {
	it := Item{Domain: domain, Group: GroupOf(domain)}
	switch domain {
	case "arith":
		a, b := 2+r.IntN(8), 2+r.IntN(8)
		var ans, wrong int
		switch r.IntN(3) {
		case 0:
			it.Question, ans, wrong = fmt.Sprintf("%d+%d=?", a, b), a+b, a*b
		case 1:
			a += b
			it.Question, ans, wrong = fmt.Sprintf("%d-%d=?", a, b), a-b, a+b
		default:
			it.Question, ans, wrong = fmt.Sprintf("%d*%d=?", a, b), a*b, a+b
		}
		it.Forms = []string{itoa(ans), itoa(ans) + ".0", itoa(ans) + ".00"}
		it.Wrong = []string{itoa(wrong), itoa(offBy(r, ans))}
	case "fraction":
		dens := []int{2, 4, 5, 8, 10}
		d := dens[r.IntN(len(dens))]
		a, b := 1+r.IntN(d), 1+r.IntN(d)
		n := a + b
		g := gcd(n, d)
		num, den := n/g, d/g
		it.Question = fmt.Sprintf("%d/%d+%d/%d=?", a, d, b, d)
		if den == 1 {
			it.Forms = []string{itoa(num), itoa(num) + ".0", fmt.Sprintf("%d/1", num)}
		} else {
			it.Forms = []string{fmt.Sprintf("%d/%d", num, den), dec(float64(num) / float64(den)), fmt.Sprintf("\\frac{%d}{%d}", num, den)}
		}
		it.Wrong = []string{fmt.Sprintf("%d/%d", n, 2*d), fmt.Sprintf("%d/%d", offBy(r, n), d)}
	case "algebra":
		a, b := 2+r.IntN(8), 2+r.IntN(8)
		v := []string{"x", "y", "t"}[r.IntN(3)]
		it.Question = fmt.Sprintf("Simplify %d%s+%d%s", a, v, b, v)
		s := a + b
		it.Forms = []string{fmt.Sprintf("%d%s", s, v), fmt.Sprintf("%d*%s", s, v), fmt.Sprintf("%s*%d", v, s)}
		it.Wrong = []string{fmt.Sprintf("%d%s", a*b, v), fmt.Sprintf("%d%s^2", s, v)}
	case "units":
		v, t := 2+r.IntN(8), 2+r.IntN(8)
		d := v * t
		it.Question = fmt.Sprintf("Speed %d m/s for %d s. Distance?", v, t)
		it.Forms = []string{fmt.Sprintf("%d m", d), fmt.Sprintf("%d cm", d*100), fmt.Sprintf("%s km", dec(float64(d)/1000))}
		it.Wrong = []string{fmt.Sprintf("%d m", v+t), fmt.Sprintf("%d cm", d)}
	case "percent":
		dens := []int{2, 4, 5, 10, 20, 25, 50}
		den := dens[r.IntN(len(dens))]
		num := 1 + r.IntN(den-1+1)
		if num > den {
			num = den
		}
		pct := num * 100 / den
		it.Question = fmt.Sprintf("%d of %d items sold. Percent sold?", num, den)
		it.Forms = []string{fmt.Sprintf("%d%%", pct), dec(float64(num) / float64(den)), fmt.Sprintf("%d percent", pct)}
		it.Wrong = []string{fmt.Sprintf("%d%%", 100-pct), fmt.Sprintf("%d%%", num)}
	case "list":
		n := 4 + r.IntN(27)
		var ds []string
		for k := 1; k <= n; k++ {
			if n%k == 0 {
				ds = append(ds, itoa(k))
			}
		}
		rev := make([]string, len(ds))
		for i, d := range ds {
			rev[len(ds)-1-i] = d
		}
		it.Question = fmt.Sprintf("List all divisors of %d", n)
		it.Forms = []string{strings.Join(ds, ", "), "{" + strings.Join(ds, ", ") + "}", strings.Join(rev, ", ")}
		it.Wrong = []string{strings.Join(ds[:len(ds)-1], ", "), strings.Join(append(append([]string(nil), ds...), itoa(n+1)), ", ")}
	case "boolean":
		a, b := 1+r.IntN(20), 1+r.IntN(20)
		if a == b {
			b++
		}
		it.Question = fmt.Sprintf("Is %d > %d? True or False", a, b)
		if a > b {
			it.Forms = []string{"True", "Yes", "\\text{yes}"}
			it.Wrong = []string{"False", "No"}
		} else {
			it.Forms = []string{"False", "No", "\\text{no}"}
			it.Wrong = []string{"True", "Yes"}
		}
	case "choice":
		vals := r.Perm(20)[:3]
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
		other := string(letters[(best+1)%3])
		it.Wrong = []string{other, string(letters[(best+2)%3])}
	default:
		panic("micro: unknown domain " + domain)
	}
	it.Gold = it.Forms[0]
	// Drop "wrong" answers that happen to be equivalent to the gold (e.g. 100−50 = 50).
	var wrong []string
	for _, w := range it.Wrong {
		if rule.Check(it.Question, it.Gold, w).Outcome != verify.Yes {
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
