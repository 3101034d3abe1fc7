package micro

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greason/greason/train/grpo"
)

func TestCharTokenizerRoundTrip(t *testing.T) {
	tok := CharTokenizer{}
	s := `Speed 3 m/s for 4 s. Distance? \boxed{12 m}`
	if got := tok.Decode(tok.Encode(s)); got != s {
		t.Fatalf("round trip %q", got)
	}
	if tok.Decode([]int{EOSToken}) != "<|im_end|>" || tok.Count("ab") != 2 {
		t.Fatal("special tokens / count")
	}
	for _, id := range tok.Encode("~ é") {
		if id <= EOSToken || id >= VocabSize {
			t.Fatalf("id %d outside the vocabulary", id)
		}
	}
}

func TestDatasetsDisjoint(t *testing.T) {
	cfg := DefaultConfig()
	d := MakeData(cfg)
	held := map[string]bool{}
	for _, it := range d.HeldOut {
		held[it.Question] = true
	}
	for _, it := range append(append([]Item(nil), d.Train...), d.TrainMath...) {
		if held[it.Question] {
			t.Fatalf("training question %q is also held out", it.Question)
		}
	}
	for _, it := range d.TrainMath {
		if it.Group != "math" {
			t.Fatalf("math-only data holds %s question %q", it.Domain, it.Question)
		}
	}
	if len(d.SFT) != cfg.SFTExamples || len(d.HeldOut) != cfg.HeldOut {
		t.Fatalf("sizes: %d sft, %d held-out", len(d.SFT), len(d.HeldOut))
	}
}

// TestMicroPipeline runs the whole experiment at toy size (warm start, a model verifier, GRPO
// runs for every reward and data kind, results files); the numbers themselves are not checked.
func TestMicroPipeline(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model = ModelSize{Hidden: 16, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 8, FF: 32}
	cfg.TrainPrompts, cfg.HeldOut, cfg.SFTExamples, cfg.EvalSamples = 60, 16, 64, 1
	cfg.SFT.Steps, cfg.SFT.BatchSize = 3, 8
	cfg.GRPO.Steps, cfg.GRPO.PromptsPerStep, cfg.GRPO.N, cfg.GRPO.MaxNewTokens, cfg.GRPO.EvalEvery = 2, 2, 4, 8, 1
	cfg.Seeds = []uint64{1, 2}
	cfg.Runs = []RunSpec{{"string", "string", "full"}, {"math-rules", "math-rules", "full"}, {"rules", "rules", "full"},
		{"model", "model", "full"}, {"cascade", "cascade", "full"}, {"model-math", "model", "math"}}
	cfg.Verifier = &VerifierConfig{Model: cfg.Model, Pairs: 64, HeldOutPairs: 16, Seed: 3, PolicyShare: 0.5, NearMissShare: 0.25, InitFromPolicy: true,
		SFT: grpo.SFTConfig{Steps: 2, BatchSize: 8, LR: 1e-3, Bucket: 8}, Mining: MiningConfig{Rounds: 1, Steps: 2, SFTSteps: 1},
		Refresh: RefreshConfig{Every: 1, Steps: 1}}
	dir := t.TempDir()
	var progress bytes.Buffer
	sum, err := Run(context.Background(), cfg, dir, "test", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 12 || sum.Verifier == nil || len(sum.Verifier.Rounds) != 1 {
		t.Fatalf("%d results, verifier %v", len(sum.Results), sum.Verifier)
	}
	for _, f := range []string{"summary.json", "runs.csv", "ablation_verifier.csv", "ablation_data.csv", "curve_heldout.png", "curve_hack.png", "curve_reward.png", "logs/model_s2.jsonl", "warm_start/config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ablation_data.csv"))
	if !strings.Contains(string(b), "# non-math: full data ") || !strings.Contains(string(b), "\nreward,data,all,non-math,physics,other,math\nmodel,full (all domains),") {
		t.Errorf("ablation_data.csv:\n%s", b)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "ablation_verifier.csv"))
	if !strings.Contains(string(b), ",model,math-rules,string,rules,cascade\n") {
		t.Errorf("ablation_verifier.csv:\n%s", b)
	}
	for _, r := range sum.Results {
		if len(r.Evals) != 3 || r.HackRate < 0 || r.HackRate > 1 || r.Agreement < 0 || r.Agreement > 1 || r.Reward == "" || r.Data == "" {
			t.Errorf("result %+v", r)
		}
	}
	// Held-out samples at every evaluation after step 0 (steps 1 and 2): 2 × min(16, 16 held-out).
	sb, err := os.ReadFile(filepath.Join(dir, "logs/model_s1_samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sb)), "\n")
	var first Sample
	if len(lines) != 2*16 || json.Unmarshal([]byte(lines[0]), &first) != nil || first.Step != 1 || first.Question == "" || first.Gold == "" {
		t.Fatalf("%d sample lines, first %q", len(lines), lines[0])
	}
	recs, err := grpo.ReadLog(filepath.Join(dir, "logs/rules_s1.jsonl"))
	if err != nil || len(recs) != 2+3 {
		t.Fatalf("rules_s1 log: %d records (%v), want 2 train + 3 eval", len(recs), err)
	}
	if !strings.Contains(Report(sum), "| model | model | full |") {
		t.Error(Report(sum))
	}
	// The saved warm start replaces the SFT: same weights, same held-out "before".
	again := *cfg
	again.WarmStart = filepath.Join(dir, "warm_start")
	again.Seeds, again.Runs, again.Verifier = []uint64{1}, []RunSpec{{"rules", "rules", "full"}}, nil
	sum2, err := Run(context.Background(), &again, t.TempDir(), "test", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if sum2.Results[0].Before != sum.Results[0].Before {
		t.Errorf("before from the saved warm start %.2f, from the SFT %.2f", sum2.Results[0].Before, sum.Results[0].Before)
	}
	again.Model.FF *= 2
	if _, err := Run(context.Background(), &again, t.TempDir(), "test", &progress); err == nil || !strings.Contains(err.Error(), "shape differs") {
		t.Errorf("warm start of another shape: %v", err)
	}
}

// TestMicroDeterministic runs a toy experiment with every reward (the verifier trained beside the
// other runs, mined, refreshed in its runs; two runs at a time) twice: every number must be equal.
func TestMicroDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Model = ModelSize{Hidden: 16, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 8, FF: 32}
	cfg.TrainPrompts, cfg.HeldOut, cfg.SFTExamples, cfg.EvalSamples = 60, 16, 64, 2
	cfg.SFT.Steps, cfg.SFT.BatchSize = 20, 8
	cfg.GRPO.Steps, cfg.GRPO.PromptsPerStep, cfg.GRPO.N, cfg.GRPO.MaxNewTokens, cfg.GRPO.EvalEvery = 4, 2, 4, 10, 2
	cfg.Seeds, cfg.Parallel = []uint64{1, 2}, 2
	cfg.Verifier = &VerifierConfig{Model: cfg.Model, Pairs: 64, HeldOutPairs: 16, Seed: 3, PolicyShare: 0.5, NearMissShare: 0.25, InitFromPolicy: true,
		SFT: grpo.SFTConfig{Steps: 4, BatchSize: 8, LR: 1e-3, Bucket: 8}, Mining: MiningConfig{Rounds: 1, Steps: 2, SFTSteps: 2},
		Refresh: RefreshConfig{Every: 1, Steps: 1}}
	var sums []*Summary
	for k := 0; k < 2; k++ {
		var progress bytes.Buffer
		sum, err := Run(context.Background(), cfg, t.TempDir(), "test", &progress)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	strip := func(s *Summary) string {
		rs := append([]Result(nil), s.Results...)
		for i := range rs {
			rs[i].Seconds = 0
		}
		v := *s.Verifier
		v.Seconds, v.Rounds = 0, append([]MiningRound(nil), v.Rounds...)
		for i := range v.Rounds {
			v.Rounds[i].Seconds = 0
		}
		b, _ := json.Marshal(struct {
			R []Result
			V VerifierResult
		}{rs, v})
		return string(b)
	}
	if a, b := strip(sums[0]), strip(sums[1]); a != b {
		t.Fatalf("two identical runs differ:\n%s\n%s", a, b)
	}
}
