package grpo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/greason/greason/model/qwen"
	"github.com/greason/greason/model/safetensors"
)

// Checkpoint files in a run directory: the model (HF layout, loadable by qwen.Load and
// `greason serve`) under model/, and the whole training state (weights, AdamW moments and step)
// in state.safetensors with the loop state in state.json.
const (
	stateFile = "state.safetensors"
	metaFile  = "state.json"
)

// SaveState writes every store variable (weights and optimizer state) to dir/state.safetensors
// and meta (any JSON value: the loop state) to dir/state.json, each atomically, plus the model
// in HF layout under dir/model.
func SaveState(dir string, p *Policy, meta any) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var ts []safetensors.Tensor
	for _, name := range variableNames(p.Model.Store) {
		v := p.Model.Store.GetVariable(name)
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("variable %s: %w", name, err)
		}
		f, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return fmt.Errorf("variable %s: %w", name, err)
		}
		raw, err := safetensors.FromFloat32("F32", f)
		if err != nil {
			return err
		}
		ts = append(ts, safetensors.Tensor{Name: name, DType: "F32", Shape: t.Shape().Dimensions, Data: raw})
	}
	if err := safetensors.WriteFile(filepath.Join(dir, stateFile), ts, nil); err != nil {
		return err
	}
	if err := p.Model.Save(filepath.Join(dir, "model"), 0); err != nil {
		return err
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, metaFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, metaFile))
}

// HasState reports whether dir holds a checkpoint written by SaveState.
func HasState(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, metaFile))
	return err == nil
}

// LoadState restores every variable saved by SaveState into p (weights and optimizer state) and
// decodes the loop state into meta.
func LoadState(dir string, p *Policy, meta any) error {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, meta); err != nil {
		return fmt.Errorf("%s: %w", metaFile, err)
	}
	f, err := safetensors.Open(filepath.Join(dir, stateFile))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, name := range f.Names() {
		info, raw, err := f.Raw(name)
		if err != nil {
			return err
		}
		vals, err := safetensors.ToFloat32(info.DType, raw)
		if err != nil {
			return err
		}
		if err := setFloat32(p.Model.Store, name, info.Shape, vals); err != nil {
			return err
		}
	}
	p.WeightsChanged()
	return nil
}

func setFloat32(s *model.Store, name string, shape []int, vals []float32) error {
	v := s.GetVariable(name)
	if v == nil {
		return fmt.Errorf("checkpoint variable %q unknown to the model", name)
	}
	if !v.Shape().Equal(shapes.Make(dtypes.Float32, shape...)) {
		return fmt.Errorf("checkpoint variable %q has shape %v, model %s", name, shape, v.Shape())
	}
	var t *tensors.Tensor
	if len(shape) == 0 {
		t = tensors.FromScalar(vals[0])
	} else {
		t = tensors.FromFlatDataAndDimensions(vals, shape...)
	}
	return v.SetValue(t)
}

// CloneModel copies m's weights into a new model (e.g. the frozen GRPO reference).
func CloneModel(m *qwen.Model) (*qwen.Model, error) {
	c, err := qwen.NewRandom(m.Config, m.Backend, m.DType, qwen.InitOptions{})
	if err != nil {
		return nil, err
	}
	for _, w := range m.Config.Weights() {
		t, err := m.Store.GetVariable("/" + w.Name).Value()
		if err != nil {
			return nil, err
		}
		tc, err := t.LocalClone()
		if err != nil {
			return nil, err
		}
		if err := c.Store.GetVariable("/" + w.Name).SetValue(tc); err != nil {
			return nil, err
		}
	}
	return c, nil
}
