package benchmarks

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Python values and a small evaluator for the expressions the TheoremQA repository hands to
// Python's eval(): the string that sympy prints for a latex2sympy result, a prediction such as
// "(1, 2.5)", or "2**10". Ints are unbounded like Python's; "/" is true division; the names are
// those of the repository's utils.py (from math import sqrt, sin, cos, log, pi, factorial, exp,
// e; E = 2.718) plus the few builtins a number answer can call. Anything else is a NameError or
// a SyntaxError, reported as an error.

type pyKind uint8

const (
	pyInt pyKind = iota + 1
	pyFlt
	pyBool
	pyList
	pyTuple
	pyNone
)

type pyVal struct {
	kind  pyKind
	i     *big.Int // pyInt, pyBool (0 or 1)
	f     float64  // pyFlt
	elems []pyVal  // pyList, pyTuple
}

var errPy = errors.New("python evaluation error")

func pyIntVal(i *big.Int) pyVal  { return pyVal{kind: pyInt, i: i} }
func pyFloatVal(f float64) pyVal { return pyVal{kind: pyFlt, f: f} }
func pyBoolVal(b bool) pyVal {
	if b {
		return pyVal{kind: pyBool, i: big.NewInt(1)}
	}
	return pyVal{kind: pyBool, i: big.NewInt(0)}
}

// isNum reports whether v is an int, float or bool (Python's numbers; bool is an int).
func (v pyVal) isNum() bool     { return v.kind == pyInt || v.kind == pyFlt || v.kind == pyBool }
func (v pyVal) isIntLike() bool { return v.kind == pyInt || v.kind == pyBool }

// float converts a number the way float() does (an int too large is an OverflowError).
func (v pyVal) float() (float64, error) {
	switch v.kind {
	case pyFlt:
		return v.f, nil
	case pyInt, pyBool:
		f, _ := new(big.Float).SetInt(v.i).Float64()
		if math.IsInf(f, 0) {
			return 0, errPy
		}
		return f, nil
	}
	return 0, errPy
}

// str is Python's str() of the value.
func (v pyVal) str() string {
	switch v.kind {
	case pyInt:
		return v.i.String()
	case pyBool:
		if v.i.Sign() != 0 {
			return "True"
		}
		return "False"
	case pyFlt:
		return pyFloatRepr(v.f)
	case pyNone:
		return "None"
	case pyList, pyTuple:
		parts := make([]string, len(v.elems))
		for i, e := range v.elems {
			parts[i] = e.str()
		}
		if v.kind == pyList {
			return "[" + strings.Join(parts, ", ") + "]"
		}
		if len(parts) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return ""
}

// pyFloatRepr is Python's repr() of a float: the shortest digits that round-trip, positional
// for exponents -4..15, scientific (two-digit exponent at least) outside.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".") {
			s += ".0"
		}
		return s
	}
	sign := "+"
	if exp < 0 {
		sign, exp = "-", -exp
	}
	return mant + "e" + sign + twoDigits(exp)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// floatify is the repository's floatify(): float(x), and an integral result as an int
// (round()); None (ok=false) when float() fails.
func floatify(v pyVal) (pyVal, bool) {
	f, err := v.float()
	if err != nil {
		return pyVal{}, false
	}
	return floatifyF(f)
}

func floatifyStr(s string) (pyVal, bool) {
	f, ok := pyFloat(s)
	if !ok {
		return pyVal{}, false
	}
	return floatifyF(f)
}

func floatifyF(f float64) (pyVal, bool) {
	if !math.IsInf(f, 0) && !math.IsNaN(f) && f == math.Trunc(f) {
		i, _ := new(big.Float).SetFloat64(f).Int(nil)
		return pyIntVal(i), true
	}
	return pyFloatVal(f), true
}

// --- arithmetic with Python's types ---

func pyArith(op string, a, b pyVal) (pyVal, error) {
	if !a.isNum() || !b.isNum() {
		if op == "+" && a.kind == b.kind && (a.kind == pyList || a.kind == pyTuple) {
			return pyVal{kind: a.kind, elems: append(append([]pyVal(nil), a.elems...), b.elems...)}, nil
		}
		return pyVal{}, errPy
	}
	if a.isIntLike() && b.isIntLike() {
		x, y := a.i, b.i
		switch op {
		case "+":
			return pyIntVal(new(big.Int).Add(x, y)), nil
		case "-":
			return pyIntVal(new(big.Int).Sub(x, y)), nil
		case "*":
			return pyIntVal(new(big.Int).Mul(x, y)), nil
		case "/":
			if y.Sign() == 0 {
				return pyVal{}, errPy
			}
			f, _ := new(big.Rat).SetFrac(x, y).Float64()
			if math.IsInf(f, 0) {
				return pyVal{}, errPy
			}
			return pyFloatVal(f), nil
		case "//", "%":
			if y.Sign() == 0 {
				return pyVal{}, errPy
			}
			q, m := new(big.Int).DivMod(x, y, new(big.Int)) // Euclidean: fix to floor division
			if m.Sign() != 0 && y.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
				m.Add(m, y)
			}
			if op == "//" {
				return pyIntVal(q), nil
			}
			return pyIntVal(m), nil
		case "**":
			if y.Sign() >= 0 {
				if x.CmpAbs(big.NewInt(1)) > 0 && (!y.IsInt64() || int64(x.BitLen())*y.Int64() > 1<<22) {
					return pyVal{}, errPy // over 4M bits: not an answer anybody wrote (Python would grind on)
				}
				return pyIntVal(new(big.Int).Exp(x, y, nil)), nil
			}
			if x.Sign() == 0 {
				return pyVal{}, errPy // ZeroDivisionError
			}
			fx, _ := a.float()
			fy, _ := b.float()
			return pyFloatVal(math.Pow(fx, fy)), nil
		}
		return pyVal{}, errPy
	}
	x, err := a.float()
	if err != nil {
		return pyVal{}, err
	}
	y, err := b.float()
	if err != nil {
		return pyVal{}, err
	}
	var r float64
	switch op {
	case "+":
		r = x + y
	case "-":
		r = x - y
	case "*":
		r = x * y
	case "/":
		if y == 0 {
			return pyVal{}, errPy
		}
		r = x / y
	case "//", "%":
		if y == 0 {
			return pyVal{}, errPy
		}
		m := math.Mod(x, y)
		if m != 0 && (m < 0) != (y < 0) {
			m += y
		}
		if op == "%" {
			r = m
		} else {
			r = math.Round((x - m) / y)
		}
	case "**":
		if x == 0 && y < 0 {
			return pyVal{}, errPy
		}
		if x < 0 && y != math.Trunc(y) {
			return pyVal{}, errPy // a complex number: float() of it fails
		}
		r = math.Pow(x, y)
	default:
		return pyVal{}, errPy
	}
	if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
		return pyVal{}, errPy // OverflowError
	}
	return pyFloatVal(r), nil
}

func pyNeg(a pyVal) (pyVal, error) {
	switch a.kind {
	case pyInt, pyBool:
		return pyIntVal(new(big.Int).Neg(a.i)), nil
	case pyFlt:
		return pyFloatVal(-a.f), nil
	}
	return pyVal{}, errPy
}

func pyCompare(op string, a, b pyVal) (pyVal, error) {
	if !a.isNum() || !b.isNum() {
		return pyVal{}, errPy
	}
	var c int
	if a.isIntLike() && b.isIntLike() {
		c = a.i.Cmp(b.i)
	} else {
		x, _ := a.float()
		y, _ := b.float()
		switch {
		case x < y:
			c = -1
		case x > y:
			c = 1
		case x != y:
			return pyBoolVal(op == "!="), nil // NaN
		}
	}
	switch op {
	case "<":
		return pyBoolVal(c < 0), nil
	case "<=":
		return pyBoolVal(c <= 0), nil
	case ">":
		return pyBoolVal(c > 0), nil
	case ">=":
		return pyBoolVal(c >= 0), nil
	case "==":
		return pyBoolVal(c == 0), nil
	case "!=":
		return pyBoolVal(c != 0), nil
	}
	return pyVal{}, errPy
}

// pyCall applies one of the names the repository's eval() can see to its arguments.
func pyCall(name string, args []pyVal) (pyVal, error) {
	one := func() (float64, error) {
		if len(args) != 1 {
			return 0, errPy
		}
		return args[0].float()
	}
	finite := func(r float64) (pyVal, error) {
		if math.IsNaN(r) || math.IsInf(r, 0) {
			return pyVal{}, errPy // math domain / range error
		}
		return pyFloatVal(r), nil
	}
	switch name {
	case "sqrt":
		x, err := one()
		if err != nil || x < 0 {
			return pyVal{}, errPy
		}
		return pyFloatVal(math.Sqrt(x)), nil
	case "sin", "cos", "exp":
		x, err := one()
		if err != nil || math.IsInf(x, 0) {
			return pyVal{}, errPy
		}
		return finite(map[string]func(float64) float64{"sin": math.Sin, "cos": math.Cos, "exp": math.Exp}[name](x))
	case "log":
		if len(args) < 1 || len(args) > 2 {
			return pyVal{}, errPy
		}
		x, err := args[0].float()
		if err != nil || x <= 0 {
			return pyVal{}, errPy
		}
		if len(args) == 1 {
			return pyFloatVal(math.Log(x)), nil
		}
		b, err := args[1].float()
		if err != nil || b <= 0 || b == 1 {
			return pyVal{}, errPy
		}
		return pyFloatVal(math.Log(x) / math.Log(b)), nil
	case "factorial":
		if len(args) != 1 || !args[0].isIntLike() || args[0].i.Sign() < 0 || args[0].i.BitLen() > 12 {
			return pyVal{}, errPy
		}
		return pyIntVal(new(big.Int).MulRange(1, args[0].i.Int64())), nil
	case "abs":
		if len(args) != 1 || !args[0].isNum() {
			return pyVal{}, errPy
		}
		if args[0].kind == pyFlt {
			return pyFloatVal(math.Abs(args[0].f)), nil
		}
		return pyIntVal(new(big.Int).Abs(args[0].i)), nil
	case "float":
		x, err := one()
		if err != nil {
			return pyVal{}, err
		}
		return pyFloatVal(x), nil
	case "pow":
		if len(args) != 2 {
			return pyVal{}, errPy
		}
		return pyArith("**", args[0], args[1])
	}
	return pyVal{}, errPy // NameError
}

var pyCompareOps = map[string]bool{"<": true, "<=": true, ">": true, ">=": true, "==": true, "!=": true}

// pyNames are the constants of the repository's utils.py namespace.
var pyNames = map[string]pyVal{
	"pi": pyFloatVal(math.Pi), "e": pyFloatVal(math.E), "E": pyFloatVal(2.718),
	"True": pyBoolVal(true), "False": pyBoolVal(false), "None": {kind: pyNone},
}

// --- the evaluator of Python source text ---

type pyTok struct {
	kind string // "num", "name", "op", "end"
	text string
	val  pyVal
}

func pyTokenize(s string) ([]pyTok, error) {
	var out []pyTok
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ' ' || r == '\t' || r == '\f':
			i += size
		case r >= '0' && r <= '9' || r == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
				j++
			}
			isFloat := false
			if j < len(s) && s[j] == '.' {
				isFloat = true
				j++
				for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
					j++
				}
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					isFloat = true
					for k < len(s) && (s[k] >= '0' && s[k] <= '9' || s[k] == '_') {
						k++
					}
					j = k
				}
			}
			lit := s[i:j]
			if j < len(s) && (isIdentRune(rune(s[j])) || s[j] == '.') {
				return nil, errPy // 5x, 1.2.3: SyntaxError
			}
			if strings.Contains(lit, "__") || strings.HasSuffix(lit, "_") || strings.Contains(lit, "_.") || strings.Contains(lit, "._") {
				return nil, errPy
			}
			clean := strings.ReplaceAll(lit, "_", "")
			if isFloat {
				f, err := strconv.ParseFloat(clean, 64)
				if err != nil && !errors.Is(err, strconv.ErrRange) {
					return nil, errPy
				}
				out = append(out, pyTok{kind: "num", text: lit, val: pyFloatVal(f)})
			} else {
				if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
					return nil, errPy // leading zeros in a decimal literal
				}
				n, _ := new(big.Int).SetString(clean, 10)
				out = append(out, pyTok{kind: "num", text: lit, val: pyIntVal(n)})
			}
			i = j
		case isIdentRune(r) && !unicode.IsDigit(r):
			j := i
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !isIdentRune(r2) {
					break
				}
				j += sz
			}
			out = append(out, pyTok{kind: "name", text: s[i:j]})
			i = j
		default:
			op := ""
			for _, o := range []string{"**", "//", "<=", ">=", "==", "!=", "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", "<", ">"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, errPy
			}
			out = append(out, pyTok{kind: "op", text: op})
			i += len(op)
		}
	}
	return append(out, pyTok{kind: "end"}), nil
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

type pyParser struct {
	toks []pyTok
	pos  int
}

func (p *pyParser) peek() pyTok { return p.toks[p.pos] }
func (p *pyParser) isOp(o string) bool {
	t := p.peek()
	return t.kind == "op" && t.text == o
}

// pyEval evaluates Python source the way eval() would for the subset described above; a bare
// "a, b" is a tuple, as in Python.
func pyEval(src string) (pyVal, error) {
	src = strings.Trim(src, " \t\n\r\f\v")
	toks, err := pyTokenize(src)
	if err != nil {
		return pyVal{}, err
	}
	p := &pyParser{toks: toks}
	v, err := p.exprList(true)
	if err != nil {
		return pyVal{}, err
	}
	if p.peek().kind != "end" {
		return pyVal{}, errPy
	}
	return v, nil
}

// exprList parses "a" or "a, b, ..." (a tuple; a trailing comma allowed).
func (p *pyParser) exprList(tuple bool) (pyVal, error) {
	first, err := p.comparison()
	if err != nil {
		return pyVal{}, err
	}
	if !p.isOp(",") {
		return first, nil
	}
	elems := []pyVal{first}
	for p.isOp(",") {
		p.pos++
		if t := p.peek(); t.kind == "end" || t.kind == "op" && (t.text == ")" || t.text == "]") {
			break
		}
		v, err := p.comparison()
		if err != nil {
			return pyVal{}, err
		}
		elems = append(elems, v)
	}
	return pyVal{kind: pyTuple, elems: elems}, nil
}

func (p *pyParser) comparison() (pyVal, error) {
	a, err := p.arith()
	if err != nil {
		return pyVal{}, err
	}
	result := pyVal{}
	chained := false
	for {
		t := p.peek()
		if t.kind != "op" || !pyCompareOps[t.text] {
			break
		}
		p.pos++
		b, err := p.arith()
		if err != nil {
			return pyVal{}, err
		}
		c, err := pyCompare(t.text, a, b)
		if err != nil {
			return pyVal{}, err
		}
		if !chained || result.i.Sign() != 0 {
			result = c
		}
		chained = true
		a = b
	}
	if chained {
		return result, nil
	}
	return a, nil
}

func (p *pyParser) arith() (pyVal, error) {
	a, err := p.term()
	if err != nil {
		return pyVal{}, err
	}
	for p.isOp("+") || p.isOp("-") {
		op := p.peek().text
		p.pos++
		b, err := p.term()
		if err != nil {
			return pyVal{}, err
		}
		if a, err = pyArith(op, a, b); err != nil {
			return pyVal{}, err
		}
	}
	return a, nil
}

func (p *pyParser) term() (pyVal, error) {
	a, err := p.factor()
	if err != nil {
		return pyVal{}, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		op := p.peek().text
		p.pos++
		b, err := p.factor()
		if err != nil {
			return pyVal{}, err
		}
		if a, err = pyArith(op, a, b); err != nil {
			return pyVal{}, err
		}
	}
	return a, nil
}

func (p *pyParser) factor() (pyVal, error) {
	if p.isOp("-") || p.isOp("+") {
		op := p.peek().text
		p.pos++
		v, err := p.factor()
		if err != nil {
			return pyVal{}, err
		}
		if op == "-" {
			return pyNeg(v)
		}
		if !v.isNum() {
			return pyVal{}, errPy
		}
		if v.kind == pyBool {
			v.kind = pyInt
		}
		return v, nil
	}
	return p.power()
}

func (p *pyParser) power() (pyVal, error) {
	base, err := p.atom()
	if err != nil {
		return pyVal{}, err
	}
	if p.isOp("**") {
		p.pos++
		exp, err := p.factor() // right-associative, binds a unary minus on its right
		if err != nil {
			return pyVal{}, err
		}
		return pyArith("**", base, exp)
	}
	return base, nil
}

func (p *pyParser) atom() (pyVal, error) {
	t := p.peek()
	switch {
	case t.kind == "num":
		p.pos++
		return t.val, nil
	case t.kind == "name":
		p.pos++
		if p.isOp("(") {
			p.pos++
			var args []pyVal
			for !p.isOp(")") {
				a, err := p.comparison()
				if err != nil {
					return pyVal{}, err
				}
				args = append(args, a)
				if p.isOp(",") {
					p.pos++
				} else if !p.isOp(")") {
					return pyVal{}, errPy
				}
			}
			p.pos++
			return pyCall(t.text, args)
		}
		if v, ok := pyNames[t.text]; ok {
			return v, nil
		}
		return pyVal{}, errPy // NameError
	case t.kind == "op" && t.text == "(":
		p.pos++
		if p.isOp(")") {
			p.pos++
			return pyVal{kind: pyTuple}, nil
		}
		v, err := p.exprList(true)
		if err != nil {
			return pyVal{}, err
		}
		if !p.isOp(")") {
			return pyVal{}, errPy
		}
		p.pos++
		return v, nil
	case t.kind == "op" && t.text == "[":
		p.pos++
		var elems []pyVal
		for !p.isOp("]") {
			v, err := p.comparison()
			if err != nil {
				return pyVal{}, err
			}
			elems = append(elems, v)
			if p.isOp(",") {
				p.pos++
			} else if !p.isOp("]") {
				return pyVal{}, errPy
			}
		}
		p.pos++
		return pyVal{kind: pyList, elems: elems}, nil
	}
	return pyVal{}, errPy
}
