package micro

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/verify"
)

// ModelSize is the shape of a micro Qwen3 model over the character vocabulary.
type ModelSize struct {
	Hidden  int `json:"hidden"`
	Layers  int `json:"layers"`
	Heads   int `json:"heads"`
	KVHeads int `json:"kv_heads"`
	HeadDim int `json:"head_dim"`
	FF      int `json:"ff"`
}

// QwenConfig is the Qwen3 config.json of a micro model (tied embeddings, EOS = <|im_end|>).
func (s ModelSize) QwenConfig() *qwen.Config {
	f := false
	return &qwen.Config{ModelType: "qwen3", Architectures: []string{"Qwen3ForCausalLM"}, VocabSize: VocabSize,
		HiddenSize: s.Hidden, IntermediateSize: s.FF, NumHiddenLayers: s.Layers, NumAttentionHeads: s.Heads,
		NumKeyValueHeads: s.KVHeads, HeadDim: s.HeadDim, RMSNormEps: 1e-6, RopeTheta: 10000,
		MaxPositionEmbeddings: 256, TieWordEmbeddings: true, AttentionBias: &f, HiddenAct: "silu",
		EOSTokenID: float64(EOSToken), InitializerRange: 0.02}
}

// RunSpec is one GRPO run: its reward judge and its training data.
type RunSpec struct {
	Name   string `json:"name"`
	Reward string `json:"reward"` // string, math-rules, rules, model or cascade (see newJudge)
	Data   string `json:"data"`   // "full" (all domains) or "math" (math domains only)
}

// Config is a micro experiment: data, warm-start SFT, GRPO runs and seeds.
type Config struct {
	Name         string          `json:"name"`
	Model        ModelSize       `json:"model"`
	DataSeed     uint64          `json:"data_seed"`
	TrainPrompts int             `json:"train_prompts"`
	HeldOut      int             `json:"held_out"`
	SFTExamples  int             `json:"sft_examples"`
	WrongProb    float64         `json:"wrong_prob"`  // warm-start data: probability of a wrong answer
	NoBoxProb    float64         `json:"no_box_prob"` // warm-start data: probability of an answer without \boxed{}
	SFT          grpo.SFTConfig  `json:"sft"`
	GRPO         grpo.GRPOConfig `json:"grpo"`
	Seeds        []uint64        `json:"seeds"`    // GRPO seeds
	SFTSeed      uint64          `json:"sft_seed"` // the shared warm start's seed
	Parallel     int             `json:"parallel"` // GRPO runs at once (each uses one core with go:ops_sequential)
	Runs         []RunSpec       `json:"runs"`
	Verifier     *VerifierConfig `json:"verifier,omitempty"` // needed by reward "model"
	EvalSamples  int             `json:"eval_samples"`       // held-out accuracy = mean over this many samples at the rollout temperature (0: greedy)
	// WarmStart, when set, is a saved warm start (HF layout, e.g. OUT/warm_start of an earlier
	// run with the same model and data) used instead of running the SFT again.
	WarmStart string `json:"warm_start,omitempty"`
}

// Prompt renders the question as the micro policy's prompt. The micro models' character
// tokenizer (CharTokenizer) has no chat template, so this is their explicit prompt format, not a
// rendering of one: Qwen checkpoints' prompts come from their own chat_template (model/chat).
func Prompt(question string) string { return question + " " }

// Response renders an answer as the micro policy's response.
func Response(answer string) string { return "\\boxed{" + answer + "}" }

// warmStartText draws a response for the SFT data: mostly a correct answer in one of its
// equivalent forms (uniformly, independent of the gold's form), sometimes a wrong answer or an
// answer without a box. The warm start is thus a noisy teacher that GRPO can sharpen.
func warmStartText(r *rand.Rand, it Item, wrongProb, noBoxProb float64) string {
	ans := it.Forms[r.IntN(len(it.Forms))]
	if len(it.Wrong) > 0 && r.Float64() < wrongProb {
		ans = it.Wrong[r.IntN(len(it.Wrong))]
	}
	if r.Float64() < noBoxProb {
		return "so " + ans
	}
	return Response(ans)
}

// Data is the experiment's fixed data.
type Data struct {
	Train, TrainMath, HeldOut []Item
	SFT                       []grpo.SFTExample
	index                     map[string]*Item // question + NUL + gold → item
}

// policyFrom starts a GRPO run from the warm start: a trainable copy and the frozen reference.
func policyFrom(warm *qwen.Model, g grpo.GRPOConfig) (*grpo.Policy, *grpo.Reference, error) {
	m, err := grpo.CloneModel(warm)
	if err != nil {
		return nil, nil, err
	}
	refM, err := grpo.CloneModel(warm)
	if err != nil {
		return nil, nil, err
	}
	pol, err := grpo.NewPolicy(m, g.Optim, g.Loss)
	if err != nil {
		return nil, nil, err
	}
	return pol, &grpo.Reference{Model: refM}, nil
}

// itemOf finds the item a GRPO prompt was made from (for the oracle's meaning).
func itemOf(d Data, p grpo.Prompt) *Item {
	it := d.index[p.Question+"\x00"+p.Gold]
	if it == nil {
		panic("micro: prompt of no item: " + p.Question)
	}
	return it
}

// MakeData builds held-out, training and warm-start data from cfg.DataSeed.
func MakeData(cfg *Config) Data {
	var d Data
	d.HeldOut = Dataset(cfg.DataSeed+1, cfg.HeldOut, Domains, nil)
	ex := map[string]bool{}
	for _, it := range d.HeldOut {
		ex[it.Question] = true
	}
	d.Train = Dataset(cfg.DataSeed+2, cfg.TrainPrompts, Domains, ex)
	d.TrainMath = Dataset(cfg.DataSeed+3, cfg.TrainPrompts, MathDomains, ex)
	d.index = map[string]*Item{}
	for _, set := range [][]Item{d.HeldOut, d.Train, d.TrainMath} {
		for i := range set {
			d.index[set[i].Question+"\x00"+set[i].Gold] = &set[i]
		}
	}
	r := rand.New(rand.NewPCG(cfg.DataSeed+4, 0x5f7))
	tok := CharTokenizer{}
	for i := 0; i < cfg.SFTExamples; i++ {
		it := d.Train[r.IntN(len(d.Train))]
		d.SFT = append(d.SFT, grpo.SFTExample{Prompt: tok.Encode(Prompt(it.Question)),
			Response: append(tok.Encode(warmStartText(r, it, cfg.WrongProb, cfg.NoBoxProb)), EOSToken)})
	}
	return d
}

func toPrompts(items []Item) []grpo.Prompt {
	tok := CharTokenizer{}
	out := make([]grpo.Prompt, len(items))
	for i, it := range items {
		out[i] = grpo.Prompt{Tokens: tok.Encode(Prompt(it.Question)), Question: it.Question, Gold: it.Gold, Domain: it.Domain}
	}
	return out
}

// The rewards, named for what judges them.
const (
	RewardString    = "string"     // normalised string match (verify.StringJudge)
	RewardMathRules = "math-rules" // the math-only rule verifier (MathRules): the paper's rule-based (math-verify) role
	RewardRules     = "rules"      // the strong rule verifier (verify.RuleVerifier)
	RewardModel     = "model"      // the micro model verifier (ModelJudge): the paper's model-based role
	RewardCascade   = "cascade"    // the strong rule verifier's Yes, else the micro model verifier
)

// newJudge returns the judge of a reward; model is the micro verifier's judge (for model and
// cascade).
func newJudge(name string, model *ModelJudge) (verify.Judge, error) {
	switch name {
	case RewardString:
		return verify.StringJudge{}, nil
	case RewardMathRules:
		return MathRules{}, nil
	case RewardRules:
		return verify.RuleVerifier{}, nil
	case RewardModel, RewardCascade:
		if model == nil {
			return nil, fmt.Errorf("reward %s needs the micro verifier", name)
		}
		if name == RewardCascade {
			return &verify.Cascade{Rules: verify.RuleVerifier{}, Model: model}, nil
		}
		return model, nil
	}
	return nil, fmt.Errorf("unknown reward %q (want string, math-rules, rules, model or cascade)", name)
}

func needsModel(reward string) bool { return reward == RewardModel || reward == RewardCascade }

// Eval is one held-out evaluation, judged by the oracle.
type Eval struct {
	Accuracy  float64            // avg@k (%) at the sampling temperature; greedy accuracy when k == 0
	ByDomain  map[string]float64 // per group and domain; with k > 0 also "greedy"
	Responses [][]string         // the k sampled responses per item (the greedy one when k == 0)
}

// Evaluate measures held-out accuracy judged by the oracle: the mean over k samples per question
// at the given temperature (avg@k; greedy when k == 0), overall (in %) and per group ("math",
// "physics", "other", and "non-math" for the last two together) and domain.
// With k > 0 the greedy accuracy is added under key "greedy".
func Evaluate(ctx context.Context, m *qwen.Model, items []Item, maxNew, k int, temperature float64, seed uint64) (*Eval, error) {
	tok := CharTokenizer{}
	run := func(n int, temp float64) ([][]string, error) {
		reqs := make([]qwen.Request, len(items))
		for i, it := range items {
			reqs[i] = qwen.Request{Prompt: tok.Encode(Prompt(it.Question)), N: n,
				Params: qwen.SampleParams{MaxNewTokens: maxNew, Temperature: temp, Seed: seed + uint64(i)}}
		}
		out, err := m.Generate(ctx, reqs, qwen.GenerateOptions{PadToken: PadToken})
		if err != nil {
			return nil, err
		}
		texts := make([][]string, len(out))
		for i, ss := range out {
			for _, s := range ss {
				texts[i] = append(texts[i], tok.Decode(s.Tokens))
			}
		}
		return texts, nil
	}
	score := func(resp [][]string) (float64, map[string]float64) {
		hits, counts := map[string]float64{}, map[string]float64{}
		total, n := 0.0, 0.0
		for i, it := range items {
			for _, r := range resp[i] {
				c := 0.0
				if OracleCorrect(it, r) {
					c = 1
				}
				total, n = total+c, n+1
				keys := []string{it.Group, it.Domain}
				if it.Group != "math" {
					keys = append(keys, "non-math") // physics and other together
				}
				for _, key := range keys {
					hits[key] += c
					counts[key]++
				}
			}
		}
		by := map[string]float64{}
		for key, c := range counts {
			by[key] = 100 * hits[key] / c
		}
		return 100 * total / n, by
	}
	greedy, err := run(1, 0)
	if err != nil {
		return nil, err
	}
	gAcc, gBy := score(greedy)
	if k == 0 {
		return &Eval{gAcc, gBy, greedy}, nil
	}
	sampled, err := run(k, temperature)
	if err != nil {
		return nil, err
	}
	acc, by := score(sampled)
	by["greedy"] = gAcc
	return &Eval{acc, by, sampled}, nil
}

// rewardFor returns the paper's reward (verify.RewardFor) with judge j; the accuracy it reports
// is the oracle's. observe, when set, sees every rollout: the answer the reward extracted, whether
// it extracted one, whether the judge said yes and whether the oracle accepts the response.
func rewardFor(j verify.Judge, d Data, observe func(ps []grpo.Prompt, answers []string, extracted, rewarded, correct []bool)) grpo.RewardFunc {
	tok := CharTokenizer{}
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		n := len(rs)
		rew, correct, rewarded, extracted := make([]float64, n), make([]bool, n), make([]bool, n), make([]bool, n)
		qs, gs, as := make([]string, n), make([]string, n), make([]string, n)
		for i, r := range rs {
			a, found := verify.ExtractReward(r)
			extracted[i] = found
			if !found {
				a = verify.NoneAnswer // what RewardFor sends the judge
			}
			qs[i], gs[i], as[i] = ps[i].Question, ps[i].Gold, a
		}
		if err := batchVerdicts(ctx, j, qs, gs, as); err != nil {
			return nil, nil, err
		}
		for i, r := range rs {
			v, verdict, err := verify.RewardFor(ctx, j, ps[i].Question, ps[i].Gold, r, tok.Count)
			if err != nil {
				return nil, nil, err
			}
			rew[i], rewarded[i], correct[i] = v, verdict.Correct, OracleCorrect(*itemOf(d, ps[i]), r)
		}
		if observe != nil {
			observe(ps, as, extracted, rewarded, correct)
		}
		return rew, correct, nil
	}
}

// batchVerdicts decides the triples in one batched generation when j is the micro verifier or a
// cascade over it (then only the answers the rules do not accept: the only ones the cascade asks
// it about); j.Judge then finds the verdicts cached. Other judges need nothing.
func batchVerdicts(ctx context.Context, j verify.Judge, qs, gs, as []string) error {
	mj, _ := j.(*ModelJudge)
	c, cascade := j.(*verify.Cascade)
	if cascade {
		mj, _ = c.Model.(*ModelJudge)
	}
	if mj == nil {
		return nil
	}
	var bq, bg, ba []string
	for i := range qs {
		if cascade && c.Rules.Check(qs[i], gs[i], as[i]).Outcome == verify.Yes {
			continue
		}
		bq, bg, ba = append(bq, qs[i]), append(bg, gs[i]), append(ba, as[i])
	}
	_, err := mj.JudgeBatch(ctx, bq, bg, ba)
	return err
}

// judgeResponses is the reward judge's verdict on every response (extracted as the reward
// extracts; None when nothing is).
func judgeResponses(ctx context.Context, j verify.Judge, items []Item, resp [][]string) ([][]bool, error) {
	var qs, gs, as []string
	for i, it := range items {
		for _, r := range resp[i] {
			a, ok := verify.ExtractReward(r)
			if !ok {
				a = verify.NoneAnswer
			}
			qs, gs, as = append(qs, it.Question), append(gs, it.Gold), append(as, a)
		}
	}
	if err := batchVerdicts(ctx, j, qs, gs, as); err != nil {
		return nil, err
	}
	out := make([][]bool, len(items))
	k := 0
	for i := range items {
		for range resp[i] {
			v, err := j.Judge(ctx, qs[k], gs[k], as[k])
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], v.Correct)
			k++
		}
	}
	return out, nil
}

// EvalPoint is one evaluation step of a run: held-out accuracy (oracle, avg@k, %) and how the
// run's reward judged the same held-out samples. Agreement is the share of samples where the
// reward's verdict equals the oracle's, HackRate the share of rewarded samples the oracle
// rejects, Rewarded the share of samples rewarded (fractions in [0, 1]); TrainHackRate and
// TrainRewarded are the same over the training rollouts since the previous evaluation.
type EvalPoint struct {
	Step          int     `json:"step"`
	Accuracy      float64 `json:"accuracy"`
	Agreement     float64 `json:"agreement"`
	HackRate      float64 `json:"hack_rate"`
	Rewarded      float64 `json:"rewarded"`
	TrainHackRate float64 `json:"train_hack_rate"`
	TrainRewarded float64 `json:"train_rewarded"`
}

// judgeRecord is the log line (kind "judge") written beside each evaluation.
type judgeRecord struct {
	Kind string `json:"kind"`
	Run  string `json:"run"`
	EvalPoint
}

func hackStats(items []Item, resp [][]string, rewarded [][]bool) (agreement, hack, share float64) {
	n, agree, rew, fp := 0, 0, 0, 0
	for i, it := range items {
		for k, r := range resp[i] {
			c := OracleCorrect(it, r)
			n++
			if c == rewarded[i][k] {
				agree++
			}
			if rewarded[i][k] {
				rew++
				if !c {
					fp++
				}
			}
		}
	}
	return float64(agree) / float64(max(n, 1)), float64(fp) / float64(max(rew, 1)), float64(rew) / float64(max(n, 1))
}

// Result is one (run, seed) outcome. Accuracies are the oracle's held-out avg@k (%); Agreement
// and HackRate are those of the last evaluation (fractions).
type Result struct {
	Run       string             `json:"run"`
	Reward    string             `json:"reward"`
	Data      string             `json:"data"`
	Seed      uint64             `json:"seed"`
	Before    float64            `json:"before"`
	After     float64            `json:"after"`
	BeforeBy  map[string]float64 `json:"before_by"`
	AfterBy   map[string]float64 `json:"after_by"`
	Agreement float64            `json:"agreement"`
	HackRate  float64            `json:"hack_rate"`
	Evals     []EvalPoint        `json:"evals"`
	Refresh   []RefreshRecord    `json:"refresh,omitempty"` // the run's verifier refreshes
	Seconds   float64            `json:"seconds"`
	Log       string             `json:"log"`
}

// Summary is everything an experiment measured (written as summary.json).
type Summary struct {
	Config      *Config         `json:"config"`
	Command     string          `json:"command"`
	Results     []Result        `json:"results"`
	SFTSeconds  float64         `json:"sft_seconds"`
	Verifier    *VerifierResult `json:"verifier,omitempty"`
	WallSeconds float64         `json:"wall_seconds"`
	Date        string          `json:"date"`
}

// Run executes the experiment and writes logs, summary.json, the ablation CSVs and curves under
// outDir. progress receives one line per event. The micro verifier (when a run needs it) trains
// on one core while the runs that do not need it use the other.
func Run(ctx context.Context, cfg *Config, outDir, command string, progress io.Writer) (*Summary, error) {
	t0 := time.Now()
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(outDir, "logs"), 0o755); err != nil {
		return nil, err
	}
	needModel := false
	for _, r := range cfg.Runs {
		if _, err := newJudge(r.Reward, &ModelJudge{}); err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Name, err)
		}
		if r.Data != "full" && r.Data != "math" {
			return nil, fmt.Errorf("run %s: data %q (want full or math)", r.Name, r.Data)
		}
		if needsModel(r.Reward) {
			if cfg.Verifier == nil {
				return nil, fmt.Errorf("run %s: reward %s needs a verifier config", r.Name, r.Reward)
			}
			needModel = true
		}
	}
	data := MakeData(cfg)
	sum := &Summary{Config: cfg, Command: command, Date: time.Now().UTC().Format(time.RFC3339)}
	// One warm start (SFT from cfg.SFTSeed) shared by every run and seed: the seeds vary GRPO
	// (data order, rollout sampling), the runs differ only in reward or data.
	ts := time.Now()
	var m *qwen.Model
	if cfg.WarmStart != "" {
		if m, err = qwen.Load(cfg.WarmStart, backend, dtypes.Float32); err != nil {
			return nil, fmt.Errorf("warm_start: %w", err)
		}
		if !sameShape(m.Config, cfg.Model.QwenConfig()) {
			return nil, fmt.Errorf("warm_start %s: model shape differs from the config's model", cfg.WarmStart)
		}
		fmt.Fprintf(progress, "warm start loaded from %s (no SFT)\n", cfg.WarmStart)
	} else if m, err = warmStart(ctx, cfg, backend, data, outDir, progress); err != nil {
		return nil, err
	}
	sum.SFTSeconds = time.Since(ts).Seconds()
	out := &lockedWriter{w: progress}
	before, err := Evaluate(ctx, m, data.HeldOut, cfg.GRPO.MaxNewTokens, cfg.EvalSamples, cfg.GRPO.Temperature, cfg.DataSeed)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "warm start held-out accuracy (oracle) %.1f%% %v\n", before.Accuracy, roundMap(before.ByDomain))
	type job struct {
		spec RunSpec
		seed uint64
	}
	var jobs []job
	for _, seed := range cfg.Seeds {
		for _, spec := range cfg.Runs {
			jobs = append(jobs, job{spec, seed})
		}
	}
	// Scheduling (wall time only; every run's numbers are independent of it): cfg.Parallel
	// workers, one run each at a time (the Go backend runs it on about one core). The micro
	// verifier, when a run needs it, trains first on one worker while the others take the runs
	// that do not need it; once it is trained, the runs that need it go first (they are the
	// longest).
	var mu sync.Mutex
	verifierReady := !needModel
	verifierDone := make(chan struct{})
	if !needModel {
		close(verifierDone)
	}
	var tv *TrainedVerifier
	var vErr error
	var plain, model []int
	for i, jb := range jobs {
		if needsModel(jb.spec.Reward) {
			model = append(model, i)
		} else {
			plain = append(plain, i)
		}
	}
	next := func() (i int, wait, ok bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case verifierReady && len(model) > 0:
			i, model = model[0], model[1:]
		case len(plain) > 0:
			i, plain = plain[0], plain[1:]
		case len(model) > 0:
			return 0, true, true
		default:
			return 0, false, false
		}
		return i, false, true
	}
	results := make([]Result, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for w := 0; w < max(cfg.Parallel, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w == 0 && needModel {
				// The micro verifier learns from pairs labelled by the oracle, part of them the warm
				// start's own answers and the answers of mining GRPO runs (as the paper labelled real
				// responses with Gemini).
				warm, err := grpo.CloneModel(m)
				if err == nil {
					tv, sum.Verifier, err = TrainVerifier(ctx, backend, cfg.Verifier, cfg, data, warm, filepath.Join(outDir, "logs"), out)
				}
				if err == nil && cfg.Verifier.Load == "" {
					err = tv.Model.Save(filepath.Join(outDir, "verifier"), 0)
				}
				mu.Lock()
				vErr, verifierReady = err, true
				mu.Unlock()
				close(verifierDone)
			}
			for {
				i, wait, ok := next()
				if !ok {
					return
				}
				if wait {
					<-verifierDone
					continue
				}
				jb := jobs[i]
				var v *TrainedVerifier
				if needsModel(jb.spec.Reward) { // handed out only once the verifier is ready (next holds mu)
					if vErr != nil {
						errs[i] = fmt.Errorf("micro verifier: %w", vErr)
						continue
					}
					v = tv
				}
				results[i], errs[i] = runOne(ctx, cfg, jb.spec, jb.seed, m, data, v, outDir, out, before)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("run %s seed %d: %w", jb.spec.Name, jb.seed, errs[i])
				}
			}
		}()
	}
	wg.Wait()
	<-verifierDone
	if vErr != nil {
		return nil, fmt.Errorf("micro verifier: %w", vErr)
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	sum.Results = results // in the config's order: seed, then run
	sum.WallSeconds = time.Since(t0).Seconds()
	if err := WriteResults(outDir, sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// sameShape reports whether two model configs have the same weight shapes.
func sameShape(a, b *qwen.Config) bool {
	return a.HiddenSize == b.HiddenSize && a.NumHiddenLayers == b.NumHiddenLayers && a.IntermediateSize == b.IntermediateSize &&
		a.VocabSize == b.VocabSize && a.NumAttentionHeads == b.NumAttentionHeads && a.NumKeyValueHeads == b.NumKeyValueHeads &&
		a.HeadDim == b.HeadDim
}

// warmStart trains the shared warm start by SFT and saves it under outDir/warm_start.
func warmStart(ctx context.Context, cfg *Config, backend compute.Backend, data Data, outDir string, progress io.Writer) (*qwen.Model, error) {
	m, err := qwen.NewRandom(cfg.Model.QwenConfig(), backend, dtypes.Float32, qwen.InitOptions{Seed: cfg.SFTSeed})
	if err != nil {
		return nil, err
	}
	pol, err := grpo.NewPolicy(m, cfg.GRPO.Optim, cfg.GRPO.Loss)
	if err != nil {
		return nil, err
	}
	sc := cfg.SFT
	sc.Seed = cfg.SFTSeed
	logf, err := os.Create(filepath.Join(outDir, "logs", "sft.jsonl"))
	if err != nil {
		return nil, err
	}
	err = grpo.SFT(ctx, sc, pol, data.SFT, logf, "sft", func(r grpo.SFTRecord) {
		fmt.Fprintf(progress, "warm-start sft step %d/%d loss %.3f (%.0f tok/s)\n", r.Step, sc.Steps, r.Loss, r.TokensPerSec)
	})
	logf.Close()
	if err != nil {
		return nil, err
	}
	return m, m.Save(filepath.Join(outDir, "warm_start"), 0)
}

// Sample is one held-out response logged at an evaluation step (logs/RUN_sSEED_samples.jsonl):
// what the policy wrote (the first sample of the first questions), the oracle's verdict and
// the reward judge's.
type Sample struct {
	Step     int    `json:"step"`
	Domain   string `json:"domain"`
	Question string `json:"question"`
	Gold     string `json:"gold"`
	Response string `json:"response"`
	Answer   string `json:"answer"`   // the reward's extraction (ExtractReward); empty if none
	Correct  bool   `json:"correct"`  // the oracle
	Rewarded bool   `json:"rewarded"` // the run's reward judge said yes
}

// writeDisagreements writes every held-out sample whose reward verdict differs from the oracle's
// (logs/RUN_sSEED_disagreements.jsonl, at the last evaluation): rewarded=true rows are what the
// reward pays for wrongly (the hack rate's numerator), rewarded=false rows the credit it withholds.
func writeDisagreements(path string, step int, items []Item, resp [][]string, rewarded [][]bool) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for i, it := range items {
			for k, r := range resp[i] {
				if c := OracleCorrect(it, r); c != rewarded[i][k] {
					a, _ := verify.ExtractReward(r)
					if err := enc.Encode(Sample{Step: step, Domain: it.Domain, Question: it.Question, Gold: it.Gold, Response: r, Answer: a,
						Correct: c, Rewarded: rewarded[i][k]}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// samplesPerEval is how many held-out questions (the first ones, their first sample) are logged
// at every evaluation.
const samplesPerEval = 16

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func roundMap(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[k] = math.Round(v*10) / 10
	}
	return out
}

func runOne(ctx context.Context, cfg *Config, spec RunSpec, seed uint64, warm *qwen.Model, data Data, tv *TrainedVerifier,
	outDir string, progress io.Writer, before *Eval) (Result, error) {
	t0 := time.Now()
	// A run rewarded by the micro verifier judges with its own verdict cache (runs do not depend
	// on each other), and with its own copy of the verifier when that is refreshed during the run.
	var mj *ModelJudge
	var fresh *refresher
	if tv != nil {
		mj = &ModelJudge{Model: tv.Model}
		if rc := cfg.Verifier.Refresh; rc.Every > 0 && rc.Steps > 0 {
			var err error
			trainItems := data.Train
			if spec.Data == "math" {
				trainItems = data.TrainMath
			}
			if fresh, err = newRefresher(cfg.Verifier, tv.Model, tv.pairs, trainItems, seed); err != nil {
				return Result{}, err
			}
			mj = fresh.judge
		}
	}
	j, err := newJudge(spec.Reward, mj)
	if err != nil {
		return Result{}, err
	}
	pol, ref, err := policyFrom(warm, cfg.GRPO)
	if err != nil {
		return Result{}, err
	}
	items := data.Train
	if spec.Data == "math" {
		items = data.TrainMath
	}
	gc := cfg.GRPO
	gc.Seed = seed
	gc.PadToken = PadToken
	gc.StopTokens = []int{EOSToken}
	gc.CheckpointDir = ""
	name := fmt.Sprintf("%s_s%d", spec.Name, seed)
	logPath := filepath.Join(outDir, "logs", name+".jsonl")
	f, err := os.Create(logPath)
	if err != nil {
		return Result{}, err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	res := Result{Run: spec.Name, Reward: spec.Reward, Data: spec.Data, Seed: seed, Log: filepath.ToSlash(filepath.Join("logs", name+".jsonl"))}
	samples, err := os.Create(filepath.Join(outDir, "logs", name+"_samples.jsonl"))
	if err != nil {
		return Result{}, err
	}
	defer samples.Close()
	senc := json.NewEncoder(samples)
	// Training rollouts since the last evaluation: rewarded, and rewarded but rejected by the oracle.
	var trainN, trainRew, trainFP int
	observe := func(ps []grpo.Prompt, answers []string, extracted, rewarded, correct []bool) {
		if fresh != nil {
			fresh.observe(data, ps, answers, extracted, rewarded)
		}
		for i := range rewarded {
			trainN++
			if rewarded[i] {
				trainRew++
				if !correct[i] {
					trainFP++
				}
			}
		}
	}
	eval := func(ctx context.Context, step int) (float64, map[string]float64, error) {
		ev := before // the warm start's evaluation (the same for every run: same weights, same eval seed)
		if step > 0 {
			if ev, err = Evaluate(ctx, pol.Model, data.HeldOut, gc.MaxNewTokens, cfg.EvalSamples, gc.Temperature, cfg.DataSeed); err != nil {
				return 0, nil, err
			}
		}
		rewarded, err := judgeResponses(ctx, j, data.HeldOut, ev.Responses)
		if err != nil {
			return 0, nil, err
		}
		pt := EvalPoint{Step: step, Accuracy: ev.Accuracy}
		pt.Agreement, pt.HackRate, pt.Rewarded = hackStats(data.HeldOut, ev.Responses, rewarded)
		if trainN > 0 {
			pt.TrainHackRate, pt.TrainRewarded = float64(trainFP)/float64(max(trainRew, 1)), float64(trainRew)/float64(trainN)
		}
		trainN, trainRew, trainFP = 0, 0, 0
		if step == 0 {
			res.Before, res.BeforeBy = ev.Accuracy, ev.ByDomain
		}
		res.After, res.AfterBy, res.Agreement, res.HackRate = ev.Accuracy, ev.ByDomain, pt.Agreement, pt.HackRate
		res.Evals = append(res.Evals, pt)
		if err := enc.Encode(judgeRecord{Kind: "judge", Run: name, EvalPoint: pt}); err != nil {
			return 0, nil, err
		}
		fmt.Fprintf(progress, "%s step %d agreement %.3f hack rate %.3f (train %.3f) rewarded %.3f\n", name, step, pt.Agreement, pt.HackRate, pt.TrainHackRate, pt.Rewarded)
		if step == gc.Steps { // every held-out sample where the reward and the oracle disagree
			if err := writeDisagreements(filepath.Join(outDir, "logs", name+"_disagreements.jsonl"), step, data.HeldOut, ev.Responses, rewarded); err != nil {
				return 0, nil, err
			}
		}
		if step > 0 {
			for i, it := range data.HeldOut[:min(samplesPerEval, len(data.HeldOut))] {
				r := ev.Responses[i][0]
				a, _ := verify.ExtractReward(r)
				if err := senc.Encode(Sample{Step: step, Domain: it.Domain, Question: it.Question, Gold: it.Gold, Response: r, Answer: a,
					Correct: OracleCorrect(it, r), Rewarded: rewarded[i][0]}); err != nil {
					return 0, nil, err
				}
			}
		}
		return ev.Accuracy, ev.ByDomain, nil
	}
	reward := rewardFor(j, data, observe)
	if fresh != nil {
		reward = fresh.wrap(reward)
	}
	err = grpo.GRPO(ctx, gc, pol, ref, CharTokenizer{}, toPrompts(items), reward, eval, f, name,
		func(r grpo.StepRecord) {
			if r.Kind == "eval" {
				fmt.Fprintf(progress, "%s step %d held-out %.1f%% %v\n", name, r.Step, r.Accuracy, roundMap(r.ByDomain))
			} else if r.Step%10 == 0 || r.Step == 1 {
				fmt.Fprintf(progress, "%s step %d/%d reward %.3f acc %.2f kl %.4f ent %.3f clip %.3f len %.1f %.2fs %.0f tok/s\n",
					name, r.Step, gc.Steps, r.RewardMean, r.Accuracy, r.KL, r.Entropy, r.ClipFrac, r.ResponseLen, r.StepSeconds, r.TokensPerSec)
			}
		})
	if fresh != nil {
		res.Refresh = fresh.Refresh
	}
	res.Seconds = time.Since(t0).Seconds()
	return res, err
}
