package qwen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	_ "github.com/gomlx/gomlx/backends/default" // registers the pure-Go backend (and XLA without -tags noxla)
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/model/safetensors"
)

func shapeInt32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

// DefaultBackendConfig is used when $GOMLX_BACKEND is unset: the pure-Go CPU backend, which
// never tries to download an XLA plugin.
const DefaultBackendConfig = "go:ops_sequential"

// NewBackend returns the backend selected by $GOMLX_BACKEND (e.g. "go:ops_sequential" on CPU,
// "xla:/abs/path/xla_cuda_plugin.so" on GPU), or DefaultBackendConfig when it is unset.
func NewBackend() (compute.Backend, error) {
	if os.Getenv("GOMLX_BACKEND") == "" {
		return compute.NewWithConfig(DefaultBackendConfig)
	}
	return compute.New()
}

// DTypeOf maps "float32"/"F32"/"bfloat16"/"BF16" to a dtype.
func DTypeOf(name string) (dtypes.DType, error) {
	switch name {
	case "float32", "F32", "f32", "fp32":
		return dtypes.Float32, nil
	case "bfloat16", "BF16", "bf16":
		return dtypes.BFloat16, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("unsupported dtype %q (want float32 or bfloat16)", name)
}

func stDType(dt dtypes.DType) string {
	if dt == dtypes.BFloat16 {
		return "BF16"
	}
	return "F32"
}

// Model is a Qwen2/Qwen3 model: config, weights in a model.Store (HF names, e.g.
// "/model.layers.0.self_attn.q_proj.weight"), and compiled executors for inference.
type Model struct {
	Config  *Config
	Store   *model.Store
	Backend compute.Backend
	DType   dtypes.DType

	mu         sync.Mutex
	forward    *model.Exec
	step       *model.Exec
	stepInputs *model.Exec    // decoding with the weights as graph inputs (GenerateOptions.WeightsAsInputs)
	native     *nativeWeights // bfloat16 weights of the native decoder (GenerateOptions.DecodeDType)
}

func newModel(cfg *Config, backend compute.Backend, dt dtypes.DType) *Model {
	return &Model{Config: cfg, Store: model.NewStore(), Backend: backend, DType: dt}
}

// Load reads dir/config.json and the safetensors weights (single or sharded) as dtype dt
// (float32 or bfloat16; weights are converted when the file's dtype differs). Every tensor of
// the checkpoint must be one the config uses: a tensor the model would ignore (an o_proj.bias
// under a config without attention_bias, a layer beyond num_hidden_layers, ...) is an error
// naming it. The one exception is lm_head.weight in a tied checkpoint when it equals
// model.embed_tokens.weight bit for bit (some exporters write both).
func Load(dir string, backend compute.Backend, dt dtypes.DType) (*Model, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	// Names and shapes first (headers only), so a mismatch fails before gigabytes are read.
	for _, w := range cfg.Weights() {
		info, ok := ck.Info(w.Name)
		if !ok {
			return nil, fmt.Errorf("%s: missing tensor %q required by config.json (model_type %s)", dir, w.Name, cfg.ModelType)
		}
		if !sameShape(info.Shape, w.Shape) {
			return nil, fmt.Errorf("%s: tensor %q has shape %v, config.json implies %v", dir, w.Name, info.Shape, w.Shape)
		}
	}
	if err := checkUnused(dir, cfg, ck); err != nil {
		return nil, err
	}
	m := newModel(cfg, backend, dt)
	for _, w := range cfg.Weights() {
		info, raw, err := ck.Raw(w.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		want := stDType(dt)
		if info.DType != want {
			f, err := safetensors.ToFloat32(info.DType, raw)
			if err != nil {
				return nil, fmt.Errorf("%s: tensor %q: %w", dir, w.Name, err)
			}
			if raw, err = safetensors.FromFloat32(want, f); err != nil {
				return nil, err
			}
		}
		if err := m.setRaw(w.Name, w.Shape, raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// maxNamed bounds how many unused tensor names an error lists.
const maxNamed = 20

// checkUnused fails when the checkpoint holds tensors that cfg does not use.
func checkUnused(dir string, cfg *Config, ck *safetensors.Checkpoint) error {
	used := map[string]bool{}
	for _, w := range cfg.Weights() {
		used[w.Name] = true
	}
	var unused []string
	for _, n := range ck.Names() {
		if used[n] {
			continue
		}
		if n == "lm_head.weight" && cfg.TieWordEmbeddings {
			same, err := sameTensor(ck, n, "model.embed_tokens.weight")
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			if same {
				continue
			}
			return fmt.Errorf("%s: config.json has tie_word_embeddings=true but the checkpoint's lm_head.weight differs from model.embed_tokens.weight (it would be ignored); set tie_word_embeddings to false or remove lm_head.weight", dir)
		}
		unused = append(unused, n)
	}
	if len(unused) == 0 {
		return nil
	}
	shown := unused
	if len(shown) > maxNamed {
		shown = shown[:maxNamed]
	}
	more := ""
	if len(unused) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(unused)-len(shown))
	}
	bias := "q/k/v biases"
	if cfg.ModelType == "qwen3" {
		bias = fmt.Sprintf("attention_bias %v", cfg.AttentionBias != nil && *cfg.AttentionBias)
	}
	return fmt.Errorf("%s: %d checkpoint tensor(s) not used by config.json (model_type %s, %s, tie_word_embeddings %v, %d layers): %s%s",
		dir, len(unused), cfg.ModelType, bias, cfg.TieWordEmbeddings, cfg.NumHiddenLayers, strings.Join(shown, ", "), more)
}

// sameTensor reports whether two tensors have the same dtype, shape and bytes.
func sameTensor(ck *safetensors.Checkpoint, a, b string) (bool, error) {
	ia, ra, err := ck.Raw(a)
	if err != nil {
		return false, err
	}
	ib, rb, err := ck.Raw(b)
	if err != nil {
		return false, err
	}
	return ia.DType == ib.DType && sameShape(ia.Shape, ib.Shape) && bytes.Equal(ra, rb), nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (m *Model) setRaw(name string, shape []int, raw []byte) error {
	t := tensors.FromShape(shapes.Make(m.DType, shape...))
	var n int
	if err := t.MutableBytes(func(data []byte) { n = copy(data, raw) }); err != nil {
		return err
	}
	if n != len(raw) {
		return fmt.Errorf("tensor %q: %d bytes for shape %v", name, len(raw), shape)
	}
	_, err := m.Store.CreateVariable("/"+name, t)
	return err
}

// InitOptions control random initialisation.
type InitOptions struct {
	Seed uint64
	// Std of the normal init of embeddings and linear weights (HF initializer_range); 0 uses
	// config.initializer_range or 0.02.
	Std float64
	// PerturbNorms draws norm weights as 1+N(0, 0.1) and biases as N(0, Std) instead of 1 and 0,
	// so tests exercise every weight.
	PerturbNorms bool
}

// NewRandom creates a model with random weights, reproducible from opts.Seed (host-side PCG, the
// same on every backend).
func NewRandom(cfg *Config, backend compute.Backend, dt dtypes.DType, opts InitOptions) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	std := opts.Std
	if std == 0 {
		std = cfg.InitializerRange
	}
	if std == 0 {
		std = 0.02
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	m := newModel(cfg, backend, dt)
	for _, w := range cfg.Weights() {
		n := 1
		for _, d := range w.Shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			if i%1024 == 0 {
				clearUpper() // NormFloat64 calls math.Exp, slow with dirty vector registers (native_kernels_simd_amd64.go)
			}
			switch {
			case w.Kind == "norm" && opts.PerturbNorms:
				v[i] = float32(1 + 0.1*r.NormFloat64())
			case w.Kind == "norm":
				v[i] = 1
			case w.Kind == "bias" && !opts.PerturbNorms:
				v[i] = 0
			default:
				v[i] = float32(std * r.NormFloat64())
			}
		}
		raw, err := safetensors.FromFloat32(stDType(dt), v)
		if err != nil {
			return nil, err
		}
		if err := m.setRaw(w.Name, w.Shape, raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Save writes config.json and the weights (sharded when larger than maxShardBytes > 0) to dir,
// each file atomically. The config's torch_dtype is set to the model's dtype.
func (m *Model) Save(dir string, maxShardBytes int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var ts []safetensors.Tensor
	for _, w := range m.Config.Weights() {
		v := m.Store.GetVariable("/" + w.Name)
		if v == nil {
			return fmt.Errorf("variable %q missing from the store", w.Name)
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("variable %q: %w", w.Name, err)
		}
		var raw []byte
		if err := t.ConstBytes(func(data []byte) { raw = append([]byte(nil), data...) }); err != nil {
			return err
		}
		ts = append(ts, safetensors.Tensor{Name: w.Name, DType: stDType(t.DType()), Shape: w.Shape, Data: raw})
	}
	if err := safetensors.WriteDir(dir, ts, maxShardBytes); err != nil {
		return err
	}
	cfg := *m.Config
	cfg.TorchDType = map[dtypes.DType]string{dtypes.Float32: "float32", dtypes.BFloat16: "bfloat16"}[m.DType]
	return cfg.Save(dir)
}

// WeightsChanged must be called after the store's variables are modified outside this
// Model's own executors (e.g. by a training step): the pure-Go backend embeds variables as
// constants in inference graphs (Capabilities().PreferConstantsForVariables), so compiled
// graphs keep the old weights until they are dropped and rebuilt.
func (m *Model) WeightsChanged() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range []*model.Exec{m.forward, m.step, m.stepInputs} {
		if e != nil {
			e.Finalize()
		}
	}
	m.forward, m.step, m.stepInputs = nil, nil, nil
	m.native = nil
}

// NumParameters counts the weights.
func (m *Model) NumParameters() int { return m.Store.NumParameters() }

// Positions returns RoPE positions for left-padded rows: 0 at each row's first real token,
// counting up; padding positions get 0.
func Positions(mask [][]bool) [][]int32 {
	out := make([][]int32, len(mask))
	for b, row := range mask {
		out[b] = make([]int32, len(row))
		p := int32(0)
		for t, ok := range row {
			if ok {
				out[b][t] = p
				p++
			}
		}
	}
	return out
}

// Batch is a left-padded batch of token rows ready for Forward.
type Batch struct {
	Tokens    [][]int32
	Positions [][]int32
	Mask      [][]bool
}

// LeftPad pads rows on the left to length T (0 means the longest row) with pad tokens.
func LeftPad(rows [][]int, T int, pad int) Batch {
	for _, r := range rows {
		T = max(T, len(r))
	}
	b := Batch{Tokens: make([][]int32, len(rows)), Mask: make([][]bool, len(rows))}
	for i, r := range rows {
		b.Tokens[i] = make([]int32, T)
		b.Mask[i] = make([]bool, T)
		off := T - len(r)
		for t := 0; t < off; t++ {
			b.Tokens[i][t] = int32(pad)
		}
		for t, id := range r {
			b.Tokens[i][off+t] = int32(id)
			b.Mask[i][off+t] = true
		}
	}
	b.Positions = Positions(b.Mask)
	return b
}

// Logits runs the full forward pass (no cache) on a left-padded batch and returns float32
// logits [B][T][V].
func (m *Model) Logits(b Batch) ([][][]float32, error) {
	m.mu.Lock()
	if m.forward == nil {
		e, err := model.NewExec(m.Backend, m.Store, func(scope *model.Scope, tokens, positions, mask *graph.Node) *graph.Node {
			return Forward(scope, m.Config, tokens, positions, mask)
		})
		if err != nil {
			m.mu.Unlock()
			return nil, err
		}
		m.forward = e
	}
	e := m.forward
	m.mu.Unlock()
	out, err := e.Call(b.Tokens, b.Positions, b.Mask)
	if err != nil {
		return nil, err
	}
	f, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	B, T, V := len(b.Tokens), len(b.Tokens[0]), m.Config.VocabSize
	res := make([][][]float32, B)
	for i := range res {
		res[i] = make([][]float32, T)
		for t := range res[i] {
			res[i][t] = f[(i*T+t)*V : (i*T+t+1)*V]
		}
	}
	return res, nil
}
