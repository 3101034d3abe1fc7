package harness

import (
	"fmt"
	"sort"
	"strings"

	"github.com/greason/greason/verify"
)

// JudgeConfig configures judges that call a model.
type JudgeConfig struct {
	URL   string // OpenAI-compatible base URL of the judge model
	Model string // judge model name (the paper: gpt-4o)
}

var judgeMakers = map[string]func(JudgeConfig) (verify.Judge, error){
	"string": func(JudgeConfig) (verify.Judge, error) { return verify.StringJudge{}, nil },
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

// NewJudge builds the named equivalence judge for the free-form (math) benchmarks.
func NewJudge(name string, cfg JudgeConfig) (verify.Judge, error) {
	mk, ok := judgeMakers[name]
	if !ok {
		return nil, fmt.Errorf("unknown judge %q (available: %s)", name, strings.Join(JudgeNames(), ", "))
	}
	return mk(cfg)
}
