// Package safetensors reads and writes Hugging Face safetensors files: single files and sharded
// checkpoints with a model.safetensors.index.json. The format is an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}} padded with
// spaces, then the raw little-endian tensor bytes.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
)

// maxHeaderBytes bounds the JSON header, as the reference implementation does (100 MB).
const maxHeaderBytes = 100 << 20

// IndexFile is the name of the shard index of a sharded checkpoint.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded checkpoint.
const SingleFile = "model.safetensors"

// DTypeSize returns the size in bytes of one element of a safetensors dtype, or 0 if unknown.
func DTypeSize(dtype string) int {
	switch dtype {
	case "F64", "I64", "U64":
		return 8
	case "F32", "I32", "U32":
		return 4
	case "F16", "BF16", "I16", "U16":
		return 2
	case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2":
		return 1
	}
	return 0
}

// Info describes one tensor of a file.
type Info struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// NumElements is the product of the shape (1 for a scalar).
func (i Info) NumElements() int64 {
	n := int64(1)
	for _, d := range i.Shape {
		n *= int64(d)
	}
	return n
}

// File is an open safetensors file. Tensor data is read on demand.
type File struct {
	Path     string
	Metadata map[string]string
	infos    map[string]Info
	names    []string
	dataPos  int64
	f        io.ReaderAt
	closer   io.Closer
}

// Open reads and validates the header of a safetensors file.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	file, err := parseHeader(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	file.closer = f
	return file, nil
}

// parseHeader reads the header of the size bytes of r; path names the data in errors.
func parseHeader(path string, r io.ReaderAt, size int64) (*File, error) {
	f := io.NewSectionReader(r, 0, size)
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%s: reading header length: %w", path, err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > maxHeaderBytes || int64(hlen) > size-8 {
		return nil, fmt.Errorf("%s: header length %d is invalid for a file of %d bytes", path, hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, fmt.Errorf("%s: reading header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("%s: header is not a JSON object: %w", path, err)
	}
	file := &File{Path: path, infos: map[string]Info{}, dataPos: 8 + int64(hlen), f: r}
	dataLen := size - file.dataPos
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &file.Metadata); err != nil {
				return nil, fmt.Errorf("%s: __metadata__ must map strings to strings: %w", path, err)
			}
			continue
		}
		var info Info
		if err := json.Unmarshal(msg, &info); err != nil {
			return nil, fmt.Errorf("%s: tensor %q: bad header entry: %w", path, name, err)
		}
		es := DTypeSize(info.DType)
		if es == 0 {
			return nil, fmt.Errorf("%s: tensor %q: unknown dtype %q", path, name, info.DType)
		}
		for _, d := range info.Shape {
			if d < 0 {
				return nil, fmt.Errorf("%s: tensor %q: negative dimension in shape %v", path, name, info.Shape)
			}
		}
		b, e := info.DataOffsets[0], info.DataOffsets[1]
		if b < 0 || e < b || e > dataLen {
			return nil, fmt.Errorf("%s: tensor %q: data_offsets %v outside the %d data bytes", path, name, info.DataOffsets, dataLen)
		}
		if e-b != info.NumElements()*int64(es) {
			return nil, fmt.Errorf("%s: tensor %q: %d bytes for shape %v of %s (want %d)", path, name, e-b, info.Shape, info.DType, info.NumElements()*int64(es))
		}
		file.infos[name] = info
		file.names = append(file.names, name)
	}
	sort.Strings(file.names)
	return file, nil
}

// Names lists the tensor names, sorted.
func (f *File) Names() []string { return f.names }

// Info returns the header entry of a tensor.
func (f *File) Info(name string) (Info, bool) {
	i, ok := f.infos[name]
	return i, ok
}

// Raw reads the bytes of a tensor.
func (f *File) Raw(name string) (Info, []byte, error) {
	info, ok := f.infos[name]
	if !ok {
		return Info{}, nil, fmt.Errorf("%s: no tensor named %q", f.Path, name)
	}
	buf := make([]byte, info.DataOffsets[1]-info.DataOffsets[0])
	if _, err := f.f.ReadAt(buf, f.dataPos+info.DataOffsets[0]); err != nil {
		return Info{}, nil, fmt.Errorf("%s: reading tensor %q: %w", f.Path, name, err)
	}
	return info, buf, nil
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Index is the content of model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata"`
	WeightMap map[string]string `json:"weight_map"`
}

// Checkpoint is a model directory's set of safetensors files, sharded or not.
type Checkpoint struct {
	Dir   string
	files map[string]*File // by file name
	where map[string]string
	names []string
}

// OpenDir opens model.safetensors.index.json (and its shards) if present, else model.safetensors.
func OpenDir(dir string) (*Checkpoint, error) {
	c := &Checkpoint{Dir: dir, files: map[string]*File{}, where: map[string]string{}}
	idxPath := filepath.Join(dir, IndexFile)
	data, err := os.ReadFile(idxPath)
	switch {
	case err == nil:
		var idx Index
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, fmt.Errorf("%s: %w", idxPath, err)
		}
		if len(idx.WeightMap) == 0 {
			return nil, fmt.Errorf("%s: weight_map is empty", idxPath)
		}
		for name, shard := range idx.WeightMap {
			if shard != filepath.Base(shard) {
				c.Close()
				return nil, fmt.Errorf("%s: weight_map[%q] = %q is not a plain file name", idxPath, name, shard)
			}
			f, ok := c.files[shard]
			if !ok {
				if f, err = Open(filepath.Join(dir, shard)); err != nil {
					c.Close()
					return nil, fmt.Errorf("%s: shard of %q: %w", idxPath, name, err)
				}
				c.files[shard] = f
			}
			if _, ok := f.Info(name); !ok {
				c.Close()
				return nil, fmt.Errorf("%s: weight_map says %q is in %s, but that file has no such tensor", idxPath, name, shard)
			}
			c.where[name] = shard
		}
		// A safetensors file or a tensor that the index does not reference would be invisible:
		// an error (transformers, for one, prefers model.safetensors over the index).
		others, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
		if err != nil {
			c.Close()
			return nil, err
		}
		for _, p := range others {
			if _, ok := c.files[filepath.Base(p)]; !ok {
				c.Close()
				return nil, fmt.Errorf("%s: %s is in the directory but weight_map references no tensor in it (remove it or the index)", idxPath, filepath.Base(p))
			}
		}
		for shard, f := range c.files {
			for _, n := range f.Names() {
				if c.where[n] != shard {
					c.Close()
					return nil, fmt.Errorf("%s: %s holds tensor %q that weight_map does not list (or lists in %q)", idxPath, shard, n, c.where[n])
				}
			}
		}
	case os.IsNotExist(err):
		f, err := Open(filepath.Join(dir, SingleFile))
		if err != nil {
			return nil, fmt.Errorf("no %s or %s in %s: %w", IndexFile, SingleFile, dir, err)
		}
		c.files[SingleFile] = f
		for _, n := range f.Names() {
			c.where[n] = SingleFile
		}
	default:
		return nil, err
	}
	for n := range c.where {
		c.names = append(c.names, n)
	}
	sort.Strings(c.names)
	return c, nil
}

// Names lists all tensor names, sorted.
func (c *Checkpoint) Names() []string { return c.names }

// Info returns a tensor's header entry.
func (c *Checkpoint) Info(name string) (Info, bool) {
	shard, ok := c.where[name]
	if !ok {
		return Info{}, false
	}
	return c.files[shard].Info(name)
}

// Raw reads a tensor's bytes.
func (c *Checkpoint) Raw(name string) (Info, []byte, error) {
	shard, ok := c.where[name]
	if !ok {
		return Info{}, nil, fmt.Errorf("%s: checkpoint has no tensor named %q", c.Dir, name)
	}
	return c.files[shard].Raw(name)
}

// Close closes all files.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Tensor is one tensor to write.
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  []byte
}

func (t Tensor) check() error {
	es := DTypeSize(t.DType)
	if es == 0 {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	if len(t.Data) != n*es {
		return fmt.Errorf("tensor %q: %d bytes for shape %v of %s (want %d)", t.Name, len(t.Data), t.Shape, t.DType, n*es)
	}
	return nil
}

// WriteFile writes tensors to path atomically (temp file + rename), in name order.
func WriteFile(path string, ts []Tensor, metadata map[string]string) error {
	ts = append([]Tensor(nil), ts...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	hdr := map[string]any{}
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var off int64
	seen := map[string]bool{}
	for _, t := range ts {
		if err := t.check(); err != nil {
			return err
		}
		if seen[t.Name] || t.Name == "__metadata__" {
			return fmt.Errorf("tensor name %q repeated or reserved", t.Name)
		}
		seen[t.Name] = true
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = Info{DType: t.DType, Shape: shape, DataOffsets: [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	if pad := len(js) % 8; pad != 0 {
		js = append(js, []byte(strings.Repeat(" ", 8-pad))...)
	}
	return WriteAtomic(path, func(w io.Writer) error {
		var lenBuf [8]byte
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(js)))
		if _, err := w.Write(lenBuf[:]); err != nil {
			return err
		}
		if _, err := w.Write(js); err != nil {
			return err
		}
		for _, t := range ts {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteDir writes tensors into dir as model.safetensors, or, when their total size exceeds
// maxShardBytes (> 0), as model-0000i-of-0000n.safetensors shards plus the index file.
// Shards are filled in name order; a tensor larger than maxShardBytes gets a shard of its own.
func WriteDir(dir string, ts []Tensor, maxShardBytes int64) error {
	ts = append([]Tensor(nil), ts...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	var total int64
	for _, t := range ts {
		total += int64(len(t.Data))
	}
	meta := map[string]string{"format": "pt"}
	if maxShardBytes <= 0 || total <= maxShardBytes {
		if err := WriteFile(filepath.Join(dir, SingleFile), ts, meta); err != nil {
			return err
		}
		if err := os.Remove(filepath.Join(dir, IndexFile)); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	var shards [][]Tensor
	var cur []Tensor
	var curBytes int64
	for _, t := range ts {
		if len(cur) > 0 && curBytes+int64(len(t.Data)) > maxShardBytes {
			shards = append(shards, cur)
			cur, curBytes = nil, 0
		}
		cur = append(cur, t)
		curBytes += int64(len(t.Data))
	}
	shards = append(shards, cur)
	idx := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	for i, sh := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := WriteFile(filepath.Join(dir, name), sh, meta); err != nil {
			return err
		}
		for _, t := range sh {
			idx.WeightMap[t.Name] = name
		}
	}
	js, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	if err := WriteAtomic(filepath.Join(dir, IndexFile), func(w io.Writer) error { _, err := w.Write(js); return err }); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, SingleFile)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// writeAtomic writes a file through a temporary file in the same directory and renames it.
func WriteAtomic(path string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return nil
}

// ToFloat32 decodes F32, BF16, F16 or F64 bytes to float32.
func ToFloat32(dtype string, data []byte) ([]float32, error) {
	switch dtype {
	case "F32":
		out := make([]float32, len(data)/4)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		return out, nil
	case "BF16":
		out := make([]float32, len(data)/2)
		for i := range out {
			out[i] = bfloat16.BFloat16(binary.LittleEndian.Uint16(data[2*i:])).Float32()
		}
		return out, nil
	case "F16":
		out := make([]float32, len(data)/2)
		for i := range out {
			out[i] = float16.Float16(binary.LittleEndian.Uint16(data[2*i:])).Float32()
		}
		return out, nil
	case "F64":
		out := make([]float32, len(data)/8)
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:])))
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot convert dtype %q to float32", dtype)
}

// FromFloat32 encodes float32 values as F32 or BF16 (round to nearest even) bytes.
func FromFloat32(dtype string, v []float32) ([]byte, error) {
	switch dtype {
	case "F32":
		out := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		}
		return out, nil
	case "BF16":
		out := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(bfloat16.FromFloat32(x)))
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot encode float32 as dtype %q", dtype)
}
