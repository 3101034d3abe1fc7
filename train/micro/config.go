package micro

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/greason/greason/train/grpo"
)

// DefaultConfig is the embedded default micro run (`just micro`): sized to finish in well
// under 15 minutes on 2 CPU cores.
func DefaultConfig() *Config {
	g := grpo.DefaultGRPO()
	g.Steps = 30
	g.PromptsPerStep = 12
	g.N = 8
	g.MiniBatches = 2
	g.MaxNewTokens = 20
	g.EvalEvery = 15
	g.Optim.LR = 5e-4
	g.Bucket = 8
	return &Config{
		Name:         "micro",
		Model:        ModelSize{Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, FF: 192},
		DataSeed:     7,
		TrainPrompts: 2000,
		HeldOut:      200,
		EvalSamples:  4,
		SFTExamples:  6000,
		WrongProb:    0.4,
		NoBoxProb:    0.3,
		SFT:          grpo.SFTConfig{Steps: 200, BatchSize: 64, LR: 3e-3, Bucket: 8, LogEvery: 50},
		GRPO:         g,
		Seeds:        []uint64{1, 2, 3},
		SFTSeed:      1,
		Parallel:     3,
		Runs: []RunSpec{
			{Name: "string", Reward: "string", Data: "full"},
			{Name: "rule", Reward: "rule", Data: "full"},
		},
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
	if err := json.Unmarshal(b, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}
