package micro

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/verifier"
	"github.com/greason/greason/verify"
)

// VerifierConfig trains the micro model verifier like General-Verifier: SFT on (question, gold,
// answer) → verdict, labels from the oracle (as the paper's came from Gemini), answers from the
// generator, from corruptions of correct answers and from the policy itself, then hardened
// against GRPO by mining rounds.
type VerifierConfig struct {
	Model        ModelSize      `json:"model"`
	Pairs        int            `json:"pairs"`          // training pairs (from training questions)
	HeldOutPairs int            `json:"held_out_pairs"` // agreement pairs (from held-out questions)
	SFT          grpo.SFTConfig `json:"sft"`
	Seed         uint64         `json:"seed"`
	// PolicyShare is the fraction of pairs whose answer is sampled from the warm-start policy
	// (temperature 1, the answer the reward extracts), as the paper labelled real responses.
	PolicyShare float64 `json:"policy_share"`
	// NearMissShare is the fraction of pairs whose answer is a correct form with one or two
	// character edits or spliced with another form (`0ercent`, `{35}`, `Tcorrect`): answers with
	// the shape of a correct one whose characters differ, mostly wrong, labelled by the oracle.
	NearMissShare float64 `json:"near_miss_share"`
	// InitFromPolicy starts the verifier from the warm-start policy's weights (Model must then
	// have its shape), as the paper's verifier starts from a pretrained language model.
	InitFromPolicy bool `json:"init_from_policy"`
	// Load, when set, is a trained verifier (HF layout, e.g. OUT/verifier of an earlier run with
	// the same data and warm start) used instead of training one; its training pairs are drawn
	// again for the runs' refreshes (without the mined ones).
	Load string `json:"load,omitempty"`
	// Mining hardens the verifier against what GRPO climbs, before the runs.
	Mining MiningConfig `json:"mining"`
	// Refresh keeps each model-reward run's own copy of the verifier honest while the policy
	// moves (0 steps: off).
	Refresh RefreshConfig `json:"refresh"`
}

// RefreshConfig keeps a run's own copy of the verifier honest while the policy moves: before the
// rewards of a step, when MinNew false positives (answers it accepted and the oracle rejects) have
// appeared in the run's rollouts since its last refresh (and at least 2 steps have passed), or
// Every steps after it, the copy trains Steps SFT steps (batches of Batch) on what the run's
// rollouts taught so far (every false positive and false negative, twice, as many rollouts it
// judged right, and as many fresh pairs of other training items in the errors' domains) mixed
// with as many of its own training pairs (replay), labels from the oracle; its verdict cache is
// then cleared. A refresh thus comes soon after GRPO starts climbing a false positive, and
// rarely while there is none.
type RefreshConfig struct {
	Every  int     `json:"every"`
	MinNew int     `json:"min_new"` // 0: only every Every steps
	Steps  int     `json:"steps"`
	Batch  int     `json:"batch"` // 0: the verifier's SFT batch size
	LR     float64 `json:"lr"`    // 0: a third of the verifier's SFT rate
}

// MiningConfig: Rounds times, a GRPO run from the warm start rewarded by the current verifier
// (training questions, seeds 1000+round, Steps steps) collects every rollout's answer with the
// verifier's verdict and the oracle's label; the verifier then trains SFTSteps more steps on
// the pairs so far plus the mined ones (every false positive, and up to as many other rollouts).
type MiningConfig struct {
	Rounds   int `json:"rounds"`
	Steps    int `json:"steps"`
	SFTSteps int `json:"sft_steps"`
}

// VerifierResult is what training the micro verifier measured.
type VerifierResult struct {
	// Agreement with the oracle on held-out pairs (% of pairs), with the recall of each label.
	Agreement    float64 `json:"agreement"`
	YesRecall    float64 `json:"yes_recall"`
	NoRecall     float64 `json:"no_recall"`
	HeldOutPairs int     `json:"held_out_pairs"`
	TrainPairs   int     `json:"train_pairs"`
	// PolicyAgreement is the agreement on the held-out pairs whose answer the warm-start policy
	// sampled (what the verifier first judges in GRPO); PolicyPairs counts them.
	PolicyAgreement float64 `json:"policy_agreement"`
	PolicyPairs     int     `json:"policy_pairs"`
	// JudgeAgreement is every reward judge's agreement with the oracle on the same pairs
	// (string, math-rules, rules, model; and model-decision: the verifier's decision token taken
	// as the verdict instead of its readings), JudgeFalsePositives the % of oracle-No pairs each
	// accepts; ByDomain is the model verifier's agreement per generator domain.
	JudgeAgreement      map[string]float64 `json:"judge_agreement"`
	JudgeFalsePositives map[string]float64 `json:"judge_false_positives"`
	ByDomain            map[string]float64 `json:"by_domain"`
	// Rounds are the mining rounds: the GRPO reward's hack rate on its rollouts (% of rewarded
	// answers the oracle rejects) and what was mined.
	Rounds  []MiningRound `json:"rounds,omitempty"`
	Seconds float64       `json:"seconds"`
	Log     string        `json:"log"`
}

// MiningRound is one round of MiningConfig.
type MiningRound struct {
	Round          int     `json:"round"`
	Rollouts       int     `json:"rollouts"`
	Rewarded       int     `json:"rewarded"`
	FalsePositives int     `json:"false_positives"`
	HackRate       float64 `json:"hack_rate"`      // false positives / rewarded, over the round
	HackRateLast   float64 `json:"hack_rate_last"` // over the round's last quarter of steps
	Mined          int     `json:"mined"`
	HeldOutAgree   float64 `json:"held_out_agreement"` // after the round's SFT
	Seconds        float64 `json:"seconds"`
}

// VerifierPrompt is the micro verifier's prompt (a compact General-Verifier prompt).
func VerifierPrompt(question, gold, answer string) string {
	return "Q:" + question + " G:" + gold + " A:" + answer + " "
}

// verifierRationale is the micro verifier's rationale for a pair: the oracle's reading of the
// gold and of the answer, each in one canonical form ("?" for an answer with no meaning of the
// question's kind), as the paper's targets were Gemini's verifications.
func verifierRationale(p pair) string {
	a := "?"
	if r, ok := ReadAnswer(p.it.Meaning, p.ans); ok {
		a = r.Canon()
	}
	return p.it.Meaning.Canon() + "|" + a
}

// MicroVerifierFormat is the micro verifier's format for the verifier SFT job
// (train/verifier): the compact prompt VerifierPrompt, the target "rationale Yes|No"
// ("3.47|3.47 Yes", "{7,45}|{35} No", "0.44|? No"), and the verdict read from the rationale
// (readingsAgree).
var MicroVerifierFormat = verifier.Format{Name: "micro-verifier", Prompt: VerifierPrompt,
	Target: func(label bool, rationale string) string {
		if label {
			return rationale + " Yes"
		}
		return rationale + " No"
	},
	Verdict: readingsAgree}

// verifierTarget is what the verifier learns to write, General-Verifier style: a short rationale,
// then the decision.
func verifierTarget(p pair) string { return MicroVerifierFormat.Target(p.label, verifierRationale(p)) }

// verifierRows are the pairs as rows of the verifier SFT job.
func verifierRows(ps []pair) []verifier.Row {
	rows := make([]verifier.Row, len(ps))
	for i, p := range ps {
		rows[i] = verifier.Row{Question: p.it.Question, Gold: p.it.Gold, Answer: p.ans, Label: p.label, Rationale: verifierRationale(p)}
	}
	return rows
}

// decisionYes reads the verifier's decision: its output ends with Yes (the General-Verifier rule).
func decisionYes(output string) bool { return strings.HasSuffix(strings.TrimSpace(output), " Yes") }

// readingsAgree reads the verifier's rationale: Yes when it read the answer as the same meaning as
// the gold (the two readings before the decision are identical and the answer's is not "?").
// At this scale the verifier reads far better than its decision token compares what it read
// (docs/training.md), so this is the micro verifier's verdict; the decision is a diagnostic.
func readingsAgree(output string) bool {
	out := strings.TrimSpace(output)
	i := strings.LastIndexByte(out, ' ')
	if i < 0 {
		return false
	}
	g, a, ok := strings.Cut(out[:i], "|")
	return ok && g != "" && g == a && a != "?" && !strings.Contains(a, "|")
}

// verifierMaxTokens bounds the verifier's output (rationale and decision).
const verifierMaxTokens = 48

// pair is one verifier example: an item, an answer to judge and the oracle's label.
type pair struct {
	it     *Item
	ans    string
	label  bool
	source string // form, wrong, near-miss, junk, policy, mined
}

func newPair(it *Item, ans, source string) pair {
	return pair{it: it, ans: ans, label: OracleAnswer(it.Meaning, ans), source: source}
}

// generatorPair draws an answer from the generator: a correct form, a wrong answer or junk
// (a truncated form, the literal None).
func generatorPair(r *rand.Rand, it *Item) pair {
	switch k := r.IntN(10); {
	case k < 5:
		return newPair(it, it.Forms[r.IntN(len(it.Forms))], "form")
	case k < 8 && len(it.Wrong) > 0:
		return newPair(it, it.Wrong[r.IntN(len(it.Wrong))], "wrong")
	case k < 9:
		f := it.Forms[r.IntN(len(it.Forms))]
		return newPair(it, f[:r.IntN(len(f))+1], "junk")
	default:
		return newPair(it, verify.NoneAnswer, "junk")
	}
}

const editChars = "0123456789{}()*/.,:% abcdefgmnoprstxyACBTFNY"

// nearMiss edits a correct form once or twice: delete, insert, substitute, duplicate or swap
// characters, wrap it in braces, splice it with another form or a wrong answer, or glue one to
// it (Truecorrect, 0ercent, {35}: the shapes GRPO climbs when a verifier only looks at shapes).
func nearMiss(r *rand.Rand, it *Item) pair {
	s := it.Forms[r.IntN(len(it.Forms))]
	others := append(append([]string(nil), it.Forms...), it.Wrong...)
	for n := 1 + r.IntN(2); n > 0; n-- {
		b := []byte(s)
		i := r.IntN(len(b) + 1)
		c := editChars[r.IntN(len(editChars))]
		if r.IntN(2) == 0 && len(it.Gold) > 0 {
			c = it.Gold[r.IntN(len(it.Gold))] // characters of the gold: the hardest substitutions
		}
		o := others[r.IntN(len(others))]
		switch k := r.IntN(9); {
		case k == 0 && len(b) > 1 && i < len(b):
			s = string(b[:i]) + string(b[i+1:])
		case k == 1:
			s = string(b[:i]) + string(c) + string(b[i:])
		case k == 2 && i < len(b):
			b[i] = c
			s = string(b)
		case k == 3 && i < len(b):
			s = string(b[:i+1]) + string(b[i:])
		case k == 4 && i+1 < len(b):
			b[i], b[i+1] = b[i+1], b[i]
			s = string(b)
		case k == 5:
			s = "{" + s + "}"
		case k == 6:
			s += o[r.IntN(len(o)):]
		case k == 7:
			s = o[:1+r.IntN(len(o))] + s[min(i, len(s)):]
		default:
			s = string(b[:min(i, len(b))]) + o[r.IntN(len(o)):]
		}
		if s == "" {
			s = it.Forms[0][:1]
		}
	}
	return newPair(it, s, "near-miss")
}

// policyPairs samples n answers from the policy (temperature 1) to questions drawn from items:
// the answer the reward would extract, labelled by the oracle. Responses without an extractable
// answer are skipped (the generator's junk pairs cover None).
func policyPairs(ctx context.Context, m *qwen.Model, r *rand.Rand, items []Item, n, maxNew int, source string) ([]pair, error) {
	tok := CharTokenizer{}
	var out []pair
	for round := 0; len(out) < n && round < 8; round++ {
		var reqs []qwen.Request
		var its []*Item
		for k := 0; k < n-len(out)+n/8; k++ {
			it := &items[r.IntN(len(items))]
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
			out = append(out, newPair(it, a, source))
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
// given), a NearMissShare fraction of near misses, the rest from the generator, shuffled.
func verifierPairs(ctx context.Context, cfg *VerifierConfig, policy *qwen.Model, r *rand.Rand, items []Item, n, maxNew int) ([]pair, error) {
	k := 0
	if policy != nil {
		k = int(cfg.PolicyShare * float64(n))
	}
	near := int(cfg.NearMissShare * float64(n))
	var ps []pair
	for i := 0; i < n-k; i++ {
		it := &items[r.IntN(len(items))]
		if i < near {
			ps = append(ps, nearMiss(r, it))
		} else {
			ps = append(ps, generatorPair(r, it))
		}
	}
	if k > 0 {
		pp, err := policyPairs(ctx, policy, r, items, k, maxNew, "policy")
		if err != nil {
			return nil, err
		}
		ps = append(ps, pp...)
	}
	r.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
	return ps, nil
}

// verifierExamples are the pairs as the verifier SFT job tokenises them (MicroVerifierFormat,
// the character tokenizer, <|im_end|> after the target).
func verifierExamples(ps []pair) []grpo.SFTExample {
	return verifier.Examples(verifierRows(ps), MicroVerifierFormat, CharTokenizer{}, EOSToken)
}

// DefaultVerifier is the micro verifier's default training.
func DefaultVerifier() *VerifierConfig {
	return &VerifierConfig{Model: ModelSize{Hidden: 64, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, FF: 192},
		Pairs: 20000, HeldOutPairs: 1000, Seed: 11, PolicyShare: 0.3, NearMissShare: 0.3, InitFromPolicy: true,
		SFT:     grpo.SFTConfig{Steps: 1400, BatchSize: 64, LR: 3e-3, Bucket: 8, LogEvery: 100},
		Mining:  MiningConfig{Rounds: 2, Steps: 32, SFTSteps: 240},
		Refresh: RefreshConfig{Every: 16, MinNew: 8, Steps: 24, Batch: 32}}
}

// ModelJudge is a verify.Judge backed by a micro verifier model (greedy decoding; Yes iff its
// two readings agree, or with Decision iff it wrote the decision Yes), with a cache of its outputs.
// Give every GRPO run its own ModelJudge: the output for a prompt is computed once, in the batch
// that first asks for it.
type ModelJudge struct {
	Model    *qwen.Model
	Decision bool // the verdict is the decision token (General-Verifier's rule), not the readings
	mu       sync.Mutex
	cache    map[string]string
}

func (j *ModelJudge) verdict(out string) bool {
	if j.Decision {
		return decisionYes(out)
	}
	return readingsAgree(out)
}

func (*ModelJudge) Name() string { return "micro-verifier" }

// Reset forgets the cached verdicts (after the model's weights changed).
func (j *ModelJudge) Reset() {
	j.mu.Lock()
	j.cache = nil
	j.mu.Unlock()
}

// JudgeBatch decides many pairs with one batched generation (cached verdicts are reused).
func (j *ModelJudge) JudgeBatch(ctx context.Context, qs, golds, answers []string) ([]bool, error) {
	tok := CharTokenizer{}
	out := make([]bool, len(qs))
	j.mu.Lock()
	if j.cache == nil {
		j.cache = map[string]string{}
	}
	var todo []string
	var reqs []qwen.Request
	seen := map[string]bool{}
	for i := range qs {
		p := VerifierPrompt(qs[i], golds[i], answers[i])
		if _, ok := j.cache[p]; !ok && !seen[p] {
			seen[p] = true
			todo = append(todo, p)
			reqs = append(reqs, qwen.Request{Prompt: tok.Encode(p), Params: qwen.SampleParams{MaxNewTokens: verifierMaxTokens}})
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
		for k, p := range todo {
			j.cache[p] = tok.Decode(gen[k][0].Tokens)
		}
		j.mu.Unlock()
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range qs {
		out[i] = j.verdict(j.cache[VerifierPrompt(qs[i], golds[i], answers[i])])
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

// verifierTrainer holds the verifier being trained and its data.
type verifierTrainer struct {
	cfg    *VerifierConfig
	model  *qwen.Model
	pol    *grpo.Policy
	log    io.Writer
	train  []pair
	held   []pair
	rounds int // SFT calls so far (each gets its own data order seed)
}

// sftStaged trains steps steps on ps with a step-decayed learning rate: 60% of the steps at the
// configured rate, 25% at a third of it, 15% at a tenth (a constant rate leaves the verdicts
// swinging between classes from one checkpoint to the next).
func (t *verifierTrainer) sftStaged(ctx context.Context, ps []pair, steps int, progress io.Writer) error {
	a, b := steps*60/100, steps*85/100
	for _, st := range []struct {
		n   int
		div float64
	}{{a, 1}, {b - a, 3}, {steps - b, 10}} {
		if st.n > 0 {
			if err := t.sft(ctx, ps, st.n, t.cfg.SFT.LR/st.div, progress); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *verifierTrainer) sft(ctx context.Context, ps []pair, steps int, lr float64, progress io.Writer) error {
	sc := t.cfg.SFT
	sc.Steps, sc.LR = steps, lr
	sc.Seed = t.cfg.Seed + 1000*uint64(t.rounds)
	t.rounds++
	return verifier.Train(ctx, sc, t.pol, verifierRows(ps), MicroVerifierFormat, CharTokenizer{}, EOSToken, t.log, "verifier", func(rec grpo.SFTRecord) {
		fmt.Fprintf(progress, "verifier sft step %d/%d loss %.3f (%.0f tok/s)\n", rec.Step, sc.Steps, rec.Loss, rec.TokensPerSec)
	})
}

// TrainVerifier trains the micro verifier (SFT, then the mining rounds) and measures its and
// the other reward judges' agreement with the oracle on pairs built from held-out questions.
// policy is the warm start (its samples make up PolicyShare of the pairs; mining starts GRPO
// from it); exp gives the GRPO settings of the mining runs.
func TrainVerifier(ctx context.Context, backend compute.Backend, cfg *VerifierConfig, exp *Config, data Data, policy *qwen.Model,
	logDir string, progress io.Writer) (*TrainedVerifier, *VerifierResult, error) {
	t0 := time.Now()
	maxNew := exp.GRPO.MaxNewTokens
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7e7))
	train, err := verifierPairs(ctx, cfg, policy, r, data.Train, cfg.Pairs, maxNew)
	if err != nil {
		return nil, nil, err
	}
	held, err := verifierPairs(ctx, cfg, policy, r, data.HeldOut, cfg.HeldOutPairs, maxNew)
	if err != nil {
		return nil, nil, err
	}
	var m *qwen.Model
	if cfg.Load != "" {
		if m, err = qwen.Load(cfg.Load, backend, dtypes.Float32); err != nil {
			return nil, nil, fmt.Errorf("verifier load: %w", err)
		}
		fmt.Fprintf(progress, "verifier loaded from %s (no training)\n", cfg.Load)
		res := &VerifierResult{TrainPairs: len(train), HeldOutPairs: len(held)}
		if err := measureJudges(ctx, m, held, res); err != nil {
			return nil, nil, err
		}
		res.Seconds = time.Since(t0).Seconds()
		return &TrainedVerifier{Model: m, pairs: train}, res, nil
	}
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
	f, err := os.Create(filepath.Join(logDir, "verifier_sft.jsonl"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	t := &verifierTrainer{cfg: cfg, model: m, pol: pol, log: f, train: train, held: held}
	if err := t.sftStaged(ctx, train, cfg.SFT.Steps, progress); err != nil {
		return nil, nil, err
	}
	res := &VerifierResult{TrainPairs: len(train), HeldOutPairs: len(held), Log: "logs/verifier_sft.jsonl"}
	agree, err := modelAgreement(ctx, m, held)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintf(progress, "verifier agreement with the oracle on %d held-out pairs after SFT: %.1f%%\n", len(held), agree)
	for round := 1; round <= cfg.Mining.Rounds; round++ {
		mr, err := t.mine(ctx, exp, data, policy, round, progress)
		if err != nil {
			return nil, nil, fmt.Errorf("mining round %d: %w", round, err)
		}
		res.Rounds = append(res.Rounds, mr)
		res.TrainPairs = len(t.train)
	}
	if err := measureJudges(ctx, m, held, res); err != nil {
		return nil, nil, err
	}
	res.Seconds = time.Since(t0).Seconds()
	fmt.Fprintf(progress, "verifier agreement with the oracle on %d held-out pairs: %.1f%% (yes recall %.1f%%, no recall %.1f%%); on the %d policy samples %.1f%%; judges %v, false positives %v; by domain %v\n",
		len(held), res.Agreement, res.YesRecall, res.NoRecall, res.PolicyPairs, res.PolicyAgreement, roundMap(res.JudgeAgreement), roundMap(res.JudgeFalsePositives), roundMap(res.ByDomain))
	return &TrainedVerifier{Model: m, pairs: t.train}, res, nil
}

// TrainedVerifier is the micro verifier after TrainVerifier, with the pairs it trained on (the
// replay of a run's refreshes).
type TrainedVerifier struct {
	Model *qwen.Model
	pairs []pair
}

// mine runs one mining round: GRPO from the warm start rewarded by the current verifier, every
// rollout's answer labelled by the oracle; the false positives and as many other rollouts join
// the training pairs, and the verifier trains on all of them.
func (t *verifierTrainer) mine(ctx context.Context, exp *Config, data Data, warm *qwen.Model, round int, progress io.Writer) (MiningRound, error) {
	t0 := time.Now()
	mc := t.cfg.Mining
	judge := &ModelJudge{Model: t.model}
	type rollout struct {
		p        pair
		rewarded bool
		step     int
	}
	var seen []rollout
	step := 0
	reward := rewardFor(judge, data, func(ps []grpo.Prompt, answers []string, extracted, rewarded, _ []bool) {
		step++
		for i, a := range answers {
			if extracted[i] {
				seen = append(seen, rollout{newPair(itemOf(data, ps[i]), a, "mined"), rewarded[i], step})
			}
		}
	})
	pol, ref, err := policyFrom(warm, exp.GRPO)
	if err != nil {
		return MiningRound{}, err
	}
	gc := exp.GRPO
	gc.Steps, gc.Seed, gc.EvalEvery, gc.CheckpointDir = mc.Steps, 1000+uint64(round), 0, ""
	gc.PadToken, gc.StopTokens = PadToken, []int{EOSToken}
	if err := grpo.GRPO(ctx, gc, pol, ref, CharTokenizer{}, toPrompts(data.Train), reward, nil, io.Discard,
		fmt.Sprintf("mining%d", round), func(r grpo.StepRecord) {
			if r.Step%10 == 0 {
				fmt.Fprintf(progress, "verifier mining round %d step %d/%d reward %.3f oracle acc %.2f\n", round, r.Step, gc.Steps, r.RewardMean, r.Accuracy)
			}
		}); err != nil {
		return MiningRound{}, err
	}
	mr := MiningRound{Round: round, Rollouts: len(seen)}
	var fps, others []pair
	rewLast, fpLast := 0, 0
	dedup := map[string]bool{}
	for _, s := range seen {
		key := s.p.it.Question + "\x00" + s.p.ans
		if s.rewarded {
			mr.Rewarded++
			if s.step > mc.Steps*3/4 {
				rewLast++
			}
		}
		if s.rewarded && !s.p.label {
			mr.FalsePositives++
			if s.step > mc.Steps*3/4 {
				fpLast++
			}
		}
		if dedup[key] {
			continue
		}
		dedup[key] = true
		if s.rewarded && !s.p.label {
			fps = append(fps, s.p)
		} else {
			others = append(others, s.p)
		}
	}
	mr.HackRate = float64(mr.FalsePositives) / float64(max(mr.Rewarded, 1))
	mr.HackRateLast = float64(fpLast) / float64(max(rewLast, 1))
	r := rand.New(rand.NewPCG(t.cfg.Seed, 0x3141+uint64(round)))
	r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	mined := append(fps, others[:min(len(others), max(len(fps), 200))]...)
	mr.Mined = len(mined)
	t.train = append(t.train, mined...)
	if err := t.sftStaged(ctx, t.train, mc.SFTSteps, progress); err != nil {
		return mr, err
	}
	agree, err := modelAgreement(ctx, t.model, t.held)
	if err != nil {
		return mr, err
	}
	mr.HeldOutAgree = agree
	mr.Seconds = time.Since(t0).Seconds()
	fmt.Fprintf(progress, "verifier mining round %d: %d rollouts, %d rewarded, %d false positives (hack rate %.1f%%, last quarter %.1f%%); %d pairs mined; held-out agreement %.1f%% (%.0f s)\n",
		round, mr.Rollouts, mr.Rewarded, mr.FalsePositives, 100*mr.HackRate, 100*mr.HackRateLast, mr.Mined, agree, mr.Seconds)
	return mr, nil
}

// modelAgreement is the verifier's agreement with the oracle on pairs (%).
func modelAgreement(ctx context.Context, m *qwen.Model, ps []pair) (float64, error) {
	pred, err := judgePairs(ctx, &ModelJudge{Model: m}, ps)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, p := range ps {
		if pred[i] == p.label {
			n++
		}
	}
	return 100 * float64(n) / float64(max(len(ps), 1)), nil
}

func judgePairs(ctx context.Context, j verify.Judge, ps []pair) ([]bool, error) {
	qs, gs, as := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		qs[i], gs[i], as[i] = p.it.Question, p.it.Gold, p.ans
	}
	if err := batchVerdicts(ctx, j, qs, gs, as); err != nil {
		return nil, err
	}
	out := make([]bool, len(ps))
	for i := range ps {
		v, err := j.Judge(ctx, qs[i], gs[i], as[i])
		if err != nil {
			return nil, err
		}
		out[i] = v.Correct
	}
	return out, nil
}

// measureJudges fills res with the model verifier's and the other judges' agreement with the
// oracle on the held-out pairs.
func measureJudges(ctx context.Context, m *qwen.Model, held []pair, res *VerifierResult) error {
	res.JudgeAgreement, res.JudgeFalsePositives, res.ByDomain = map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, name := range []string{RewardString, RewardMathRules, RewardRules, RewardModel, "model-decision"} {
		var j verify.Judge
		if name == "model-decision" { // diagnostic: the verifier's decision token as the verdict
			j = &ModelJudge{Model: m, Decision: true}
		} else {
			var err error
			if j, err = newJudge(name, &ModelJudge{Model: m}); err != nil {
				return err
			}
		}
		pred, err := judgePairs(ctx, j, held)
		if err != nil {
			return err
		}
		agree, no, fp := 0, 0, 0
		for i, p := range held {
			if pred[i] == p.label {
				agree++
			}
			if !p.label {
				no++
				if pred[i] {
					fp++
				}
			}
		}
		res.JudgeAgreement[name] = 100 * float64(agree) / float64(len(held))
		res.JudgeFalsePositives[name] = 100 * float64(fp) / float64(max(no, 1))
		if name != RewardModel {
			continue
		}
		var yes, yesHit, noHit, nPol, polAgree float64
		domHit, domN := map[string]float64{}, map[string]float64{}
		for i, p := range held {
			domN[p.it.Domain]++
			if pred[i] == p.label {
				domHit[p.it.Domain]++
				if p.source == "policy" {
					polAgree++
				}
			}
			if p.source == "policy" {
				nPol++
			}
			if p.label {
				yes++
				if pred[i] {
					yesHit++
				}
			} else if !pred[i] {
				noHit++
			}
		}
		res.Agreement = res.JudgeAgreement[name]
		res.YesRecall, res.NoRecall = 100*yesHit/max(yes, 1), 100*noHit/float64(max(no, 1))
		res.PolicyAgreement, res.PolicyPairs = 100*polAgree/max(nPol, 1), int(nPol)
		for d, n := range domN {
			res.ByDomain[d] = 100 * domHit[d] / n
		}
	}
	return nil
}

// refresher is RefreshConfig at work in one run: it owns the run's copy of the verifier.
type refresher struct {
	cfg      RefreshConfig
	vc       *VerifierConfig
	judge    *ModelJudge
	pol      *grpo.Policy
	replay   []pair
	byDomain map[string][]*Item // the run's training items, for fresh pairs in the domains of its errors
	errors   []pair             // false positives and negatives so far (deduplicated)
	right    []pair             // rollouts it judged right so far (deduplicated)
	seen     map[string]bool
	step     int // reward calls so far
	last     int // step of the last refresh
	newFP    int // distinct false positives since the last refresh
	r        *rand.Rand
	Refresh  []RefreshRecord
}

// RefreshRecord is one refresh of a run's verifier.
type RefreshRecord struct {
	Step           int `json:"step"`
	NewFP          int `json:"new_false_positives"` // since the previous refresh
	FalsePositives int `json:"false_positives"`     // distinct ones seen so far
	FalseNegatives int `json:"false_negatives"`
	Examples       int `json:"examples"`
}

func newRefresher(vc *VerifierConfig, base *qwen.Model, replay []pair, items []Item, seed uint64) (*refresher, error) {
	m, err := grpo.CloneModel(base)
	if err != nil {
		return nil, err
	}
	pol, err := grpo.NewPolicy(m, grpo.OptimConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, MaxGradNorm: 1}, grpo.DefaultLoss())
	if err != nil {
		return nil, err
	}
	byDomain := map[string][]*Item{}
	for i := range items {
		byDomain[items[i].Domain] = append(byDomain[items[i].Domain], &items[i])
	}
	return &refresher{cfg: vc.Refresh, vc: vc, judge: &ModelJudge{Model: m}, pol: pol, replay: replay, byDomain: byDomain,
		seen: map[string]bool{}, r: rand.New(rand.NewPCG(seed, 0x4ef5))}, nil
}

// observe records a step's rollouts (the answers the reward extracted and judged).
func (f *refresher) observe(d Data, ps []grpo.Prompt, answers []string, extracted, rewarded []bool) {
	for i, a := range answers {
		if !extracted[i] {
			continue
		}
		p := newPair(itemOf(d, ps[i]), a, "mined")
		key := p.it.Question + "\x00" + p.it.Gold + "\x00" + a
		if f.seen[key] {
			continue
		}
		f.seen[key] = true
		if rewarded[i] != p.label {
			f.errors = append(f.errors, p)
			if rewarded[i] {
				f.newFP++
			}
		} else {
			f.right = append(f.right, p)
		}
	}
}

// wrap refreshes the verifier before the rewards of every Every-th step.
func (f *refresher) wrap(reward grpo.RewardFunc) grpo.RewardFunc {
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		since := f.step - f.last
		due := since >= f.cfg.Every || (f.cfg.MinNew > 0 && f.newFP >= f.cfg.MinNew && since >= 2)
		if f.step > 0 && due && len(f.errors) > 0 {
			if err := f.refresh(ctx); err != nil {
				return nil, nil, fmt.Errorf("verifier refresh: %w", err)
			}
		}
		f.step++
		return reward(ctx, ps, rs)
	}
}

func (f *refresher) refresh(ctx context.Context) error {
	rec := RefreshRecord{Step: f.step, NewFP: f.newFP}
	f.last, f.newFP = f.step, 0
	for _, p := range f.errors {
		if p.label {
			rec.FalseNegatives++
		} else {
			rec.FalsePositives++
		}
	}
	ex := append(append([]pair(nil), f.errors...), f.errors...) // the errors twice
	for _, i := range f.r.Perm(len(f.right))[:min(len(f.right), len(f.errors))] {
		ex = append(ex, f.right[i])
	}
	// As many fresh pairs as errors, each in the domain of an error (another item: a near miss or a
	// generator answer), so that the verifier learns the domain's rule rather than the items the
	// run happened to climb; then as many pairs of its own training as all of these.
	for _, e := range f.errors {
		if its := f.byDomain[e.it.Domain]; len(its) > 0 {
			it := its[f.r.IntN(len(its))]
			if f.r.IntN(2) == 0 {
				ex = append(ex, nearMiss(f.r, it))
			} else {
				ex = append(ex, generatorPair(f.r, it))
			}
		}
	}
	for n := len(ex); n > 0; n-- {
		ex = append(ex, f.replay[f.r.IntN(len(f.replay))])
	}
	rec.Examples = len(ex)
	sc := f.vc.SFT
	sc.Steps, sc.Seed, sc.LogEvery, sc.LR = f.cfg.Steps, f.vc.Seed+7919*uint64(f.step), 0, f.cfg.LR
	if f.cfg.Batch > 0 {
		sc.BatchSize = f.cfg.Batch
	}
	if sc.LR == 0 {
		sc.LR = f.vc.SFT.LR / 3
	}
	if err := verifier.Train(ctx, sc, f.pol, verifierRows(ex), MicroVerifierFormat, CharTokenizer{}, EOSToken, io.Discard, "refresh", nil); err != nil {
		return err
	}
	f.judge.Reset()
	f.Refresh = append(f.Refresh, rec)
	return nil
}
