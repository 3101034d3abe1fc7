package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func randTensors(r *rand.Rand) []Tensor {
	mk := func(name, dtype string, shape ...int) Tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		data, err := FromFloat32(dtype, v)
		if err != nil {
			panic(err)
		}
		return Tensor{Name: name, DType: dtype, Shape: shape, Data: data}
	}
	return []Tensor{
		mk("model.embed_tokens.weight", "F32", 17, 8),
		mk("model.layers.0.self_attn.q_proj.weight", "BF16", 8, 8),
		mk("model.layers.0.self_attn.q_proj.bias", "F32", 8),
		mk("model.norm.weight", "BF16", 8),
		mk("scalar", "F32"),
	}
}

func checkSame(t *testing.T, c *Checkpoint, want []Tensor) {
	t.Helper()
	if len(c.Names()) != len(want) {
		t.Fatalf("got %d tensors %v, want %d", len(c.Names()), c.Names(), len(want))
	}
	for _, w := range want {
		info, data, err := c.Raw(w.Name)
		if err != nil {
			t.Fatal(err)
		}
		if info.DType != w.DType || len(info.Shape) != len(w.Shape) || !bytes.Equal(data, w.Data) {
			t.Fatalf("%s: got %s %v (%d bytes), want %s %v (%d bytes)", w.Name, info.DType, info.Shape, len(data), w.DType, w.Shape, len(w.Data))
		}
		for i := range w.Shape {
			if info.Shape[i] != w.Shape[i] {
				t.Fatalf("%s: shape %v, want %v", w.Name, info.Shape, w.Shape)
			}
		}
	}
}

func TestRoundTripSingleAndSharded(t *testing.T) {
	ts := randTensors(rand.New(rand.NewPCG(1, 2)))
	for _, shard := range []int64{0, 300} {
		dir := t.TempDir()
		if err := WriteDir(dir, ts, shard); err != nil {
			t.Fatal(err)
		}
		_, errIdx := os.Stat(filepath.Join(dir, IndexFile))
		if (shard > 0) != (errIdx == nil) {
			t.Fatalf("shard=%d: index present=%v", shard, errIdx == nil)
		}
		if shard > 0 {
			m, _ := filepath.Glob(filepath.Join(dir, "model-*-of-*.safetensors"))
			if len(m) < 2 {
				t.Fatalf("expected several shards, got %v", m)
			}
		}
		c, err := OpenDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, c, ts)
		c.Close()
		// No temp files left behind.
		left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		if len(left) > 0 {
			t.Fatalf("temporary files left: %v", left)
		}
	}
}

func TestFloatConversions(t *testing.T) {
	v := []float32{0, 1, -2.5, 3.140625, 1e-3}
	for _, dt := range []string{"F32", "BF16"} {
		b, err := FromFloat32(dt, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ToFloat32(dt, b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range v {
			tol := float32(0)
			if dt == "BF16" {
				tol = 0.004 * max(1, abs32(v[i]))
			}
			if abs32(back[i]-v[i]) > tol {
				t.Fatalf("%s: %v -> %v", dt, v[i], back[i])
			}
		}
	}
	// Known BF16 bit patterns: 1.0 = 0x3f80, -2.0 = 0xc000.
	b, _ := FromFloat32("BF16", []float32{1, -2})
	if binary.LittleEndian.Uint16(b) != 0x3f80 || binary.LittleEndian.Uint16(b[2:]) != 0xc000 {
		t.Fatalf("bf16 bits: % x", b)
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	ts := randTensors(rand.New(rand.NewPCG(3, 4)))
	path := filepath.Join(dir, SingleFile)
	if err := WriteFile(path, ts, nil); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)

	write := func(b []byte) string {
		p := filepath.Join(dir, "bad.safetensors")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string][]byte{
		"truncated":   data[:len(data)-4],
		"huge header": append([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, data[8:]...),
		"short":       data[:5],
	}
	hdrLen := binary.LittleEndian.Uint64(data)
	bad := bytes.Clone(data)
	copy(bad[8:8+hdrLen], bytes.Replace(bad[8:8+hdrLen], []byte(`"F32"`), []byte(`"X32"`), 1))
	cases["bad dtype"] = bad
	for name, b := range cases {
		if _, err := Open(write(b)); err == nil {
			t.Errorf("%s: expected an error", name)
		} else if !strings.Contains(err.Error(), "bad.safetensors") {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	// Index that points at a tensor missing from its shard.
	d2 := t.TempDir()
	if err := WriteDir(d2, ts, 300); err != nil {
		t.Fatal(err)
	}
	idx, _ := os.ReadFile(filepath.Join(d2, IndexFile))
	idx = bytes.Replace(idx, []byte(`"model.norm.weight"`), []byte(`"model.missing.weight"`), 1)
	os.WriteFile(filepath.Join(d2, IndexFile), idx, 0o644)
	if _, err := OpenDir(d2); err == nil || !strings.Contains(err.Error(), "model.missing.weight") {
		t.Fatalf("expected an error naming the missing tensor, got %v", err)
	}
	// Index that omits a tensor stored in a shard: the tensor would be invisible.
	d3 := t.TempDir()
	if err := WriteDir(d3, ts, 300); err != nil {
		t.Fatal(err)
	}
	var ix Index
	data3, _ := os.ReadFile(filepath.Join(d3, IndexFile))
	if err := json.Unmarshal(data3, &ix); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ hidden, want string }{
		{"model.layers.0.self_attn.q_proj.bias", "does not list"},   // shares its shard with listed tensors
		{"model.embed_tokens.weight", "references no tensor in it"}, // alone in its shard
	} {
		ix2 := Index{Metadata: ix.Metadata, WeightMap: map[string]string{}}
		for k, v := range ix.WeightMap {
			if k != tc.hidden {
				ix2.WeightMap[k] = v
			}
		}
		data, _ := json.Marshal(ix2)
		os.WriteFile(filepath.Join(d3, IndexFile), data, 0o644)
		if _, err := OpenDir(d3); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("index without %s: want an error %q, got %v", tc.hidden, tc.want, err)
		}
	}
	// A model.safetensors next to an index is ambiguous.
	os.WriteFile(filepath.Join(d3, IndexFile), data3, 0o644)
	if err := WriteFile(filepath.Join(d3, SingleFile), ts, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(d3); err == nil || !strings.Contains(err.Error(), SingleFile) {
		t.Errorf("model.safetensors beside the index: got %v", err)
	}
	if _, err := OpenDir(t.TempDir()); err == nil {
		t.Fatal("expected an error for an empty directory")
	}
	c, _ := OpenDir(dir)
	defer c.Close()
	if _, _, err := c.Raw("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing tensor error: %v", err)
	}
}

// FuzzOpen: arbitrary bytes never panic the reader; whatever opens reads back consistently.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "seed.safetensors")
	if err := WriteFile(good, randTensors(rand.New(rand.NewPCG(5, 6))), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	data, _ := os.ReadFile(good)
	f.Add(data)
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, '{', '}'})
	f.Add([]byte(`xxxxxxxx{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := parseHeader("fuzz", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		defer file.Close()
		for _, n := range file.Names() {
			info, raw, err := file.Raw(n)
			if err != nil {
				t.Fatalf("%s: listed but unreadable: %v", n, err)
			}
			if int64(len(raw)) != info.DataOffsets[1]-info.DataOffsets[0] {
				t.Fatalf("%s: %d bytes for offsets %v", n, len(raw), info.DataOffsets)
			}
		}
	})
}
