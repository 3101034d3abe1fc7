package harness

import (
	"fmt"
	"sort"
	"strings"

	"github.com/greason/greason/verify"
)

// JudgeConfig configures judges that call a model.
type JudgeConfig struct {
	URL           string // OpenAI-compatible base URL of the equality judge (chat; the paper: GPT-4o)
	Model         string // its model name
	VerifierURL   string // OpenAI-compatible base URL serving TIGER-Lab/general-verifier (completions)
	VerifierModel string
}

// model returns the model layer the config names: the General-Verifier when VerifierURL is
// set, else the equality judge when URL is set, else nil.
func (c JudgeConfig) model() verify.Judge {
	switch {
	case c.VerifierURL != "":
		m := c.VerifierModel
		if m == "" {
			m = "TIGER-Lab/general-verifier"
		}
		return verify.NewGeneralVerifier(c.VerifierURL, m)
	case c.URL != "":
		m := c.Model
		if m == "" {
			m = "gpt-4o"
		}
		return verify.NewEqualityJudge(c.URL, m)
	}
	return nil
}

var judgeMakers = map[string]func(JudgeConfig) (verify.Judge, error){
	"string":    func(JudgeConfig) (verify.Judge, error) { return verify.StringJudge{}, nil },
	"exact":     func(JudgeConfig) (verify.Judge, error) { return verify.ExactJudge{}, nil },
	"hendrycks": func(JudgeConfig) (verify.Judge, error) { return verify.HendrycksJudge{}, nil },
	"rule":      func(JudgeConfig) (verify.Judge, error) { return verify.RuleVerifier{}, nil },
	// cascade: rules first; only their no/unknown go to the model layer, which is required.
	"cascade": func(c JudgeConfig) (verify.Judge, error) {
		m := c.model()
		if m == nil {
			return nil, fmt.Errorf("judge cascade needs its model layer: --verifier-url (a completions endpoint serving General-Verifier) or --judge-url (an OpenAI-compatible chat endpoint for the equality judge); --judge rule runs the rules alone")
		}
		return &verify.Cascade{Model: m}, nil
	},
	"llm-judge": func(c JudgeConfig) (verify.Judge, error) {
		if c.URL == "" {
			return nil, fmt.Errorf("judge llm-judge needs the URL of an OpenAI-compatible chat endpoint (--judge-url)")
		}
		return verify.NewEqualityJudge(c.URL, c.Model), nil
	},
	"general-verifier": func(c JudgeConfig) (verify.Judge, error) {
		if c.VerifierURL == "" {
			return nil, fmt.Errorf("judge general-verifier needs the URL of a completions endpoint serving it (--verifier-url)")
		}
		return verify.NewGeneralVerifier(c.VerifierURL, c.VerifierModel), nil
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

// NewJudge builds the named equivalence judge: string, exact, hendrycks (baselines), rule (the
// strong rule verifier), cascade (rules, then the model layer), llm-judge (the paper's GPT-4o
// equality judge over any chat endpoint) or general-verifier. A judge without the URL it needs,
// or a URL the judge would not use, is an error naming the flag: nothing falls back silently.
func NewJudge(name string, cfg JudgeConfig) (verify.Judge, error) {
	mk, ok := judgeMakers[name]
	if !ok {
		return nil, fmt.Errorf("unknown judge %q (available: %s)", name, strings.Join(JudgeNames(), ", "))
	}
	usesJudge, usesVerifier := name == "llm-judge" || name == "cascade", name == "general-verifier" || name == "cascade"
	switch {
	case cfg.URL != "" && !usesJudge:
		return nil, fmt.Errorf("--judge-url is set but judge %s does not use it (llm-judge and cascade do)", name)
	case cfg.VerifierURL != "" && !usesVerifier:
		return nil, fmt.Errorf("--verifier-url is set but judge %s does not use it (general-verifier and cascade do)", name)
	case name == "cascade" && cfg.URL != "" && cfg.VerifierURL != "":
		return nil, fmt.Errorf("judge cascade takes one model layer: --verifier-url (General-Verifier) or --judge-url (equality judge), not both")
	}
	return mk(cfg)
}
