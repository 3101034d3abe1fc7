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

	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/qwen"
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
	Reward string `json:"reward"` // "string" (normalised string match), "rule" (strong rule verifier), "model" (micro model verifier), "cascade" (rule Yes, else the micro verifier)
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

// Prompt renders the question as the micro policy's prompt.
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

// Correct is the held-out judge: the reward extractor, then the strong rule verifier.
func Correct(question, gold, response string) bool {
	ans, ok := verify.ExtractReward(response)
	return ok && rule.Check(question, gold, ans).Outcome == verify.Yes
}

// Evaluate measures held-out accuracy judged by the strong rule verifier: the mean over k
// samples per question at the given temperature (avg@k; greedy when k == 0), overall (in %)
// and per group and domain. With k > 0 the greedy accuracy is added under key "greedy".
func Evaluate(ctx context.Context, m *qwen.Model, items []Item, maxNew, k int, temperature float64, seed uint64) (float64, map[string]float64, error) {
	tok := CharTokenizer{}
	run := func(n int, temp float64) ([][]qwen.Sample, error) {
		reqs := make([]qwen.Request, len(items))
		for i, it := range items {
			reqs[i] = qwen.Request{Prompt: tok.Encode(Prompt(it.Question)), N: n,
				Params: qwen.SampleParams{MaxNewTokens: maxNew, Temperature: temp, Seed: seed + uint64(i)}}
		}
		return m.Generate(ctx, reqs, qwen.GenerateOptions{PadToken: PadToken})
	}
	score := func(out [][]qwen.Sample) (float64, map[string]float64) {
		hits, counts := map[string]float64{}, map[string]float64{}
		total, n := 0.0, 0.0
		for i, it := range items {
			for _, s := range out[i] {
				c := 0.0
				if Correct(it.Question, it.Gold, tok.Decode(s.Tokens)) {
					c = 1
				}
				total, n = total+c, n+1
				for _, key := range []string{it.Group, it.Domain} {
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
		return 0, nil, err
	}
	gAcc, gBy := score(greedy)
	if k == 0 {
		return gAcc, gBy, nil
	}
	sampled, err := run(k, temperature)
	if err != nil {
		return 0, nil, err
	}
	acc, by := score(sampled)
	by["greedy"] = gAcc
	return acc, by, nil
}

// rewardFor returns the paper's reward (verify.Reward) with judge j; the accuracy counted is the
// strong rule verifier's.
func rewardFor(j verify.Judge) grpo.RewardFunc {
	tok := CharTokenizer{}
	return func(ctx context.Context, ps []grpo.Prompt, rs []string) ([]float64, []bool, error) {
		rew, ok := make([]float64, len(rs)), make([]bool, len(rs))
		qs, gs, as := make([]string, len(rs)), make([]string, len(rs)), make([]string, len(rs))
		for i, r := range rs {
			a, found := verify.ExtractReward(r)
			if !found {
				a = verify.NoneAnswer // what RewardFor sends the judge
			}
			qs[i], gs[i], as[i] = ps[i].Question, ps[i].Gold, a
		}
		if err := batchVerdicts(ctx, j, qs, gs, as); err != nil {
			return nil, nil, err
		}
		for i, r := range rs {
			v, _, err := verify.RewardFor(ctx, j, ps[i].Question, ps[i].Gold, r, tok.Count)
			if err != nil {
				return nil, nil, err
			}
			rew[i], ok[i] = v, Correct(ps[i].Question, ps[i].Gold, r)
		}
		return rew, ok, nil
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

// Result is one (run, seed) outcome.
type Result struct {
	Run      string             `json:"run"`
	Seed     uint64             `json:"seed"`
	Before   float64            `json:"before"`
	After    float64            `json:"after"`
	BeforeBy map[string]float64 `json:"before_by"`
	AfterBy  map[string]float64 `json:"after_by"`
	Seconds  float64            `json:"seconds"`
	Log      string             `json:"log"`
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
// outDir. progress receives one line per event.
func Run(ctx context.Context, cfg *Config, outDir, command string, progress io.Writer) (*Summary, error) {
	t0 := time.Now()
	backend, err := qwen.NewBackend()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(outDir, "logs"), 0o755); err != nil {
		return nil, err
	}
	data := MakeData(cfg)
	sum := &Summary{Config: cfg, Command: command, Date: time.Now().UTC().Format(time.RFC3339)}
	judges := map[string]verify.Judge{"string": verify.StringJudge{}, "rule": rule}
	needModel := false
	for _, r := range cfg.Runs {
		switch r.Reward {
		case "string", "rule":
		case "model", "cascade":
			if cfg.Verifier == nil {
				return nil, fmt.Errorf("run %s: reward model needs a verifier config", r.Name)
			}
			needModel = true
		default:
			return nil, fmt.Errorf("run %s: unknown reward %q (string, rule, model, cascade)", r.Name, r.Reward)
		}
	}
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
	if needModel {
		// The micro verifier learns from pairs labelled by the rule verifier, half of them the
		// warm start's own answers (as the paper labelled real responses with Gemini).
		v, res, err := TrainVerifier(ctx, backend, cfg.Verifier, data, m, cfg.GRPO.MaxNewTokens, filepath.Join(outDir, "logs"), progress)
		if err != nil {
			return nil, err
		}
		judges["model"], sum.Verifier = v, res
		judges["cascade"] = &verify.Cascade{Rules: rule, Model: v}
	}
	beforeAcc, beforeBy, err := Evaluate(ctx, m, data.HeldOut, cfg.GRPO.MaxNewTokens, cfg.EvalSamples, cfg.GRPO.Temperature, cfg.DataSeed)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "warm start held-out accuracy %.1f%% %v\n", beforeAcc, roundMap(beforeBy))
	before := evalResult{beforeAcc, beforeBy}
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
	results := make([]Result, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, max(cfg.Parallel, 1))
	var wg sync.WaitGroup
	out := &lockedWriter{w: progress}
	for i, jb := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = runOne(ctx, cfg, jb.spec, jb.seed, m, data, judges[jb.spec.Reward], outDir, out, before)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("run %s seed %d: %w", jb.spec.Name, jb.seed, errs[i])
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	sum.Results = results
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
// what the policy writes, the strong verifier's verdict and the reward judge's.
type Sample struct {
	Step     int    `json:"step"`
	Domain   string `json:"domain"`
	Question string `json:"question"`
	Gold     string `json:"gold"`
	Response string `json:"response"`
	Answer   string `json:"answer"`   // extracted (ExtractReward); empty if none
	Correct  bool   `json:"correct"`  // strong rule verifier
	Rewarded bool   `json:"rewarded"` // the run's reward judge said yes
}

// samplesPerEval is how many held-out questions (the first ones, one sample each at the rollout
// temperature) are logged at every evaluation.
const samplesPerEval = 16

func writeSamples(ctx context.Context, w io.Writer, m *qwen.Model, j verify.Judge, items []Item, step, maxNew int, temp float64, seed uint64) error {
	tok := CharTokenizer{}
	items = items[:min(samplesPerEval, len(items))]
	reqs := make([]qwen.Request, len(items))
	for i, it := range items {
		reqs[i] = qwen.Request{Prompt: tok.Encode(Prompt(it.Question)), N: 1,
			Params: qwen.SampleParams{MaxNewTokens: maxNew, Temperature: temp, Seed: seed + 7919*uint64(step) + uint64(i)}}
	}
	out, err := m.Generate(ctx, reqs, qwen.GenerateOptions{PadToken: PadToken})
	if err != nil {
		return err
	}
	samples, extracted := make([]Sample, len(items)), make([]bool, len(items))
	var qs, gs, as []string
	for i, it := range items {
		resp := tok.Decode(out[i][0].Tokens)
		samples[i] = Sample{Step: step, Domain: it.Domain, Question: it.Question, Gold: it.Gold, Response: resp, Correct: Correct(it.Question, it.Gold, resp)}
		if a, ok := verify.ExtractReward(resp); ok {
			samples[i].Answer, extracted[i] = a, true
			qs, gs, as = append(qs, it.Question), append(gs, it.Gold), append(as, a)
		}
	}
	if err := batchVerdicts(ctx, j, qs, gs, as); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for i, s := range samples {
		if extracted[i] {
			v, err := j.Judge(ctx, s.Question, s.Gold, s.Answer)
			if err != nil {
				return err
			}
			s.Rewarded = v.Correct
		}
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}

type evalResult struct {
	acc float64
	by  map[string]float64
}

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

func runOne(ctx context.Context, cfg *Config, spec RunSpec, seed uint64, warm *qwen.Model, data Data, j verify.Judge,
	outDir string, progress io.Writer, before evalResult) (Result, error) {
	t0 := time.Now()
	m, err := grpo.CloneModel(warm)
	if err != nil {
		return Result{}, err
	}
	refM, err := grpo.CloneModel(warm)
	if err != nil {
		return Result{}, err
	}
	pol, err := grpo.NewPolicy(m, cfg.GRPO.Optim, cfg.GRPO.Loss)
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
	res := Result{Run: spec.Name, Seed: seed, Log: filepath.ToSlash(filepath.Join("logs", name+".jsonl"))}
	samples, err := os.Create(filepath.Join(outDir, "logs", name+"_samples.jsonl"))
	if err != nil {
		return Result{}, err
	}
	defer samples.Close()
	eval := func(ctx context.Context, step int) (float64, map[string]float64, error) {
		if step == 0 {
			// The warm start's evaluation (identical for every run: same weights, same eval seed).
			res.Before, res.BeforeBy, res.After, res.AfterBy = before.acc, before.by, before.acc, before.by
			return before.acc, before.by, nil
		}
		acc, by, err := Evaluate(ctx, m, data.HeldOut, gc.MaxNewTokens, cfg.EvalSamples, gc.Temperature, cfg.DataSeed)
		if err != nil {
			return 0, nil, err
		}
		res.After, res.AfterBy = acc, by
		return acc, by, writeSamples(ctx, samples, m, j, data.HeldOut, step, gc.MaxNewTokens, gc.Temperature, cfg.DataSeed)
	}
	err = grpo.GRPO(ctx, gc, pol, &grpo.Reference{Model: refM}, CharTokenizer{}, toPrompts(items), rewardFor(j), eval, f, name,
		func(r grpo.StepRecord) {
			if r.Kind == "eval" {
				fmt.Fprintf(progress, "%s step %d held-out %.1f%% %v\n", name, r.Step, r.Accuracy, roundMap(r.ByDomain))
			} else if r.Step%10 == 0 || r.Step == 1 {
				fmt.Fprintf(progress, "%s step %d/%d reward %.3f acc %.2f kl %.4f ent %.3f clip %.3f len %.1f %.2fs %.0f tok/s\n",
					name, r.Step, gc.Steps, r.RewardMean, r.Accuracy, r.KL, r.Entropy, r.ClipFrac, r.ResponseLen, r.StepSeconds, r.TokensPerSec)
			}
		})
	res.Seconds = time.Since(t0).Seconds()
	return res, err
}
