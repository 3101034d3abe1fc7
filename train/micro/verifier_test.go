package micro

import (
	"context"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
)

// TestModelJudgeVerdicts trains a toy verifier on a correct form and a wrong answer and checks
// that ModelJudge reads its verdicts by both rules (readings, decision), cached and batched.
func TestModelJudgeVerdicts(t *testing.T) {
	ctx := context.Background()
	b, err := qwen.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	m, err := qwen.NewRandom(ModelSize{Hidden: 32, Layers: 1, Heads: 2, KVHeads: 1, HeadDim: 16, FF: 64}.QwenConfig(), b, dtypes.Float32, qwen.InitOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	it := Generate(rand.New(rand.NewPCG(1, 1)), "arith")
	ps := []pair{newPair(&it, it.Forms[0], "form"), newPair(&it, it.Wrong[0], "wrong")}
	pol, err := grpo.NewPolicy(m, grpo.OptimConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, MaxGradNorm: 1}, grpo.DefaultLoss())
	if err != nil {
		t.Fatal(err)
	}
	if err := grpo.SFT(ctx, grpo.SFTConfig{Steps: 100, BatchSize: 4, LR: 1e-2, Bucket: 8}, pol, verifierExamples(ps), io.Discard, "t", nil); err != nil {
		t.Fatal(err)
	}
	for _, decision := range []bool{false, true} {
		j := &ModelJudge{Model: m, Decision: decision}
		got, err := j.JudgeBatch(ctx, []string{it.Question, it.Question}, []string{it.Gold, it.Gold}, []string{ps[0].ans, ps[1].ans})
		if err != nil || !got[0] || got[1] {
			t.Fatalf("decision rule %v: verdicts %v (%v), want [true false]", decision, got, err)
		}
		if v, _ := j.Judge(ctx, it.Question, it.Gold, ps[0].ans); !v.Correct {
			t.Fatal("cached verdict lost")
		}
	}
	for out, want := range map[string]bool{"347|347 Yes": true, "347|347 No": true, "347|374 Yes": false, "?|? Yes": false, "347|347|347 Yes": false, "|  Yes": false, "347": false} {
		if readingsAgree(out) != want {
			t.Errorf("readingsAgree(%q) != %v", out, want)
		}
	}
}

// TestVerifierExamplesUnchanged: the micro verifier's SFT examples, now built by the verifier SFT
// job's Examples with MicroVerifierFormat, are token for token what the micro built before the
// job existed: the compact prompt, then "reading|reading Yes|No" and <|im_end|>.
func TestVerifierExamplesUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	d := MakeData(DefaultConfig())
	var ps []pair
	for i := 0; i < 3000; i++ {
		it := &d.Train[r.IntN(len(d.Train))]
		if i%2 == 0 {
			ps = append(ps, nearMiss(r, it))
		} else {
			ps = append(ps, generatorPair(r, it))
		}
	}
	tok := CharTokenizer{}
	got := verifierExamples(ps)
	for i, p := range ps {
		a := "?"
		if rd, ok := ReadAnswer(p.it.Meaning, p.ans); ok {
			a = rd.Canon()
		}
		target := p.it.Meaning.Canon() + "|" + a + " No"
		if p.label {
			target = p.it.Meaning.Canon() + "|" + a + " Yes"
		}
		want := grpo.SFTExample{Prompt: tok.Encode("Q:" + p.it.Question + " G:" + p.it.Gold + " A:" + p.ans + " "),
			Response: append(tok.Encode(target), EOSToken)}
		if !slices.Equal(got[i].Prompt, want.Prompt) || !slices.Equal(got[i].Response, want.Response) {
			t.Fatalf("pair %d (%q for %q): examples differ", i, p.ans, p.it.Gold)
		}
	}
}
