package verify

import (
	"math"
	"math/cmplx"
)

// EvalComplex evaluates e over the complex numbers with the variable "i" (or "I") as the
// imaginary unit and the others from env (real). Used when both sides of a comparison write
// complex numbers such as 1+2i and i(2-i).
func (e *Expr) EvalComplex(env func(string) float64) complex128 {
	switch e.kind {
	case nNum:
		return complex(e.val, 0)
	case nVar:
		if e.name == "i" || e.name == "I" {
			return 1i
		}
		return complex(env(e.name), 0)
	case nAdd:
		return e.a.EvalComplex(env) + e.b.EvalComplex(env)
	case nSub:
		return e.a.EvalComplex(env) - e.b.EvalComplex(env)
	case nMul:
		return e.a.EvalComplex(env) * e.b.EvalComplex(env)
	case nDiv:
		return e.a.EvalComplex(env) / e.b.EvalComplex(env)
	case nPow:
		x, y := e.a.EvalComplex(env), e.b.EvalComplex(env)
		if imag(y) == 0 && real(y) == math.Trunc(real(y)) && math.Abs(real(y)) <= 64 {
			return intPow(x, int(real(y)))
		}
		return cmplx.Pow(x, y)
	case nNeg:
		return -e.a.EvalComplex(env)
	case nAbs:
		return complex(cmplx.Abs(e.a.EvalComplex(env)), 0)
	case nFunc:
		x := e.a.EvalComplex(env)
		switch e.name {
		case "sin":
			return cmplx.Sin(x)
		case "cos":
			return cmplx.Cos(x)
		case "tan":
			return cmplx.Tan(x)
		case "exp":
			return cmplx.Exp(x)
		case "ln", "log":
			return cmplx.Log(x)
		case "sqrt":
			return cmplx.Sqrt(x)
		}
	}
	if imagFree(e) {
		return complex(e.Eval(env), 0)
	}
	return cmplx.NaN()
}

// intPow is x^n by repeated squaring (exact for i^2 = -1).
func intPow(x complex128, n int) complex128 {
	if n < 0 {
		return 1 / intPow(x, -n)
	}
	r := complex(1, 0)
	for n > 0 {
		if n&1 == 1 {
			r *= x
		}
		x *= x
		n >>= 1
	}
	return r
}

func imagFree(e *Expr) bool {
	if e == nil {
		return true
	}
	if e.kind == nVar && (e.name == "i" || e.name == "I") {
		return false
	}
	return imagFree(e.a) && imagFree(e.b)
}

// complexEqual compares two expressions that both use the imaginary unit.
func complexEqual(g, a *Expr, vars []string) Outcome {
	var real []string
	for _, v := range vars {
		if v != "i" && v != "I" {
			real = append(real, v)
		}
	}
	env := &varEnv{names: real}
	valid := 0
	for _, pt := range samplePoints {
		env.point = pt
		gv, av := g.EvalComplex(env.get), a.EvalComplex(env.get)
		if cmplx.IsNaN(gv) || cmplx.IsNaN(av) || cmplx.IsInf(gv) || cmplx.IsInf(av) {
			continue
		}
		valid++
		if cmplx.Abs(gv-av) > 1e-7*math.Max(1, math.Max(cmplx.Abs(gv), cmplx.Abs(av))) {
			return No
		}
		if len(real) == 0 {
			break
		}
	}
	if valid == 0 {
		return Unknown
	}
	return Yes
}
