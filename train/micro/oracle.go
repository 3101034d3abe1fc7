package micro

// The oracle: the micro experiment's evaluator. The generator knows what every question's answer
// means (a value, a value with a unit, a monomial, a set of numbers, a truth value, an option);
// the oracle reads a response written in the generator's grammar, parses its answer into a
// meaning and compares meanings exactly (rational arithmetic, no tolerance). It shares no code
// with any reward: this file must not import package verify (a test checks), and nothing here
// is used by a reward. Rewards are judged against it, never the other way round.

import (
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// Meaning is what an item's answer means, independent of how it is written. The generator
// fills it from the numbers it drew, not by parsing the gold string.
type Meaning struct {
	// Kind is one of number (a rational value: arith, fraction, percent), monomial (Coef·Var^Power:
	// algebra), quantity (a value in the dimension's base unit, metre or gram: units), set (a
	// multiset of integers in any order: list), truth (boolean) and choice (an option letter).
	Kind    string `json:"kind"`
	Value   string `json:"value,omitempty"` // exact rational "p/q" (number, monomial coefficient, quantity in the base unit)
	Var     string `json:"var,omitempty"`   // monomial variable
	Power   int    `json:"power,omitempty"` // monomial power
	Dim     string `json:"dim,omitempty"`   // quantity: "length" or "mass"
	Set     []int  `json:"set,omitempty"`   // set: the members, sorted
	Truth   bool   `json:"truth,omitempty"`
	Choice  string `json:"choice,omitempty"`  // choice: the correct option's letter
	Options []int  `json:"options,omitempty"` // choice: the options' values, A, B, C ...
}

func ratString(num, den int64) string { return big.NewRat(num, den).RatString() }

// OracleExtract reads the answer of a response in the generator's grammar, `\boxed{ANSWER}`: the
// response must hold exactly one box; the answer is its brace-balanced content, trimmed. Text
// around the box (a stray brace, <|im_end|>) is not part of the answer and is ignored. A response
// without a box, with two, or whose box never closes has no answer.
func OracleExtract(response string) (string, bool) {
	const open = `\boxed{`
	i := strings.Index(response, open)
	if i < 0 || strings.Count(response, `\boxed`) != 1 {
		return "", false
	}
	depth := 1
	for j := i + len(open); j < len(response); j++ {
		switch response[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return strings.TrimSpace(response[i+len(open) : j]), true
			}
		}
	}
	return "", false // the box never closes (a truncated response)
}

// OracleCorrect reports whether a response to it is correct: an answer in the generator's
// grammar whose meaning is it.Meaning.
func OracleCorrect(it Item, response string) bool {
	a, ok := OracleExtract(response)
	return ok && OracleAnswer(it.Meaning, a)
}

// OracleAnswer reports whether an extracted answer means m. What does not change a meaning is
// allowed: spaces around operators, separators and units, and LaTeX grouping braces around the
// whole answer ({46.3} renders as 46.3); anything else outside the forms' grammar is wrong.
func OracleAnswer(m Meaning, answer string) bool {
	r, ok := ReadAnswer(m, answer)
	return ok && r.Canon() == m.Canon()
}

// ReadAnswer reads an answer as a meaning of m's kind (a choice among m's options); ok is false
// when the answer has no such meaning.
func ReadAnswer(m Meaning, answer string) (Meaning, bool) {
	a := ungroup(strings.TrimSpace(answer))
	r := Meaning{Kind: m.Kind}
	switch m.Kind {
	case "number":
		v, ok := parseNumber(a)
		if !ok {
			return r, false
		}
		r.Value = v.RatString()
	case "monomial":
		c, v, p, ok := parseMonomial(a)
		if !ok {
			return r, false
		}
		r.Value, r.Var, r.Power = c.RatString(), v, p
	case "quantity":
		v, dim, ok := parseQuantity(a)
		if !ok {
			return r, false
		}
		r.Value, r.Dim = v.RatString(), dim
	case "set":
		s, ok := parseIntSet(a)
		if !ok {
			return r, false
		}
		r.Set = s
	case "truth":
		t, ok := parseTruth(a)
		if !ok {
			return r, false
		}
		r.Truth = t
	case "choice":
		l, ok := parseChoice(a, m.Options)
		if !ok {
			return r, false
		}
		r.Choice, r.Options = l, m.Options
	default:
		return r, false
	}
	return r, true
}

// Canon writes a meaning one way only: equal meanings have equal Canon strings (numbers as exact
// decimals, or p/q when not terminating; units in metres or grams; sets sorted; T or F; the
// option letter).
func (m Meaning) Canon() string {
	switch m.Kind {
	case "number":
		return canonNum(mustRat(m.Value))
	case "monomial":
		s := canonNum(mustRat(m.Value)) + m.Var
		if m.Power != 1 {
			s += "^" + strconv.Itoa(m.Power)
		}
		return s
	case "quantity":
		return canonNum(mustRat(m.Value)) + map[string]string{"length": " m", "mass": " g"}[m.Dim]
	case "set":
		parts := make([]string, len(m.Set))
		for i, v := range m.Set {
			parts[i] = strconv.Itoa(v)
		}
		return "{" + strings.Join(parts, ",") + "}"
	case "truth":
		if m.Truth {
			return "T"
		}
		return "F"
	case "choice":
		return m.Choice
	}
	return "?"
}

// canonNum writes a rational as an exact decimal when it terminates, else as p/q.
func canonNum(r *big.Rat) string {
	d := new(big.Int).Set(r.Denom())
	digits := 0
	for _, f := range []int64{2, 5} {
		q, m := new(big.Int), new(big.Int)
		for {
			q.DivMod(d, big.NewInt(f), m)
			if m.Sign() != 0 {
				break
			}
			d.Set(q)
			digits++
		}
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return r.RatString()
	}
	s := r.FloatString(digits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// ungroup removes braces that enclose the whole string (repeatedly) and the spaces inside them.
func ungroup(s string) string {
	for len(s) >= 2 && s[0] == '{' && matchingBrace(s) == len(s)-1 {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// matchingBrace is the index of the brace closing s[0], or -1.
func matchingBrace(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func mustRat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("micro: oracle meaning holds a malformed value " + strconv.Quote(s))
	}
	return r
}

// parseDecimal reads -?digits(.digits)? exactly (no exponent, no leading '+', at most 18 digits
// on each side so garbage cannot blow up); grouping braces around it are allowed.
func parseDecimal(s string) (*big.Rat, bool) {
	s = ungroup(strings.TrimSpace(s))
	t := strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(t, ".")
	if !allDigits(intPart) || len(intPart) > 18 || (hasDot && (!allDigits(frac) || len(frac) > 18)) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func allDigits(s string) bool {
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

// parseNumber reads the generator's number forms: a decimal (347, 347.0, 3.47), a fraction
// (347/100, \frac{347}{100}, also \dfrac and \tfrac), a product of two decimals with \times
// (34.7 \times 10; also \cdot and *) and a percentage (37%, 37 percent: 37/100).
func parseNumber(s string) (*big.Rat, bool) {
	if v, ok := parseDecimal(s); ok {
		return v, true
	}
	for _, cmd := range []string{`\frac`, `\dfrac`, `\tfrac`} {
		if inner, ok := strings.CutPrefix(s, cmd); ok {
			inner = strings.TrimSpace(inner)
			end := matchingBrace(inner)
			if !strings.HasPrefix(inner, "{") || end < 0 {
				return nil, false
			}
			den := strings.TrimSpace(inner[end+1:])
			if !strings.HasPrefix(den, "{") || matchingBrace(den) != len(den)-1 {
				return nil, false
			}
			return ratio(inner[1:end], den[1:len(den)-1])
		}
	}
	if n, d, found := strings.Cut(s, "/"); found {
		return ratio(n, d)
	}
	for _, op := range []string{`\times`, `\cdot`, "*"} {
		if a, b, found := strings.Cut(s, op); found {
			x, ok1 := parseDecimal(a)
			y, ok2 := parseDecimal(b)
			if !ok1 || !ok2 {
				return nil, false
			}
			return new(big.Rat).Mul(x, y), true
		}
	}
	for _, suf := range []string{"%", "percent"} {
		if p, ok := strings.CutSuffix(s, suf); ok {
			if x, ok := parseDecimal(p); ok {
				return x.Quo(x, big.NewRat(100, 1)), true
			}
		}
	}
	return nil, false
}

func ratio(n, d string) (*big.Rat, bool) {
	x, ok1 := parseDecimal(n)
	y, ok2 := parseDecimal(d)
	if !ok1 || !ok2 || y.Sign() == 0 {
		return nil, false
	}
	return x.Quo(x, y), true
}

// parseMonomial reads Cv, C*v, v*C, v (C = 1), each with an optional ^P right after the variable
// (spaces allowed around * and ^): a coefficient, a one-letter variable and a power.
func parseMonomial(s string) (coef *big.Rat, v string, power int, ok bool) {
	for _, op := range []string{"*", "^"} { // spaces around the operators do not change a monomial
		for strings.Contains(s, " "+op) || strings.Contains(s, op+" ") {
			s = strings.ReplaceAll(strings.ReplaceAll(s, " "+op, op), op+" ", op)
		}
	}
	power = 1
	if base, p, found := strings.Cut(s, "^"); found {
		// the power belongs to the variable: it must follow the letter directly (x*7^2 is not 7x^2)
		p = ungroup(p)
		n, err := strconv.Atoi(p)
		if err != nil || !allDigits(p) || n < 1 || n > 99 || base == "" || base[len(base)-1] < 'a' || base[len(base)-1] > 'z' {
			return nil, "", 0, false
		}
		s, power = base, n
	}
	isVar := func(t string) bool { return len(t) == 1 && t[0] >= 'a' && t[0] <= 'z' }
	if isVar(s) {
		return big.NewRat(1, 1), s, power, true
	}
	if a, b, found := strings.Cut(s, "*"); found {
		switch {
		case isVar(b): // C*v
			c, ok := parseDecimal(a)
			return c, b, power, ok
		case isVar(a): // v*C
			c, ok := parseDecimal(b)
			return c, a, power, ok
		}
		return nil, "", 0, false
	}
	if n := len(s); n >= 2 && isVar(s[n-1:]) { // Cv
		c, ok := parseDecimal(s[:n-1])
		return c, s[n-1:], power, ok
	}
	return nil, "", 0, false
}

// unitScale is each unit's dimension and size in the dimension's base unit (metre, gram): the
// generator's units (mm, cm, m, km; mg, g, kg) and the other SI prefixes from milli to kilo, which
// mean what they mean even though the generator never writes them (255000 cg is 2550 g).
var unitScale = map[string]struct {
	dim   string
	scale *big.Rat
}{
	"mm": {"length", big.NewRat(1, 1000)}, "cm": {"length", big.NewRat(1, 100)}, "dm": {"length", big.NewRat(1, 10)},
	"m": {"length", big.NewRat(1, 1)}, "dam": {"length", big.NewRat(10, 1)}, "hm": {"length", big.NewRat(100, 1)},
	"km": {"length", big.NewRat(1000, 1)},
	"mg": {"mass", big.NewRat(1, 1000)}, "cg": {"mass", big.NewRat(1, 100)}, "dg": {"mass", big.NewRat(1, 10)},
	"g": {"mass", big.NewRat(1, 1)}, "dag": {"mass", big.NewRat(10, 1)}, "hg": {"mass", big.NewRat(100, 1)},
	"kg": {"mass", big.NewRat(1000, 1)},
}

// parseQuantity reads "VALUE UNIT" (spaces optional) with a decimal value and one of the
// generator's units; the result is in the dimension's base unit.
func parseQuantity(s string) (*big.Rat, string, bool) {
	i := strings.LastIndexAny(s, "0123456789}")
	if i < 0 {
		return nil, "", false
	}
	u, ok := unitScale[strings.TrimSpace(s[i+1:])]
	if !ok {
		return nil, "", false
	}
	v, ok := parseDecimal(s[:i+1])
	if !ok {
		return nil, "", false
	}
	return v.Mul(v, u.scale), u.dim, true
}

// parseIntSet reads integers separated by commas (spaces allowed), in set braces or not, and
// returns them sorted.
func parseIntSet(s string) ([]int, bool) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if !allDigits(f) || len(f) > 9 {
			return nil, false
		}
		n, _ := strconv.Atoi(f)
		out = append(out, n)
	}
	sort.Ints(out)
	return out, true
}

// parseTruth reads the generator's truth words (any letter case).
func parseTruth(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "correct":
		return true, true
	case "false", "no", "incorrect":
		return false, true
	}
	return false, false
}

// parseChoice reads an option: L, (L), L) or "L: VALUE" (the value must be option L's), or the
// value of an option alone; letters in any case, spaces allowed around the parts.
func parseChoice(s string, options []int) (string, bool) {
	letter := func(t string) (string, bool) {
		t = strings.TrimSpace(t)
		if len(t) != 1 {
			return "", false
		}
		l := strings.ToUpper(t)
		k := int(l[0]) - 'A'
		if k < 0 || k >= len(options) {
			return "", false
		}
		return l, true
	}
	if l, ok := letter(s); ok {
		return l, true
	}
	if t, ok := strings.CutSuffix(s, ")"); ok {
		return letter(strings.TrimPrefix(t, "("))
	}
	if l, v, found := strings.Cut(s, ":"); found {
		l, ok := letter(l)
		v = strings.TrimSpace(v)
		if !ok || !allDigits(v) || len(v) > 9 {
			return "", false
		}
		n, _ := strconv.Atoi(v)
		if n != options[l[0]-'A'] {
			return "", false
		}
		return l, true
	}
	if allDigits(s) && len(s) <= 9 {
		n, _ := strconv.Atoi(s)
		for i, o := range options {
			if o == n {
				return string(rune('A' + i)), true
			}
		}
	}
	return "", false
}
