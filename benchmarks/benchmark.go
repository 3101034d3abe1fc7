// Package benchmarks holds the 12 evaluation benchmarks of General-Reasoner, one small file per
// benchmark behind the Benchmark interface (in the spirit of openai/simple-evals): how items are
// loaded, the exact prompt the paper sent, and how a response is extracted and scored under each
// supported protocol. Metrics live in metrics.go.
package benchmarks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/greason/greason/verify"
)

// Item is one benchmark question.
type Item struct {
	ID       string            `json:"id"`
	Question string            `json:"question"` // raw question (what judges and verifiers see)
	Prompt   string            `json:"prompt"`   // the user turn exactly as the paper sent it
	Gold     string            `json:"gold"`     // gold answer (a letter for multiple choice)
	Group    string            `json:"group,omitempty"`
	Options  []string          `json:"options,omitempty"` // multiple-choice options in prompt order
	Meta     map[string]string `json:"meta,omitempty"`
}

// Spec describes how a benchmark is run and reported.
type Spec struct {
	Name        string   // CLI name, e.g. "mmlu-pro"
	Title       string   // display name, e.g. "MMLU-Pro"
	Count       int      // items in the full test set
	Domain      string   // "general" or "math"
	Samples     int      // samples per item (32 for AIME: avg@32)
	Temperature float64  // sampling temperature of the paper's runs
	MaxTokens   int      // generation limit of the paper's runs
	System      string   // system message ("" = none)
	GroupBy     string   // name of the per-group breakdown ("category", "discipline", "task"), "" if none
	Headline    string   // "micro", "macro" (over groups) or "avg@32"
	Protocols   []string // supported scoring protocols; the first is the default ("paper")
	UsesJudge   bool     // scoring needs an equivalence judge (math answers)
	// GradesExtracted lists the protocols that can grade an answer some other pipeline already
	// extracted (Scorer.Extracted), such as the pred field of the TheoremQA repository's outputs.
	GradesExtracted []string
	// Stateful lists the protocols whose reference code keeps state from one item to the next
	// within a process (the TheoremQA repository's latex2sympy2): a file or run is scored in
	// its order, one item after the other, with one ProcessState (harness.ScoreAll does so).
	Stateful []string
	Source   string // where the items come from
}

// Scorer carries what scoring needs besides the item and the response.
type Scorer struct {
	Protocol string       // "" means "paper"
	Judge    verify.Judge // equivalence judge for free-form answers
	Seed     uint64       // seed of the random-letter fallback (recorded in the run)
	Sample   int          // sample index, part of the fallback's seed
	// Extracted: the response is an answer already extracted by the protocol's own pipeline;
	// grade it as it is (only protocols in Spec.GradesExtracted).
	Extracted bool
	// State is the process-wide state of a protocol in Spec.Stateful, shared by the items of
	// one file or run scored in order; nil scores each item as if alone in its process.
	State *ProcessState
}

// ProcessState is what a protocol's reference code carries from one item to the next within
// one process. Not safe for concurrent use: score the items of a run one after the other.
type ProcessState struct {
	// latex2sympy2's global state in run.py's process (extraction) and in
	// compute_accuracy.py's (grading): see theoremqa.go.
	extract, grade latexState
}

// NewProcessState returns the state of a fresh process.
func NewProcessState() *ProcessState { return &ProcessState{} }

// StateChanges lists the items whose grading the process state changed so far, in order: what a
// stateless grading would have said differently (TheoremQA: the rows after latex2sympy2's
// global was set).
func (p *ProcessState) StateChanges() []StateChange {
	if p == nil {
		return nil
	}
	return append(append([]StateChange(nil), p.extract.changes...), p.grade.changes...)
}

// StateChange is one item that the process state changed.
type StateChange struct {
	Stage string // "extract" (run.py) or "grade" (compute_accuracy.py)
	ID    string // the item
	Input string // what latex2sympy2 was given
	Why   string
}

// IsStateful reports whether protocol p of spec s keeps state across items.
func IsStateful(s Spec, p string) bool {
	if p == "" {
		p = s.Protocols[0]
	}
	for _, q := range s.Stateful {
		if q == p {
			return true
		}
	}
	return false
}

// Result is the scored outcome of one response.
type Result struct {
	ID        string `json:"id"`
	Sample    int    `json:"sample"`
	Extracted string `json:"extracted"` // empty when nothing was extracted
	Found     bool   `json:"found"`     // whether the extractor found an answer at all
	Pred      string `json:"pred"`      // the prediction compared with the gold
	Gold      string `json:"gold"`
	Correct   bool   `json:"correct"`
	Fallback  bool   `json:"fallback,omitempty"` // pred is the random-letter fallback
	Group     string `json:"group,omitempty"`
	Judge     string `json:"judge,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// Benchmark is one evaluation set.
type Benchmark interface {
	Spec() Spec
	// Load returns the items in the canonical order of the source file.
	Load() ([]Item, error)
	// Score extracts the answer from response and grades it against it.Gold.
	Score(ctx context.Context, it Item, response string, sc Scorer) (Result, error)
}

var registry = map[string]Benchmark{}
var order []string

func register(b Benchmark) {
	name := b.Spec().Name
	if _, dup := registry[name]; dup {
		panic("benchmarks: duplicate " + name)
	}
	registry[name] = b
	order = append(order, name)
}

// All returns every benchmark in the paper's table order (general domain, then math).
func All() []Benchmark {
	names := append([]string(nil), order...)
	rank := func(n string) int {
		for i, p := range paperOrder {
			if p == n {
				return i
			}
		}
		return len(paperOrder)
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	out := make([]Benchmark, len(names))
	for i, n := range names {
		out[i] = registry[n]
	}
	return out
}

var paperOrder = []string{"mmlu-pro", "gpqa-diamond", "supergpqa", "theoremqa", "bbeh",
	"math500", "olympiadbench", "minerva", "gsm8k", "amc23", "aime24", "aime25"}

// Get returns the benchmark with the given name, or an error listing the known names.
func Get(name string) (Benchmark, error) {
	if b, ok := registry[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("unknown benchmark %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists benchmark names in table order.
func Names() []string {
	var out []string
	for _, b := range All() {
		out = append(out, b.Spec().Name)
	}
	return out
}

func checkProtocol(s Spec, p string) (string, error) {
	if p == "" {
		return s.Protocols[0], nil
	}
	for _, q := range s.Protocols {
		if q == p {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: unknown protocol %q (supported: %s)", s.Name, p, strings.Join(s.Protocols, ", "))
}
