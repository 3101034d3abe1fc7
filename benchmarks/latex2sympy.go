package benchmarks

import (
	"errors"
	"math/big"
	"sort"
	"strings"
	"unicode/utf8"
)

// A model of latex2sympy2 (OrangeX4/latex2sympy, the parser the TheoremQA repository calls)
// for the inputs a number answer can hold, followed by what the repository does with the
// result: str() it (sympy's printer) and eval() it in its utils.py namespace. Written from the
// grammar (PS.g4) and latex2sympy2.py; the points that decide TheoremQA verdicts:
//   - the grammar's start rule has no EOF: the longest parsable prefix is read and the rest is
//     ignored ("59.\nThis is ..." is 59), unless the token right after it cannot be lexed
//     (the lexer raises on characters outside the grammar: "\(", "?", "√", unicode letters);
//   - NUMBER takes thousands separators ("362,880" is 362880) and becomes an exact Rational;
//   - a top-level "a, b" is a list; "(a, b)" is a syntax error; "[a, b]" is a list;
//   - letters are symbols and e is exp(1); a symbol, or a function that utils.py does not import
//     (tan, arctan, Abs, floor, ...), makes eval() fail; sympy prints exp(1) as E, which utils.py
//     defines as 2.718, and \ln x as log(x, E);
//   - "x = 5" with a bare symbol on the left is 5 (latex2sympy's assignment).
// Not modelled: latex2sympy's process-wide state (after an input holding a differential such as
// "dx" its global `var` is a Symbol and every later letter raises, which changes how "True" and
// "False" evaluate for the rest of the process), matrices, integrals, sums and limits (all
// evaluate to nothing here, as they do there for a number comparison), and sympy's term order
// when it prints a sum or product (it can move the last digit of a float).

var errLatex = errors.New("latex2sympy: cannot parse")

type ltok struct {
	kind string // token type (see ltokLiterals), "NUM", "LETTER", "EXP_E", "DIFF", "GREEK", ...
	text string
	num  *big.Rat
}

// ltokLiterals are the fixed tokens of the lexer, by type; the longest match wins.
var ltokLiterals = map[string]string{
	"+": "ADD", "-": "SUB", "*": "MUL", "/": "DIV", `\over`: "DIV",
	"(": "(", ")": ")", `\lgroup`: "(", `\rgroup`: ")", "{": "{", "}": "}", `\{`: `\{`, `\}`: `\}`,
	`\lbrace`: `\{`, `\rbrace`: `\}`, "[": "[", "]": "]", `\lbrack`: "[", `\rbrack`: "]",
	"|": "BAR", `\lvert`: "BAR", `\rvert`: "BAR", `\vert`: "BAR", `\|`: "NORM",
	`\lfloor`: "FLOOR", `\rfloor`: "FLOOR", `\llcorner`: "FLOOR", `\lrcorner`: "FLOOR",
	`\lceil`: "FLOOR", `\rceil`: "FLOOR", `\ulcorner`: "FLOOR", `\urcorner`: "FLOOR",
	`\left`: "LEFT", `\right`: "RIGHT", `\mleft`: "LEFT", `\mright`: "RIGHT",
	`\lim`: "BIG", `\int`: "BIG", `\sum`: "BIG", `\prod`: "BIG",
	`\to`: "ARROW", `\rightarrow`: "ARROW", `\Rightarrow`: "ARROW", `\longrightarrow`: "ARROW", `\Longrightarrow`: "ARROW",
	`\sqrt`: "SQRT", `\times`: "MUL", `\cdot`: "MUL", `\div`: "DIV", `\frac`: "FRAC",
	`\binom`: "BINOM", `\tbinom`: "BINOM", `\dbinom`: "BINOM", `\choose`: "CHOOSE", `\mod`: "MOD",
	`\mathit`: "ACCENT", `\operatorname`: "OPNAME",
	"&": "AMP", `\\`: "ROW", "_": "_", "^": "^", ":": "COLON", ";": ";", ",": ",", ".": "PERIOD",
	`\xrightarrow`: "XARROW", `\xRightarrow`: "XARROW", "<->": "XCHG", "<=>": "XCHG", `\leftrightarrow`: "XCHG", `\Leftrightarrow`: "XCHG",
	`\in`: "IN", "=": "ASSIGN", "==": "EQ", `\equiv`: "EQ", "<": "LT", `\leq`: "LTE", `\le`: "LTE", `\leqslant`: "LTE",
	">": "GT", `\geq`: "GTE", `\ge`: "GTE", `\geqslant`: "GTE",
	"!=": "NE", "!==": "NE", `\ne`: "NE", `\neq`: "NE", `\not\equiv`: "NE", "!": "BANG",
	"'": "TRANSPOSE", "^T": "TRANSPOSE", "^{T}": "TRANSPOSE", `^{\top}`: "TRANSPOSE",
	`\exponentialE`: "EXP_E", "E": "E_NOTATION_E",
	`\pi`: "PI", `\partial`: "PARTIAL", `\infty`: "INFTY", `\$\infty`: "INFTY", `\infty\%`: "INFTY", `\emptyset`: "INFTY",
	`\begin{matrix}`: "MATRIX", `\begin{pmatrix}`: "MATRIX", `\begin{bmatrix}`: "MATRIX", `\begin{vmatrix}`: "MATRIX",
	`\end{matrix}`: "MATRIX", `\end{pmatrix}`: "MATRIX", `\end{bmatrix}`: "MATRIX", `\end{vmatrix}`: "MATRIX",
}

func init() {
	for _, f := range []string{"log", "ln", "exp", "sin", "cos", "tan", "csc", "sec", "cot", "arcsin", "arccos",
		"arctan", "arccsc", "arcsec", "arccot", "sinh", "cosh", "tanh", "arsinh", "arcosh", "artanh", "arcsinh",
		"arccosh", "arctanh", "floor", "ceil", "det"} {
		ltokLiterals[`\`+f] = "FUNC1"
	}
	for _, f := range []string{"gcd", "lcm", "max", "min"} {
		ltokLiterals[`\`+f] = "FUNCN"
	}
	// Words that are tokens of their own (only usable after \operatorname): inside an answer
	// they end the parsed prefix.
	for _, w := range []string{"arsinh", "arcsinh", "arcosh", "arccosh", "artanh", "arctanh", "gcd", "lcm", "floor",
		"ceil", "eye", "zeros", "ones", "cols", "rows", "diag", "norm", "rank", "trace", "tr", "rref", "hstack",
		"vstack", "orth", "ortho", "orthogonal", "orthogonalize", "nullspace", "eig", "eigen", "diagonalize",
		"eigenvals", "eigenvalues", "eigenvects", "eigenvectors", "svd", "SVD", "matrix", "pmatrix", "bmatrix", "vmatrix"} {
		ltokLiterals[w] = "NAME"
	}
	for _, a := range []string{"acute", "bar", "overline", "breve", "check", "widecheck", "dot", "ddot", "grave",
		"hat", "tilde", "widetilde", "vec", "overrightarrow", "bm", "boldsymbol", "text", "textit", "mathbb",
		"mathbin", "mathbf", "mathcal", "mathclap", "mathclose", "mathellipsis", "mathfrak", "mathinner",
		"mathnormal", "mathop", "mathopen", "mathord", "mathpunct", "mathrel", "mathring", "mathrlap", "mathrm",
		"mathscr", "mathsf", "mathsterling", "mathtt"} {
		ltokLiterals[`\`+a] = "ACCENT"
	}
	for _, g := range []string{"alpha", "beta", "Gamma", "gamma", "Delta", "delta", "epsilon", "varepsilon", "zeta",
		"eta", "Theta", "theta", "vartheta", "iota", "kappa", "Lambda", "lambda", "mu", "nu", "Xi", "xi", "omicron",
		"Pi", "varpi", "rho", "varrho", "Sigma", "sigma", "varsigma", "tau", "Upsilon", "upsilon", "Phi", "phi",
		"varphi", "chi", "Psi", "psi", "Omega", "omega",
		// OTHER_SYMBOL_CMD
		"Bbbk", "wp", "nabla", "bigstar", "angle", "nexists", "diagdown", "measuredangle", "eth", "diagup",
		"sphericalangle", "clubsuit", "varnothing", "Diamond", "complement", "diamondsuit", "imath", "Finv",
		"triangledown", "heartsuit", "jmath", "Game", "triangle", "spadesuit", "ell", "hbar", "vartriangle", "hslash",
		"blacklozenge", "lozenge", "blacksquare", "mho", "blacktriangle", "sharp", "prime", "Im", "flat", "square",
		"backprime", "Re", "natural", "surd", "circledS"} {
		ltokLiterals[`\`+g] = "GREEK"
		ltokLiterals[`\`+g+" "] = "GREEK"
	}
}

var ltokMaxLen = func() int {
	n := 0
	for k := range ltokLiterals {
		n = max(n, len(k))
	}
	return n
}()

func isAsciiLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAsciiDigit(c byte) bool  { return c >= '0' && c <= '9' }

// lexNumber matches NUMBER (DIGIT+ (,DDD)* | DIGIT* (,DDD)* . DIGIT+) at s and returns its length.
func lexNumber(s string) int {
	i := 0
	for i < len(s) && isAsciiDigit(s[i]) {
		i++
	}
	groups := func(j int) int {
		for j+3 < len(s) && s[j] == ',' && isAsciiDigit(s[j+1]) && isAsciiDigit(s[j+2]) && isAsciiDigit(s[j+3]) {
			j += 4
		}
		return j
	}
	intEnd := 0
	if i > 0 {
		intEnd = groups(i)
	}
	// second alternative: DIGIT* (,DDD)* . DIGIT+
	j := intEnd
	if j < len(s) && s[j] == '.' && j+1 < len(s) && isAsciiDigit(s[j+1]) {
		j++
		for j < len(s) && isAsciiDigit(s[j]) {
			j++
		}
		return j
	}
	return intEnd
}

// llexer produces tokens on demand, like ANTLR's token stream: a character that no token
// matches raises only when the parser asks for that token.
type llexer struct {
	s    string
	pos  int
	toks []ltok
	err  error
}

func (lx *llexer) next() (ltok, error) {
	s := lx.s
	for {
		for lx.pos < len(s) && strings.IndexByte(" \t\r\n", s[lx.pos]) >= 0 {
			lx.pos++
		}
		if strings.HasPrefix(s[lx.pos:], `\$`) && !strings.HasPrefix(s[lx.pos:], `\$\infty`) {
			lx.pos += 2 // DOLLAR_SIGN -> skip
			continue
		}
		break
	}
	if lx.pos >= len(s) {
		return ltok{kind: "EOF"}, nil
	}
	rest := s[lx.pos:]
	best, kind := 0, ""
	for n := min(ltokMaxLen, len(rest)); n >= 1; n-- {
		if k, ok := ltokLiterals[rest[:n]]; ok {
			best, kind = n, k
			break
		}
	}
	c := rest[0]
	// NUMBER, E_NOTATION, PERCENT_NUMBER
	if n := lexNumber(rest); n > 0 && n >= best {
		k, m := "NUM", n
		if m < len(rest) && rest[m] == 'E' {
			e := m + 1
			if e < len(rest) && (rest[e] == '+' || rest[e] == '-') {
				e++
			}
			d := e
			for d < len(rest) && isAsciiDigit(rest[d]) {
				d++
			}
			if d > e {
				k, m = "ENOT", d
			}
		}
		if k == "NUM" && strings.HasPrefix(rest[m:], `\%`) {
			k, m = "PCT", m+2
		}
		if m > best {
			best, kind = m, k
		}
	}
	// DIFFERENTIAL: 'd' WS* ([a-zA-Z] | '\' [a-zA-Z]+)
	if c == 'd' {
		j := 1
		for j < len(rest) && strings.IndexByte(" \t\r\n", rest[j]) >= 0 {
			j++
		}
		if j < len(rest) && isAsciiLetter(rest[j]) {
			j++
		} else if j+1 < len(rest) && rest[j] == '\\' && isAsciiLetter(rest[j+1]) {
			j++
			for j < len(rest) && isAsciiLetter(rest[j]) {
				j++
			}
		} else {
			j = 0
		}
		if j > best {
			best, kind = j, "DIFF"
		}
	}
	if best == 0 && isAsciiLetter(c) {
		best, kind = 1, "LETTER"
		if c == 'e' {
			kind = "EXP_E"
		}
	}
	if best == 0 {
		r, _ := utf8.DecodeRuneInString(rest)
		return ltok{}, errors.New("latex2sympy: token recognition error at " + string(r))
	}
	t := ltok{kind: kind, text: rest[:best]}
	switch kind {
	case "NUM", "ENOT", "PCT":
		txt := strings.ReplaceAll(strings.TrimSuffix(t.text, `\%`), ",", "")
		r, ok := new(big.Rat).SetString(txt)
		if !ok {
			return ltok{}, errLatex
		}
		if kind == "PCT" {
			r.Quo(r, big.NewRat(100, 1))
		}
		t.kind, t.num = "NUM", r
	}
	lx.pos += best
	return t, nil
}

// lnode is a sympy expression as latex2sympy builds it (unevaluated where it passes
// evaluate=False).
type lnode struct {
	kind string // "num", "E", "pi", "sym" (eval() fails on it), "add", "mul", "pow", "func", "rel", "list"
	num  *big.Rat
	name string // func name, rel operator
	args []*lnode
}

var symNode = &lnode{kind: "sym"}

func numNode(r *big.Rat) *lnode { return &lnode{kind: "num", num: r} }
func intNode(i int64) *lnode    { return numNode(big.NewRat(i, 1)) }

type lparser struct {
	lx  *llexer
	buf []ltok
	pos int
	// what the parse built: symbols (atom_expr) and differentials such as "dx"; a test uses
	// them to reproduce latex2sympy's process-wide state (see the file comment).
	symbols, differentials bool
}

func (p *lparser) peekN(k int) (ltok, error) {
	for len(p.buf) <= p.pos+k {
		t, err := p.lx.next()
		if err != nil {
			return ltok{}, err
		}
		p.buf = append(p.buf, t)
		if t.kind == "EOF" {
			for len(p.buf) <= p.pos+k {
				p.buf = append(p.buf, t)
			}
		}
	}
	return p.buf[p.pos+k], nil
}

func (p *lparser) peek() (ltok, error) { return p.peekN(0) }

func (p *lparser) is(kinds ...string) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	for _, k := range kinds {
		if t.kind == k {
			return true, nil
		}
	}
	return false, nil
}

func (p *lparser) expect(kind string) error {
	t, err := p.peek()
	if err != nil {
		return err
	}
	if t.kind != kind {
		return errLatex
	}
	p.pos++
	return nil
}

// latex2sympy parses s as latex2sympy2 would (after its own rewrites) and returns the
// expression, or an error where latex2sympy raises.
func latex2sympy(s string) (*lnode, error) {
	x, _, err := latex2sympyParse(s)
	return x, err
}

func latex2sympyParse(s string) (*lnode, *lparser, error) {
	s = strings.NewReplacer(`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\mathrm{T}`, "T", `\mathrm{d}`, "d", `{\rm d}`, "d",
		`\displaystyle`, " ", `\quad`, " ", `\qquad`, " ", "~", " ", `\,`, " ", "$", " ",
		`\bigl(`, "(", `\bigr)`, ")", `\left(`, "(", `\right)`, ")").Replace(s)
	p := &lparser{lx: &llexer{s: s}}
	x, err := p.math()
	return x, p, err
}

var listOpen = map[string]string{"[": "]", "{": "}", `\{`: `\}`}

// math: relation | relation_list. The choice is made after the first relation, on the
// token that follows it, as ANTLR's prediction does.
func (p *lparser) math() (*lnode, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	closeKind, bracketed := listOpen[t.kind]
	if t.kind == "LEFT" {
		if t2, err := p.peekN(1); err == nil && (t2.kind == "[" || t2.kind == `\{`) {
			closeKind, bracketed = listOpen[t2.kind], true
		}
	}
	if bracketed {
		save := p.pos
		if t.kind == "LEFT" {
			p.pos++
		}
		p.pos++
		first, err := p.relation()
		if err == nil {
			if sep, err2 := p.peek(); err2 == nil && (sep.kind == "," || sep.kind == ";") {
				items, err := p.listContent(first, sep.kind)
				if err != nil {
					return nil, err
				}
				if t.kind == "LEFT" {
					if err := p.expect("RIGHT"); err != nil {
						return nil, err
					}
				}
				if err := p.expect(closeKind); err != nil {
					return nil, err
				}
				return &lnode{kind: "list", args: items}, nil
			}
		}
		p.pos = save
	}
	first, err := p.relation()
	if err != nil {
		return nil, err
	}
	sep, err := p.peek()
	if err != nil {
		return nil, err
	}
	if sep.kind == "," || sep.kind == ";" {
		items, err := p.listContent(first, sep.kind)
		if err != nil {
			return nil, err
		}
		return &lnode{kind: "list", args: items}, nil
	}
	return first, nil
}

func (p *lparser) listContent(first *lnode, sep string) ([]*lnode, error) {
	items := []*lnode{first}
	for {
		ok, err := p.is(sep)
		if err != nil {
			return nil, err
		}
		if !ok {
			return items, nil
		}
		p.pos++
		r, err := p.relation()
		if err != nil {
			return nil, err
		}
		items = append(items, r)
	}
}

func (p *lparser) relation() (*lnode, error) {
	lh, err := p.expr()
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case "IN", "ASSIGN", "EQ", "LT", "LTE", "GT", "GTE", "NE":
		default:
			return lh, nil
		}
		p.pos++
		rh, err := p.expr()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case "LT", "LTE", "GT", "GTE":
			lh = &lnode{kind: "rel", name: map[string]string{"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}[t.kind], args: []*lnode{lh, rh}}
		case "ASSIGN":
			if lh.kind == "sym" && lh.name == "bare" {
				lh = rh // latex2sympy stores the assignment and returns the right-hand side
			} else {
				lh = symNode // Eq(...) or a solve(): eval() cannot print it back
			}
		case "IN":
			return nil, errLatex
		default:
			lh = symNode // Eq / Ne: not in eval()'s namespace
		}
	}
}

func (p *lparser) expr() (*lnode, error) {
	lh, err := p.mp(false)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != "ADD" && t.kind != "SUB" {
			return lh, nil
		}
		p.pos++
		rh, err := p.mp(false)
		if err != nil {
			return nil, err
		}
		if t.kind == "SUB" {
			if rh.kind == "num" {
				rh = numNode(new(big.Rat).Neg(rh.num))
			} else {
				rh = mulFlat(intNode(-1), rh)
			}
		}
		lh = addFlat(lh, rh)
	}
}

func addFlat(a, b *lnode) *lnode { return flatNode("add", a, b) }

func mulFlat(a, b *lnode) *lnode { return flatNode("mul", a, b) }

// flatNode is a kind node (add or mul) of a and b, whose own kind nodes are spliced in.
func flatNode(kind string, a, b *lnode) *lnode {
	var args []*lnode
	for _, x := range []*lnode{a, b} {
		if x.kind == kind {
			args = append(args, x.args...)
		} else {
			args = append(args, x)
		}
	}
	return &lnode{kind: kind, args: args}
}

func divNode(a, b *lnode) *lnode {
	return &lnode{kind: "mul", args: []*lnode{a, {kind: "pow", args: []*lnode{b, intNode(-1)}}}}
}

// mp: mp (MUL | TIMES | CDOT | DIV | CMD_DIV | COLON | MOD) mp | unary. nofunc: the argument
// of a function written without parentheses, which stops before the next function.
func (p *lparser) mp(nofunc bool) (*lnode, error) {
	lh, err := p.unary(nofunc)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case "MUL", "DIV", "COLON", "MOD":
		default:
			return lh, nil
		}
		p.pos++
		rh, err := p.unary(nofunc)
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case "MUL":
			lh = mulFlat(lh, rh)
		case "MOD":
			lh = symNode // Mod(): not in eval()'s namespace
		default:
			lh = divNode(lh, rh)
		}
	}
}

func (p *lparser) unary(nofunc bool) (*lnode, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == "ADD" || t.kind == "SUB" {
		p.pos++
		x, err := p.unary(nofunc)
		if err != nil {
			return nil, err
		}
		if t.kind == "ADD" {
			return x, nil
		}
		if x.kind == "num" {
			return numNode(new(big.Rat).Neg(x.num)), nil
		}
		return mulFlat(intNode(-1), x), nil
	}
	// postfix+ (implicit multiplication); with nofunc, only the first may be a function
	first, err := p.postfix(false)
	if err != nil {
		return nil, err
	}
	res := first
	for {
		ok, err := p.startsPostfix(nofunc)
		if err != nil {
			return nil, err
		}
		if !ok {
			return res, nil
		}
		x, err := p.postfix(nofunc)
		if err != nil {
			return nil, err
		}
		res = mulFlat(res, x)
	}
}

// startsPostfix reports whether the next token can begin another factor of an implicit product.
func (p *lparser) startsPostfix(nofunc bool) (bool, error) {
	t, err := p.peek()
	if err != nil {
		return false, err
	}
	switch t.kind {
	case "(", "{", `\{`, "[", "NORM", "BAR", "FLOOR", "LETTER", "GREEK", "ACCENT", "PI", "INFTY", "PARTIAL", "NUM",
		"DIFF", "FRAC", "BINOM", "MATRIX":
		return true, nil
	case "LEFT":
		return true, nil
	case "FUNC1", "FUNCN", "SQRT", "BIG", "EXP_E", "OPNAME":
		return !nofunc, nil
	}
	return false, nil
}

func (p *lparser) postfix(nofunc bool) (*lnode, error) {
	x, err := p.exp(nofunc)
	if err != nil {
		return nil, err
	}
	for {
		t, err := p.peek()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case "BANG":
			p.pos++
			x = &lnode{kind: "func", name: "factorial", args: []*lnode{x}}
		case "TRANSPOSE":
			p.pos++ // .T of a number: unchanged
		default:
			return x, nil
		}
	}
}

func (p *lparser) exp(nofunc bool) (*lnode, error) {
	base, err := p.comp(nofunc)
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.is("^")
		if err != nil {
			return nil, err
		}
		if !ok {
			return base, nil
		}
		p.pos++
		e, err := p.supArg()
		if err != nil {
			return nil, err
		}
		if ok, err := p.is("_"); err != nil {
			return nil, err
		} else if ok {
			if _, err := p.subexpr(); err != nil {
				return nil, err
			}
		}
		base = &lnode{kind: "pow", args: []*lnode{base, e}}
	}
}

// supArg: atom | '{' expr '}' (after a caret).
func (p *lparser) supArg() (*lnode, error) {
	ok, err := p.is("{")
	if err != nil {
		return nil, err
	}
	if ok {
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return e, p.expect("}")
	}
	return p.atom()
}

// subexpr: '_' (atom | '{' (expr | args) '}'); a subscript only names a symbol or a log base.
func (p *lparser) subexpr() (*lnode, error) {
	if err := p.expect("_"); err != nil {
		return nil, err
	}
	ok, err := p.is("{")
	if err != nil {
		return nil, err
	}
	if !ok {
		return p.atom()
	}
	p.pos++
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	for {
		ok, err := p.is(",")
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		p.pos++
		if _, err := p.expr(); err != nil {
			return nil, err
		}
		e = symNode
	}
	return e, p.expect("}")
}

var groupClose = map[string]string{"(": ")", "{": "}", `\{`: `\}`, "[": "]"}

func (p *lparser) comp(nofunc bool) (*lnode, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case "(", `\{`, "[":
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return e, p.expect(groupClose[t.kind])
	case "{":
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if ok, err := p.is("CHOOSE"); err != nil {
			return nil, err
		} else if ok { // {n \choose k}
			p.pos++
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			return binomial(e, k), p.expect("}")
		}
		return e, p.expect("}")
	case "LEFT":
		p.pos++
		t2, err := p.peek()
		if err != nil {
			return nil, err
		}
		cl, ok := groupClose[t2.kind]
		if !ok && t2.kind != "BAR" && t2.kind != "NORM" && t2.kind != "FLOOR" {
			return nil, errLatex
		}
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("RIGHT"); err != nil {
			return nil, err
		}
		if !ok {
			return symNode, p.expect(t2.kind) // closing bar / norm / floor
		}
		return e, p.expect(cl)
	case "NORM", "BAR", "FLOOR": // |x|, \|x\|, floor and ceiling: Abs/norm/floor are not in eval()'s namespace
		p.pos++
		if _, err := p.expr(); err != nil {
			return nil, err
		}
		return symNode, p.expect(t.kind)
	case "FRAC":
		p.pos++
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		up, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("}"); err != nil {
			return nil, err
		}
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		low, err := p.expr()
		if err != nil {
			return nil, err
		}
		return divNode(up, low), p.expect("}")
	case "BINOM":
		p.pos++
		var ab [2]*lnode
		for i := range ab {
			if err := p.expect("{"); err != nil {
				return nil, err
			}
			if ab[i], err = p.expr(); err != nil {
				return nil, err
			}
			if err := p.expect("}"); err != nil {
				return nil, err
			}
		}
		return binomial(ab[0], ab[1]), nil
	case "MATRIX", "BIG", "OPNAME", "FUNCN":
		return nil, errLatex // matrices, integrals, sums, limits, \max...: nothing a number comparison can use
	case "FUNC1", "SQRT", "EXP_E":
		if nofunc {
			return nil, errLatex
		}
		return p.function()
	}
	return p.atom()
}

// binomial is sympy.binomial(n, k), which evaluates for integers.
func binomial(n, k *lnode) *lnode {
	if n.kind == "num" && k.kind == "num" && n.num.IsInt() && k.num.IsInt() && k.num.Sign() >= 0 && n.num.Sign() >= 0 &&
		n.num.Num().IsInt64() && k.num.Num().IsInt64() && n.num.Num().Int64() < 1<<16 {
		return numNode(new(big.Rat).SetInt(new(big.Int).Binomial(n.num.Num().Int64(), k.num.Num().Int64())))
	}
	return symNode
}

func (p *lparser) function() (*lnode, error) {
	t, _ := p.peek()
	p.pos++
	switch t.kind {
	case "EXP_E": // e, e^x: sympy.exp(x), which evaluates exp(0) and exp(1)
		arg := intNode(1)
		if ok, err := p.is("^"); err != nil {
			return nil, err
		} else if ok {
			p.pos++
			a, err := p.supArg()
			if err != nil {
				return nil, err
			}
			arg = a
		}
		return expNode(arg), nil
	case "SQRT":
		var root *lnode
		if ok, err := p.is("["); err != nil {
			return nil, err
		} else if ok {
			p.pos++
			r, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			root = r
		}
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		base, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("}"); err != nil {
			return nil, err
		}
		e := numNode(big.NewRat(1, 2))
		if root != nil {
			if root.kind == "num" && root.num.Sign() != 0 {
				e = numNode(new(big.Rat).Inv(root.num))
			} else {
				e = &lnode{kind: "pow", args: []*lnode{root, intNode(-1)}}
			}
		}
		return &lnode{kind: "pow", args: []*lnode{base, e}}, nil
	}
	name := strings.TrimPrefix(t.text, `\`)
	var sub, sup *lnode
	for i := 0; i < 2; i++ {
		t2, err := p.peek()
		if err != nil {
			return nil, err
		}
		if t2.kind == "_" && sub == nil {
			if sub, err = p.subexpr(); err != nil {
				return nil, err
			}
		} else if t2.kind == "^" && sup == nil {
			p.pos++
			if sup, err = p.supArg(); err != nil {
				return nil, err
			}
		}
	}
	var arg *lnode
	t3, err := p.peek()
	if err != nil {
		return nil, err
	}
	if t3.kind == "(" {
		p.pos++
		if arg, err = p.expr(); err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	} else if arg, err = p.mp(true); err != nil {
		return nil, err
	}
	var f *lnode
	switch name {
	case "log":
		base := intNode(10)
		if sub != nil {
			base = sub
		}
		f = &lnode{kind: "func", name: "log", args: []*lnode{arg, base}}
	case "ln":
		f = &lnode{kind: "func", name: "log", args: []*lnode{arg, {kind: "E"}}}
	case "exp":
		f = expNode(arg)
	case "sin", "cos":
		f = &lnode{kind: "func", name: name, args: []*lnode{arg}}
		if sup != nil && sup.kind == "num" && sup.num.Cmp(big.NewRat(-1, 1)) == 0 {
			return symNode, nil // sin^{-1}: asin, not in eval()'s namespace
		}
	default:
		f = symNode // tan, arctan, sinh, floor, det...: not in eval()'s namespace
	}
	if sup != nil {
		f = &lnode{kind: "pow", args: []*lnode{f, sup}}
	}
	return f, nil
}

func expNode(arg *lnode) *lnode {
	if arg.kind == "num" && arg.num.Sign() == 0 {
		return intNode(1)
	}
	if arg.kind == "num" && arg.num.Cmp(big.NewRat(1, 1)) == 0 {
		return &lnode{kind: "E"}
	}
	return &lnode{kind: "func", name: "exp", args: []*lnode{arg}}
}

func (p *lparser) atom() (*lnode, error) {
	t, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case "NUM":
		p.pos++
		return numNode(t.num), nil
	case "PI":
		p.pos++
		return &lnode{kind: "pi"}, nil
	case "INFTY", "DIFF":
		p.pos++
		p.differentials = p.differentials || t.kind == "DIFF"
		return symNode, nil
	case "PARTIAL":
		return nil, errLatex
	case "LETTER", "GREEK", "ACCENT":
		p.pos++
		p.symbols = true
		if t.kind == "ACCENT" {
			if err := p.expect("{"); err != nil {
				return nil, err
			}
			if _, err := p.expr(); err != nil {
				return nil, err
			}
			if err := p.expect("}"); err != nil {
				return nil, err
			}
		}
		bare := true
		for i := 0; i < 2; i++ {
			t2, err := p.peek()
			if err != nil {
				return nil, err
			}
			switch t2.kind {
			case "_":
				if _, err := p.subexpr(); err != nil {
					return nil, err
				}
			case "^":
				p.pos++
				if _, err := p.supArg(); err != nil {
					return nil, err
				}
				bare = false
			}
		}
		if bare {
			return &lnode{kind: "sym", name: "bare"}, nil
		}
		return symNode, nil
	}
	return nil, errLatex
}

// evalPrinted is Python's eval() of str(x): sympy's printer, then Python arithmetic in the
// repository's namespace.
func evalPrinted(x *lnode) (pyVal, error) {
	switch x.kind {
	case "num":
		if x.num.IsInt() {
			return pyIntVal(new(big.Int).Set(x.num.Num())), nil
		}
		return pyArith("/", pyIntVal(x.num.Num()), pyIntVal(x.num.Denom())) // printed p/q
	case "E":
		return pyNames["E"], nil
	case "pi":
		return pyNames["pi"], nil
	case "add":
		acc, err := evalPrinted(x.args[0])
		if err != nil {
			return pyVal{}, err
		}
		for _, a := range x.args[1:] {
			v, err := evalPrinted(a)
			if err != nil {
				return pyVal{}, err
			}
			if acc, err = pyArith("+", acc, v); err != nil {
				return pyVal{}, err
			}
		}
		return acc, nil
	case "mul":
		return evalMul(x)
	case "pow":
		return evalPow(x.args[0], x.args[1])
	case "func":
		args := make([]pyVal, len(x.args))
		for i, a := range x.args {
			v, err := evalPrinted(a)
			if err != nil {
				return pyVal{}, err
			}
			args[i] = v
		}
		return pyCall(x.name, args)
	case "rel":
		a, err := evalPrinted(x.args[0])
		if err != nil {
			return pyVal{}, err
		}
		b, err := evalPrinted(x.args[1])
		if err != nil {
			return pyVal{}, err
		}
		return pyCompare(x.name, a, b)
	case "list":
		out := pyVal{kind: pyList}
		for _, a := range x.args {
			v, err := evalPrinted(a)
			if err != nil {
				return pyVal{}, err
			}
			out.elems = append(out.elems, v)
		}
		return out, nil
	}
	return pyVal{}, errPy
}

// evalMul follows sympy's printing of a product: rational factors split into numerator and
// denominator integers, powers with a negative rational exponent go below the line, and the
// line is a Python true division ("a*b/(c*d)").
func evalMul(x *lnode) (pyVal, error) {
	var num, den []*lnode
	for _, f := range x.args {
		switch {
		case f.kind == "num" && !f.num.IsInt():
			if f.num.Num().Cmp(big.NewInt(1)) != 0 {
				num = append(num, numNode(new(big.Rat).SetInt(f.num.Num())))
			}
			den = append(den, numNode(new(big.Rat).SetInt(f.num.Denom())))
		case f.kind == "pow" && f.args[1].kind == "num" && f.args[1].num.Sign() < 0:
			e := new(big.Rat).Neg(f.args[1].num)
			if e.Cmp(big.NewRat(1, 1)) == 0 {
				den = append(den, f.args[0])
			} else {
				den = append(den, &lnode{kind: "pow", args: []*lnode{f.args[0], numNode(e)}})
			}
		default:
			num = append(num, f)
		}
	}
	prod := func(fs []*lnode) (pyVal, error) {
		acc := pyIntVal(big.NewInt(1))
		for _, f := range fs {
			v, err := evalPrinted(f)
			if err != nil {
				return pyVal{}, err
			}
			if acc, err = pyArith("*", acc, v); err != nil {
				return pyVal{}, err
			}
		}
		return acc, nil
	}
	a, err := prod(num)
	if err != nil {
		return pyVal{}, err
	}
	if len(den) == 0 {
		return a, nil
	}
	b, err := prod(den)
	if err != nil {
		return pyVal{}, err
	}
	return pyArith("/", a, b)
}

// evalPow follows sympy's printing of a power: sqrt(b), 1/sqrt(b), 1/b, else b**e.
func evalPow(b, e *lnode) (pyVal, error) {
	bv, err := evalPrinted(b)
	if err != nil {
		return pyVal{}, err
	}
	if e.kind == "num" {
		switch {
		case e.num.Cmp(big.NewRat(1, 2)) == 0:
			return pyCall("sqrt", []pyVal{bv})
		case e.num.Cmp(big.NewRat(-1, 2)) == 0:
			s, err := pyCall("sqrt", []pyVal{bv})
			if err != nil {
				return pyVal{}, err
			}
			return pyArith("/", pyIntVal(big.NewInt(1)), s)
		case e.num.Cmp(big.NewRat(-1, 1)) == 0:
			return pyArith("/", pyIntVal(big.NewInt(1)), bv)
		}
	}
	ev, err := evalPrinted(e)
	if err != nil {
		return pyVal{}, err
	}
	return pyArith("**", bv, ev)
}

// sortPy sorts numbers as Python's sorted() does for ints and floats.
func sortPy(vs []pyVal) {
	sort.SliceStable(vs, func(i, j int) bool {
		c, err := pyCompare("<", vs[i], vs[j])
		return err == nil && c.i.Sign() != 0
	})
}
