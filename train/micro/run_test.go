package micro

import (
	"bytes"
	"context"
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
	cfg.Runs = []RunSpec{{"string", "string", "full"}, {"rule", "rule", "full"}, {"math", "rule", "math"}, {"model", "model", "full"}}
	cfg.Verifier = &VerifierConfig{Model: cfg.Model, Pairs: 64, HeldOutPairs: 16, Seed: 3,
		SFT: grpo.SFTConfig{Steps: 2, BatchSize: 8, LR: 1e-3, Bucket: 8}}
	dir := t.TempDir()
	var progress bytes.Buffer
	sum, err := Run(context.Background(), cfg, dir, "test", &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Results) != 8 || sum.Verifier == nil {
		t.Fatalf("%d results, verifier %v", len(sum.Results), sum.Verifier)
	}
	for _, f := range []string{"summary.json", "runs.csv", "ablation_verifier.csv", "ablation_data.csv", "curve_heldout.png", "curve_reward.png", "logs/model_s2.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "ablation_data.csv"))
	if !strings.HasPrefix(string(b), "backbone,data,mmlu_pro,gpqa,supergpqa,math_related\nmicro-qwen3,Full,") {
		t.Errorf("ablation_data.csv:\n%s", b)
	}
	recs, err := grpo.ReadLog(filepath.Join(dir, "logs/rule_s1.jsonl"))
	if err != nil || len(recs) != 2+3 {
		t.Fatalf("rule_s1 log: %d records (%v), want 2 train + 3 eval", len(recs), err)
	}
	if !strings.Contains(Report(sum), "| model | model | full |") {
		t.Error(Report(sum))
	}
}
