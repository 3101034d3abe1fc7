package grpo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
)

// rolloutModels are the checkpoints of the bfloat16-rollout tests: the tiny test policy and one of
// the micro reproduction's policy shape (train/micro: hidden 64, 2 layers, 4 heads / 2 KV heads,
// head dim 16, FF 192, its 97-token vocabulary), both with random weights (std 0.3, so that the
// next-token distributions are far from uniform).
func rolloutModels(t *testing.T) map[string]func() (*Policy, *Reference) {
	micro := func() (*Policy, *Reference) {
		f := false
		cfg := &qwen.Config{ModelType: "qwen3", VocabSize: 97, HiddenSize: 64, IntermediateSize: 192, NumHiddenLayers: 2,
			NumAttentionHeads: 4, NumKeyValueHeads: 2, HeadDim: 16, RMSNormEps: 1e-6, RopeTheta: 10000,
			MaxPositionEmbeddings: 256, TieWordEmbeddings: true, AttentionBias: &f, HiddenAct: "silu", EOSTokenID: float64(1)}
		m, err := qwen.NewRandom(cfg, testBackend(t), dtypes.Float32, qwen.InitOptions{Seed: 11, Std: 0.3, PerturbNorms: true})
		if err != nil {
			t.Fatal(err)
		}
		rm, err := CloneModel(m)
		if err != nil {
			t.Fatal(err)
		}
		loss := DefaultLoss()
		loss.KLCoef = 0.1
		o := DefaultOptim()
		o.LR = 0.01
		p, err := NewPolicy(m, o, loss)
		if err != nil {
			t.Fatal(err)
		}
		return p, &Reference{Model: rm}
	}
	return map[string]func() (*Policy, *Reference){"tiny": func() (*Policy, *Reference) { return tinyPolicy(t) }, "micro": micro}
}

// rollouts samples N float32 rollouts of a few prompts from p and returns them as training
// sequences with their group advantages (reward: the number of token 3s).
func rollouts(t *testing.T, p *Policy) (s Seqs, rows [][]int, adv []float32) {
	t.Helper()
	V := p.Model.Config.VocabSize
	var reqs []qwen.Request
	for i := 0; i < 4; i++ {
		prompt := []int{2 + i%(V-2), 3 + (5*i)%(V-3), 4 + (7*i)%(V-4)}
		reqs = append(reqs, qwen.Request{Prompt: prompt, N: 4, Params: qwen.SampleParams{Temperature: 1, Seed: uint64(100 + i), MaxNewTokens: 10}})
	}
	res, err := p.Model.Generate(context.Background(), reqs, qwen.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var prompts, resps [][]int
	var rewards []float64
	for i, r := range reqs {
		for _, smp := range res[i] {
			prompts = append(prompts, r.Prompt)
			resps = append(resps, smp.Tokens)
			rows = append(rows, append(slices.Clone(r.Prompt), smp.Tokens...))
			rewards = append(rewards, float64(slices.Index(smp.Tokens, 3)+1))
		}
	}
	for _, a := range GroupAdvantages(rewards, 4, 1e-6) {
		adv = append(adv, float32(a))
	}
	return MakeSeqs(prompts, resps, 4, 0), rows, adv
}

// alignedNative returns the native bfloat16 decoder's log-probs of s's tokens aligned with
// Policy.LogProbs ([B][T-1], left padding 0).
func alignedNative(t *testing.T, p *Policy, s Seqs, rows [][]int) [][]float32 {
	t.Helper()
	lps, err := p.Model.NativeLogProbs(rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(rows))
	for i, row := range rows {
		T := len(s.Tokens[i])
		out[i] = make([]float32, T-1)
		off := T - len(row)
		for k, v := range lps[i] {
			out[i][off+k] = float32(v)
		}
	}
	return out
}

// TestBFloat16RolloutLogProbs: on the same tokens, the log-probabilities a bfloat16 rollout
// samples from (the native decoder's) differ from the float32 policy's, which the update uses as
// old log-probs, by bfloat16 rounding only. bfloat16 keeps 8 significant bits; the native logits
// were within 1.5% of the largest logit of PyTorch's float64 ones on every golden model
// (model/qwen TestNativeDecoderMatchesTorchGolden), and a log-prob z_y − logsumexp(z) moves by at
// most twice the largest logit error: the bound is 3% of the largest |logit|.
func TestBFloat16RolloutLogProbs(t *testing.T) {
	for name, mk := range rolloutModels(t) {
		t.Run(name, func(t *testing.T) {
			p, _ := mk()
			s, rows, _ := rollouts(t, p)
			f32, err := p.LogProbs(s)
			if err != nil {
				t.Fatal(err)
			}
			bf := alignedNative(t, p, s, rows)
			logits, err := p.Model.Logits(s.Batch)
			if err != nil {
				t.Fatal(err)
			}
			maxLogit := 0.0
			for _, row := range logits {
				for _, pos := range row {
					for _, z := range pos {
						maxLogit = math.Max(maxLogit, math.Abs(float64(z)))
					}
				}
			}
			worst, n := 0.0, 0
			for i := range f32 {
				for k, m := range s.LossMask[i] {
					if m == 0 {
						continue
					}
					worst = math.Max(worst, math.Abs(float64(f32[i][k]-bf[i][k])))
					n++
				}
			}
			t.Logf("%s: %d response tokens, max |logit| %.2f, max |log p(bfloat16 rollout) − log p(float32 policy)| = %.4f", name, n, maxLogit, worst)
			if n < 50 || worst > 0.03*maxLogit {
				t.Errorf("%d tokens, max difference %.4f > 3%% of the largest logit %.3f", n, worst, maxLogit)
			}
		})
	}
}

// TestBFloat16RolloutLossTerms: the GRPO update computes its log-probs in float32 (as verl's
// actor does with vLLM rollouts), so bfloat16 rollouts change the loss terms only through the
// tokens they sample. Even if the rollouts' own bfloat16 log-probs were used as the old
// log-probs, every term would stay within bfloat16 rounding: KL and entropy do not involve them
// (identical bit for bit), the clip fraction is unchanged, and the policy loss moves by at most
// max|A|·max(ratio)·(e^δ − 1) for a largest log-prob difference δ (the clipped PPO loss is
// |A|-Lipschitz in the ratio).
func TestBFloat16RolloutLossTerms(t *testing.T) {
	for name, mk := range rolloutModels(t) {
		t.Run(name, func(t *testing.T) {
			p, ref := mk()
			s, rows, adv := rollouts(t, p)
			old32, err := p.LogProbs(s)
			if err != nil {
				t.Fatal(err)
			}
			refLP, err := ref.LogProbs(s)
			if err != nil {
				t.Fatal(err)
			}
			old16 := alignedNative(t, p, s, rows)
			delta, maxA := 0.0, 0.0
			for i := range old32 {
				maxA = math.Max(maxA, math.Abs(float64(adv[i])))
				for k, m := range s.LossMask[i] {
					if m != 0 {
						delta = math.Max(delta, math.Abs(float64(old32[i][k]-old16[i][k])))
					}
				}
			}
			pa, _ := mk()
			pb, _ := mk()
			a, err := pa.GRPOUpdate(s, adv, old32, refLP, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			b, err := pb.GRPOUpdate(s, adv, old16, refLP, 0.01)
			if err != nil {
				t.Fatal(err)
			}
			bound := maxA * math.Exp(1e-6) * (math.Exp(delta) - 1) // ratio = 1 up to float32 rounding at the first update
			t.Logf("%s: δ = %.4f, max|A| = %.3f; float32 old: %+v; bfloat16 old: %+v; |Δ pg| = %.2e ≤ %.2e",
				name, delta, maxA, a, b, math.Abs(a.PG-b.PG), bound)
			if a.KL != b.KL || a.Entropy != b.Entropy || a.ClipFrac != b.ClipFrac {
				t.Errorf("KL, entropy or clip fraction changed: %+v vs %+v", a, b)
			}
			if math.Abs(a.PG-b.PG) > bound || math.Abs(a.Loss-b.Loss) > bound {
				t.Errorf("policy loss moved by %.3g (bound %.3g, δ %.4f)", math.Abs(a.PG-b.PG), bound, delta)
			}
		})
	}
}

// TestBFloat16RolloutLoop runs GRPO with bfloat16 rollouts: it trains (finite records), continuous
// batching (rollout_slots) changes nothing bit for bit, and in a step where the bfloat16 rollouts
// happen to equal the float32 ones every logged term equals the float32 run's.
func TestBFloat16RolloutLoop(t *testing.T) {
	for name, mk := range rolloutModels(t) {
		t.Run(name, func(t *testing.T) {
			tok := letters{}
			var prompts []Prompt
			for _, s := range []string{"abc", "bca", "cab", "ddb"} {
				prompts = append(prompts, Prompt{Tokens: tok.Encode(s), Question: s})
			}
			run := func(dtype string, slots int) ([]StepRecord, [][]string, map[string][]float32) {
				var texts [][]string
				reward := func(_ context.Context, ps []Prompt, rs []string) ([]float64, []bool, error) {
					texts = append(texts, slices.Clone(rs))
					out := make([]float64, len(rs))
					for i, r := range rs {
						out[i] = float64(strings.Count(r, "c")) - 0.1*float64(len(r))
					}
					return out, make([]bool, len(rs)), nil
				}
				gc := DefaultGRPO()
				gc.Steps, gc.PromptsPerStep, gc.N, gc.MiniBatches, gc.MaxNewTokens = 3, 2, 4, 2, 6
				gc.Bucket, gc.PadToken, gc.StopTokens, gc.Seed = 4, 0, []int{1}, 5
				gc.RolloutDType, gc.RolloutSlots = dtype, slots
				p, r := mk()
				var log bytes.Buffer
				if err := GRPO(context.Background(), gc, p, r, tok, prompts, reward, nil, &log, "bf16", nil); err != nil {
					t.Fatal(err)
				}
				var recs []StepRecord
				for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
					var rec StepRecord
					if err := json.Unmarshal([]byte(line), &rec); err != nil {
						t.Fatal(err)
					}
					if rec.SkippedUpdates != 0 || !(rec.GradNorm > 0) || math.IsNaN(rec.PGLoss) || !(rec.Entropy > 0) {
						t.Fatalf("%s: record %s", dtype, line)
					}
					recs = append(recs, rec)
				}
				return recs, texts, storeSnapshot(p)
			}
			fRecs, fTexts, _ := run("", 0)
			bRecs, bTexts, bState := run("bfloat16", 0)
			sRecs, sTexts, sState := run("bfloat16", 3) // continuous batching: 3 slots for 8 rollouts
			if fmt.Sprint(sTexts) != fmt.Sprint(bTexts) || fmt.Sprint(terms(sRecs)) != fmt.Sprint(terms(bRecs)) || sameBits(sState, bState) != "" {
				t.Fatalf("rollout_slots changed the run")
			}
			same := 0
			for step := range fRecs {
				if fmt.Sprint(fTexts[step]) != fmt.Sprint(bTexts[step]) {
					break // the runs diverge from here on
				}
				if a, b := terms(fRecs[step:step+1]), terms(bRecs[step:step+1]); fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("step %d: same rollouts, different records:\nfloat32  %+v\nbfloat16 %+v", step+1, a, b)
				}
				same++
			}
			t.Logf("%s: the first %d of %d steps drew the same rollouts in bfloat16 as in float32 (and logged the same terms)", name, same, len(fRecs))
		})
	}
}

// terms drops the wall-clock fields of step records.
func terms(recs []StepRecord) []StepRecord {
	out := make([]StepRecord, len(recs))
	for i, r := range recs {
		r.StepSeconds, r.GenSeconds, r.TokensPerSec, r.ByDomain = 0, 0, 0, nil
		out[i] = r
	}
	return out
}
