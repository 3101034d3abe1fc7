package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/spf13/cobra"

	"github.com/greason/greason/internal/membw"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/train/grpo"
	"github.com/greason/greason/train/job"
	"github.com/greason/greason/train/verifier"
)

// planOptions are the flags of `greason train plan`.
type planOptions struct {
	config, dtype, computeDType string
	shape                       grpo.StepShape
	logitChunk                  int
	recompute, measure, asJSON  bool
	rolloutInputs, serialUpdate bool
	responseWindow, fusedAdamW  bool
	gcPercent, steps, membwMiB  int
	klCoef, peakTFLOPs          float64
	devices                     string
	// a local verifier beside the policy (train/verifier.PlanVerifier)
	verifier, verifierDType                   string
	verifierRows, verifierPrompt, verifierGen int
}

func newPlanCmd() *cobra.Command {
	o := planOptions{}
	cmd := &cobra.Command{
		Use:   "plan --config JOB|FILE|PRESET [--batch N --n N --prompt-len N --gen-len N] [--device cpu|gpu:GIB ...] [--measure]",
		Short: "Predict the peak memory and FLOPs of one GRPO step per device; --measure runs the step here",
		Long: `Predict the peak memory (weights, gradients, optimizer state, reference, activations, KV cache,
logits) and the FLOPs of one GRPO step of a Qwen model (config.json path or preset) for each --device;
with a GRPO job config ("job": "grpo") the model, the step's shape (prompts_per_step, n,
max_prompt_length, max_new_tokens, mini-batches, micro-batch, rollout batch), the dtypes, the memory
options and the KL come from the job, and flags given explicitly override them;
"cpu" is this machine with the pure-Go backend (its memory from /proc/meminfo), "gpu:GIB" a GPU of that
many GiB with the XLA backend. A device the step does not fit gets the cheapest change of options that
fits. --measure also runs the step here on a model with random weights and prints the measured time and
peak RSS per phase beside the prediction (docs/training.md, "Memory plan").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPlan(cmd.OutOrStdout(), cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "a GRPO job config (\"job\": \"grpo\"), or the model: config.json path or preset name")
	f.IntVar(&o.shape.Prompts, "batch", 2, "prompts per step")
	f.IntVar(&o.shape.N, "n", 2, "rollouts per prompt")
	f.IntVar(&o.shape.PromptLen, "prompt-len", 32, "prompt tokens")
	f.IntVar(&o.shape.GenLen, "gen-len", 64, "generated tokens per rollout")
	f.IntVar(&o.shape.MiniBatches, "mini-batches", 1, "optimizer updates per step")
	f.IntVar(&o.shape.MicroBatch, "micro-batch", 0, "responses per forward/backward (gradient accumulation); 0: the whole mini-batch")
	f.IntVar(&o.shape.RolloutBatch, "rollout-batch", 0, "prompts generated at a time (0: all)")
	f.IntVar(&o.shape.Bucket, "bucket", 8, "sequence lengths are padded to a multiple of this")
	f.StringVar(&o.shape.RolloutDType, "rollout-dtype", "", "bfloat16: rollouts with the native bfloat16 decoder (weights cast once per step, bfloat16 KV cache); float32 or empty: the graph decoder")
	f.IntVar(&o.shape.RolloutSlots, "rollout-slots", 0, "with --rollout-dtype bfloat16: rollouts decoded at once, finished ones replaced by waiting ones (0: all)")
	f.StringVar(&o.dtype, "dtype", "float32", "stored weights and AdamW state: float32 or bfloat16")
	f.StringVar(&o.computeDType, "compute-dtype", "", "bfloat16: bfloat16 weights and activations in the step, float32 master weights")
	f.IntVar(&o.logitChunk, "logit-chunk", 0, "vocabulary chunk of the LM-head log-probs (0: automatic, -1: never)")
	f.BoolVar(&o.recompute, "recompute", false, "recompute each layer's activations in the backward pass")
	f.BoolVar(&o.rolloutInputs, "rollout-weights-as-inputs", false, "rollout graphs take the weights as inputs (no constant copies on the Go backend)")
	f.BoolVar(&o.serialUpdate, "serial-update", false, "apply AdamW one weight at a time (fewer temporaries on the Go backend)")
	f.BoolVar(&o.fusedAdamW, "fused-adamw", false, "apply AdamW after the graph in one pass per weight (same values, no temporaries)")
	f.IntVar(&o.gcPercent, "gogc", 10, "Go GC percent during --measure (lower keeps the heap closer to live memory; -1: leave $GOGC or 100)")
	f.Float64Var(&o.klCoef, "kl-coef", grpo.DefaultLoss().KLCoef, "KL coefficient (0: no reference model)")
	f.StringVar(&o.devices, "device", "cpu,gpu:80,gpu:141", "comma-separated devices: cpu (this machine, Go backend) or gpu:GIB (XLA)")
	f.Float64Var(&o.peakTFLOPs, "peak-tflops", 0, "dense peak of the GPU in TFLOP/s, for the MFU of --measure runs on a GPU backend")
	f.BoolVar(&o.measure, "measure", false, "run the step here (random weights) and print measured time and peak RSS per phase")
	f.IntVar(&o.steps, "steps", 1, "--measure runs this many steps and reports the last (the first compiles the graphs)")
	f.IntVar(&o.membwMiB, "membw-mib", 512, "--measure first measures the memory bandwidth (STREAM triad and read, 1 and 2 cores) on 3 arrays of this many MiB (0: skip)")
	f.BoolVar(&o.asJSON, "json", false, "print JSON")
	f.StringVar(&o.verifier, "verifier", "", "a local verifier beside the policy: config.json path or preset (general-verifier-1.5b); its weights stay resident, its KV cache lives in a reward phase")
	f.StringVar(&o.verifierDType, "verifier-dtype", "bfloat16", "the verifier's weights: float32 or bfloat16")
	f.IntVar(&o.verifierRows, "verifier-rows", 64, "verification prompts decoded together (--verifier-batch of the judge)")
	f.IntVar(&o.verifierPrompt, "verifier-prompt-len", 512, "verification prompt tokens (the question, gold and answer in General-Verifier's template)")
	f.IntVar(&o.verifierGen, "verifier-gen-len", 2048, "the verifier's new-token limit (2048 in the paper's training)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// parseDevice turns "cpu" or "gpu:GIB" into a device.
func parseDevice(s string) (grpo.Device, error) {
	if s == "cpu" {
		total, err := memTotal()
		if err != nil {
			return grpo.Device{}, err
		}
		return grpo.Device{Name: "cpu", Bytes: total, GoBackend: true}, nil
	}
	if g, ok := strings.CutPrefix(s, "gpu:"); ok {
		v, err := strconv.ParseFloat(g, 64)
		if err != nil || v <= 0 {
			return grpo.Device{}, fmt.Errorf("--device %q: want gpu:GIB with GIB > 0", s)
		}
		return grpo.Device{Name: s, Bytes: int64(v * (1 << 30))}, nil
	}
	return grpo.Device{}, fmt.Errorf("--device %q: want cpu or gpu:GIB", s)
}

// memTotal reads this machine's memory from /proc/meminfo.
func memTotal() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("--device cpu needs /proc/meminfo: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/meminfo has no MemTotal")
}

func gib(b int64) string { return fmt.Sprintf("%.2f", float64(b)/(1<<30)) }

func runPlan(w io.Writer, cmd *cobra.Command, o planOptions) error {
	if err := planFromJob(w, cmd, &o); err != nil {
		return err
	}
	cfg, err := qwen.ConfigFromFlag(o.config)
	if err != nil {
		return err
	}
	dt, err := qwen.DTypeOf(o.dtype)
	if err != nil {
		return err
	}
	in := grpo.PlanInput{Config: cfg, DType: dt, Shape: o.shape, KL: o.klCoef != 0,
		Memory: grpo.MemoryConfig{LogitChunk: o.logitChunk, Recompute: o.recompute, ComputeDType: o.computeDType,
			RolloutWeightsAsInputs: o.rolloutInputs, SerialUpdate: o.serialUpdate, ResponseWindow: o.responseWindow,
			FusedAdamW: o.fusedAdamW}}
	type out struct {
		Plans       []grpo.Plan       `json:"plans"`
		Advice      map[string]string `json:"advice,omitempty"`
		Verifier    []verifier.Plan   `json:"verifier,omitempty"` // per device, with --verifier
		Bandwidth   []membw.Result    `json:"bandwidth,omitempty"`
		Measurement *grpo.Measurement `json:"measurement,omitempty"`
		// GenerateBound is the generation time the measured bandwidth allows (triad, 2 cores)
		// and GenerateFraction that bound ÷ the measured generation time.
		GenerateBound    float64 `json:"generate_bound_s,omitempty"`
		GenerateFraction float64 `json:"generate_fraction_of_bound,omitempty"`
	}
	res := out{Advice: map[string]string{}}
	var vin *verifier.PlanInput
	if o.verifier != "" {
		vc, err := qwen.ConfigFromFlag(o.verifier)
		if err != nil {
			return fmt.Errorf("--verifier: %w", err)
		}
		vdt, err := qwen.DTypeOf(o.verifierDType)
		if err != nil {
			return fmt.Errorf("--verifier-dtype: %w", err)
		}
		vin = &verifier.PlanInput{Step: in, Config: vc, DType: vdt, Rows: o.verifierRows, PromptLen: o.verifierPrompt, GenLen: o.verifierGen}
	}
	for _, d := range strings.Split(o.devices, ",") {
		dev, err := parseDevice(d)
		if err != nil {
			return err
		}
		pl, err := grpo.PlanStep(in, dev)
		if err != nil {
			return err
		}
		advDev := dev
		if vin != nil {
			vp, err := verifier.PlanVerifier(*vin, dev)
			if err != nil {
				return err
			}
			pl = verifier.AddToStep(pl, vp)
			res.Verifier = append(res.Verifier, vp)
			// the policy's options must leave room for the verifier's run
			advDev.Bytes -= vp.Weights + vp.KVCache + vp.Activations + vp.Logits
		}
		res.Plans = append(res.Plans, pl)
		if !pl.Fits {
			res.Advice[dev.Name] = grpo.Advice(in, advDev)
			if res.Advice[dev.Name] == "" {
				if gl, flags := grpo.AdviceShorter(in, advDev); gl > 0 {
					res.Advice[dev.Name] = strings.TrimSpace(fmt.Sprintf("--gen-len %d %s", gl, flags)) + " (responses cut to that many tokens: grpo.max_new_tokens)"
				}
			}
		}
	}
	if !o.asJSON {
		printPlans(w, in, res.Plans, res.Advice)
		if vin != nil {
			printVerifierPlan(w, *vin, res.Verifier[0])
		}
	}
	if o.measure {
		loss := grpo.DefaultLoss()
		loss.KLCoef = o.klCoef
		var progress io.Writer = w
		if o.asJSON {
			progress = cmd.ErrOrStderr()
		}
		if o.gcPercent >= 0 {
			debug.SetGCPercent(o.gcPercent)
		}
		if o.membwMiB > 0 {
			fmt.Fprintf(progress, "measuring the memory bandwidth (3 arrays of %d MiB) ...\n", o.membwMiB)
			bw, err := membw.Measure([]int{1, 2}, membw.Options{ArrayBytes: int64(o.membwMiB) << 20})
			if err != nil {
				return err
			}
			runtime.GC()
			debug.FreeOSMemory()
			res.Bandwidth = bw
		}
		fmt.Fprintf(progress, "measuring one step here (backend %s) ...\n", backendName())
		m, err := grpo.MeasureStep(cmd.Context(), cfg, dt, o.shape, in.Memory, loss, o.steps, progress)
		if err != nil {
			return err
		}
		res.Measurement = &m
		if bw := triad2(res.Bandwidth); bw > 0 && len(m.Phases) > 0 && m.Phases[0].Name == "generate" {
			res.GenerateBound = res.Plans[0].Rollout.BoundSeconds(bw * 1e9)
			res.GenerateFraction = res.GenerateBound / m.Phases[0].Seconds
		}
		if !o.asJSON {
			printMeasurement(w, in, m, o.peakTFLOPs, res.Bandwidth)
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return nil
}

func backendName() string {
	if b := os.Getenv("GOMLX_BACKEND"); b != "" {
		return b
	}
	return qwen.DefaultBackendConfig
}

func printPlans(w io.Writer, in grpo.PlanInput, plans []grpo.Plan, advice map[string]string) {
	s := in.Shape
	micro := s.Prompts * s.N / max(s.MiniBatches, 1)
	if s.MicroBatch > 0 && s.MicroBatch < micro {
		micro = s.MicroBatch
	}
	chunk := "none"
	if c := in.Memory.LogitChunk; c > 0 || (c == 0 && in.Config.VocabSize > grpo.AutoChunkVocab) {
		chunk = fmt.Sprint(max(c, grpo.AutoChunk))
		if c > 0 {
			chunk = fmt.Sprint(c)
		}
	}
	fmt.Fprintf(w, "%s: %.1f M parameters (%s weights and AdamW state, compute %s), vocabulary %d\n",
		in.Config.ModelType, float64(plans[0].Params)/1e6, dtypeName(in.DType), orDefault(in.Memory.ComputeDType, "the same"), in.Config.VocabSize)
	fmt.Fprintf(w, "step: %d prompts × %d rollouts, prompt %d + %d new tokens, %d mini-batch(es) of %d, micro-batch %d; logit chunk %s, recompute %v, reference %v\n",
		s.Prompts, s.N, s.PromptLen, s.GenLen, s.MiniBatches, s.Prompts*s.N/max(s.MiniBatches, 1), micro, chunk, in.Memory.Recompute, in.KL)
	ro := plans[0].Rollout
	decoder := "graph decoder"
	if s.RolloutDType == "bfloat16" {
		decoder = "native decoder"
		if s.RolloutSlots > 0 {
			decoder += fmt.Sprintf(", %d slots", s.RolloutSlots)
		}
	}
	fmt.Fprintf(w, "rollouts: %s weights (%s), %d passes over %.3f GB of weights per step\n", ro.DType, decoder, ro.Passes, float64(ro.BytesPerPass)/1e9)
	f := plans[0].FLOPs
	fmt.Fprintf(w, "FLOPs per step: generation %.3g, old/ref log-probs %.3g, updates %.3g, total %.3g\n", f.Generate, f.LogProbs, f.Update, f.Total)
	for _, pl := range plans {
		verdict := "fits"
		if !pl.Fits {
			verdict = "does NOT fit"
			if a := advice[pl.Device.Name]; a != "" {
				verdict += "; fits with " + a
			} else {
				verdict += "; no option tried fits (needs more devices or a smaller batch)"
			}
		}
		backend := "XLA"
		if pl.Device.GoBackend {
			backend = "Go backend"
		}
		fmt.Fprintf(w, "\n%s (%s GiB, %s): predicted peak %s GiB in %s — %s\n", pl.Device.Name, gib(pl.Device.Bytes), backend, gib(pl.Peak), pl.PeakPhase, verdict)
		var parts []string
		for _, it := range pl.Persistent {
			parts = append(parts, fmt.Sprintf("%s %s", it.Name, gib(it.Bytes)))
		}
		fmt.Fprintf(w, "  persistent: %s\n", strings.Join(parts, ", "))
		for _, ph := range pl.Phases {
			parts = parts[:0]
			for _, it := range ph.Items {
				parts = append(parts, fmt.Sprintf("%s %s", it.Name, gib(it.Bytes)))
			}
			fmt.Fprintf(w, "  %-16s %6s GiB = persistent + %s\n", ph.Name, gib(ph.Total), strings.Join(parts, ", "))
		}
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// triad2 is the STREAM triad bandwidth of 2 workers in GB/s (0 when not measured).
func triad2(rs []membw.Result) float64 {
	for _, r := range rs {
		if r.Kernel == "triad" && r.Workers == 2 {
			return r.GBps
		}
	}
	return 0
}

func printMeasurement(w io.Writer, in grpo.PlanInput, m grpo.Measurement, peakTFLOPs float64, bw []membw.Result) {
	dev := grpo.Device{Name: "cpu", GoBackend: !strings.HasPrefix(backendName(), "xla")}
	pl, err := grpo.PlanStep(in, dev)
	if err != nil {
		fmt.Fprintln(w, err)
		return
	}
	pred := map[string]int64{}
	for _, ph := range pl.Phases {
		name, _, _ := strings.Cut(ph.Name, " ") // "update (backward)", "update (optimizer)": the measured "update"
		pred[name] = max(pred[name], ph.Total)
	}
	fmt.Fprintf(w, "\nmeasured (%s, step %d of %d, GOGC %d): resident before the step %s GiB\n", backendName(), m.Steps, m.Steps, m.GCPercent, gib(m.BaseRSS))
	fmt.Fprintf(w, "  %-18s %9s %12s %12s %7s\n", "phase", "seconds", "peak RSS", "predicted", "ratio")
	for _, ph := range m.Phases {
		fmt.Fprintf(w, "  %-18s %9.1f %12s %12s %7.3f\n", ph.Name, ph.Seconds, gib(ph.PeakRSS)+" GiB", gib(pred[ph.Name])+" GiB", float64(pred[ph.Name])/float64(ph.PeakRSS))
	}
	fmt.Fprintf(w, "  %-18s %9.1f %12s %12s %7.3f\n", "step", m.StepSeconds, gib(m.PeakRSS)+" GiB", gib(pl.Peak)+" GiB", float64(pl.Peak)/float64(m.PeakRSS))
	if len(bw) > 0 {
		var parts []string
		for _, r := range bw {
			parts = append(parts, fmt.Sprintf("%s %d core(s) %.1f GB/s", r.Kernel, r.Workers, r.GBps))
		}
		fmt.Fprintf(w, "memory bandwidth (STREAM-style, 3 arrays of %d MiB, best of %d): %s\n", bw[0].ArrayBytes>>20, bw[0].Reps, strings.Join(parts, ", "))
		ro := pl.Rollout
		for _, r := range bw {
			if r.Workers != 2 || len(m.Phases) == 0 || m.Phases[0].Name != "generate" {
				continue
			}
			bound := ro.BoundSeconds(r.GBps * 1e9)
			fmt.Fprintf(w, "generation bound at the %s bandwidth (2 cores): %d passes × %.3f GB of %s weights ÷ %.1f GB/s = %.1f s; measured %.1f s = %.2f× the bound (%.0f%% of it)\n",
				r.Kernel, ro.Passes, float64(ro.BytesPerPass)/1e9, ro.DType, r.GBps, bound, m.Phases[0].Seconds, m.Phases[0].Seconds/bound, 100*bound/m.Phases[0].Seconds)
		}
	}
	fmt.Fprintf(w, "tokens/s %.1f (%d prompt + generated tokens); %.3g FLOP/s", float64(m.Tokens)/m.StepSeconds, m.Tokens, pl.FLOPs.Total/m.StepSeconds)
	if peakTFLOPs > 0 {
		fmt.Fprintf(w, ", MFU %.2f%% of %.0f TFLOP/s", 100*pl.FLOPs.Total/m.StepSeconds/(peakTFLOPs*1e12), peakTFLOPs)
	}
	fmt.Fprintln(w)
}

func dtypeName(dt dtypes.DType) string {
	if dt == dtypes.BFloat16 {
		return "bfloat16"
	}
	return "float32"
}

// planFromJob, when o.config is a GRPO job config, sets o from the job (model, step shape,
// options) except for the flags given explicitly, and says so.
func planFromJob(w io.Writer, cmd *cobra.Command, o *planOptions) error {
	raw, err := os.ReadFile(o.config)
	if err != nil {
		return nil // a preset name or a config.json path: qwen.ConfigFromFlag reports what is wrong
	}
	kind, err := job.Kind(raw)
	if err != nil || kind == "" {
		return nil // a config.json
	}
	if kind != job.KindGRPO {
		return fmt.Errorf("%s: train plan takes a GRPO job (\"job\": \"grpo\"), not %q", o.config, kind)
	}
	c, err := job.ParseConfig(o.config, raw)
	if err != nil {
		return err
	}
	model, from, err := c.Policy.Architecture()
	if err != nil {
		return err
	}
	set := func(flag string, apply func()) {
		if !cmd.Flags().Changed(flag) {
			apply()
		}
	}
	g := c.GRPO
	set("batch", func() { o.shape.Prompts = g.PromptsPerStep })
	set("n", func() { o.shape.N = g.N })
	set("prompt-len", func() { o.shape.PromptLen = c.Data.MaxPromptLength })
	set("gen-len", func() { o.shape.GenLen = g.MaxNewTokens })
	set("mini-batches", func() { o.shape.MiniBatches = g.MiniBatches })
	set("micro-batch", func() { o.shape.MicroBatch = g.MicroBatch })
	set("rollout-batch", func() { o.shape.RolloutBatch = g.RolloutBatch })
	set("bucket", func() { o.shape.Bucket = g.Bucket })
	set("dtype", func() { o.dtype = orDefault(c.Policy.DType, "float32") })
	set("compute-dtype", func() { o.computeDType = g.Memory.ComputeDType })
	set("logit-chunk", func() { o.logitChunk = g.Memory.LogitChunk })
	set("recompute", func() { o.recompute = g.Memory.Recompute })
	set("rollout-weights-as-inputs", func() { o.rolloutInputs = g.Memory.RolloutWeightsAsInputs })
	set("serial-update", func() { o.serialUpdate = g.Memory.SerialUpdate })
	set("fused-adamw", func() { o.fusedAdamW = g.Memory.FusedAdamW })
	set("kl-coef", func() { o.klCoef = g.Loss.KLCoef })
	o.responseWindow = g.Memory.ResponseWindow
	o.config = model
	if o.asJSON {
		w = cmd.ErrOrStderr()
	}
	fmt.Fprintf(w, "job %s (%s): model %s; the step below is the job's, on one device\n", orDefault(c.Name, "(unnamed)"), cmd.Flags().Lookup("config").Value, from)
	return nil
}

func printVerifierPlan(w io.Writer, in verifier.PlanInput, v verifier.Plan) {
	fmt.Fprintf(w, "\nverifier beside the policy: %.1f M parameters (%s), %d rows × (prompt %d + %d new tokens) per run: weights %s GiB, KV cache %s GiB, prefill activations %s GiB, logits %s GiB\n",
		float64(in.Config.NumParameters())/1e6, dtypeName(in.DType), in.Rows, in.PromptLen, in.GenLen, gib(v.Weights), gib(v.KVCache), gib(v.Activations), gib(v.Logits))
	fmt.Fprintf(w, "  %.3g FLOP per verification decoding %d tokens; %d verifications per step (every rollout; a cascade asks fewer): at most %.3g FLOP\n",
		v.FLOPsPerVerify, in.GenLen, v.Verifications, v.FLOPsPerVerify*float64(v.Verifications))
}
