package verify

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that bound every parse: longer or deeper inputs are "unknown", never slow.
const (
	MaxExprLen   = 4096 // bytes of one expression handed to the parser
	MaxExprDepth = 48   // nesting depth of the recursive-descent parser
	maxTokens    = 1024
	maxFactorial = 170 // n! above this is +Inf in float64; larger n are never computed
)

var (
	errTooLong  = errors.New("expression too long")
	errTooDeep  = errors.New("expression nested too deeply")
	errSyntax   = errors.New("cannot parse expression")
	errTrailing = errors.New("trailing input after expression")
)

// nodeKind is the operator of one expression node.
type nodeKind uint8

const (
	nNum nodeKind = iota
	nVar
	nAdd
	nSub
	nMul
	nDiv
	nPow
	nNeg
	nFunc
	nFact
	nAbs
)

// Expr is a parsed real-valued mathematical expression (a small AST).
type Expr struct {
	kind nodeKind
	val  float64
	name string // variable or function name
	a, b *Expr
}

// String renders the expression in a plain infix form (for reasons and debugging).
func (e *Expr) String() string {
	if e == nil {
		return "<nil>"
	}
	switch e.kind {
	case nNum:
		return strconv.FormatFloat(e.val, 'g', -1, 64)
	case nVar:
		return e.name
	case nAdd:
		return "(" + e.a.String() + "+" + e.b.String() + ")"
	case nSub:
		return "(" + e.a.String() + "-" + e.b.String() + ")"
	case nMul:
		return "(" + e.a.String() + "*" + e.b.String() + ")"
	case nDiv:
		return "(" + e.a.String() + "/" + e.b.String() + ")"
	case nPow:
		return "(" + e.a.String() + "^" + e.b.String() + ")"
	case nNeg:
		return "-" + e.a.String()
	case nFunc:
		return e.name + "(" + e.a.String() + ")"
	case nFact:
		return e.a.String() + "!"
	case nAbs:
		return "|" + e.a.String() + "|"
	}
	return "?"
}

// Vars appends the distinct variable names of e to dst.
func (e *Expr) Vars(dst []string) []string {
	if e == nil {
		return dst
	}
	if e.kind == nVar {
		for _, v := range dst {
			if v == e.name {
				return dst
			}
		}
		return append(dst, e.name)
	}
	return e.b.Vars(e.a.Vars(dst))
}

// Eval evaluates e with the variable values in env (looked up by name). Domain errors give
// NaN; overflow gives ±Inf. Work is linear in the size of e.
func (e *Expr) Eval(env func(string) float64) float64 {
	switch e.kind {
	case nNum:
		return e.val
	case nVar:
		return env(e.name)
	case nAdd:
		return e.a.Eval(env) + e.b.Eval(env)
	case nSub:
		return e.a.Eval(env) - e.b.Eval(env)
	case nMul:
		return e.a.Eval(env) * e.b.Eval(env)
	case nDiv:
		return e.a.Eval(env) / e.b.Eval(env)
	case nPow:
		x, y := e.a.Eval(env), e.b.Eval(env)
		return math.Pow(x, y)
	case nNeg:
		return -e.a.Eval(env)
	case nAbs:
		return math.Abs(e.a.Eval(env))
	case nFact:
		x := e.a.Eval(env)
		if x < 0 || x != math.Trunc(x) {
			return math.Gamma(x + 1)
		}
		if x > maxFactorial {
			return math.Inf(1)
		}
		r := 1.0
		for i := 2.0; i <= x; i++ {
			r *= i
		}
		return r
	case nFunc:
		x := e.a.Eval(env)
		switch e.name {
		case "sin":
			return math.Sin(x)
		case "cos":
			return math.Cos(x)
		case "tan":
			return math.Tan(x)
		case "sec":
			return 1 / math.Cos(x)
		case "csc":
			return 1 / math.Sin(x)
		case "cot":
			return 1 / math.Tan(x)
		case "arcsin":
			return math.Asin(x)
		case "arccos":
			return math.Acos(x)
		case "arctan":
			return math.Atan(x)
		case "sinh":
			return math.Sinh(x)
		case "cosh":
			return math.Cosh(x)
		case "tanh":
			return math.Tanh(x)
		case "ln", "log":
			return math.Log(x)
		case "log10":
			return math.Log10(x)
		case "exp":
			return math.Exp(x)
		case "sqrt":
			return math.Sqrt(x)
		case "floor":
			return math.Floor(x)
		case "ceil":
			return math.Ceil(x)
		}
		return math.NaN()
	}
	return math.NaN()
}

// IsConst reports whether e has no variables.
func (e *Expr) IsConst() bool {
	if e == nil {
		return true
	}
	if e.kind == nVar {
		return false
	}
	return e.a.IsConst() && e.b.IsConst()
}

// ---- lexer ---------------------------------------------------------------------------------

type tokKind uint8

const (
	tEOF tokKind = iota
	tNum
	tIdent // single-letter variable or Greek/command symbol used as a variable
	tFunc  // sin, cos, ln, sqrt, frac ... (name without backslash)
	tOp    // + - * / ^ ! = , |
	tOpen  // ( [ {
	tClose // ) ] }
	tUnder // _
)

type token struct {
	kind tokKind
	s    string
	num  float64
	dec  int // decimals written, for numbers
}

var funcNames = map[string]bool{
	"sin": true, "cos": true, "tan": true, "sec": true, "csc": true, "cot": true,
	"arcsin": true, "arccos": true, "arctan": true, "sinh": true, "cosh": true, "tanh": true,
	"ln": true, "log": true, "exp": true, "sqrt": true, "frac": true, "floor": true, "ceil": true,
	"lfloor": true, "lceil": true,
}

// symbolNames are LaTeX commands that stand for a value or a variable.
var symbolNames = map[string]bool{
	"pi": true, "infty": true, "alpha": true, "beta": true, "gamma": true, "delta": true,
	"theta": true, "lambda": true, "mu": true, "sigma": true, "omega": true, "phi": true,
	"epsilon": true, "varepsilon": true, "rho": true, "tau": true, "eta": true, "xi": true,
	"psi": true, "varphi": true, "kappa": true, "nu": true, "zeta": true, "chi": true,
	"Delta": true, "Omega": true, "Sigma": true, "Phi": true, "Gamma": true, "Theta": true,
}

// lex tokenises a normalised expression. Unknown commands are an error (the caller then
// treats the answer as text).
func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		if len(toks) > maxTokens {
			return nil, errTooLong
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '~':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			dot := -1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && dot < 0 && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
				if s[j] == '.' {
					dot = j
				}
				j++
			}
			dec := 0
			if dot >= 0 {
				dec = j - dot - 1
			}
			// scientific e-notation: 3.2e-5, 1E10 (only when digits follow)
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '-' || s[k] == '+') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, errSyntax
			}
			toks = append(toks, token{kind: tNum, s: s[i:j], num: v, dec: dec})
			i = j
		case c == '\\':
			j := i + 1
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			name := s[i+1 : j]
			if name == "" {
				if j < len(s) && (s[j] == '{' || s[j] == '}') {
					i = j + 1 // \{ \} are set braces: handled by the structure layer
					toks = append(toks, token{kind: tOpen + tokKind(b2i(s[j] == '}')), s: string(s[j])})
					continue
				}
				i = j + 1 // \, \! \; etc.
				continue
			}
			i = j
			switch {
			case funcNames[name]:
				toks = append(toks, token{kind: tFunc, s: name})
			case name == "cdot" || name == "times" || name == "ast":
				toks = append(toks, token{kind: tOp, s: "*"})
			case name == "div":
				toks = append(toks, token{kind: tOp, s: "/"})
			case name == "rfloor" || name == "rceil":
				toks = append(toks, token{kind: tClose, s: ")"})
			case symbolNames[name]:
				toks = append(toks, token{kind: tIdent, s: name})
			case name == "left" || name == "right" || name == "big" || name == "Big" || name == "bigl" ||
				name == "bigr" || name == "Bigl" || name == "Bigr" || name == "displaystyle" || name == "quad" ||
				name == "qquad" || name == "mathrm" || name == "text" || name == "mathbf" || name == "operatorname":
				// wrappers already removed by normalisation; ignore leftovers
			default:
				return nil, errSyntax
			}
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			// multi-letter function names written without backslash (sin, sqrt, ln ...)
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			word := s[i:j]
			if funcNames[word] && word != "frac" {
				toks = append(toks, token{kind: tFunc, s: word})
				i = j
				continue
			}
			if word == "pi" {
				toks = append(toks, token{kind: tIdent, s: "pi"})
				i = j
				continue
			}
			if word == "inf" || word == "infty" || word == "infinity" {
				toks = append(toks, token{kind: tIdent, s: "infty"})
				i = j
				continue
			}
			if len(word) > 3 || englishShort[strings.ToLower(word)] || len(word) > 1 && word[0] <= 'Z' && word[1] >= 'a' {
				return nil, errSyntax
			}
			toks = append(toks, token{kind: tIdent, s: string(c)})
			i++
		case c == '+' || c == '-' || c == '*' || c == '/' || c == '^' || c == '!' || c == '=' || c == ',' || c == '|':
			if c == '*' && i+1 < len(s) && s[i+1] == '*' {
				toks = append(toks, token{kind: tOp, s: "^"})
				i += 2
				continue
			}
			toks = append(toks, token{kind: tOp, s: string(c)})
			i++
		case c == '(' || c == '[' || c == '{':
			toks = append(toks, token{kind: tOpen, s: string(c)})
			i++
		case c == ')' || c == ']' || c == '}':
			toks = append(toks, token{kind: tClose, s: string(c)})
			i++
		case c == '_':
			toks = append(toks, token{kind: tUnder, s: "_"})
			i++
		case c == '\'':
			i++ // primes are ignored (f'(x) compares as f(x) on both sides)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch r {
			case 'π':
				toks = append(toks, token{kind: tIdent, s: "pi"})
			case '°': // degrees inside an expression: sin(90° - x)
				toks = append(toks, token{kind: tOp, s: "*"}, token{kind: tNum, s: "°", num: math.Pi / 180})
			case '∞':
				toks = append(toks, token{kind: tIdent, s: "infty"})
			case '·', '×', '⋅', '∗':
				toks = append(toks, token{kind: tOp, s: "*"})
			case '÷':
				toks = append(toks, token{kind: tOp, s: "/"})
			case '−', '–':
				toks = append(toks, token{kind: tOp, s: "-"})
			case '√':
				toks = append(toks, token{kind: tFunc, s: "sqrt"})
			default:
				if unicode.IsLetter(r) && r < 0x370+0x100 && r >= 0x370 { // Greek letters as variables
					toks = append(toks, token{kind: tIdent, s: string(r)})
				} else {
					return nil, errSyntax
				}
			}
			i += size
		}
	}
	return toks, nil
}

// englishShort are short English words that are never products of variables in answers.
var englishShort = map[string]bool{"in": true, "is": true, "of": true, "or": true, "and": true, "the": true,
	"to": true, "at": true, "on": true, "by": true, "as": true, "it": true, "be": true, "if": true, "so": true,
	"no": true, "yes": true, "not": true, "are": true, "was": true, "for": true, "all": true, "any": true}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- parser --------------------------------------------------------------------------------

type parser struct {
	toks  []token
	pos   int
	depth int
}

func (p *parser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tEOF}
}

func (p *parser) next() token {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *parser) isOp(s string) bool {
	t := p.peek()
	return t.kind == tOp && t.s == s
}

// ParseExpr parses one LaTeX or plain-text mathematical expression (no top-level commas or
// relations). It never panics; errors mean "not an expression we understand".
func ParseExpr(s string) (*Expr, error) {
	if len(s) > MaxExprLen {
		return nil, errTooLong
	}
	toks, err := lex(normalizeLatex(s))
	if err != nil {
		return nil, err
	}
	return parseTokens(toks)
}

func parseTokens(toks []token) (*Expr, error) {
	if len(toks) == 0 {
		return nil, errSyntax
	}
	p := &parser{toks: toks}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, errTrailing
	}
	return e, nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxExprDepth {
		return errTooDeep
	}
	return nil
}

func (p *parser) expr() (*Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != tOp || (t.s != "+" && t.s != "-") {
			return left, nil
		}
		p.next()
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		k := nAdd
		if t.s == "-" {
			k = nSub
		}
		left = &Expr{kind: k, a: left, b: right}
	}
}

// startsPrimary reports whether t can begin an implicitly multiplied factor.
func startsPrimary(t token) bool {
	switch t.kind {
	case tNum, tIdent, tFunc:
		return true
	case tOpen:
		return t.s == "(" || t.s == "{" || t.s == "["
	}
	return false
}

func (p *parser) term() (*Expr, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		var k nodeKind
		switch {
		case t.kind == tOp && t.s == "*":
			k = nMul
			p.next()
		case t.kind == tOp && t.s == "/":
			k = nDiv
			p.next()
		case startsPrimary(t):
			if t.kind == tNum && left.kind == nNum {
				return nil, errSyntax // "2 3" is not a product
			}
			if t.kind == tFunc && t.s == "frac" && left.kind == nNum && left.val == math.Trunc(left.val) && left.val >= 0 {
				// mixed number 2\frac{5}{8} = 2 + 5/8
				right, err := p.unary()
				if err != nil {
					return nil, err
				}
				if right.kind == nDiv && right.a.kind == nNum && right.b.kind == nNum {
					left = &Expr{kind: nAdd, a: left, b: right}
				} else {
					left = &Expr{kind: nMul, a: left, b: right}
				}
				continue
			}
			k = nMul
		default:
			return left, nil
		}
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &Expr{kind: k, a: left, b: right}
	}
}

// signed parses an optional leading sign followed by self (so "--x" nests), else rest.
func (p *parser) signed(self, rest func() (*Expr, error)) (*Expr, error) {
	if !p.isOp("-") && !p.isOp("+") {
		return rest()
	}
	neg := p.next().s == "-"
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := self()
	if err != nil {
		return nil, err
	}
	if neg {
		return &Expr{kind: nNeg, a: x}, nil
	}
	return x, nil
}

func (p *parser) unary() (*Expr, error) { return p.signed(p.unary, p.power) }

func (p *parser) power() (*Expr, error) {
	base, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if p.isOp("^") {
		p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		exp, err := p.exponent()
		if err != nil {
			return nil, err
		}
		return &Expr{kind: nPow, a: base, b: exp}, nil
	}
	return base, nil
}

// exponent parses what follows ^: a braced group, or a single signed atom (x^-1, 2^3).
func (p *parser) exponent() (*Expr, error) { return p.signed(p.exponent, p.power) }

func (p *parser) postfix() (*Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isOp("!") {
		p.next()
		x = &Expr{kind: nFact, a: x}
	}
	return x, nil
}

func closerOf(open string) string {
	switch open {
	case "(":
		return ")"
	case "[":
		return "]"
	}
	return "}"
}

func (p *parser) group() (*Expr, error) {
	open := p.next()
	if open.kind != tOpen {
		return nil, errSyntax
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	c := p.next()
	if c.kind != tClose || c.s != closerOf(open.s) {
		return nil, errSyntax
	}
	return x, nil
}

// arg parses a LaTeX macro argument: {group} or a single token (\frac12, \sqrt2).
func (p *parser) arg() (*Expr, error) {
	t := p.peek()
	if t.kind == tOpen && t.s == "{" {
		return p.group()
	}
	if t.kind == tNum && t.dec == 0 && len(t.s) > 1 {
		// \frac12: first digit only
		p.toks[p.pos] = token{kind: tNum, s: t.s[1:], num: mustFloat(t.s[1:])}
		return &Expr{kind: nNum, val: float64(t.s[0] - '0')}, nil
	}
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.postfix()
}

func mustFloat(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func (p *parser) primary() (*Expr, error) {
	t := p.peek()
	switch t.kind {
	case tNum:
		p.next()
		return &Expr{kind: nNum, val: t.num}, nil
	case tIdent:
		p.next()
		switch t.s {
		case "pi":
			return &Expr{kind: nNum, val: math.Pi}, nil
		case "infty":
			return &Expr{kind: nNum, val: math.Inf(1)}, nil
		case "e":
			return &Expr{kind: nNum, val: math.E}, nil
		}
		v := &Expr{kind: nVar, name: t.s}
		if p.peek().kind == tUnder { // subscripts: x_1, x_{n}
			p.next()
			sub := p.next()
			name := t.s + "_"
			if sub.kind == tOpen && sub.s == "{" {
				depth := 1
				for depth > 0 {
					q := p.next()
					switch q.kind {
					case tEOF:
						return nil, errSyntax
					case tOpen:
						depth++
					case tClose:
						depth--
					}
					if depth > 0 {
						name += q.s
					}
				}
			} else if sub.kind == tNum || sub.kind == tIdent {
				name += sub.s
			} else {
				return nil, errSyntax
			}
			v.name = name
		}
		return v, nil
	case tOpen:
		return p.group()
	case tOp:
		if t.s == "|" {
			p.next()
			if err := p.enter(); err != nil {
				return nil, err
			}
			defer func() { p.depth-- }()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isOp("|") {
				return nil, errSyntax
			}
			p.next()
			return &Expr{kind: nAbs, a: x}, nil
		}
	case tFunc:
		p.next()
		return p.function(t.s)
	}
	return nil, errSyntax
}

func (p *parser) function(name string) (*Expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch name {
	case "frac":
		num, err := p.arg()
		if err != nil {
			return nil, err
		}
		den, err := p.arg()
		if err != nil {
			return nil, err
		}
		return &Expr{kind: nDiv, a: num, b: den}, nil
	case "sqrt":
		if t := p.peek(); t.kind == tOpen && t.s == "[" { // \sqrt[n]{x}
			n, err := p.group()
			if err != nil {
				return nil, err
			}
			x, err := p.arg()
			if err != nil {
				return nil, err
			}
			return &Expr{kind: nPow, a: x, b: &Expr{kind: nDiv, a: &Expr{kind: nNum, val: 1}, b: n}}, nil
		}
		x, err := p.arg()
		if err != nil {
			return nil, err
		}
		return &Expr{kind: nFunc, name: "sqrt", a: x}, nil
	case "lfloor", "lceil":
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tClose {
			return nil, errSyntax
		}
		return &Expr{kind: nFunc, name: name[1:], a: x}, nil
	}
	// log_b x
	var base *Expr
	if name == "log" && p.peek().kind == tUnder {
		p.next()
		b, err := p.arg()
		if err != nil {
			return nil, err
		}
		base = b
	}
	// \sin^2 x = (sin x)^2 ; \sin^{-1} x = arcsin x
	var pow *Expr
	if p.isOp("^") {
		p.next()
		e, err := p.exponent()
		if err != nil {
			return nil, err
		}
		pow = e
	}
	var x *Expr
	var err error
	if t := p.peek(); t.kind == tOpen && (t.s == "(" || t.s == "{" || t.s == "[") {
		x, err = p.group()
		if err == nil && p.isOp("^") && pow == nil { // \sin(x)^2
			p.next()
			pow, err = p.exponent()
		}
	} else {
		// unparenthesised argument: a product of atoms without operators (\sin 2x, \ln x)
		x, err = p.power()
		for err == nil && startsPrimary(p.peek()) && p.peek().kind != tFunc {
			var y *Expr
			y, err = p.power()
			x = &Expr{kind: nMul, a: x, b: y}
		}
	}
	if err != nil {
		return nil, err
	}
	var f *Expr
	if pow != nil && pow.kind == nNeg && pow.a.kind == nNum && pow.a.val == 1 && (name == "sin" || name == "cos" || name == "tan") {
		return &Expr{kind: nFunc, name: "arc" + name, a: x}, nil
	}
	f = &Expr{kind: nFunc, name: name, a: x}
	if base != nil {
		f = &Expr{kind: nDiv, a: f, b: &Expr{kind: nFunc, name: "ln", a: base}}
	}
	if pow != nil {
		f = &Expr{kind: nPow, a: f, b: pow}
	}
	return f, nil
}

// ---- normalisation -------------------------------------------------------------------------

var latexReplacer = strings.NewReplacer(
	`\\`, `\\`, `\left`, "", `\right`, "", `\!`, "", `\,`, " ", `\;`, " ", `\:`, " ", `\ `, " ", `\quad`, " ", `\qquad`, " ",
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cfrac`, `\frac`, `\displaystyle`, "", `\mathrm{e}`, "e",
	`\bigl`, "", `\bigr`, "", `\Bigl`, "", `\Bigr`, "", `\big`, "", `\Big`, "",
	`$`, "", `\$`, "", `\%`, "%", "~", " ", `{,}`, "", `\lbrace`, `\{`, `\rbrace`, `\}`,
	`\le `, `\le `, `\geq`, "≥", `\leq`, "≤", `\ge `, "≥", `\neq`, "≠", `\ne `, "≠",
	`\lt`, "<", `\gt`, ">", `\infin`, `\infty`, `\operatorname{`, `\mathrm{`,
	`\arcsin`, `\arcsin`, `\sen`, `\sin`, `\tg`, `\tan`, `\ctg`, `\cot`,
	`\to`, "→", `\rightarrow`, "→", "\u00a0", " ", `\mid`, "|", `\vert`, "|", `\lvert`, "|", `\rvert`, "|",
)

var superscripts = map[rune]byte{'⁰': '0', '¹': '1', '²': '2', '³': '3', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7',
	'⁸': '8', '⁹': '9', '⁻': '-', '⁺': '+'}

// unSuperscript turns Unicode superscripts into powers: 10⁻⁵ -> 10^{-5}, x² -> x^{2}.
func unSuperscript(s string) string {
	if !strings.ContainsAny(s, "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺") {
		return s
	}
	var b strings.Builder
	in := false
	for _, r := range s {
		c, ok := superscripts[r]
		switch {
		case ok && !in:
			b.WriteString("^{")
			b.WriteByte(c)
			in = true
		case ok:
			b.WriteByte(c)
		default:
			if in {
				b.WriteByte('}')
				in = false
			}
			b.WriteRune(r)
		}
	}
	if in {
		b.WriteByte('}')
	}
	return b.String()
}

// normalizeLatex removes presentational LaTeX so that the lexer sees mathematics only.
func normalizeLatex(s string) string {
	s = unSuperscript(latexReplacer.Replace(s))
	for _, cmd := range []string{`\text{`, `\textbf{`, `\mathrm{`, `\mathbf{`, `\mbox{`, `\textit{`, `\boxed{`, `\mathit{`, `\mathbb{`} {
		if strings.Contains(s, cmd) {
			s = unwrapCommand(s, cmd)
		}
	}
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "..") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	return s
}
