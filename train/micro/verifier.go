package micro

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/qwen"
	"github.com/greason/greason/verify"
)

// VerifierConfig trains the micro model verifier: (question, gold, answer) → short rationale +
// "Final Decision: Yes|No" (the General-Verifier format), labels from the strong rule verifier.
type VerifierConfig struct {
	Model        ModelSize      `json:"model"`
	Pairs        int            `json:"pairs"`          // training pairs (from training questions)
	HeldOutPairs int            `json:"held_out_pairs"` // agreement pairs (from held-out questions)
	SFT          grpo.SFTConfig `json:"sft"`
	Seed         uint64         `json:"seed"`
	// PolicyShare is the fraction of pairs whose answer is sampled from the warm-start policy
	// (temperature 1, the extracted boxed answer), as the paper labelled real model responses;
	// the rest are the generator's equivalent forms, wrong answers and junk.
	PolicyShare float64 `json:"policy_share"`
	// InitFromPolicy starts the verifier from the warm-start policy's weights (Model must then
	// have its shape), as the paper's verifier starts from a pretrained language model rather
	// than from random weights.
	InitFromPolicy bool `json:"init_from_policy"`
}

// VerifierResult is the micro verifier's measured agreement with the rule verifier.
type VerifierResult struct {
	Agreement    float64 `json:"agreement"` // % of held-out pairs where it agrees with the rule verifier
	YesRecall    float64 `json:"yes_recall"`
	NoRecall     float64 `json:"no_recall"`
	HeldOutPairs int     `json:"held_out_pairs"`
	TrainPairs   int     `json:"train_pairs"`
	// PolicyAgreement is the agreement on the held-out pairs whose answer the policy sampled
	// (what the verifier judges during GRPO); PolicyPairs counts them.
	PolicyAgreement float64 `json:"policy_agreement"`
	PolicyPairs     int     `json:"policy_pairs"`
	// StringAgreement is normalised string match's agreement with the rule verifier on the same
	// pairs (the string-match reward's judge), for comparison; ByDomain is the verifier's agreement
	// per generator domain.
	StringAgreement float64            `json:"string_agreement"`
	ByDomain        map[string]float64 `json:"by_domain"`
	Seconds         float64            `json:"seconds"`
	Log             string             `json:"log"`
}

// VerifierPrompt is the micro verifier's prompt (a compact General-Verifier prompt).
func VerifierPrompt(question, gold, answer string) string {
	return "Q:" + question + " G:" + gold + " A:" + answer + " "
}

// verifierTarget is the SFT target: a one-word rationale and the decision.
func verifierTarget(yes bool) string {
	if yes {
		return "same. Final Decision: Yes"
	}
	return "differs. Final Decision: No"
}

// pairAnswers draws answers to judge for an item: equivalent forms, wrong answers, and junk
// (truncated forms, "None") like a policy's failures.
func pairAnswer(r *rand.Rand, it Item) string {
	switch k := r.IntN(10); {
	case k < 5:
		return it.Forms[r.IntN(len(it.Forms))]
	case k < 8 && len(it.Wrong) > 0:
		return it.Wrong[r.IntN(len(it.Wrong))]
	case k < 9:
		f := it.Forms[r.IntN(len(it.Forms))]
		return f[:r.IntN(len(f))+1]
	default:
		return verify.NoneAnswer
	}
}

type pair struct {
	q, gold, ans string
	label        bool
	policy       bool // the answer was sampled from the policy
	domain       string
}

func makePairs(r *rand.Rand, items []Item, n int) []pair {
	out := make([]pair, n)
	for i := range out {
		it := items[r.IntN(len(items))]
		a := pairAnswer(r, it)
		out[i] = pair{it.Question, it.Gold, a, rule.Check(it.Question, it.Gold, a).Outcome == verify.Yes, false, it.Domain}
	}
	return out
}

// policyPairs samples n answers from the policy (temperature 1) to questions drawn from items
// and labels them with the rule verifier; responses without an extractable answer are skipped
// (the judge then sees the literal None, which the generator's junk pairs already cover).
func policyPairs(ctx context.Context, m *qwen.Model, r *rand.Rand, items []Item, n int, maxNew int) ([]pair, error) {
	tok := CharTokenizer{}
	var out []pair
	for round := 0; len(out) < n && round < 8; round++ {
		var reqs []qwen.Request
		var its []Item
		for k := 0; k < n-len(out)+n/8; k++ {
			it := items[r.IntN(len(items))]
			its = append(its, it)
			reqs = append(reqs, qwen.Request{Prompt: tok.Encode(Prompt(it.Question)), N: 1,
				Params: qwen.SampleParams{MaxNewTokens: maxNew, Temperature: 1, Seed: r.Uint64()}})
		}
		gen, err := generate(ctx, m, reqs, 512)
		if err != nil {
			return nil, err
		}
		for k, it := range its {
			a, ok := verify.ExtractReward(tok.Decode(gen[k][0].Tokens))
			if !ok || len(out) >= n {
				continue
			}
			out = append(out, pair{it.Question, it.Gold, a, rule.Check(it.Question, it.Gold, a).Outcome == verify.Yes, true, it.Domain})
		}
	}
	return out, nil
}

// generate runs the requests in batches of at most chunk rows (memory grows with the batch).
func generate(ctx context.Context, m *qwen.Model, reqs []qwen.Request, chunk int) ([][]qwen.Sample, error) {
	var out [][]qwen.Sample
	for lo := 0; lo < len(reqs); lo += chunk {
		g, err := m.Generate(ctx, reqs[lo:min(lo+chunk, len(reqs))], qwen.GenerateOptions{PadToken: PadToken})
		if err != nil {
			return nil, err
		}
		out = append(out, g...)
	}
	return out, nil
}

// verifierPairs builds n pairs from items: a PolicyShare fraction sampled from the policy (when
// given), the rest from the generator, shuffled.
func verifierPairs(ctx context.Context, cfg *VerifierConfig, policy *qwen.Model, r *rand.Rand, items []Item, n, maxNew int) ([]pair, error) {
	k := 0
	if policy != nil {
		k = int(cfg.PolicyShare * float64(n))
	}
	ps := makePairs(r, items, n-k)
	if k > 0 {
		pp, err := policyPairs(ctx, policy, r, items, k, maxNew)
		if err != nil {
			return nil, err
		}
		ps = append(ps, pp...)
	}
	r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps, nil
}

func verifierExamples(ps []pair) []grpo.SFTExample {
	tok := CharTokenizer{}
	var ex []grpo.SFTExample
	for _, p := range ps {
		ex = append(ex, grpo.SFTExample{Prompt: tok.Encode(VerifierPrompt(p.q, p.gold, p.ans)),
			Response: append(tok.Encode(verifierTarget(p.label)), EOSToken)})
	}
	return ex
}

// DefaultVerifier is the micro verifier's default training.
func DefaultVerifier() *VerifierConfig {
	return &VerifierConfig{Model: ModelSize{Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, FF: 192},
		Pairs: 20000, HeldOutPairs: 1000, Seed: 11, PolicyShare: 0.5,
		SFT: grpo.SFTConfig{Steps: 800, BatchSize: 64, LR: 3e-3, Bucket: 8, LogEvery: 100}}
}

// ModelJudge is a verify.Judge backed by a micro verifier model (greedy decoding,
// verify.VerifierPass on the output), with a verdict cache.
type ModelJudge struct {
	Model *qwen.Model
	mu    sync.Mutex
	cache map[string]bool
}

func (*ModelJudge) Name() string { return "micro-verifier" }

// JudgeBatch decides many pairs with one batched generation (cached verdicts are reused).
func (j *ModelJudge) JudgeBatch(ctx context.Context, qs, golds, answers []string) ([]bool, error) {
	tok := CharTokenizer{}
	out := make([]bool, len(qs))
	j.mu.Lock()
	if j.cache == nil {
		j.cache = map[string]bool{}
	}
	var todo []int
	var reqs []qwen.Request
	seen := map[string]bool{}
	for i := range qs {
		p := VerifierPrompt(qs[i], golds[i], answers[i])
		if v, ok := j.cache[p]; ok {
			out[i] = v
		} else if !seen[p] {
			seen[p] = true
			todo = append(todo, i)
			reqs = append(reqs, qwen.Request{Prompt: tok.Encode(p), Params: qwen.SampleParams{MaxNewTokens: 28}})
		}
	}
	j.mu.Unlock()
	if len(reqs) > 0 {
		// Pad the batch to a multiple of 32 rows: every distinct shape compiles a new graph, and the
		// verifier's graphs live for the whole experiment (their number is capped).
		for len(reqs)%32 != 0 {
			reqs = append(reqs, reqs[len(reqs)-1])
		}
		gen, err := generate(ctx, j.Model, reqs, 256) // a multiple of 32
		if err != nil {
			return nil, err
		}
		j.mu.Lock()
		for k, i := range todo {
			j.cache[VerifierPrompt(qs[i], golds[i], answers[i])] = verify.VerifierPass(tok.Decode(gen[k][0].Tokens))
		}
		j.mu.Unlock()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range qs {
		out[i] = j.cache[VerifierPrompt(qs[i], golds[i], answers[i])]
	}
	return out, nil
}

// Judge implements verify.Judge.
func (j *ModelJudge) Judge(ctx context.Context, question, gold, answer string) (verify.Verdict, error) {
	v, err := j.JudgeBatch(ctx, []string{question}, []string{gold}, []string{answer})
	if err != nil {
		return verify.Verdict{Layer: "model"}, err
	}
	return verify.Verdict{Correct: v[0], Layer: "model", Reason: "micro verifier"}, nil
}

// TrainVerifier trains the micro verifier by SFT and measures its agreement with the rule
// verifier on pairs built from held-out questions. With a policy, part of the answers are the
// policy's own samples (cfg.PolicyShare), in training and in the agreement pairs.
func TrainVerifier(ctx context.Context, backend compute.Backend, cfg *VerifierConfig, data Data, policy *qwen.Model, maxNew int,
	logDir string, progress io.Writer) (*ModelJudge, *VerifierResult, error) {
	t0 := time.Now()
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7e7))
	train, err := verifierPairs(ctx, cfg, policy, r, data.Train, cfg.Pairs, maxNew)
	if err != nil {
		return nil, nil, err
	}
	held, err := verifierPairs(ctx, cfg, policy, r, data.HeldOut, cfg.HeldOutPairs, maxNew)
	if err != nil {
		return nil, nil, err
	}
	ex := verifierExamples(train)
	var m *qwen.Model
	if cfg.InitFromPolicy {
		if policy == nil {
			return nil, nil, fmt.Errorf("verifier: init_from_policy needs a policy")
		}
		if !sameShape(policy.Config, cfg.Model.QwenConfig()) {
			return nil, nil, fmt.Errorf("verifier: init_from_policy needs the verifier's model to have the policy's shape")
		}
		m, err = grpo.CloneModel(policy)
	} else {
		m, err = qwen.NewRandom(cfg.Model.QwenConfig(), backend, dtypes.Float32, qwen.InitOptions{Seed: cfg.Seed})
	}
	if err != nil {
		return nil, nil, err
	}
	pol, err := grpo.NewPolicy(m, grpo.OptimConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1}, grpo.DefaultLoss())
	if err != nil {
		return nil, nil, err
	}
	logPath := filepath.Join(logDir, "verifier_sft.jsonl")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := cfg.SFT
	sc.Seed = cfg.Seed
	if err := grpo.SFT(ctx, sc, pol, ex, f, "verifier", func(rec grpo.SFTRecord) {
		fmt.Fprintf(progress, "verifier sft step %d/%d loss %.3f (%.0f tok/s)\n", rec.Step, sc.Steps, rec.Loss, rec.TokensPerSec)
	}); err != nil {
		return nil, nil, err
	}
	j := &ModelJudge{Model: m}
	qs, gs, as := make([]string, len(held)), make([]string, len(held)), make([]string, len(held))
	for i, p := range held {
		qs[i], gs[i], as[i] = p.q, p.gold, p.ans
	}
	pred, err := j.JudgeBatch(ctx, qs, gs, as)
	if err != nil {
		return nil, nil, err
	}
	var agree, yes, yesHit, no, noHit, nPol, polAgree, strAgree float64
	domHit, domN := map[string]float64{}, map[string]float64{}
	for i, p := range held {
		if s, _ := (verify.StringJudge{}).Judge(ctx, p.q, p.gold, p.ans); s.Correct == p.label {
			strAgree++
		}
		domN[p.domain]++
		if pred[i] == p.label {
			domHit[p.domain]++
			agree++
			if p.policy {
				polAgree++
			}
		}
		if p.policy {
			nPol++
		}
		if p.label {
			yes++
			if pred[i] {
				yesHit++
			}
		} else {
			no++
			if !pred[i] {
				noHit++
			}
		}
	}
	res := &VerifierResult{Agreement: 100 * agree / float64(len(held)), YesRecall: 100 * yesHit / max(yes, 1),
		NoRecall: 100 * noHit / max(no, 1), HeldOutPairs: len(held), TrainPairs: len(train),
		Seconds: time.Since(t0).Seconds(), Log: "logs/verifier_sft.jsonl",
		PolicyAgreement: 100 * polAgree / max(nPol, 1), PolicyPairs: int(nPol),
		StringAgreement: 100 * strAgree / float64(len(held)), ByDomain: map[string]float64{}}
	for d, n := range domN {
		res.ByDomain[d] = 100 * domHit[d] / n
	}
	fmt.Fprintf(progress, "verifier agreement with the rule verifier on %d held-out pairs: %.1f%% (yes recall %.1f%%, no recall %.1f%%); on the %d policy samples %.1f%%; string match %.1f%%; by domain %v\n",
		len(held), res.Agreement, res.YesRecall, res.NoRecall, res.PolicyPairs, res.PolicyAgreement, res.StringAgreement, roundMap(res.ByDomain))
	return j, res, nil
}
