package verify

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// valueKind classifies a parsed answer.
type valueKind uint8

const (
	vExpr     valueKind = iota // a number or a symbolic expression (possibly with a unit)
	vTuple                     // ( a, b ) ordered; also [a, b] lists
	vBare                      // a, b without brackets (order-insensitive when the other side is too)
	vSet                       // \{ a, b \}
	vInterval                  // (a, b], [a, b) ... (mixed brackets)
	vUnion                     // A \cup B
	vMatrix
	vRel // lhs REL rhs
)

// value is a parsed answer: an expression with optional unit, or a structure of values.
type value struct {
	kind   valueKind
	expr   *Expr
	pct    bool    // written with a percent sign
	unitF  float64 // SI factor of the unit; 0 means no (known) unit
	unitD  dims
	unitS  string // raw unit text (known or not)
	tol    float64
	open   byte
	close  byte
	items  []value
	rows   [][]value
	rel    string
	lhs    *value
	rhs    *value
	source string
}

// Limits on structures.
const (
	maxItems = 64
	maxRows  = 16
)

var reThousands = regexp.MustCompile(`(^|[^\d.,])(\d{1,3}(?:,\d{3})+)(?:$|[^\d,])`)

// stripThousands removes thousands separators: 7,425,000 -> 7425000 (groups of exactly three
// digits, no space after the comma, so "1, 2" and "(1,23)" stay lists).
func stripThousands(s string) string {
	if !strings.Contains(s, ",") {
		return s
	}
	for iter := 0; iter < 8; iter++ {
		loc := reThousands.FindStringSubmatchIndex(s)
		if loc == nil {
			return s
		}
		num := s[loc[4]:loc[5]]
		s = s[:loc[4]] + strings.ReplaceAll(num, ",", "") + s[loc[5]:]
	}
	return s
}

// splitTop splits s at top-level occurrences of sep (outside () [] {} and \{ \}).
func splitTop(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '\\':
			i++ // skip escaped char (\{ counts via the brace that follows? no: skip it entirely)
			if i < len(s) && (s[i] == '{') {
				depth++
			} else if i < len(s) && s[i] == '}' {
				depth--
			}
		default:
			if s[i] == sep && depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// balanced reports whether the brackets of s close in order.
func balancedOuter(s string, open, close byte) bool {
	if len(s) < 2 || s[0] != open || s[len(s)-1] != close {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}

var matrixEnv = regexp.MustCompile(`(?s)\\begin\{([pbvBV]?matrix|array)\}(?:\{[^}]*\})?(.*?)\\end\{(?:[pbvBV]?matrix|array)\}`)

var relReplacer = strings.NewReplacer(`\left`, "", `\right`, "", `\infty`, `\infty`, `\int`, `\int`, `\inf`, `\inf`,
	`\newline`, " ", `\neg`, `\neg`, `\leq`, "≤", `\le`, "≤", `\geq`, "≥", `\ge`, "≥", `<=`, "≤", `>=`, "≥",
	`\neq`, "≠", `\ne`, "≠", `\approx`, "=", "≈", "=", `\equiv`, "=", `\lt`, "<", `\gt`, ">", `\cup`, "∪", `\in`, "∈")

var unitTail = regexp.MustCompile(`^(.*?[0-9}).\s]|.*?\\pi|.*?\^\{?-?\d+\}?)\s*(\\(?:text|mathrm|mbox)\s*\{[^{}]*\}(?:\^\{?-?\d\}?)?(?:\s*/\s*\\(?:text|mathrm)\{[^{}]*\})?|[A-Za-zΩµμÅ°][A-Za-zΩµμÅ°·*/^0-9\-\s.()\\²³⁻¹{}]*)$`)

var reDoubleBackslashCmd = regexp.MustCompile(`\\\\([a-zA-Z])`)

var prepReplacer = strings.NewReplacer("^{\\circ}", "°", "^\\circ", "°", "^{°}", "°", ",\\! ", ",", ",\\!", ",", ",\\ ", ",", "{,}", "", `\text{ and }`, ", ", `\text{and}`, ", ",
	`\text{ or }`, ", ", `\quad`, " ", `\qquad`, " ", "!=", "≠")

var reMixed = regexp.MustCompile(`^(\d+)\s+(\d+)\s*/\s*(\d+)$`)

var reCases = regexp.MustCompile(`(?s)^\\begin\{(?:cases|aligned|align\*?|array\}\{[^}]*)\}(.*)\\end\{(?:cases|aligned|align\*?|array)\}$`)

var (
	reYearRange  = regexp.MustCompile(`^\s*(?:1\d{3}|20\d{2})\s*[-–—]\s*(?:\d{2}|1\d{3}|20\d{2})\s*$`)
	reOrdinalNum = regexp.MustCompile(`\b(\d+)(?:st|nd|rd|th)\b`)
	reListWords  = regexp.MustCompile(`\s+(?:and|or)\s+`)
	reEmptyItem  = regexp.MustCompile(`,\s*,`)
)

// parseMath prepares an extracted answer (escaping artefacts, relations, thousands separators,
// "and"/"or" lists) and parses it into a value.
func parseMath(s string) (value, bool) {
	if len(s) > MaxExprLen || len(s) <= 16 && strings.ContainsAny(s, "-–—") && reYearRange.MatchString(s) {
		return value{}, false // "1648-51" is a span of years, not a subtraction
	}
	if hasOrdinalSuffix(s) {
		s = reOrdinalNum.ReplaceAllString(s, "$1") // "47th" is 47
	}
	// "x = 1/3 \approx 0.33": the exact value comes before the approximation
	for _, ap := range []string{`\approx`, "≈"} {
		if i := strings.Index(s, ap); i > 0 && strings.ContainsAny(s[:i], "0123456789") {
			s = strings.TrimSpace(s[:i])
		}
	}
	if strings.Contains(s, `\\begin`) {
		s = strings.ReplaceAll(s, `\\`, `\`) // a doubly escaped matrix: "\\begin{matrix} x \\\\ 1 \\end{matrix}"
	} else if strings.Contains(s, `\\`) && !strings.Contains(s, `\begin`) {
		s = reDoubleBackslashCmd.ReplaceAllString(s, `\$1`)
	}
	if strings.Contains(s, ")or(") {
		s = strings.ReplaceAll(s, ")or(", "), (") // "(11,7)or(7,11)"
	}
	if strings.ContainsAny(s, `\!,{`) {
		s = prepReplacer.Replace(s)
	}
	if strings.ContainsAny(s, `\<>=≈`) {
		s = relReplacer.Replace(s)
	}
	s = normalizeLatex(s)
	if strings.Contains(s, " and ") || strings.Contains(s, " or ") {
		s = reListWords.ReplaceAllString(s, ", ")
	}
	if strings.Contains(s, ",") {
		s = reEmptyItem.ReplaceAllString(s, ",") // "7, -2, \text{ and } -5"
	}
	s = stripThousands(s)
	// "1 1/2" is a mixed number
	if !strings.Contains(s, "/") || !strings.Contains(s, " ") {
	} else if m := reMixed.FindStringSubmatch(s); m != nil {
		s = m[1] + "+" + m[2] + "/" + m[3]
	}
	// a cases/aligned system is a list of equations
	if !strings.Contains(s, `\begin`) {
	} else if m := reCases.FindStringSubmatch(s); m != nil {
		rows := strings.Split(strings.ReplaceAll(m[1], "&", ""), `\\`)
		var keep []string
		for _, r := range rows {
			if r = strings.TrimSpace(r); r != "" {
				keep = append(keep, r)
			}
		}
		s = strings.Join(keep, ", ")
	}
	// "{1, 2, 3}" written without backslashes is a set
	if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && balancedOuter(s, '{', '}') && len(splitTop(s[1:len(s)-1], ',')) > 1 {
		s = `\{` + s[1:len(s)-1] + `\}`
	}
	// "\pm 2021", "1 \pm \sqrt{2}": the two values, as a set
	if pm := strings.Count(s, `\pm`) + strings.Count(s, "±"); pm == 1 && !strings.Contains(s, ",") {
		plus := strings.NewReplacer(`\pm`, "+", "±", "+").Replace(s)
		minus := strings.NewReplacer(`\pm`, "-", "±", "-").Replace(s)
		if strings.HasPrefix(strings.TrimSpace(plus), "+") {
			plus = strings.TrimPrefix(strings.TrimSpace(plus), "+")
		}
		s = `\{` + plus + ", " + minus + `\}`
	}
	return parseValue(s, 0)
}

// parseValue turns one answer string into a value. ok=false means it is not mathematics we can
// read (the caller then falls back to text matching).
func parseValue(s string, depth int) (value, bool) {
	if depth > 6 || len(s) > MaxExprLen {
		return value{}, false
	}
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, ".;")
	s = strings.TrimSpace(s)
	if s == "" {
		return value{}, false
	}
	v := value{source: s}
	// matrices
	if strings.Contains(s, `\begin{`) {
		m := matrixEnv.FindStringSubmatch(s)
		if m == nil {
			return value{}, false
		}
		rows := strings.Split(m[2], `\\`)
		v.kind = vMatrix
		for _, r := range rows {
			if strings.TrimSpace(r) == "" {
				continue
			}
			if len(v.rows) >= maxRows {
				return value{}, false
			}
			var row []value
			for _, c := range strings.Split(r, "&") {
				cv, ok := parseValue(c, depth+1)
				if !ok || len(row) >= maxRows {
					return value{}, false
				}
				row = append(row, cv)
			}
			v.rows = append(v.rows, row)
		}
		return v, len(v.rows) > 0
	}
	// unions
	if strings.Contains(s, "∪") || strings.Contains(s, " U ") {
		parts := strings.Split(strings.ReplaceAll(s, " U ", "∪"), "∪")
		if len(parts) > 1 && len(parts) <= maxItems {
			v.kind = vUnion
			items, ok := parseItems(parts, depth)
			v.items = items
			return v, ok
		}
	}
	// top-level lists; ";" separates groups when both separators occur ("p=5,q=2; p=7,q=2")
	parts := splitTop(s, ';')
	if len(parts) == 1 {
		parts = splitTop(s, ',')
	}
	if len(parts) > 1 {
		if len(parts) > maxItems {
			return value{}, false
		}
		v.kind = vBare
		items, ok := parseItems(parts, depth)
		v.items = items
		return v, ok
	}
	// sets \{ ... \}
	if strings.HasPrefix(s, `\{`) && strings.HasSuffix(s, `\}`) {
		inner := strings.TrimSpace(s[2 : len(s)-2])
		v.kind = vSet
		if inner == "" {
			return v, true
		}
		items, ok := parseItems(splitTop(inner, ','), depth)
		v.items = items
		return v, ok
	}
	// bracketed tuples and intervals
	if len(s) >= 2 && (s[0] == '(' || s[0] == '[') && (s[len(s)-1] == ')' || s[len(s)-1] == ']') {
		inner := s[1 : len(s)-1]
		closeFor := map[byte]byte{'(': ')', '[': ']'}
		if balancedOuter(string(s[0])+inner+string(closeFor[s[0]]), s[0], closeFor[s[0]]) {
			parts := splitTop(inner, ',')
			if len(parts) == 1 {
				parts = splitTop(inner, ';') // "(0;-2;6)"
			}
			if len(parts) > 1 && len(parts) <= maxItems {
				v.kind = vTuple
				if (s[0] == '(') != (s[len(s)-1] == ')') {
					v.kind = vInterval
				}
				v.open, v.close = s[0], s[len(s)-1]
				items, ok := parseItems(parts, depth)
				v.items = items
				return v, ok
			}
		}
	}
	// relations
	for _, rel := range relOps(s) {
		if i := indexTop(s, rel); i > 0 {
			lhs, ok1 := parseValue(s[:i], depth+1)
			rhs, ok2 := parseValue(s[i+len(rel):], depth+1)
			if !ok1 || !ok2 {
				return value{}, false
			}
			return value{kind: vRel, rel: rel, lhs: &lhs, rhs: &rhs, source: s}, true
		}
	}
	// "42 thousand", "5 million": a scale word multiplies
	if !hasScaleWord(s) {
	} else if m := reScaleTail.FindStringSubmatch(s); m != nil {
		if e, err := ParseExpr(m[1]); err == nil && e.IsConst() {
			sc := scaleWords[strings.ToLower(m[2])]
			v.kind, v.expr = vExpr, &Expr{kind: nMul, a: e, b: &Expr{kind: nNum, val: sc}}
			v.tol = precisionTol(m[1]) * sc
			return v, true
		}
	}
	// percent
	if strings.HasSuffix(s, "%") {
		v.pct = true
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	} else {
		for _, w := range []string{"per cent", "percent", "pct"} {
			if strings.HasSuffix(s, w) {
				v.pct = true
				s = strings.TrimSpace(strings.TrimSuffix(s, w))
				break
			}
		}
	}
	// a number followed by a known unit ("10 cm^2", "4.9 N·m") before plain algebra, so that
	// unit letters are not read as variables
	if hasUnitChar(s) {
		if m := unitTail.FindStringSubmatch(s); m != nil {
			num, unit := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
			if f, d, ok := parseUnit(unit); ok {
				if e, err := ParseExpr(num); err == nil && e.IsConst() {
					v.kind, v.expr, v.tol = vExpr, e, precisionTol(num)
					v.unitS, v.unitF, v.unitD = unit, f, d
					return v, true
				}
			}
		}
	}
	// plain expression
	e, err := ParseExpr(s)
	if err == nil {
		v.kind, v.expr = vExpr, e
		v.tol = precisionTol(s)
		return v, true
	}
	// number or expression followed by a unit
	if !strings.ContainsAny(s, "0123456789") && !strings.Contains(s, `\pi`) {
		return value{}, false
	}
	if m := unitTail.FindStringSubmatch(s); m != nil {
		num, unit := strings.TrimSpace(m[1]), strings.TrimSpace(m[2])
		e, err := ParseExpr(num)
		if err != nil || !e.IsConst() || strings.ContainsAny(unit, "0123456789") && !strings.Contains(unit, "^") {
			return value{}, false // "5 ft 6 in" is not one number with an unknown unit
		}
		if _, _, known := parseUnit(unit); !known && !unitLike(unit) {
			return value{}, false // "42 is not the answer": words, not a unit
		}
		v.kind, v.expr = vExpr, e
		v.tol = precisionTol(num)
		v.unitS = unit
		if f, d, ok := parseUnit(unit); ok {
			v.unitF, v.unitD = f, d
		} else if u := strings.TrimSpace(normalizeLatex(unit)); u == "%" || u == "percent" {
			v.pct, v.unitS = true, ""
		}
		return v, true
	}
	return value{}, false
}

// unitLike reports whether an unknown unit text could be a unit name ("widgets", "square
// feet", "\text{apples}") rather than words of a sentence ("is not the answer").
func unitLike(u string) bool {
	ws := strings.Fields(normalizeLatex(u))
	if len(ws) == 0 || len(ws) > 3 {
		return false
	}
	for _, w := range ws {
		if sentenceWords[strings.ToLower(strings.Trim(w, ".,;:!?()"))] {
			return false
		}
	}
	return true
}

var sentenceWords = map[string]bool{"is": true, "was": true, "are": true, "were": true, "not": true, "the": true,
	"a": true, "an": true, "it": true, "this": true, "that": true, "answer": true, "or": true, "and": true,
	"maybe": true, "possibly": true, "perhaps": true, "probably": true, "but": true, "be": true, "i": true,
	"think": true, "no": true, "yes": true, "wrong": true, "correct": true, "right": true, "thousand": false}

// hasScaleWord is a cheap prefilter for "thousand", "million" ...
func hasScaleWord(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "illion") || strings.Contains(l, "thousand") || strings.Contains(l, "hundred")
}

// hasOrdinalSuffix reports a digit followed by "st", "nd", "rd" or "th".
func hasOrdinalSuffix(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			switch s[i+1 : i+3] {
			case "st", "nd", "rd", "th":
				return true
			}
		}
	}
	return false
}

// hasUnitChar reports whether s has a digit followed later by a letter or unit symbol (a
// cheap filter before the unit regex).
func hasUnitChar(s string) bool {
	digit := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case digit && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80):
			return true
		}
	}
	return false
}

var allRelOps = []string{"≤", "≥", "≠", "=", "<", ">", "∈"}

// relOps returns the relation operators worth looking for in s (none for most answers).
func relOps(s string) []string {
	if !strings.ContainsAny(s, "≤≥≠=<>∈") {
		return nil
	}
	return allRelOps
}

// parseItems parses the members of a list, set, tuple or union (at most maxItems).
func parseItems(parts []string, depth int) ([]value, bool) {
	if len(parts) > maxItems {
		return nil, false
	}
	items := make([]value, 0, len(parts))
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return nil, false
		}
		pv, ok := parseValue(p, depth+1)
		if !ok {
			return nil, false
		}
		items = append(items, pv)
	}
	return items, true
}

// indexTop finds rel at bracket depth 0.
func indexTop(s, rel string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		}
		if depth == 0 && strings.HasPrefix(s[i:], rel) {
			return i
		}
	}
	return -1
}

var reScaleTail = regexp.MustCompile(`(?i)^(.*\d)\s*(hundred|thousand|million|billion|trillion)s?$`)

var reSciTail = regexp.MustCompile(`^(?:\\times|\\cdot|×|\*|·)\s*10\s*\^\s*\{?\s*([-+−]?\d+)\s*\}?$|^[eE]([-+]?\d+)$`)

var reDecimal = regexp.MustCompile(`^[-+]?\s*(\d*)\.(\d+)`)

// precisionTol returns the absolute tolerance implied by a number written with decimals:
// half a unit in its last significant place. Integers and expressions get 0 (exact up to a
// relative 1e-6).
func precisionTol(s string) float64 {
	if !strings.Contains(s, ".") {
		return 0
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "$", ""))
	m := reDecimal.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	rest := s[len(m[0]):]
	rest = strings.TrimSpace(rest)
	scale := 0
	if rest != "" {
		// only "d.ddd × 10^k" / "d.ddd e k" keep a precision; anything else is an expression
		r := reSciTail.FindStringSubmatch(rest)
		if r == nil {
			return 0
		}
		k := r[1] + r[2]
		k = strings.ReplaceAll(k, "−", "-")
		n, err := strconv.Atoi(k)
		if err != nil || n > 300 || n < -300 {
			return 0
		}
		scale = n
	}
	return 0.5 * math.Pow(10, float64(scale-len(m[2])))
}

// ---- comparison ----------------------------------------------------------------------------

// Outcome is the three-way result of a rule check.
type Outcome int8

const (
	Unknown Outcome = iota
	Yes
	No
)

func (o Outcome) String() string {
	switch o {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// numEqual compares gold g and answer a with the gold's precision tolerance and a relative
// tolerance; the answer's own precision is used when it has at least three significant digits.
func numEqual(g, a, gtol, atol float64) bool {
	if math.IsNaN(g) || math.IsNaN(a) {
		return false
	}
	if math.IsInf(g, 0) || math.IsInf(a, 0) {
		return g == a
	}
	d := math.Abs(g - a)
	if gtol == 0 && atol == 0 && g == math.Trunc(g) && a == math.Trunc(a) && math.Abs(g) < 1<<53 && math.Abs(a) < 1<<53 {
		return g == a // two integers: 1450001 is not 1450000
	}
	if d <= 1e-6*math.Max(math.Abs(g), math.Abs(a)) || d <= 1e-12 {
		return true
	}
	if gtol > 0 && d <= gtol*(1+1e-9) {
		return true
	}
	if atol > 0 && d <= atol*(1+1e-9) && math.Abs(a) >= atol*200 { // >= 3 significant digits
		return true
	}
	// a truncated (not rounded) decimal of an exact gold with four or more significant digits:
	// 125.663 for 40π = 125.6637...
	if gtol == 0 && atol > 0 && math.Abs(a) >= atol*2000 && math.Signbit(g) == math.Signbit(a) &&
		math.Abs(g)-math.Abs(a) > 0 && math.Abs(g)-math.Abs(a) < 2*atol*(1-1e-9) {
		return true
	}
	return false
}

// sample points: fixed pseudo-random values so verdicts are deterministic.
var samplePoints = [][]float64{
	{0.731, 1.414, 2.236, 0.577, 1.732, 0.318, 2.718, 1.202},
	{1.618, 0.693, 1.259, 2.449, 0.447, 1.847, 0.866, 2.094},
	{2.302, 1.097, 0.367, 1.913, 2.646, 0.618, 1.386, 0.271},
	{0.389, 2.565, 1.771, 0.851, 1.135, 2.871, 0.523, 1.649},
	{1.333, 0.250, 2.913, 1.571, 0.785, 1.047, 2.208, 0.909},
	{-0.642, -1.318, 0.957, -2.171, 1.463, -0.413, -1.733, 0.164},
	{-1.809, 0.547, -0.819, 1.287, -2.501, 2.021, 0.331, -1.111},
}

type varEnv struct {
	names []string
	point []float64
}

func (v *varEnv) get(name string) float64 {
	for i, n := range v.names {
		if n == name {
			return v.point[i%len(v.point)] + float64(i/len(v.point))*0.137
		}
	}
	return math.NaN()
}

// exprEqual decides whether two expressions are equal: constants numerically, otherwise at
// several sample points (points where either side is undefined are skipped).
func exprEqual(g, a *Expr, gtol, atol float64) Outcome {
	vars := a.Vars(g.Vars(nil))
	if len(vars) == 0 {
		gv, av := g.Eval(nil), a.Eval(nil)
		if math.IsNaN(gv) || math.IsNaN(av) {
			return Unknown
		}
		if numEqual(gv, av, gtol, atol) {
			return Yes
		}
		return No
	}
	if len(vars) > 16 {
		return Unknown
	}
	if !imagFree(g) && !imagFree(a) {
		// both write complex numbers (1+2i vs i(2-i)): i is the imaginary unit
		if o := complexEqual(g, a, vars); o != Unknown {
			return o
		}
	}
	env := &varEnv{names: vars}
	valid, agree := 0, 0
	for _, pt := range samplePoints {
		env.point = pt
		gv, av := g.Eval(env.get), a.Eval(env.get)
		if math.IsNaN(gv) || math.IsNaN(av) || math.IsInf(gv, 0) || math.IsInf(av, 0) {
			continue
		}
		valid++
		d := math.Abs(gv - av)
		if d <= 1e-7*math.Max(1, math.Max(math.Abs(gv), math.Abs(av))) {
			agree++
		} else {
			return No
		}
	}
	if valid < 2 {
		return Unknown
	}
	return Yes
}

// proportional reports whether f = c·g for a nonzero constant c at the sample points (equations
// lhs-rhs compared up to scaling: y = 2x+1 vs 2y - 4x = 2).
func proportional(f, g *Expr) Outcome {
	vars := g.Vars(f.Vars(nil))
	if len(vars) == 0 || len(vars) > 16 {
		return Unknown
	}
	env := &varEnv{names: vars}
	ratio := math.NaN()
	valid := 0
	for _, pt := range samplePoints {
		env.point = pt
		fv, gv := f.Eval(env.get), g.Eval(env.get)
		if math.IsNaN(fv) || math.IsNaN(gv) || math.IsInf(fv, 0) || math.IsInf(gv, 0) {
			continue
		}
		if math.Abs(gv) < 1e-12 || math.Abs(fv) < 1e-12 {
			if math.Abs(gv) < 1e-9 && math.Abs(fv) < 1e-9 {
				continue
			}
			return No
		}
		r := fv / gv
		valid++
		if math.IsNaN(ratio) {
			ratio = r
		} else if math.Abs(r-ratio) > 1e-7*math.Max(1, math.Abs(ratio)) {
			return No
		}
	}
	if valid < 2 {
		return Unknown
	}
	return Yes
}

// positiveMultiple reports whether f = c·g with c > 0 at the sample points.
func positiveMultiple(f, g *Expr) Outcome {
	if proportional(f, g) != Yes {
		return No
	}
	vars := g.Vars(f.Vars(nil))
	env := &varEnv{names: vars}
	for _, pt := range samplePoints {
		env.point = pt
		fv, gv := f.Eval(env.get), g.Eval(env.get)
		if fv != 0 && gv != 0 && !math.IsNaN(fv/gv) {
			if fv/gv > 0 {
				return Yes
			}
			return No
		}
	}
	return Unknown
}

func hasLog(e *Expr) bool {
	if e == nil {
		return false
	}
	if e.kind == nFunc && e.name == "log" {
		return true
	}
	return hasLog(e.a) || hasLog(e.b)
}

// withLog10 copies e reading every base-less log as log10.
func withLog10(e *Expr) *Expr {
	if e == nil {
		return nil
	}
	c := *e
	if c.kind == nFunc && c.name == "log" {
		c.name = "log10"
	}
	c.a, c.b = withLog10(e.a), withLog10(e.b)
	return &c
}

// cmpCtx carries options for one comparison.
type cmpCtx struct {
	question string
	qnums    []value
	qdone    bool
	negQ     bool // the question is itself negative ("when did the US not go"): negations echo it
	allowPct bool
	ordered  bool // the question asks for an order: bare lists compare in order
	steps    int
	deadline time.Time
}

// questionNumbers returns the numbers the question states (computed once).
func (c *cmpCtx) questionNumbers() []value {
	if !c.qdone {
		c.qdone = true
		for _, n := range proseNumbers(c.question) {
			c.qnums = append(c.qnums, n.v)
		}
	}
	return c.qnums
}

func (c *cmpCtx) tick() bool {
	c.steps++
	if c.steps&63 == 0 && !c.deadline.IsZero() && time.Now().After(c.deadline) {
		return false
	}
	return c.steps < 20000
}

// compareValues is the structural comparison of gold g and answer a.
func compareValues(c *cmpCtx, g, a value) Outcome {
	if !c.tick() {
		return Unknown
	}
	// chains "x = 5+5+1 = 11": the last member is the answer
	if isChain(g) || isChain(a) {
		return compareValues(c, lastRHS(g), lastRHS(a))
	}
	// inequalities vs intervals: "0 < x < 1" vs (0, 1), "x ∈ [a, b]"
	if g.kind == vRel && a.kind == vRel && g.rel != a.rel && g.rel != "=" && a.rel != "=" {
		gi, ok1 := relToInterval(g)
		ai, ok2 := relToInterval(a)
		if ok1 && ok2 {
			return compareValues(c, gi, ai)
		}
	}
	if g.kind == vRel && g.rel != "=" && a.kind != vRel {
		if iv, ok := relToInterval(g); ok {
			return compareValues(c, iv, a)
		}
	}
	if a.kind == vRel && a.rel != "=" && g.kind != vRel {
		if iv, ok := relToInterval(a); ok {
			return compareValues(c, g, iv)
		}
	}
	// an equation "x = 5" answering a gold "5" (or the reverse): compare the right-hand side
	if g.kind == vRel && a.kind != vRel && g.rel == "=" && isNameLike(g.lhs) {
		return compareValues(c, *g.rhs, a)
	}
	if a.kind == vRel && g.kind != vRel && a.rel == "=" && isNameLike(a.lhs) {
		return compareValues(c, g, *a.rhs)
	}
	// single-element brackets vs scalar
	switch {
	case g.kind == vRel && a.kind == vRel:
		return compareRel(c, g, a)
	case g.kind == vMatrix && isNested(a):
		return compareValues(c, g, asMatrix(a))
	case a.kind == vMatrix && isNested(g):
		return compareValues(c, asMatrix(g), a)
	case g.kind == vMatrix && (a.kind == vTuple || a.kind == vBare) && isVector(g):
		return matchSameLength(c, flatten(g), a.items)
	case a.kind == vMatrix && (g.kind == vTuple || g.kind == vBare) && isVector(a):
		return matchSameLength(c, g.items, flatten(a))
	case g.kind == vMatrix || a.kind == vMatrix:
		if g.kind != a.kind || len(g.rows) != len(a.rows) {
			return No
		}
		for i := range g.rows {
			if len(g.rows[i]) != len(a.rows[i]) {
				return No
			}
			for j := range g.rows[i] {
				if o := compareValues(c, g.rows[i][j], a.rows[i][j]); o != Yes {
					return o
				}
			}
		}
		return Yes
	case g.kind == vExpr && a.kind == vExpr:
		return compareScalar(c, g, a)
	case g.kind == vExpr || a.kind == vExpr:
		return No
	}
	// "p=5, q=2" against "(5, 2)": a list of name = value equations is the tuple of the values
	if t, ok := eqTuple(g); ok && a.kind == vTuple {
		return compareValues(c, t, a)
	}
	if t, ok := eqTuple(a); ok && g.kind == vTuple {
		return compareValues(c, g, t)
	}
	g, a = eqTupleItems(g, a), eqTupleItems(a, g)
	// both structured
	if g.kind == vUnion || a.kind == vUnion {
		if g.kind != a.kind {
			return No
		}
		return matchUnordered(c, g.items, a.items)
	}
	if len(g.items) != len(a.items) && (g.kind == vSet || a.kind == vSet || g.kind == vBare && a.kind == vBare && !c.ordered) {
		// sets: a repeated member counts once
		g.items, a.items = dedupe(c, g.items), dedupe(c, a.items)
	}
	if len(g.items) != len(a.items) {
		return No
	}
	if g.kind == vInterval || a.kind == vInterval || (g.kind == vTuple && a.kind == vTuple) {
		if g.kind != vBare && a.kind != vBare && (g.open != a.open || g.close != a.close) {
			return No
		}
	}
	ordered := matchOrdered(c, g.items, a.items)
	if ordered == Yes {
		return Yes
	}
	if (g.kind == vSet) != (a.kind == vSet) && g.kind != vBare && a.kind != vBare {
		return No // a set is not a tuple or an interval
	}
	unordered := g.kind == vSet || a.kind == vSet || (g.kind == vBare && a.kind == vBare && !c.ordered)
	if unordered && g.kind != vInterval && a.kind != vInterval {
		return matchUnordered(c, g.items, a.items)
	}
	return ordered
}

// eqTuple turns a list of "name = value" equations (p = 5, q = 2) into the tuple of values.
func eqTuple(v value) (value, bool) {
	if v.kind != vBare || len(v.items) < 2 {
		return value{}, false
	}
	t := value{kind: vTuple, open: '(', close: ')'}
	for _, it := range v.items {
		if it.kind != vRel || it.rel != "=" || !isNameLike(it.lhs) || it.rhs.kind == vRel {
			return value{}, false
		}
		t.items = append(t.items, *it.rhs)
	}
	return t, true
}

// eqTupleItems rewrites the members of a list that are equation lists as tuples when the other
// side's members are tuples ("p=5,q=2; p=7,q=2" against "(5,2), (7,2)").
func eqTupleItems(v, other value) value {
	if v.kind != vBare && v.kind != vSet || len(other.items) == 0 || other.items[0].kind != vTuple {
		return v
	}
	var items []value
	changed := false
	for _, it := range v.items {
		if t, ok := eqTuple(it); ok {
			items = append(items, t)
			changed = true
		} else {
			items = append(items, it)
		}
	}
	if !changed {
		return v
	}
	v.items = items
	return v
}

// dedupe drops members equal to an earlier member.
func dedupe(c *cmpCtx, items []value) []value {
	if len(items) > maxItems {
		return items
	}
	var out []value
	for _, it := range items {
		dup := false
		for _, o := range out {
			if compareValues(c, o, it) == Yes {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, it)
		}
	}
	return out
}

func isChain(v value) bool {
	return v.kind == vRel && v.rel == "=" && v.rhs.kind == vRel && v.rhs.rel == "="
}

func lastRHS(v value) value {
	if v.kind != vRel || v.rel != "=" || !isNameLikeOrChain(v) {
		return v
	}
	for i := 0; i < 16 && v.kind == vRel && v.rel == "="; i++ {
		v = *v.rhs
	}
	return v
}

func isNameLikeOrChain(v value) bool { return isNameLike(v.lhs) || v.rhs.kind == vRel }

var infExpr = func(sign float64) value {
	return value{kind: vExpr, expr: &Expr{kind: nNum, val: math.Inf(int(sign))}}
}

// relToInterval turns "x > c", "c ≤ x", "a < x ≤ b" and "x ∈ S" into interval values.
func relToInterval(v value) (value, bool) {
	if v.rel == "∈" {
		return *v.rhs, true
	}
	isVar := func(x *value) bool { return isNameLike(x) }
	mk := func(lo, hi value, lc, hc bool) value {
		o, cl := byte('('), byte(')')
		if lc {
			o = '['
		}
		if hc {
			cl = ']'
		}
		k := vTuple
		if (o == '(') != (cl == ')') {
			k = vInterval
		}
		return value{kind: k, open: o, close: cl, items: []value{lo, hi}}
	}
	// chain a R x R b
	if v.rhs.kind == vRel && (v.rel == "<" || v.rel == "≤") && (v.rhs.rel == "<" || v.rhs.rel == "≤") && isVar(v.rhs.lhs) {
		return mk(*v.lhs, *v.rhs.rhs, v.rel == "≤", v.rhs.rel == "≤"), true
	}
	if v.rhs.kind == vRel && (v.rel == ">" || v.rel == "≥") && (v.rhs.rel == ">" || v.rhs.rel == "≥") && isVar(v.rhs.lhs) {
		return mk(*v.rhs.rhs, *v.lhs, v.rhs.rel == "≥", v.rel == "≥"), true
	}
	if v.rhs.kind == vRel || v.lhs.kind == vRel {
		return value{}, false
	}
	x, cst, rel := v.lhs, v.rhs, v.rel
	if !isVar(x) {
		x, cst = cst, x
		rel = map[string]string{"<": ">", ">": "<", "≤": "≥", "≥": "≤"}[rel]
	}
	if !isVar(x) || cst.kind != vExpr || !cst.expr.IsConst() {
		return value{}, false
	}
	switch rel {
	case ">":
		return mk(*cst, infExpr(1), false, false), true
	case "≥":
		return mk(*cst, infExpr(1), true, false), true
	case "<":
		return mk(infExpr(-1), *cst, false, false), true
	case "≤":
		return mk(infExpr(-1), *cst, false, true), true
	}
	return value{}, false
}

// isNested reports whether v is a list of equally long bracketed lists: [[1,2],[3,4]].
func isNested(v value) bool {
	if v.kind != vTuple && v.kind != vBare || len(v.items) == 0 {
		return false
	}
	for _, it := range v.items {
		if it.kind != vTuple || len(it.items) != len(v.items[0].items) {
			return false
		}
	}
	return true
}

func asMatrix(v value) value {
	m := value{kind: vMatrix}
	for _, it := range v.items {
		m.rows = append(m.rows, it.items)
	}
	return m
}

// isVector reports whether a matrix has a single row or a single column.
func isVector(m value) bool {
	if len(m.rows) == 1 {
		return true
	}
	for _, r := range m.rows {
		if len(r) != 1 {
			return false
		}
	}
	return true
}

func flatten(m value) []value {
	var out []value
	for _, r := range m.rows {
		out = append(out, r...)
	}
	return out
}

func isNameLike(v *value) bool {
	if v != nil && v.kind == vTuple && v.open == '(' {
		for i := range v.items {
			if !isNameLike(&v.items[i]) {
				return false
			}
		}
		return true
	}
	if v == nil || v.kind != vExpr || v.expr == nil {
		return false
	}
	return !v.expr.IsConst() && noNumbers(v.expr)
}

// noNumbers reports whether e is built from variables only (y, f(x), NO/BO, |AB|).
func noNumbers(e *Expr) bool {
	if e == nil {
		return true
	}
	if e.kind == nNum || e.kind == nAdd || e.kind == nSub || e.kind == nNeg {
		return false
	}
	return noNumbers(e.a) && noNumbers(e.b)
}

func compareRel(c *cmpCtx, g, a value) Outcome {
	flip := map[string]string{"<": ">", ">": "<", "≤": "≥", "≥": "≤", "=": "=", "≠": "≠", "∈": "∈"}
	if a.rel != g.rel && flip[a.rel] == g.rel {
		a = value{kind: vRel, rel: g.rel, lhs: a.rhs, rhs: a.lhs}
	}
	if a.rel != g.rel {
		return No
	}
	if compareValues(c, *g.lhs, *a.lhs) == Yes && compareValues(c, *g.rhs, *a.rhs) == Yes {
		return Yes
	}
	if g.rel != "=" && g.rel != "≠" && g.rel != "∈" && g.lhs.kind == vExpr && g.rhs.kind == vExpr && a.lhs.kind == vExpr && a.rhs.kind == vExpr {
		// f REL 0 with f = lhs - rhs; equal when the two f are positive multiples
		f := &Expr{kind: nSub, a: g.lhs.expr, b: g.rhs.expr}
		h := &Expr{kind: nSub, a: a.lhs.expr, b: a.rhs.expr}
		return positiveMultiple(f, h)
	}
	if g.rel == "=" && compareValues(c, *g.lhs, *a.rhs) == Yes && compareValues(c, *g.rhs, *a.lhs) == Yes {
		return Yes
	}
	// "y = 2x + 3" and "f(x) = 2x + 3" name the same function
	if g.rel == "=" && isFuncName(g.lhs.source) && isFuncName(a.lhs.source) && compareValues(c, *g.rhs, *a.rhs) == Yes {
		return Yes
	}
	if g.rel == "=" && g.lhs.kind == vExpr && g.rhs.kind == vExpr && a.lhs.kind == vExpr && a.rhs.kind == vExpr {
		f := &Expr{kind: nSub, a: g.lhs.expr, b: g.rhs.expr}
		h := &Expr{kind: nSub, a: a.lhs.expr, b: a.rhs.expr}
		return proportional(f, h)
	}
	return No
}

func matchSameLength(c *cmpCtx, g, a []value) Outcome {
	if len(g) != len(a) {
		return No
	}
	return matchOrdered(c, g, a)
}

func matchOrdered(c *cmpCtx, g, a []value) Outcome {
	res := Yes
	for i := range g {
		o := compareValues(c, g[i], a[i])
		if o == No {
			return No
		}
		if o == Unknown {
			res = Unknown
		}
	}
	return res
}

// matchUnordered finds a perfect matching between gold and answer items (small n, backtracking
// over a precomputed yes-matrix, bounded by maxItems).
func matchUnordered(c *cmpCtx, g, a []value) Outcome {
	if len(g) != len(a) {
		return No
	}
	n := len(g)
	ok := make([][]bool, n)
	for i := range g {
		ok[i] = make([]bool, n)
		for j := range a {
			ok[i][j] = compareValues(c, g[i], a[j]) == Yes
		}
	}
	used := make([]bool, n)
	var try func(i int) bool
	try = func(i int) bool {
		if i == n {
			return true
		}
		if !c.tick() {
			return false
		}
		for j := 0; j < n; j++ {
			if !used[j] && ok[i][j] {
				used[j] = true
				if try(i + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	if try(0) {
		return Yes
	}
	return No
}

var reFuncName = regexp.MustCompile(`^\s*(?:y|[a-zA-Z]\s*\(\s*x\s*\))\s*$`)

// isFuncName reports whether an equation's left side is "y" or "f(x)".
func isFuncName(s string) bool { return reFuncName.MatchString(s) }

// compareScalar compares two expressions with their units and percent signs.
func compareScalar(c *cmpCtx, g, a value) Outcome {
	ge, ae := g.expr, a.expr
	gtol, atol := g.tol, a.tol
	if g.unitF != 0 && a.unitF != 0 {
		if g.unitD != a.unitD {
			return No
		}
		if g.unitF != a.unitF {
			gs := &Expr{kind: nMul, a: ge, b: &Expr{kind: nNum, val: g.unitF}}
			as := &Expr{kind: nMul, a: ae, b: &Expr{kind: nNum, val: a.unitF}}
			return exprEqual(gs, as, gtol*g.unitF, atol*a.unitF)
		}
	}
	o := exprEqual(ge, ae, gtol, atol)
	if o != Yes && (hasLog(ge) || hasLog(ae)) {
		// \log without a base: natural in mathematics, decimal in chemistry and physics
		if exprEqual(withLog10(ge), withLog10(ae), gtol, atol) == Yes {
			return Yes
		}
	}
	if o != Yes && (g.unitF != 0) != (a.unitF != 0) {
		// 45° vs π/4: a dimensionless unit (an angle) on one side only, compared in SI as well
		u := g
		if a.unitF != 0 {
			u = a
		}
		if u.unitD == (dims{}) && u.unitF != 1 {
			gs, as := ge, ae
			if g.unitF != 0 {
				gs = &Expr{kind: nMul, a: ge, b: &Expr{kind: nNum, val: g.unitF}}
			} else {
				as = &Expr{kind: nMul, a: ae, b: &Expr{kind: nNum, val: a.unitF}}
			}
			if exprEqual(gs, as, gtol*max(g.unitF, 1e-300), atol*max(a.unitF, 1e-300)) == Yes {
				return Yes
			}
		}
	}
	if o != Yes && (g.unitF != 0) != (a.unitF != 0) {
		// "10g" (read as 10 grams) vs "10*g", "11h" vs "11 h": a unit symbol on one side only may
		// be a variable; equal as plain expressions means equal under either reading.
		u, other := g, a
		if a.unitF != 0 {
			u, other = a, g
		}
		if e, err := ParseExpr(u.source); err == nil && exprEqual(e, other.expr, u.tol, other.tol) == Yes {
			return Yes
		}
	}
	if o == Yes || !c.allowPct || g.pct == a.pct {
		return o
	}
	// 25% vs 0.25
	if g.pct {
		ge = &Expr{kind: nDiv, a: ge, b: &Expr{kind: nNum, val: 100}}
		gtol /= 100
	} else {
		ae = &Expr{kind: nDiv, a: ae, b: &Expr{kind: nNum, val: 100}}
		atol /= 100
	}
	if o2 := exprEqual(ge, ae, gtol, atol); o2 == Yes {
		return Yes
	}
	return o
}
