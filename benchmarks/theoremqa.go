package benchmarks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/greason/greason/verify"
)

// TheoremQA (TIGER-Lab/TheoremQA, 800 questions). The paper releases no script for it; "paper"
// here is the simple-evals math prompt and first-\boxed extraction (how the authors ran their
// other free-form sets), the boxed answer normalised by the repository's extract_theoremqa_answer
// and graded with the repository's compare_answer_with_groundtruth. "theoremqa-repo" is the
// repository's own pipeline: answer_clean of run.py on the whole response (the text after the
// last "The answer is", then extract_theoremqa_answer), graded as compute_accuracy.py does; with
// Scorer.Extracted it grades a prediction run.py already extracted (the published outputs' pred).
// The grading follows the repository's latex2sympy2 and eval() (latex2sympy.go, pyeval.go).
type theoremQA struct{}

func init() { register(theoremQA{}) }

func (theoremQA) Spec() Spec {
	return Spec{Name: "theoremqa", Title: "TheoremQA", Count: 800, Domain: "general", Samples: 1,
		Temperature: 0, MaxTokens: 8192, System: simpleEvalsSystem, GroupBy: "field", Headline: "micro",
		Protocols: []string{"paper", "theoremqa-repo"}, GradesExtracted: []string{"theoremqa-repo"},
		Stateful: []string{"theoremqa-repo"},
		Source:   "TIGER-Lab/TheoremQA theoremqa_test.json (vendored)"}
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
	if sc.Extracted && p != "theoremqa-repo" {
		return Result{}, fmt.Errorf("theoremqa: protocol %s cannot grade an extracted answer (theoremqa-repo can)", p)
	}
	var st *ProcessState
	if p == "theoremqa-repo" {
		st = sc.State
	}
	r := theoremScore(it, response, sc, p, st)
	if st != nil {
		// what the item would get in a process of its own: the rows the state changes
		if alone := theoremScore(it, response, sc, p, nil); alone.Pred != r.Pred || alone.Correct != r.Correct {
			c := StateChange{Stage: "grade", ID: it.ID, Input: r.Pred,
				Why: fmt.Sprintf("%q graded %v (alone: %v), latex2sympy2's state set by %q (item %s)", r.Pred, r.Correct, alone.Correct, st.grade.by, st.grade.at)}
			if alone.Pred != r.Pred {
				c.Stage, c.Input = "extract", response
				c.Why = fmt.Sprintf("extracted %q (alone: %q), latex2sympy2's state set by %q (item %s)", r.Pred, alone.Pred, st.extract.by, st.extract.at)
			}
			if c.Stage == "extract" {
				st.extract.changes = append(st.extract.changes, c)
			} else {
				st.grade.changes = append(st.grade.changes, c)
			}
		}
	}
	return r, nil
}

// theoremScore extracts and grades one response; st carries latex2sympy2's process-wide state
// (nil: the item alone in its process).
func theoremScore(it Item, response string, sc Scorer, p string, st *ProcessState) Result {
	var ext string
	var found bool
	var ex, gr *latexState
	if st != nil {
		ex, gr = &st.extract, &st.grade
		ex.cur, gr.cur = it.ID, it.ID
	}
	switch {
	case sc.Extracted: // compute_accuracy.py on a pred that run.py extracted
		ext, found = response, response != ""
	case p == "theoremqa-repo":
		ext = theoremAnswerClean(response, ex)
		found = ext != ""
	default:
		ext, found = verify.ExtractSimpleEvals(response)
	}
	pred := ext
	if p == "paper" && found {
		pred = theoremExtractAnswer(ext, true, nil) // the repository's normalisation of an answer
	}
	r := Result{ID: it.ID, Sample: sc.Sample, Extracted: ext, Found: found, Pred: pred, Gold: it.Gold, Group: it.Group}
	r.Correct = found && theoremCompare(pred, it.Gold, it.Meta["answer_json"], gr)
	return r
}

// latexState is latex2sympy2's process-wide state. Converting an input that holds a
// differential ("dx", or the "d i" of "method is" once spaces are gone) makes its global `var`
// a sympy Symbol; from then on every input holding a letter raises (`name in var` on a Symbol),
// for the rest of the process. compute_accuracy.py then falls back to Python's eval() of the
// text, where "False" is 0 and "True" is 1 against a number gold.
type latexState struct {
	set     bool
	by, at  string // the input that set it and the item it came with
	cur     string // the item being scored
	changes []StateChange
}

// parse is latex2sympy2 in a process with state st (nil: a fresh process for this input alone).
func (st *latexState) parse(s string) (*lnode, error) {
	x, p, err := latex2sympyParse(s)
	if st == nil {
		return x, err
	}
	if err == nil && st.set && p.symbols {
		return nil, errLatex
	}
	if err == nil && p.differentials && !st.set {
		st.set, st.by, st.at = true, s, st.cur
	}
	return x, err
}

// TheoremQACompare is the repository's compare_answer_with_groundtruth(answer, str(gold), gold)
// as compute_accuracy.py runs it: options by substring, then case-insensitive string equality,
// then a number gold against number_it(answer), a list gold against an answer written "(a, b)"
// (Python's eval of it, sorted, element by element). Booleans and options have no number and
// are decided by the first two tests alone.
func TheoremQACompare(answer, goldStr, goldJSON string) bool {
	return theoremCompare(answer, goldStr, goldJSON, nil)
}

// theoremCompare is TheoremQACompare in a process with latex2sympy2's state st.
func theoremCompare(answer, goldStr, goldJSON string, st *latexState) bool {
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
		p, ok := theoremNumberWith(answer, st.parse)
		return ok && theoremCompareNumbers(p, g)
	case []any:
		if !strings.HasPrefix(answer, "(") || !strings.HasSuffix(answer, ")") {
			return false // "[a, b]" only passes as the gold's exact string
		}
		v, err := pyEval(answer)
		if err != nil || (v.kind != pyTuple && v.kind != pyList) || len(v.elems) != len(g) {
			return false
		}
		preds := make([]pyVal, len(v.elems))
		for i, e := range v.elems {
			if !e.isNum() {
				return false // number_it of a tuple or None raises
			}
			preds[i] = e
		}
		golds := make([]json.Number, len(g))
		for i, e := range g {
			n, ok := e.(json.Number)
			if !ok {
				return false
			}
			golds[i] = n
		}
		sortPy(preds)
		sort.SliceStable(golds, func(i, j int) bool { a, _ := golds[i].Float64(); b, _ := golds[j].Float64(); return a < b })
		for i := range preds {
			if !theoremCompareNumbers(preds[i], golds[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// theoremCompareNumbers is compare_two_numbers: an int gold needs round(pred) == gold (Python's
// round, half to even), a float gold |pred - gold| <= 4% of |gold|; NaN never matches.
func theoremCompareNumbers(p pyVal, gold json.Number) bool {
	pf, err := p.float()
	if err != nil || math.IsNaN(pf) {
		return false
	}
	if !strings.ContainsAny(string(gold), ".eE") {
		gi, ok := new(big.Int).SetString(string(gold), 10)
		if !ok {
			return false
		}
		if p.isIntLike() {
			return p.i.Cmp(gi) == 0
		}
		if math.IsInf(pf, 0) {
			return false // OverflowError
		}
		r, _ := new(big.Float).SetFloat64(math.RoundToEven(pf)).Int(nil)
		return r.Cmp(gi) == 0
	}
	g, err := gold.Float64()
	if err != nil {
		return false
	}
	eps := math.Abs(g) * 0.04
	return pf >= g-eps && pf <= g+eps
}

// theoremNumberIt is the repository's number_it(): clean the units, str(latex2sympy(...)) when
// it parses (else the cleaned text itself), then float(), else eval() (a list or tuple gives its
// first element), an integral value as an int. ok=false is Python's None.
func theoremNumberIt(s string) (pyVal, bool) { return theoremNumberWith(s, latex2sympy) }

// theoremNumberWith is number_it with parse standing in for latex2sympy (latexState.parse
// replays latex2sympy2's process-wide state).
func theoremNumberWith(s string, parse func(string) (*lnode, error)) (pyVal, bool) {
	s = theoremCleanUnits(s)
	var v pyVal
	if x, err := parse(s); err == nil {
		if v, err = evalPrinted(x); err != nil {
			return pyVal{}, false
		}
	} else {
		if f, ok := floatifyStr(s); ok {
			return f, true
		}
		if v, err = pyEval(s); err != nil {
			return pyVal{}, false
		}
	}
	if v.kind == pyList || v.kind == pyTuple {
		if len(v.elems) == 0 {
			return pyVal{}, false
		}
		v = v.elems[0]
	}
	return floatify(v)
}

// theoremCleanUnits is the repository's clean_units: \pi and π become 3.14 (a π after a digit
// "*3.14"; the four re.sub passes of convert_pi_to_number, lookbehind included), % becomes /100,
// and $, ¥, °C, " C" and ° are removed.
func theoremCleanUnits(s string) string {
	s = strings.ReplaceAll(s, `\pi`, "π")
	// (?<![\d}])\\?π -> 3.14 (the lookbehind reads the input string)
	var b strings.Builder
	prevBlocks := func(i int) bool {
		if i == 0 {
			return false
		}
		r, _ := utf8.DecodeLastRuneInString(s[:i])
		return unicode.IsDigit(r) || r == '}'
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], `\π`) && !prevBlocks(i):
			b.WriteString("3.14")
			i += len(`\π`)
		case strings.HasPrefix(s[i:], "π") && !prevBlocks(i):
			b.WriteString("3.14")
			i += len("π")
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			b.WriteRune(r)
			i += n
		}
	}
	s = b.String()
	// (\d)(\\?π) -> \1*3.14
	b.Reset()
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsDigit(r) {
			if rest := s[i+n:]; strings.HasPrefix(rest, `\π`) || strings.HasPrefix(rest, "π") {
				b.WriteString(s[i:i+n] + "*3.14")
				i += n + len("π")
				if strings.HasPrefix(rest, `\`) {
					i++
				}
				continue
			}
		}
		b.WriteRune(r)
		i += n
	}
	s = b.String()
	for _, r := range [][2]string{{`{\π}`, "3.14"}, {"{π}", "3.14"}, {`*\π`, "*3.14"}, {"*π", "*3.14"},
		{"%", "/100"}, {"$", ""}, {"¥", ""}, {"°C", ""}, {" C", ""}, {"°", ""}} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}

var (
	triggerRe = regexp.MustCompile(`The answer is:|The answer is|the answer is`)
	// extract_theoremqa_answer's fallbacks, with Python's Unicode \s, \d and \D; `$` also
	// matches before a final newline.
	numWord   = regexp.MustCompile(`^-?[\p{Nd}.]+` + pySpaceClass + `[^\p{Nd}]+\n?\z`)
	numToken  = regexp.MustCompile(`^-?[\p{Nd}.]+` + pySpaceClass + `[^` + pySpaceChars + `]+\n?\z`)
	lastNumRe = regexp.MustCompile(`-?\p{Nd}*\.?\p{Nd}+`)
)

// theoremAnswerClean is the repository's answer_clean with the triggers of run.py: cut at the
// first blank line when a trigger occurs twice (few-shot continuation), keep what follows the
// last trigger, then extract_theoremqa_answer.
func theoremAnswerClean(pred string, st *latexState) string {
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
	pred = theoremExtractAnswer(pred, flag, st)
	return strings.TrimRight(strings.TrimRight(pred, "."), "/")
}

// theoremExtractAnswer is extract_theoremqa_answer: "yes"/"true" anywhere is True, then
// "no"/"false" is False (substrings: "not" and "know" count), an option letter keeps the text;
// after a trigger, the right-hand side of the last "=" with units cleaned is replaced by
// str(eval(str(latex2sympy(...)))) when that succeeds, else a number followed by one word is cut
// to the number; without a trigger, the last number in the text. No \boxed{} is opened.
func theoremExtractAnswer(pred string, flag bool, st *latexState) string {
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
	if !flag {
		m := lastNumRe.FindAllString(pred, -1)
		if len(m) == 0 {
			return ""
		}
		return m[len(m)-1]
	}
	parts := strings.Split(pred, "=")
	pred = theoremCleanUnits(verify.PyStrip(parts[len(parts)-1]))
	if x, err := st.parse(pred); err == nil {
		if v, err := evalPrinted(x); err == nil {
			return v.str()
		}
	}
	if numWord.MatchString(pred) || numToken.MatchString(pred) {
		return strings.Split(pred, " ")[0]
	}
	return pred
}
