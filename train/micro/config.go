package micro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/greason/greason/train/grpo"
)

// DefaultConfig is the embedded default micro run (`just micro`): one warm start, the micro
// model verifier, then GRPO with four rewards on all domains (string, math-rules, rules, model)
// and the strong rule verifier on math-only data, 3 seeds each, every accuracy judged by the oracle;
// sized to finish in under 20 minutes on 2 CPU cores with the GOEXPERIMENT=simd build.
func DefaultConfig() *Config {
	g := grpo.DefaultGRPO()
	g.Steps = 64
	g.PromptsPerStep = 16
	g.N = 8
	g.MiniBatches = 2
	g.MaxNewTokens = 28
	g.EvalEvery = 16
	g.Optim.LR = 5e-4
	g.Bucket = 8
	return &Config{
		Name:         "micro",
		Model:        ModelSize{Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, FF: 192},
		DataSeed:     7,
		TrainPrompts: 4000,
		HeldOut:      300,
		EvalSamples:  4,
		SFTExamples:  20000,
		WrongProb:    0.4,
		NoBoxProb:    0.3,
		SFT:          grpo.SFTConfig{Steps: 1200, BatchSize: 64, LR: 3e-3, Bucket: 8, LogEvery: 100},
		GRPO:         g,
		Seeds:        []uint64{1, 2, 3},
		SFTSeed:      1,
		Parallel:     2,
		Runs: []RunSpec{
			{Name: RewardString, Reward: RewardString, Data: "full"},
			{Name: RewardMathRules, Reward: RewardMathRules, Data: "full"},
			{Name: RewardRules, Reward: RewardRules, Data: "full"},
			{Name: RewardModel, Reward: RewardModel, Data: "full"},
			{Name: "rules-math", Reward: RewardRules, Data: "math"},
		},
		Verifier: DefaultVerifier(),
	}
}

// LoadConfig reads a JSON config over the defaults (fields absent from the file keep their
// default values).
func LoadConfig(path string) (*Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(b, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// decodeStrict decodes JSON into v and rejects fields v does not have, so a misspelt key is an
// error instead of a silently kept default.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
