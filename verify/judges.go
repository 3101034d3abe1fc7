package verify

import (
	"fmt"
	"sort"
	"strings"
)

// JudgeConfig configures the judges that call a model. The model layer of general-verifier and
// cascade is General-Verifier behind VerifierURL (an OpenAI-compatible completions endpoint) or
// VerifierCompleter (a local model: package model/complete, built from a checkpoint folder by
// the caller, since verify does not load models); cascade may use the equality judge at URL
// instead.
type JudgeConfig struct {
	URL           string // OpenAI-compatible base URL of the equality judge (chat; the paper: GPT-4o)
	Model         string // its model name
	VerifierURL   string // OpenAI-compatible base URL serving TIGER-Lab/general-verifier (completions)
	VerifierModel string // the model name at VerifierURL; for a local verifier, its checkpoint folder (recorded only)
	// VerifierCompleter is a local General-Verifier (greedy plain completion of a checkpoint
	// folder); it replaces VerifierURL.
	VerifierCompleter Completer `json:"-"`
	// VerifierMaxTokens bounds General-Verifier's output: 0 means 2048 (the paper's training
	// setting; the model card uses 1024).
	VerifierMaxTokens int `json:"verifier_max_tokens,omitempty"`
}

// generalVerifier returns the General-Verifier the config names (local or served), or nil.
func (c JudgeConfig) generalVerifier() *GeneralVerifier {
	switch {
	case c.VerifierCompleter != nil:
		return &GeneralVerifier{Model: c.VerifierCompleter, MaxTokens: c.VerifierMaxTokens}
	case c.VerifierURL != "":
		m := c.VerifierModel
		if m == "" {
			m = "TIGER-Lab/general-verifier"
		}
		g := NewGeneralVerifier(c.VerifierURL, m)
		g.MaxTokens = c.VerifierMaxTokens
		return g
	}
	return nil
}

// model returns the model layer of a cascade: General-Verifier when configured, else the
// equality judge when URL is set, else nil.
func (c JudgeConfig) model() Judge {
	if g := c.generalVerifier(); g != nil {
		return g
	}
	if c.URL != "" {
		m := c.Model
		if m == "" {
			m = "gpt-4o"
		}
		return NewEqualityJudge(c.URL, m)
	}
	return nil
}

const needVerifier = "--verifier-url (a completions endpoint serving General-Verifier) or --verifier-model DIR (a local checkpoint folder, e.g. from `greason model pull TIGER-Lab/general-verifier`)"

var judgeMakers = map[string]func(JudgeConfig) (Judge, error){
	"string":    func(JudgeConfig) (Judge, error) { return StringJudge{}, nil },
	"exact":     func(JudgeConfig) (Judge, error) { return ExactJudge{}, nil },
	"hendrycks": func(JudgeConfig) (Judge, error) { return HendrycksJudge{}, nil },
	"rule":      func(JudgeConfig) (Judge, error) { return RuleVerifier{}, nil },
	// cascade: rules first; only their no/unknown go to the model layer, which is required.
	"cascade": func(c JudgeConfig) (Judge, error) {
		m := c.model()
		if m == nil {
			return nil, fmt.Errorf("judge cascade needs its model layer: %s, or --judge-url (an OpenAI-compatible chat endpoint for the equality judge); --judge rule runs the rules alone", needVerifier)
		}
		return &Cascade{Model: m}, nil
	},
	"llm-judge": func(c JudgeConfig) (Judge, error) {
		if c.URL == "" {
			return nil, fmt.Errorf("judge llm-judge needs the URL of an OpenAI-compatible chat endpoint (--judge-url)")
		}
		return NewEqualityJudge(c.URL, c.Model), nil
	},
	"general-verifier": func(c JudgeConfig) (Judge, error) {
		g := c.generalVerifier()
		if g == nil {
			return nil, fmt.Errorf("judge general-verifier needs %s", needVerifier)
		}
		return g, nil
	},
}

// JudgeNames lists the available judge names.
func JudgeNames() []string {
	var n []string
	for k := range judgeMakers {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// UsesVerifier reports whether the named judge asks General-Verifier (general-verifier, cascade).
func UsesVerifier(name string) bool { return name == "general-verifier" || name == "cascade" }

// NewJudge builds the named equivalence judge: string, exact, hendrycks (baselines), rule (the
// strong rule verifier), cascade (rules, then the model layer), llm-judge (the paper's GPT-4o
// equality judge over any chat endpoint) or general-verifier (served or local). A judge without
// the model it needs, or a model the judge would not use, is an error naming the flag: nothing
// falls back silently.
func NewJudge(name string, cfg JudgeConfig) (Judge, error) {
	mk, ok := judgeMakers[name]
	if !ok {
		return nil, fmt.Errorf("unknown judge %q (available: %s)", name, strings.Join(JudgeNames(), ", "))
	}
	usesJudge, usesVerifier := name == "llm-judge" || name == "cascade", UsesVerifier(name)
	local := cfg.VerifierCompleter != nil
	switch {
	case cfg.URL != "" && !usesJudge:
		return nil, fmt.Errorf("--judge-url is set but judge %s does not use it (llm-judge and cascade do)", name)
	case cfg.VerifierURL != "" && !usesVerifier:
		return nil, fmt.Errorf("--verifier-url is set but judge %s does not use it (general-verifier and cascade do)", name)
	case local && !usesVerifier:
		return nil, fmt.Errorf("a local verifier (--verifier-model %s) is set but judge %s does not use it (general-verifier and cascade do)", cfg.VerifierModel, name)
	case local && cfg.VerifierURL != "":
		return nil, fmt.Errorf("General-Verifier is either served (--verifier-url) or local (--verifier-model DIR without --verifier-url), not both")
	case name == "cascade" && cfg.URL != "" && (cfg.VerifierURL != "" || local):
		return nil, fmt.Errorf("judge cascade takes one model layer: General-Verifier (--verifier-url or a local --verifier-model DIR) or --judge-url (equality judge), not both")
	}
	return mk(cfg)
}
