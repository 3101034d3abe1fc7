package verify

import (
	"math"
	"strings"
)

// dims is a dimension vector over the SI base quantities m, kg, s, A, K, mol, cd, plus two
// affine temperature scales (°C, °F) that are never converted.
type dims [9]int8

type unitDef struct {
	factor float64 // to SI
	d      dims
	prefix bool // accepts SI prefixes
}

func dim(m, kg, s, a, k, mol int8) dims { return dims{m, kg, s, a, k, mol} }

var (
	dLen   = dim(1, 0, 0, 0, 0, 0)
	dMass  = dim(0, 1, 0, 0, 0, 0)
	dTime  = dim(0, 0, 1, 0, 0, 0)
	dForce = dim(1, 1, -2, 0, 0, 0)
	dEnerg = dim(2, 1, -2, 0, 0, 0)
	dPress = dim(-1, 1, -2, 0, 0, 0)
	dPower = dim(2, 1, -3, 0, 0, 0)
	dVol   = dim(3, 0, 0, 0, 0, 0)
	dNone  = dims{}
)

// units maps a unit symbol or name to its SI definition.
var units = map[string]unitDef{
	"m": {1, dLen, true}, "g": {1e-3, dMass, true}, "s": {1, dTime, true}, "A": {1, dim(0, 0, 0, 1, 0, 0), true},
	"K": {1, dim(0, 0, 0, 0, 1, 0), true}, "mol": {1, dim(0, 0, 0, 0, 0, 1), true},
	"N": {1, dForce, true}, "J": {1, dEnerg, true}, "W": {1, dPower, true}, "Pa": {1, dPress, true},
	"Hz": {1, dim(0, 0, -1, 0, 0, 0), true}, "C": {1, dim(0, 0, 1, 1, 0, 0), true},
	"V": {1, dim(2, 1, -3, -1, 0, 0), true}, "Ω": {1, dim(2, 1, -3, -2, 0, 0), true}, "ohm": {1, dim(2, 1, -3, -2, 0, 0), true},
	"F": {1, dim(-2, -1, 4, 2, 0, 0), true}, "T": {1, dim(0, 1, -2, -1, 0, 0), true}, "Wb": {1, dim(2, 1, -2, -1, 0, 0), true},
	"H": {1, dim(2, 1, -2, -2, 0, 0), true}, "L": {1e-3, dVol, true}, "l": {1e-3, dVol, false},
	"eV": {1.602176634e-19, dEnerg, true}, "cal": {4.184, dEnerg, true}, "Cal": {4184, dEnerg, false},
	"atm": {101325, dPress, false}, "torr": {101325.0 / 760, dPress, false}, "Torr": {101325.0 / 760, dPress, false},
	"mmHg": {133.322387415, dPress, false}, "bar": {1e5, dPress, true}, "psi": {6894.757293168, dPress, false},
	"min": {60, dTime, false}, "h": {3600, dTime, false}, "hr": {3600, dTime, false}, "hrs": {3600, dTime, false},
	"day": {86400, dTime, false}, "days": {86400, dTime, false}, "yr": {3.15576e7, dTime, false}, "year": {3.15576e7, dTime, false}, "years": {3.15576e7, dTime, false},
	"ft": {0.3048, dLen, false}, "in": {0.0254, dLen, false}, "mi": {1609.344, dLen, false}, "yd": {0.9144, dLen, false},
	"mph": {0.44704, dim(1, 0, -1, 0, 0, 0), false}, "kph": {1 / 3.6, dim(1, 0, -1, 0, 0, 0), false}, "lb": {0.45359237, dMass, false}, "lbs": {0.45359237, dMass, false},
	"oz": {0.028349523125, dMass, false}, "Å": {1e-10, dLen, false}, "amu": {1.66053906660e-27, dMass, false},
	"Da": {1.66053906660e-27, dMass, true}, "M": {1e3, dim(-3, 0, 0, 0, 0, 1), false},
	"rad": {1, dNone, false}, "°": {math.Pi / 180, dNone, false}, "deg": {math.Pi / 180, dNone, false},
	"degree": {math.Pi / 180, dNone, false}, "degrees": {math.Pi / 180, dNone, false},
	"°C": {1, dims{7: 1}, false}, "°F": {1, dims{8: 1}, false}, "rpm": {2 * math.Pi / 60, dim(0, 0, -1, 0, 0, 0), false},
	"kWh": {3.6e6, dEnerg, false}, "Btu": {1055.06, dEnerg, false}, "hp": {745.699872, dPower, false},
	"gal": {3.785411784e-3, dVol, false}, "ly": {9.4607304725808e15, dLen, false}, "AU": {1.495978707e11, dLen, false},
	"dollars": {1, dNone, false}, "dollar": {1, dNone, false}, "USD": {1, dNone, false}, "cents": {0.01, dNone, false},
	// spelled-out names
	"meter": {1, dLen, false}, "meters": {1, dLen, false}, "metre": {1, dLen, false}, "metres": {1, dLen, false},
	"second": {1, dTime, false}, "seconds": {1, dTime, false}, "sec": {1, dTime, false}, "gram": {1e-3, dMass, false}, "grams": {1e-3, dMass, false},
	"newton": {1, dForce, false}, "newtons": {1, dForce, false}, "joule": {1, dEnerg, false}, "joules": {1, dEnerg, false},
	"watt": {1, dPower, false}, "watts": {1, dPower, false}, "pascal": {1, dPress, false}, "pascals": {1, dPress, false},
	"hour": {3600, dTime, false}, "hours": {3600, dTime, false}, "minute": {60, dTime, false}, "minutes": {60, dTime, false},
	"mole": {1, dim(0, 0, 0, 0, 0, 1), false}, "moles": {1, dim(0, 0, 0, 0, 0, 1), false},
	"liter": {1e-3, dVol, false}, "liters": {1e-3, dVol, false}, "litre": {1e-3, dVol, false}, "litres": {1e-3, dVol, false},
	"volt": {1, dim(2, 1, -3, -1, 0, 0), false}, "volts": {1, dim(2, 1, -3, -1, 0, 0), false},
	"kelvin": {1, dim(0, 0, 0, 0, 1, 0), false}, "feet": {0.3048, dLen, false}, "foot": {0.3048, dLen, false},
	"inch": {0.0254, dLen, false}, "inches": {0.0254, dLen, false}, "miles": {1609.344, dLen, false}, "mile": {1609.344, dLen, false},
	"pounds": {0.45359237, dMass, false}, "pound": {0.45359237, dMass, false},
}

// spelled-out prefixes for spelled-out unit names (kilometers, milligrams ...)
var wordPrefixes = []struct {
	p string
	f float64
}{{"kilo", 1e3}, {"centi", 1e-2}, {"milli", 1e-3}, {"micro", 1e-6}, {"nano", 1e-9}, {"mega", 1e6}, {"giga", 1e9}}

var siPrefixes = map[string]float64{
	"Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6, "k": 1e3, "h": 1e2, "da": 10,
	"d": 1e-1, "c": 1e-2, "m": 1e-3, "µ": 1e-6, "μ": 1e-6, "u": 1e-6, "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18,
}

// lookupUnit resolves one unit word (with optional SI prefix).
func lookupUnit(w string) (unitDef, bool) {
	if u, ok := units[w]; ok {
		return u, true
	}
	for _, wp := range wordPrefixes {
		if strings.HasPrefix(w, wp.p) {
			if u, ok := units[w[len(wp.p):]]; ok && len(w) > len(wp.p)+2 {
				return unitDef{u.factor * wp.f, u.d, false}, true
			}
		}
	}
	for _, n := range []int{2, 1} {
		if len(w) <= n {
			continue
		}
		if f, ok := siPrefixes[w[:n]]; ok {
			if u, ok := units[w[n:]]; ok && u.prefix {
				return unitDef{u.factor * f, u.d, false}, true
			}
		}
	}
	// µ and μ are two bytes
	for _, p := range []string{"µ", "μ"} {
		if strings.HasPrefix(w, p) {
			if u, ok := units[w[len(p):]]; ok && u.prefix {
				return unitDef{u.factor * 1e-6, u.d, false}, true
			}
		}
	}
	return unitDef{}, false
}

var unitReplacer = strings.NewReplacer(
	`\cdot`, "*", `\times`, "*", "·", "*", "⋅", "*", `\,`, " ", `\;`, " ", `\ `, " ", "~", " ",
	`\Omega`, "Ω", `\mu`, "µ", `\circ`, "°", "^°", "°", "²", "^2", "³", "^3", "⁻¹", "^-1", "⁻²", "^-2",
	`\AA`, "Å", "° C", "°C", "° F", "°F", `{`, "", `}`, "", `\left`, "", `\right`, "", `\%`, "%", "−", "-",
)

// parseUnit parses a unit expression such as "kg·m^2/s^2", "km/h", "J/(mol K)", "N m".
// ok is false when any factor is not a known unit.
func parseUnit(s string) (factor float64, d dims, ok bool) {
	s = unitReplacer.Replace(s)
	s = strings.ReplaceAll(s, " per ", "/") // "metres per second"
	s = strings.ReplaceAll(s, `\text`, "")
	s = strings.ReplaceAll(s, `\cdot`, "*")
	s = strings.ReplaceAll(s, `\mathrm`, "")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if s == "" || len(s) > 64 {
		return 0, d, false
	}
	factor = 1
	sign := int8(1)  // +1 numerator, -1 after "/"
	group := int8(1) // sign for parenthesised denominator groups
	i := 0
	n := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '*' || c == '.':
			i++
			continue
		case c == '/':
			if group == -1 {
				return 0, d, false
			}
			sign = -1
			i++
			if i < len(s) && s[i] == '(' {
				group = -1
				i++
			}
			continue
		case c == '(' || c == ')':
			if c == ')' {
				group = 1
				sign = 1
			}
			i++
			continue
		}
		j := i
		for j < len(s) {
			r := s[j]
			if r == ' ' || r == '*' || r == '/' || r == '^' || r == '(' || r == ')' || r == '.' || r >= '0' && r <= '9' || r == '-' {
				break
			}
			j++
		}
		if j == i {
			return 0, d, false
		}
		w := s[i:j]
		u, found := lookupUnit(w)
		if !found {
			return 0, d, false
		}
		exp := 1
		i = j
		if i < len(s) && s[i] == '^' {
			i++
			neg := false
			if i < len(s) && s[i] == '-' {
				neg = true
				i++
			}
			k := i
			for k < len(s) && s[k] >= '0' && s[k] <= '9' {
				k++
			}
			if k == i || k-i > 1 {
				return 0, d, false
			}
			exp = int(s[i] - '0')
			if neg {
				exp = -exp
			}
			i = k
		} else if i < len(s) && s[i] >= '0' && s[i] <= '9' { // m2, s-1 style
			return 0, d, false
		}
		e := exp * int(sign)
		factor *= math.Pow(u.factor, float64(e))
		for k := range d {
			d[k] += u.d[k] * int8(e)
		}
		n++
	}
	return factor, d, n > 0
}
