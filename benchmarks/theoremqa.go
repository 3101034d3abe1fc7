package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/greason/greason/verify"
)

// TheoremQA (TIGER-Lab/TheoremQA, 800 questions). The paper releases no script for it; "paper"
// here is the simple-evals math prompt and first-\boxed extraction (how the authors ran their
// other free-form sets), the boxed answer normalised by the repository's extract_theoremqa_answer
// and graded with the repository's comparison: options by
// substring, booleans, integers by Python round(), floats within 4% relative tolerance, lists
// element-wise after sorting. "theoremqa-repo" also uses the repository's answer extraction
// (answer_clean: the text after the last "The answer is", then extract_theoremqa_answer).
type theoremQA struct{}

func init() { register(theoremQA{}) }

func (theoremQA) Spec() Spec {
	return Spec{Name: "theoremqa", Title: "TheoremQA", Count: 800, Domain: "general", Samples: 1,
		Temperature: 0, MaxTokens: 8192, System: simpleEvalsSystem, GroupBy: "field", Headline: "micro",
		Protocols: []string{"paper", "theoremqa-repo"}, Source: "TIGER-Lab/TheoremQA theoremqa_test.json (vendored)"}
}

type theoremRow struct {
	Question   string          `json:"Question"`
	Answer     json.RawMessage `json:"Answer"`
	AnswerType string          `json:"Answer_type"`
	Picture    *string         `json:"Picture"`
	ID         string          `json:"id"`
	Field      string          `json:"field"`
	Subfield   string          `json:"subfield"`
}

func (theoremQA) Load() ([]Item, error) {
	const f = "benchmarks/data/theoremqa_test.json.gz"
	data, err := vendoredBytes("theoremqa_test.json.gz")
	if err != nil {
		return nil, err
	}
	var rows []theoremRow
	if err := json.Unmarshal(data, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		if r.Question == "" {
			return nil, fieldError(f, i+1, "Question", "missing or empty")
		}
		if len(r.Answer) == 0 || string(r.Answer) == "null" {
			return nil, fieldError(f, i+1, "Answer", "missing")
		}
		gold, err := theoremGoldString(r.Answer)
		if err != nil {
			return nil, fieldError(f, i+1, "Answer", err.Error())
		}
		switch r.AnswerType {
		case "integer", "float", "list of integer", "list of float", "bool", "option":
		default:
			return nil, fieldError(f, i+1, "Answer_type", fmt.Sprintf("unknown type %q", r.AnswerType))
		}
		meta := map[string]string{"answer_type": r.AnswerType, "answer_json": string(r.Answer), "subfield": r.Subfield}
		if r.Picture != nil {
			meta["picture"] = *r.Picture
		}
		items[i] = Item{ID: r.ID, Question: r.Question, Gold: gold, Group: r.Field, Meta: meta,
			Prompt: fmt.Sprintf(mathTemplate, r.Question)}
	}
	return items, nil
}

// theoremGoldString renders the gold as Python's str() of the loaded JSON value.
func theoremGoldString(raw json.RawMessage) (string, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", err
	}
	return pyStr(v), nil
}

func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case json.Number:
		return pyNumberString(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			if s, ok := e.(string); ok {
				parts[i] = "'" + s + "'"
			} else {
				parts[i] = pyStr(e)
			}
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

func (b theoremQA) Score(_ context.Context, it Item, response string, sc Scorer) (Result, error) {
	p, err := checkProtocol(b.Spec(), sc.Protocol)
	if err != nil {
		return Result{}, err
	}
	var ext string
	var found bool
	if p == "theoremqa-repo" {
		ext = theoremAnswerClean(response)
		found = ext != ""
	} else {
		ext, found = verify.ExtractSimpleEvals(response)
	}
	pred := ext
	if p == "paper" && found {
		pred = theoremExtractAnswer(ext, true) // the repository's normalisation of an answer
	}
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: pred, Gold: it.Gold, Group: it.Group}
	r.Correct = found && TheoremQACompare(pred, it.Gold, it.Meta["answer_json"])
	return r, nil
}

// TheoremQACompare is the repository's compare_answer_with_groundtruth(answer, str(gold), gold).
func TheoremQACompare(answer, goldStr, goldJSON string) bool {
	lg := pyLower(goldStr)
	switch lg {
	case "(a)", "(b)", "(c)", "(d)", "(e)", "(f)":
		return strings.Contains(pyLower(answer), lg)
	}
	if pyLower(answer) == lg {
		return true
	}
	d := json.NewDecoder(strings.NewReader(goldJSON))
	d.UseNumber()
	var gold any
	if d.Decode(&gold) != nil {
		return false
	}
	switch g := gold.(type) {
	case json.Number:
		p, ok := numberIt(answer)
		return ok && compareTwoNumbers(p, g)
	case []any:
		a := strings.TrimSpace(answer)
		if !(strings.HasPrefix(a, "(") && strings.HasSuffix(a, ")")) && !(strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]")) {
			return false
		}
		parts := splitTopLevel(a[1 : len(a)-1])
		if len(parts) != len(g) {
			return false
		}
		preds := make([]float64, len(parts))
		for i, s := range parts {
			v, ok := numberIt(s)
			if !ok {
				return false
			}
			preds[i] = v
		}
		golds := make([]json.Number, len(g))
		for i, e := range g {
			n, ok := e.(json.Number)
			if !ok {
				return false
			}
			golds[i] = n
		}
		sort.Float64s(preds)
		sort.Slice(golds, func(i, j int) bool { a, _ := golds[i].Float64(); b, _ := golds[j].Float64(); return a < b })
		for i := range preds {
			if !compareTwoNumbers(preds[i], golds[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// compareTwoNumbers: an integer gold needs round(pred) == gold (Python's round half to even),
// a float gold needs |pred - gold| <= 4% of |gold|.
func compareTwoNumbers(p float64, gold json.Number) bool {
	if math.IsNaN(p) {
		return false
	}
	if gi, err := gold.Int64(); err == nil && !strings.ContainsAny(string(gold), ".eE") {
		return math.RoundToEven(p) == float64(gi)
	}
	g, err := gold.Float64()
	if err != nil {
		return false
	}
	eps := math.Abs(g) * 0.04
	return p >= g-eps && p <= g+eps
}

// numberIt converts an answer string to a number: Python float() first, then the numeric
// LaTeX evaluator (in place of the repository's latex2sympy + eval).
func numberIt(s string) (float64, bool) {
	s = theoremCleanUnits(s)
	if v, ok := pyFloat(s); ok {
		return v, true
	}
	return evalNumeric(s)
}

func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

var (
	piBare    = regexp.MustCompile(`(^|[^\d}])\\?π`)
	piAfterD  = regexp.MustCompile(`(\d)\\?π`)
	piBraced  = regexp.MustCompile(`\{\\?π\}`)
	piTimes   = regexp.MustCompile(`\*\\?π`)
	numWord   = regexp.MustCompile(`^-?[\d.]+\s\D+$`)
	numToken  = regexp.MustCompile(`^-?[\d.]+\s[^\s]+$`)
	lastNum   = regexp.MustCompile(`-?\d*\.?\d+`)
	triggerRe = regexp.MustCompile(`The answer is:|The answer is|the answer is`)
)

// theoremCleanUnits is the repository's clean_units (pi to 3.14, % to /100, currency and degree
// signs removed).
func theoremCleanUnits(s string) string {
	s = strings.ReplaceAll(s, `\pi`, "π")
	s = piBare.ReplaceAllString(s, "${1}3.14")
	s = piAfterD.ReplaceAllString(s, "${1}*3.14")
	s = piBraced.ReplaceAllString(s, "3.14")
	s = piTimes.ReplaceAllString(s, "*3.14")
	for _, r := range [][2]string{{"%", "/100"}, {"$", ""}, {"¥", ""}, {"°C", ""}, {" C", ""}, {"°", ""}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

// theoremAnswerClean is the repository's answer_clean with the triggers of run.py.
func theoremAnswerClean(pred string) string {
	pred = strings.Trim(pred, "\n")
	for _, t := range []string{"The answer is:", "The answer is", "the answer is"} {
		if strings.Count(pred, t) > 1 {
			pred = strings.Split(pred, "\n\n")[0]
			break
		}
	}
	parts := triggerRe.Split(pred, -1)
	flag := len(parts) > 1
	if flag {
		pred = parts[len(parts)-1]
	}
	pred = strings.Trim(strings.TrimRight(strings.TrimRight(strings.Trim(pred, "\n"), "."), "/"), " ")
	pred = theoremExtractAnswer(pred, flag)
	return strings.TrimRight(strings.TrimRight(pred, "."), "/")
}

// theoremExtractAnswer is extract_theoremqa_answer: booleans and options by substring, else
// (after an answer trigger) the right-hand side of the last "=", units cleaned, evaluated when
// it is numeric; without a trigger, the last number in the text.
func theoremExtractAnswer(pred string, flag bool) string {
	l := pyLower(pred)
	switch {
	case strings.Contains(l, "yes") || strings.Contains(l, "true"):
		return "True"
	case strings.Contains(l, "no") || strings.Contains(l, "false"):
		return "False"
	}
	for _, o := range []string{"(a)", "(b)", "(c)", "(d)", "(e)", "(f)"} {
		if strings.Contains(l, o) {
			return pred
		}
	}
	if strings.Contains(pred, "boxed") {
		if b, ok := verify.LastBoxedAny(pred); ok {
			pred = b
		}
	}
	if !flag {
		m := lastNum.FindAllString(pred, -1)
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1]
	}
	parts := strings.Split(pred, "=")
	pred = theoremCleanUnits(strings.TrimSpace(parts[len(parts)-1]))
	if v, ok := evalNumeric(pred); ok {
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10)
		}
		return pyFloatRepr(v)
	}
	if numWord.MatchString(pred) || numToken.MatchString(pred) {
		return strings.Split(pred, " ")[0]
	}
	return pred
}
