package grpo

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/greason/greason/model/qwen"
)

func TestMakeSeqsEmptyPrompt(t *testing.T) {
	// Row 0 has an empty prompt and is shorter than T: [pad pad 8 9]; its first response token
	// (8) has no position before it and is not a target, 9 is (target index 2).
	s := MakeSeqs([][]int{{}, {5, 6, 7}}, [][]int{{8, 9}, {3}}, 1, 0)
	if len(s.Tokens[0]) != 4 {
		t.Fatalf("T = %d, want 4", len(s.Tokens[0]))
	}
	want := [][]float32{{0, 0, 1}, {0, 0, 1}}
	for i := range want {
		for j := range want[i] {
			if s.LossMask[i][j] != want[i][j] {
				t.Fatalf("loss masks %v, want %v", s.LossMask, want)
			}
		}
	}
	// The longest row with an empty prompt starts at position 0.
	s = MakeSeqs([][]int{{}}, [][]int{{8, 9, 10}}, 1, 0)
	if got := s.LossMask[0]; len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Fatalf("loss mask %v, want [1 1]", got)
	}
}

// storeSnapshot copies every store variable.
func storeSnapshot(p *Policy) map[string][]float32 {
	out := map[string][]float32{}
	for v := range p.Model.Store.IterVariables() {
		out[v.Path()] = tensors.MustCopyFlatData[float32](v.MustValue())
	}
	return out
}

// sameBits reports the first variable whose bits differ between two snapshots ("" if none).
func sameBits(a, b map[string][]float32) string {
	for k, x := range a {
		y := b[k]
		if len(x) != len(y) {
			return k
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return k
			}
		}
	}
	return ""
}

func tinyBatch(t *testing.T, p *Policy) (Seqs, []float32, [][]float32) {
	t.Helper()
	s := MakeSeqs([][]int{{2, 3, 4}, {5, 2}, {7, 8, 9, 10}, {3}}, [][]int{{6, 1}, {4, 4, 4, 1}, {2}, {9, 9, 3, 1}}, 4, 0)
	old, err := p.LogProbs(s)
	if err != nil {
		t.Fatal(err)
	}
	return s, []float32{1.2, -0.4, 0.7, -1.5}, old
}

// TestNonFiniteUpdateSkipped injects a NaN advantage: the update must change no weight, AdamW
// moment or step count (bit for bit) and report a non-finite gradient norm; a finite update
// afterwards trains as usual. Both the fused and the accumulated (micro-batch) update.
func TestNonFiniteUpdateSkipped(t *testing.T) {
	for _, c := range []struct{ accumulated, fused bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		accumulated := c.accumulated
		p, _ := tinyPolicy(t)
		p.Memory.FusedAdamW = c.fused
		s, adv, old := tinyBatch(t, p)
		update := func(adv []float32) float64 {
			if !accumulated {
				st, err := p.GRPOUpdate(s, adv, old, old, 0.01)
				if err != nil {
					t.Fatal(err)
				}
				return st.GradNorm
			}
			if _, err := p.GRPOAccumulate(s, adv, old, old, 1.0/20); err != nil {
				t.Fatal(err)
			}
			norm, err := p.ApplyAccumulated(0.01)
			if err != nil {
				t.Fatal(err)
			}
			return norm
		}
		before := storeSnapshot(p)
		bad := append([]float32(nil), adv...)
		bad[2] = float32(math.NaN())
		if norm := update(bad); isFinite(norm) {
			t.Fatalf("accumulated=%v: gradient norm %g with a NaN advantage, want non-finite", accumulated, norm)
		}
		if k := sameBits(before, storeSnapshot(p)); k != "" {
			t.Fatalf("accumulated=%v: skipped update changed %s", accumulated, k)
		}
		if p.OptimizerStep() != 0 {
			t.Fatalf("step count %d after a skipped update, want 0", p.OptimizerStep())
		}
		if norm := update(adv); !isFinite(norm) || norm == 0 {
			t.Fatalf("accumulated=%v: finite update has gradient norm %g", accumulated, norm)
		}
		if p.OptimizerStep() != 1 || sameBits(before, storeSnapshot(p)) == "" {
			t.Fatalf("accumulated=%v: the finite update did not train (step %d)", accumulated, p.OptimizerStep())
		}
	}
}

// TestTemperatureLogProbs: log-probs at temperature τ are log-softmax(logits/τ) (verl divides
// the logits by the rollout temperature), with and without the chunked head; τ = 1 is the same
// computation as no temperature.
func TestTemperatureLogProbs(t *testing.T) {
	p, _ := tinyPolicy(t)
	s := MakeSeqs([][]int{{2, 3, 4}, {5}}, [][]int{{6, 7, 1}, {4, 4, 1}}, 1, 0)
	logits, err := p.Model.Logits(s.Batch)
	if err != nil {
		t.Fatal(err)
	}
	host := func(tau float64) [][]float64 {
		out := make([][]float64, len(s.Tokens))
		for b := range s.Tokens {
			for i := 0; i+1 < len(s.Tokens[b]); i++ {
				row := logits[b][i]
				mx := math.Inf(-1)
				for _, v := range row {
					mx = math.Max(mx, float64(v)/tau)
				}
				sum := 0.0
				for _, v := range row {
					sum += math.Exp(float64(v)/tau - mx)
				}
				out[b] = append(out[b], float64(row[s.Tokens[b][i+1]])/tau-mx-math.Log(sum))
			}
		}
		return out
	}
	check := func(name string, got [][]float32, want [][]float64) {
		t.Helper()
		for b := range want {
			for i := range want[b] {
				if s.LossMask[b][i] == 1 {
					near(t, name, float64(got[b][i]), want[b][i], 2e-5)
				}
			}
		}
	}
	for _, tau := range []float64{0.6, 1.7} {
		for _, chunk := range []int{-1, 5} {
			p.Temperature, p.Memory.LogitChunk = tau, chunk
			lp, err := p.LogProbs(s)
			if err != nil {
				t.Fatal(err)
			}
			check("logp", lp, host(tau))
		}
	}
	p.Temperature, p.Memory.LogitChunk = 0, 0
	lp0, err := p.LogProbs(s)
	if err != nil {
		t.Fatal(err)
	}
	p.Temperature = 1
	lp1, err := p.LogProbs(s)
	if err != nil {
		t.Fatal(err)
	}
	for b := range lp0 {
		for i := range lp0[b] {
			if math.Float32bits(lp0[b][i]) != math.Float32bits(lp1[b][i]) {
				t.Fatalf("temperature 1 changes log-probs: %g vs %g", lp1[b][i], lp0[b][i])
			}
		}
	}
	check("logp τ=1", lp1, host(1))
}

// rowsOf returns the rows [lo, hi) of s (same padded length).
func rowsOf(s Seqs, lo, hi int) Seqs {
	return Seqs{Batch: qwen.Batch{Tokens: s.Tokens[lo:hi], Positions: s.Positions[lo:hi], Mask: s.Mask[lo:hi]}, LossMask: s.LossMask[lo:hi]}
}

// TestMicroBatchAggregation: accumulating two micro-batches with token-mean weights gives the
// fused mini-batch update; with micro-token-mean weights it gives the fused update of the loss
// whose token weights are 1/(micro-batch tokens × micro-batches) (the mean of per-micro-batch
// token-means, which differs here because the micro-batches have different token counts).
func TestMicroBatchAggregation(t *testing.T) {
	for _, agg := range []string{AggTokenMean, AggMicroTokenMean} {
		pf, _ := tinyPolicy(t)
		pa, _ := tinyPolicy(t)
		s, adv, old := tinyBatch(t, pf)
		cfg := DefaultGRPO()
		cfg.LossAgg, cfg.MicroBatch, cfg.Optim.LR = agg, 2, 0.01
		ms := []micro{{rowsOf(s, 0, 2), adv[:2], old[:2], old[:2]}, {rowsOf(s, 2, 4), adv[2:], old[2:], old[2:]}}
		fused := s
		if agg == AggMicroTokenMean {
			// TokenMean(x, c·mask) = Σ_micro Σ x·c_micro / Σ_micro count·c_micro with
			// c_micro = N/(count_micro·2): the mean over micro-batches of their token-means.
			fused.LossMask = nil
			total := 0.0
			counts := []float64{0, 0}
			for i, row := range s.LossMask {
				for _, v := range row {
					counts[i/2] += float64(v)
					total += float64(v)
				}
			}
			if counts[0] == counts[1] {
				t.Fatal("test batch needs micro-batches of different token counts")
			}
			for i, row := range s.LossMask {
				c := float32(total / (counts[i/2] * 2))
				r := make([]float32, len(row))
				for j, v := range row {
					r[j] = v * c
				}
				fused.LossMask = append(fused.LossMask, r)
			}
		}
		want, err := pf.GRPOUpdate(fused, adv, old, old, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		got, err := accumulatedUpdate(cfg, pa, ms)
		if err != nil {
			t.Fatal(err)
		}
		near(t, agg+" loss", got.Loss, want.Loss, 1e-6)
		near(t, agg+" pg", got.PG, want.PG, 1e-6)
		near(t, agg+" kl", got.KL, want.KL, 1e-7)
		near(t, agg+" entropy", got.Entropy, want.Entropy, 1e-5)
		near(t, agg+" grad norm", got.GradNorm, want.GradNorm, 1e-5*want.GradNorm)
		a, b := storeSnapshot(pf), storeSnapshot(pa)
		for k, x := range a {
			if strings.HasPrefix(k, optGradPrefix) {
				continue
			}
			for i := range x {
				if math.Abs(float64(x[i]-b[k][i])) > 1e-6 {
					t.Fatalf("%s: %s[%d] = %g accumulated, %g fused", agg, k, i, b[k][i], x[i])
				}
			}
		}
	}
}

// TestGRPOLeanLoop runs the loop with every memory-lean option (micro-batches sorted by length,
// micro-token-mean, chunked head, recomputation, bfloat16 compute, temperature ≠ 1).
func TestGRPOLeanLoop(t *testing.T) {
	tok := letters{}
	var prompts []Prompt
	for _, s := range []string{"abc", "bca", "cab", "ddb"} {
		prompts = append(prompts, Prompt{Tokens: tok.Encode(s), Question: s})
	}
	reward := func(_ context.Context, ps []Prompt, rs []string) ([]float64, []bool, error) {
		out := make([]float64, len(rs))
		for i, r := range rs {
			out[i] = float64(strings.Count(r, "c")) - 0.1*float64(len(r))
		}
		return out, make([]bool, len(rs)), nil
	}
	for _, o := range []struct {
		dt    string
		fused bool
	}{{"", false}, {"bfloat16", false}, {"bfloat16", true}} {
		dt := o.dt
		gc := DefaultGRPO()
		gc.Steps, gc.PromptsPerStep, gc.N, gc.MiniBatches, gc.MaxNewTokens = 2, 2, 4, 2, 6
		gc.Bucket, gc.PadToken, gc.StopTokens, gc.Seed, gc.Temperature = 4, 0, []int{1}, 9, 0.8
		gc.MicroBatch, gc.SortByLength, gc.LossAgg = 3, true, AggMicroTokenMean
		gc.Memory = MemoryConfig{LogitChunk: 5, Recompute: true, ComputeDType: dt, RolloutWeightsAsInputs: true, SerialUpdate: true, FusedAdamW: o.fused}
		p, r := tinyPolicy(t)
		before := storeSnapshot(p)
		var log bytes.Buffer
		if err := GRPO(context.Background(), gc, p, r, tok, prompts, reward, nil, &log, "lean", nil); err != nil {
			t.Fatal(err)
		}
		if p.OptimizerStep() != 4 || sameBits(before, storeSnapshot(p)) == "" {
			t.Fatalf("%q: optimizer step %d, want 4, and changed weights", dt, p.OptimizerStep())
		}
		for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
			var rec StepRecord
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.SkippedUpdates != 0 || rec.GradNorm <= 0 || rec.Entropy <= 0 {
				t.Fatalf("%q: record %s", dt, line)
			}
		}
	}
}

func TestGRPOConfigValidate(t *testing.T) {
	for _, mod := range []func(*GRPOConfig){
		func(c *GRPOConfig) { c.LossAgg = "seq-mean" },
		func(c *GRPOConfig) { c.SortByLength = true },
		func(c *GRPOConfig) { c.MicroBatch = -1 },
		func(c *GRPOConfig) { c.Memory.ComputeDType = "float16" },
		func(c *GRPOConfig) { c.Memory.LogitChunk = -2 },
		func(c *GRPOConfig) { c.RolloutDType = "float16" },
		func(c *GRPOConfig) { c.RolloutSlots = 4 }, // needs bfloat16 rollouts
		func(c *GRPOConfig) { c.RolloutDType, c.RolloutSlots = "bfloat16", -1 },
	} {
		c := DefaultGRPO()
		mod(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if err := DefaultGRPO().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestSkippedUpdatesCounted: a policy whose final norm weight is NaN produces non-finite
// gradients; the loop skips every update, counts them and leaves the AdamW state untouched.
func TestSkippedUpdatesCounted(t *testing.T) {
	tok := letters{}
	prompts := []Prompt{{Tokens: tok.Encode("abc"), Question: "abc"}, {Tokens: tok.Encode("cab"), Question: "cab"}}
	reward := func(_ context.Context, ps []Prompt, rs []string) ([]float64, []bool, error) {
		out := make([]float64, len(rs))
		for i := range rs {
			out[i] = float64(i % 3)
		}
		return out, make([]bool, len(rs)), nil
	}
	p, r := tinyPolicy(t)
	v := p.Model.Store.GetVariable("/model.norm.weight")
	w := tensors.MustCopyFlatData[float32](v.MustValue())
	w[0] = float32(math.NaN())
	if err := v.SetValue(tensors.FromFlatDataAndDimensions(w, v.Shape().Dimensions...)); err != nil {
		t.Fatal(err)
	}
	p.WeightsChanged()
	before := storeSnapshot(p)
	gc := DefaultGRPO()
	gc.Steps, gc.PromptsPerStep, gc.N, gc.MiniBatches, gc.MaxNewTokens = 1, 2, 2, 2, 4
	gc.Bucket, gc.StopTokens = 4, []int{1}
	var log bytes.Buffer
	if err := GRPO(context.Background(), gc, p, r, tok, prompts, reward, nil, &log, "nan", nil); err != nil {
		t.Fatal(err)
	}
	var rec StepRecord
	if err := json.Unmarshal(log.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.SkippedUpdates != 2 {
		t.Fatalf("skipped_updates = %d, want 2: %s", rec.SkippedUpdates, log.String())
	}
	after := storeSnapshot(p)
	for k, x := range before {
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(after[k][i]) {
				t.Fatalf("%s changed by skipped updates", k)
			}
		}
	}
}

// TestSerialUpdateSameValues: chaining the AdamW updates with scheduling barriers changes no bit.
func TestSerialUpdateSameValues(t *testing.T) {
	pa, _ := tinyPolicy(t)
	pb, _ := tinyPolicy(t)
	pb.Memory.SerialUpdate = true
	s, adv, old := tinyBatch(t, pa)
	for i := 0; i < 2; i++ {
		if _, err := pa.GRPOUpdate(s, adv, old, old, 0.01); err != nil {
			t.Fatal(err)
		}
		if _, err := pb.GRPOUpdate(s, adv, old, old, 0.01); err != nil {
			t.Fatal(err)
		}
	}
	if k := sameBits(storeSnapshot(pa), storeSnapshot(pb)); k != "" {
		t.Fatalf("serial update changed %s", k)
	}
}

// TestGRPOConfigKeys: the new keys decode under strict decoding (what the micro jobs use), and a
// misspelt memory key is an error.
func TestGRPOConfigKeys(t *testing.T) {
	decode := func(s string) (GRPOConfig, error) {
		c := DefaultGRPO()
		d := json.NewDecoder(strings.NewReader(s))
		d.DisallowUnknownFields()
		return c, d.Decode(&c)
	}
	c, err := decode(`{"loss_agg": "micro-token-mean", "micro_batch": 8, "sort_by_length": true, "rollout_batch": 4,
		"rollout_dtype": "bfloat16", "rollout_slots": 16,
		"memory": {"logit_chunk": 4096, "recompute": true, "compute_dtype": "bfloat16", "rollout_weights_as_inputs": true, "serial_update": true, "fused_adamw": true}}`)
	if err != nil || c.Validate() != nil {
		t.Fatalf("%v %v", err, c.Validate())
	}
	if c.LossAgg != AggMicroTokenMean || c.MicroBatch != 8 || !c.SortByLength || c.RolloutBatch != 4 || c.RolloutDType != "bfloat16" || c.RolloutSlots != 16 ||
		c.Memory != (MemoryConfig{LogitChunk: 4096, Recompute: true, ComputeDType: "bfloat16", RolloutWeightsAsInputs: true, SerialUpdate: true, FusedAdamW: true}) {
		t.Fatalf("decoded %+v", c)
	}
	if _, err := decode(`{"memory": {"recomputation": true}}`); err == nil || !strings.Contains(err.Error(), "recomputation") {
		t.Fatalf("misspelt key: %v", err)
	}
	// The defaults add no key to a serialised config (the micro summaries stay as they were).
	b, _ := json.Marshal(DefaultGRPO())
	for _, k := range []string{"loss_agg", "micro_batch", "sort_by_length", "rollout_batch", "rollout_dtype", "rollout_slots", "memory"} {
		if strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("default config serialises %q: %s", k, b)
		}
	}
}
