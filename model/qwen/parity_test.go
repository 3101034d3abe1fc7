package qwen

import (
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
)

// TestBackendParity compares the logits of the tiny presets (Qwen2 and Qwen3 with the real
// vocabulary, random weights with every norm and bias perturbed) computed on the backend named by
// $GREASON_PARITY_BACKEND (scripts/gpu-check.sh sets it to the XLA CUDA plugin) with the pure-Go
// CPU backend's. The tolerance, relative to the largest |logit|, is $GREASON_PARITY_TOL (default
// 5e-3: XLA may compute float32 products with TF32's 10-bit mantissa on a GPU). Skipped when the
// variable is unset.
func TestBackendParity(t *testing.T) {
	name := os.Getenv("GREASON_PARITY_BACKEND")
	if name == "" {
		t.Skip("GREASON_PARITY_BACKEND is not set (scripts/gpu-check.sh sets it)")
	}
	tol := 5e-3
	if s := os.Getenv("GREASON_PARITY_TOL"); s != "" {
		var err error
		if tol, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("GREASON_PARITY_TOL=%q: %v", s, err)
		}
	}
	dev, err := compute.NewWithConfig(name)
	if err != nil {
		t.Fatalf("backend %q: %v", name, err)
	}
	cpu, err := compute.NewWithConfig(DefaultBackendConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("device backend: %s", dev.Description())
	batch := LeftPad([][]int{{151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30}, {9707, 11, 1879}, {16, 17, 18, 19, 20, 21}}, 0, 0)
	for _, preset := range []string{"tiny-qwen2", "tiny-qwen3"} {
		cfg := Presets()[preset]
		var logits [2][][][]float32
		for i, b := range []compute.Backend{cpu, dev} {
			m, err := NewRandom(cfg, b, dtypes.Float32, InitOptions{Seed: 7, Std: 0.1, PerturbNorms: true})
			if err != nil {
				t.Fatal(err)
			}
			if logits[i], err = m.Logits(batch); err != nil {
				t.Fatalf("%s on %s: %v", preset, b.Name(), err)
			}
		}
		diff, scale := 0.0, 0.0
		for r := range batch.Tokens {
			for p, ok := range batch.Mask[r] {
				if !ok {
					continue
				}
				for v, want := range logits[0][r][p] {
					diff = math.Max(diff, math.Abs(float64(logits[1][r][p][v]-want)))
					scale = math.Max(scale, math.Abs(float64(want)))
				}
			}
		}
		t.Logf("%s: max |Δlogit| = %.3g, max |logit| = %.3g (relative %.3g, tolerance %.3g)", preset, diff, scale, diff/scale, tol)
		if diff > tol*scale || math.IsNaN(diff) {
			t.Errorf("%s: logits on %s differ from the CPU's by %.3g (relative %.3g > %.3g)", preset, name, diff, diff/scale, tol)
		}
	}
}
