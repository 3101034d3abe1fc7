package verifier

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gomlxmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/model/complete"
	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/tokenizer"
	"github.com/greason/greason/verify"
)

// The PyTorch goldens of General-Verifier's architecture (tools/torchgold/gold.py): verification
// prompts (the §1.2 template filled with the paper's examples) encoded by the Qwen tokenizer,
// whose ids gold.py reads from promptsFile (it has no tokenizer); the committed stress variant
// qwen2-verifier (General-Verifier's structure: Qwen2, tied embeddings, GQA 6:1, q/k/v biases,
// rope_theta 10000, 4,096 context, the real vocabulary; small sizes) checked here on every run,
// and the real shape (random weights, `greason model init --config general-verifier-1.5b`)
// checked by `just model-golden` through the same test with GREASON_VERIFIER_* set.

const promptsFile = "../../tools/torchgold/verifier_prompts.json"

type promptCase struct {
	Question string `json:"question"`
	Gold     string `json:"gold"`
	Answer   string `json:"answer"`
	IDs      []int  `json:"ids"`
}

// goldenCases: the paper's third example (4.9 J vs 4.9 N·m) and its first with a failed
// extraction (None).
var goldenCases = []promptCase{
	{Question: "What is the work done to push a 1 kg box horizontally for 1 meter on a surface with a coefficient of friction of 0.5?",
		Gold: "4.9 J", Answer: "4.9 N·m"},
	{Question: "Consider the line perpendicular to the surface $z = x^2 + y^2$ at the point where $x = 4$ and $y = 1$. Find a vector parametric equation for this line in terms of the parameter t.",
		Gold: "$x = 4 + 8t, y = 1 + 2t, z = 17 - t$", Answer: verify.NoneAnswer},
}

// TestVerifierPromptIDs: the ids in tools/torchgold/verifier_prompts.json are the embedded Qwen
// tokenizer's encoding of verify.VerifierPrompt for each case (GREASON_UPDATE_VERIFIER_PROMPTS=1
// rewrites the file, as `just model-golden` does before gold.py runs).
func TestVerifierPromptIDs(t *testing.T) {
	tok, err := tokenizer.LoadQwen3()
	if err != nil {
		t.Fatal(err)
	}
	want := make([]promptCase, len(goldenCases))
	for i, c := range goldenCases {
		c.IDs = tok.Encode(verify.VerifierPrompt(c.Question, c.Gold, c.Answer))
		want[i] = c
	}
	if os.Getenv("GREASON_UPDATE_VERIFIER_PROMPTS") != "" {
		b, _ := json.MarshalIndent(want, "", " ")
		if err := os.WriteFile(promptsFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(promptsFile)
	if err != nil {
		t.Fatal(err)
	}
	var got []promptCase
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d cases in %s, want %d", len(got), promptsFile, len(want))
	}
	for i := range want {
		if got[i].Question != want[i].Question || got[i].Gold != want[i].Gold || got[i].Answer != want[i].Answer || !slices.Equal(got[i].IDs, want[i].IDs) {
			t.Errorf("case %d differs from the tokenised VerifierPrompt (rerun with GREASON_UPDATE_VERIFIER_PROMPTS=1)", i)
		}
	}
}

type verifierGolden struct {
	Torch    string `json:"torch"`
	VocabIDs []int  `json:"vocab_ids"` // nil: logits rows cover the whole vocabulary
	Prompts  []struct {
		IDs        []int       `json:"ids"`
		Logits     [][]float64 `json:"logits"`      // [position from logits_from][vocab_ids or all]
		LogitsFrom int         `json:"logits_from"` // first position with logits
		Greedy     []int       `json:"greedy"`
		Margins    []float64   `json:"greedy_margins"`
	} `json:"prompts"`
}

func readGolden(t *testing.T, path string) *verifierGolden {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var g verifierGolden
	if err := json.NewDecoder(r).Decode(&g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// goldenFolder copies a golden variant directory, decompressing *.safetensors.gz, and adds the
// embedded Qwen tokenizer.json: a checkpoint folder complete.Open loads.
func goldenFolder(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "golden.json.gz" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		name := e.Name()
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(strings.NewReader(string(b)))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			name = strings.TrimSuffix(name, ".gz")
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tj, err := tokenizer.Qwen3JSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// lastLogits runs the full forward pass of one unpadded prompt with the weights as graph inputs
// (no second copy of a large model) and returns the logits of its last position.
func lastLogits(t *testing.T, m *qwen.Model, ids []int) []float32 {
	t.Helper()
	b := qwen.LeftPad([][]int{ids}, 0, 0)
	e, err := gomlxmodel.NewExec(m.Backend, m.Store, func(scope *gomlxmodel.Scope, tokens, positions, mask *graph.Node) *graph.Node {
		scope.Store().SetTraining(tokens.Graph(), true)
		h := qwen.Forward(scope, m.Config, tokens, positions, mask)
		return graph.Slice(h, graph.AxisRange(), graph.AxisElem(len(ids)-1), graph.AxisRange())
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Finalize()
	out, err := e.Call(b.Tokens, b.Positions, b.Mask)
	if err != nil {
		t.Fatal(err)
	}
	f, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// checkAgainstTorch compares our General-Verifier path on folder dir with a torch golden: the
// golden's prompts are the tokenised verification prompts; the last position's logits (on the
// golden's vocabulary subset, or all) within 1e-4 × max(1, max |logit|); greedy decoding
// through the local judge's completer (the verifier's real path: its tokenizer, the sampler,
// stop tokens) gives the golden's tokens.
func checkAgainstTorch(t *testing.T, dir string, g *verifierGolden, rows int) {
	c, err := complete.Open(dir, complete.Options{Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := c.Model()
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Prompts) > len(goldenCases) {
		t.Fatalf("%d golden prompts, %d cases", len(g.Prompts), len(goldenCases))
	}
	var prompts []string
	for i, p := range g.Prompts {
		cs := goldenCases[i]
		prompt := verify.VerifierPrompt(cs.Question, cs.Gold, cs.Answer)
		if !slices.Equal(tok.Encode(prompt), p.IDs) {
			t.Fatalf("prompt %d: the golden's ids are not the tokenised verification prompt", i)
		}
		prompts = append(prompts, prompt)
		got := lastLogits(t, m, p.IDs)
		want := p.Logits[len(p.Logits)-1]
		if p.LogitsFrom+len(p.Logits) != len(p.IDs) {
			t.Fatalf("prompt %d: golden logits end at position %d, prompt has %d", i, p.LogitsFrom+len(p.Logits), len(p.IDs))
		}
		maxAbs, maxDiff := 0.0, 0.0
		for j, w := range want {
			v := j
			if g.VocabIDs != nil {
				v = g.VocabIDs[j]
			}
			maxAbs = math.Max(maxAbs, math.Abs(w))
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[v])-w))
		}
		best := 0
		for v := range got {
			if got[v] > got[best] {
				best = v
			}
		}
		minMargin := slices.Min(p.Margins)
		t.Logf("prompt %d (%d tokens): %d last-position logits compared, max |logit| %.4g, max |ours - torch| %.3g (%.2g relative); torch's smallest greedy margin %.3g",
			i, len(p.IDs), len(want), maxAbs, maxDiff, maxDiff/math.Max(1, maxAbs), minMargin)
		if maxAbs < 0.1 {
			t.Fatalf("prompt %d: logits too small (%.3g) for a meaningful comparison", i, maxAbs)
		}
		if maxDiff > 1e-4*math.Max(1, maxAbs) {
			t.Errorf("prompt %d: max |ours - torch| %.3g > 1e-4 relative", i, maxDiff)
		}
		if best != p.Greedy[0] {
			t.Errorf("prompt %d: our argmax %d, torch's first greedy token %d", i, best, p.Greedy[0])
		}
	}
	n := len(g.Prompts[0].Greedy)
	t0 := time.Now()
	resp, err := c.CompleteBatch(context.Background(), prompts, llm.Params{Temperature: llm.F64(0), MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local judge's completer: %d prompts × %d greedy tokens in runs of %d rows: %.1f s (%+v)", len(prompts), n, rows, time.Since(t0).Seconds(), c.Stats())
	stops := c.StopTokens()
	for i, p := range g.Prompts {
		want := p.Greedy
		for k, id := range want { // the golden decodes through eos; the verifier stops there
			if slices.Contains(stops, id) {
				want = want[:k]
				break
			}
		}
		if resp[i].CompletionTokens != len(want) || resp[i].Text != tok.Decode(want, true) {
			t.Errorf("prompt %d: greedy %q (%d tokens), torch %q (%v)", i, resp[i].Text, resp[i].CompletionTokens, tok.Decode(want, true), want)
		}
	}
	t.Logf("greedy: %d tokens per prompt equal to torch's", n)
}

// TestGeneralVerifierTorchGolden: the committed stress variant of General-Verifier's
// architecture against PyTorch (logits and 16 greedy tokens of the two verification prompts).
func TestGeneralVerifierTorchGolden(t *testing.T) {
	src := "../../model/qwen/testdata/golden/qwen2-verifier"
	g := readGolden(t, filepath.Join(src, "golden.json.gz"))
	checkAgainstTorch(t, goldenFolder(t, src), g, 2)
}

// TestGeneralVerifierTorchRealShape: the real shape (a random-weight checkpoint with
// General-Verifier's exact config) against gold.py --verifier's output; run by `just
// model-golden` (GREASON_VERIFIER_DIR = the folder, GREASON_VERIFIER_GOLDEN = the JSON).
func TestGeneralVerifierTorchRealShape(t *testing.T) {
	dir, golden := os.Getenv("GREASON_VERIFIER_DIR"), os.Getenv("GREASON_VERIFIER_GOLDEN")
	if dir == "" || golden == "" {
		t.Skip("set GREASON_VERIFIER_DIR and GREASON_VERIFIER_GOLDEN (just model-golden)")
	}
	cfg, err := qwen.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := qwen.Presets()["general-verifier-1.5b"]
	if cfg.NumHiddenLayers != want.NumHiddenLayers || cfg.HiddenSize != want.HiddenSize || cfg.VocabSize != want.VocabSize || cfg.RopeTheta != want.RopeTheta {
		t.Fatalf("%s is not General-Verifier's shape", dir)
	}
	checkAgainstTorch(t, dir, readGolden(t, golden), 1)
}
