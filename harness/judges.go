package harness

import "github.com/greason/greason/verify"

// JudgeConfig configures judges that call a model (verify.JudgeConfig).
type JudgeConfig = verify.JudgeConfig

// JudgeNames lists the available judge names (verify.JudgeNames).
func JudgeNames() []string { return verify.JudgeNames() }

// NewJudge builds the named judge (verify.NewJudge: the construction moved to package verify so
// that trainers, which do not import harness, build judges by the same names).
func NewJudge(name string, cfg JudgeConfig) (verify.Judge, error) { return verify.NewJudge(name, cfg) }
