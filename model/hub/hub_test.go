package hub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeHub struct {
	mu      sync.Mutex
	files   map[string][]byte
	lfs     map[string]bool
	badSum  map[string]bool
	cutOnce map[string]bool // first full GET of these files is cut in the middle
	ranges  []string
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/api/models/org/tiny/revision/main") {
		var sib []map[string]any
		for name, data := range h.files {
			e := map[string]any{"rfilename": name, "size": len(data)}
			if h.lfs[name] {
				sum := sha256.Sum256(data)
				hexs := hex.EncodeToString(sum[:])
				if h.badSum[name] {
					hexs = strings.Repeat("0", 64)
				}
				e["lfs"] = map[string]any{"sha256": hexs, "size": len(data)}
			} else {
				s := sha1.New()
				fmt.Fprintf(s, "blob %d\x00", len(data))
				s.Write(data)
				e["blobId"] = hex.EncodeToString(s.Sum(nil))
			}
			sib = append(sib, e)
		}
		json.NewEncoder(w).Encode(map[string]any{"sha": "abc123", "siblings": sib})
		return
	}
	const prefix = "/org/tiny/resolve/abc123/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, prefix)
	data, ok := h.files[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.ranges = append(h.ranges, name+":"+r.Header.Get("Range"))
	if h.cutOnce[name] && r.Header.Get("Range") == "" {
		delete(h.cutOnce, name)
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func newFake() *fakeHub {
	big := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	return &fakeHub{
		files:   map[string][]byte{"config.json": []byte(`{"model_type":"qwen3"}`), "model.safetensors": big, "sub/tokenizer.json": []byte("{}")},
		lfs:     map[string]bool{"model.safetensors": true},
		badSum:  map[string]bool{},
		cutOnce: map[string]bool{},
	}
}

func TestPullResumeAfterCut(t *testing.T) {
	fh := newFake()
	fh.cutOnce["model.safetensors"] = true
	srv := httptest.NewServer(fh)
	defer srv.Close()
	dir := t.TempDir()
	opts := Options{Endpoint: srv.URL}
	err := Pull(context.Background(), "org/tiny", dir, opts)
	if err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Fatalf("first pull should fail on the cut download, got %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "model.safetensors.part"))
	if err != nil || st.Size() == 0 {
		t.Fatalf("expected a partial file: %v", err)
	}
	cut := st.Size()
	if err := Pull(context.Background(), "org/tiny", dir, opts); err != nil {
		t.Fatal(err)
	}
	for name, want := range fh.files {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: content differs (%v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors.part")); !os.IsNotExist(err) {
		t.Fatal(".part file left behind")
	}
	resumed := false
	for _, r := range fh.ranges {
		if r == fmt.Sprintf("model.safetensors:bytes=%d-", cut) {
			resumed = true
		}
	}
	if !resumed {
		t.Fatalf("no Range request from byte %d: %v", cut, fh.ranges)
	}
	// A third pull finds everything up to date and downloads nothing.
	n := len(fh.ranges)
	if err := Pull(context.Background(), "org/tiny", dir, opts); err != nil {
		t.Fatal(err)
	}
	if len(fh.ranges) != n {
		t.Fatalf("up-to-date pull downloaded again: %v", fh.ranges[n:])
	}
}

func TestPullChecksumMismatch(t *testing.T) {
	fh := newFake()
	fh.badSum["model.safetensors"] = true
	srv := httptest.NewServer(fh)
	defer srv.Close()
	dir := t.TempDir()
	err := Pull(context.Background(), "org/tiny", dir, Options{Endpoint: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("want a checksum error, got %v", err)
	}
	for _, n := range []string{"model.safetensors", "model.safetensors.part"} {
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Fatalf("%s should not exist after a checksum mismatch", n)
		}
	}
	// A corrupted non-LFS file (git blob sha1) is also detected when re-pulled.
	fh.badSum = map[string]bool{}
	if err := Pull(context.Background(), "org/tiny", dir, Options{Endpoint: srv.URL}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("tampered"), 0o644)
	if err := Pull(context.Background(), "org/tiny", dir, Options{Endpoint: srv.URL}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if string(got) != `{"model_type":"qwen3"}` {
		t.Fatalf("tampered file not replaced: %q", got)
	}
}

func TestPullOfflineFailsFast(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	start := time.Now()
	err := Pull(context.Background(), "org/tiny", t.TempDir(), Options{Endpoint: url})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Fatalf("want a clear offline error, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("offline failure took %v", time.Since(start))
	}
	if err := Pull(context.Background(), "not-a-repo", t.TempDir(), Options{Endpoint: url}); err == nil || !strings.Contains(err.Error(), "ORG/NAME") {
		t.Fatalf("bad repo id: %v", err)
	}
}

func TestPullRejectsUnsafeNames(t *testing.T) {
	fh := newFake()
	fh.files["../escape.txt"] = []byte("x")
	srv := httptest.NewServer(fh)
	defer srv.Close()
	err := Pull(context.Background(), "org/tiny", t.TempDir(), Options{Endpoint: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "unsafe") {
		t.Fatalf("want an unsafe-name error, got %v", err)
	}
}
