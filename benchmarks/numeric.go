package benchmarks

import (
	"math"
	"strconv"
	"strings"
)

// evalNumeric evaluates a small numeric LaTeX/plain expression: numbers (with e-notation),
// + - * / ^, parentheses and braces (not brackets: those are lists), \frac/\dfrac/\tfrac, \sqrt, \times, \cdot, \pi, \left/\right.
// It stands in for the latex2sympy + eval step of the TheoremQA repository's number_it.
// Anything else, or a non-finite result, is reported as not a number.
func evalNumeric(s string) (float64, bool) {
	r := strings.NewReplacer(`\left`, "", `\right`, "", `\dfrac`, `\frac`, `\tfrac`, `\frac`,
		`\times`, "*", `\cdot`, "*", `\,`, "", `\!`, "", `\ `, "", "$", "", "{,}", "", `\%`, "/100", "%", "/100")
	p := &numParser{s: strings.TrimSpace(r.Replace(s))}
	if len(p.s) > 200 {
		return 0, false
	}
	v, ok := p.expr()
	p.skip()
	if !ok || p.i != len(p.s) || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

type numParser struct {
	s     string
	i     int
	depth int
}

func (p *numParser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *numParser) peek() byte {
	p.skip()
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *numParser) expr() (float64, bool) {
	if p.depth++; p.depth > 50 {
		return 0, false
	}
	defer func() { p.depth-- }()
	v, ok := p.term()
	for ok {
		switch p.peek() {
		case '+':
			p.i++
			w, ok2 := p.term()
			v, ok = v+w, ok2
		case '-':
			p.i++
			w, ok2 := p.term()
			v, ok = v-w, ok2
		default:
			return v, ok
		}
	}
	return v, ok
}

func (p *numParser) term() (float64, bool) {
	v, ok := p.power()
	for ok {
		switch c := p.peek(); {
		case c == '*':
			p.i++
			w, ok2 := p.power()
			v, ok = v*w, ok2
		case c == '/':
			p.i++
			w, ok2 := p.power()
			v, ok = v/w, ok2
		case c == '(' || c == '{' || c == '\\' || (c >= '0' && c <= '9'): // implicit product
			w, ok2 := p.power()
			v, ok = v*w, ok2
		default:
			return v, ok
		}
	}
	return v, ok
}

func (p *numParser) power() (float64, bool) {
	v, ok := p.unary()
	if ok && p.peek() == '^' {
		p.i++
		e, ok2 := p.unary()
		if !ok2 || math.Abs(e) > 400 {
			return 0, false
		}
		return math.Pow(v, e), true
	}
	return v, ok
}

func (p *numParser) unary() (float64, bool) {
	switch p.peek() {
	case '-':
		p.i++
		v, ok := p.unary()
		return -v, ok
	case '+':
		p.i++
		return p.unary()
	}
	return p.atom()
}

func (p *numParser) group(open, close byte) (float64, bool) {
	if p.peek() != open {
		return 0, false
	}
	p.i++
	v, ok := p.expr()
	if !ok || p.peek() != close {
		return 0, false
	}
	p.i++
	return v, true
}

func (p *numParser) atom() (float64, bool) {
	c := p.peek()
	switch {
	case c == '(':
		return p.group('(', ')')
	case c == '{':
		return p.group('{', '}')
	case c == '\\':
		for _, name := range []string{`\frac`, `\sqrt`, `\pi`} {
			if strings.HasPrefix(p.s[p.i:], name) {
				p.i += len(name)
				switch name {
				case `\pi`:
					return math.Pi, true
				case `\sqrt`:
					v, ok := p.group('{', '}')
					return math.Sqrt(v), ok
				default:
					a, ok := p.group('{', '}')
					b, ok2 := p.group('{', '}')
					return a / b, ok && ok2
				}
			}
		}
		return 0, false
	case (c >= '0' && c <= '9') || c == '.':
		j := p.i
		for j < len(p.s) && (p.s[j] >= '0' && p.s[j] <= '9' || p.s[j] == '.') {
			j++
		}
		// e-notation: 3.2e-5
		if j < len(p.s) && (p.s[j] == 'e' || p.s[j] == 'E') {
			k := j + 1
			if k < len(p.s) && (p.s[k] == '-' || p.s[k] == '+') {
				k++
			}
			if k < len(p.s) && p.s[k] >= '0' && p.s[k] <= '9' {
				for k < len(p.s) && p.s[k] >= '0' && p.s[k] <= '9' {
					k++
				}
				j = k
			}
		}
		v, err := strconv.ParseFloat(p.s[p.i:j], 64)
		if err != nil {
			return 0, false
		}
		p.i = j
		return v, true
	}
	return 0, false
}
