package hfhub

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// server serves files under /org/repo/resolve/main/ with Range support; the first full GET of
// a name in cut is cut after half the body.
type server struct {
	mu     sync.Mutex
	files  map[string][]byte
	cut    map[string]bool
	ranges []string
	auth   []string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	const prefix = "/org/repo/resolve/main/"
	name, ok := strings.CutPrefix(r.URL.Path, prefix)
	data, found := s.files[name]
	if !ok || !found {
		http.Error(w, `{"error":"Entry not found"}`, http.StatusNotFound)
		return
	}
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	if s.cut[name] && r.Header.Get("Range") == "" {
		delete(s.cut, name)
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func blobSHA1(b []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(b))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func setup(t *testing.T, files map[string][]byte) (*server, *Client, *bytes.Buffer) {
	t.Helper()
	s := &server{files: files, cut: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	var log bytes.Buffer
	return s, New(Client{Endpoint: srv.URL + "/", Token: "tok", Log: &log}), &log
}

func fileFor(c *Client, name string, data []byte) File {
	return File{Name: name, URL: c.ResolveURL(Model, "org/repo", "main", name), Size: int64(len(data)), SHA256: sha256Hex(data)}
}

func TestResumeAfterPartialFile(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 8192)
	s, c, log := setup(t, map[string][]byte{"sub/w.bin": data})
	s.cut["sub/w.bin"] = true
	dir := t.TempDir()
	var barBytes int64
	c.Bar = func(desc string, total int64) (io.Writer, func()) {
		return writerFunc(func(p []byte) (int, error) { barBytes += int64(len(p)); return len(p), nil }), func() {}
	}
	f := fileFor(c, "sub/w.bin", data)
	_, err := c.Download(context.Background(), dir, f)
	if err == nil || !strings.Contains(err.Error(), "sub/w.bin") || !strings.Contains(err.Error(), "run pull again to resume") {
		t.Fatalf("cut download: want an error naming the file and saying how to resume, got %v", err)
	}
	part := filepath.Join(dir, "sub", "w.bin.part")
	st, err := os.Stat(part)
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file: %v %v", st, err)
	}
	have := st.Size()
	p, err := c.Download(context.Background(), dir, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content differs (%v)", err)
	}
	if p != filepath.Join(dir, "sub", "w.bin") {
		t.Errorf("path %s", p)
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf(".part file left behind")
	}
	if last := s.ranges[len(s.ranges)-1]; last != fmt.Sprintf("bytes=%d-", have) {
		t.Errorf("second download did not resume at byte %d: Range %q", have, last)
	}
	if want := int64(len(data)); barBytes < want-have || barBytes > want {
		t.Errorf("progress bar saw %d bytes", barBytes)
	}
	for _, a := range s.auth {
		if a != "Bearer tok" {
			t.Errorf("Authorization %q", a)
		}
	}
	if !strings.Contains(log.String(), "resuming at byte") || !strings.Contains(log.String(), "sha256 ok") {
		t.Errorf("log:\n%s", log.String())
	}
	if strings.Contains(log.String(), "tok") {
		t.Errorf("token logged:\n%s", log.String())
	}

	// A partial file that is already complete: the server answers 416 and it is kept.
	os.Rename(p, part)
	if _, err := c.Download(context.Background(), dir, f); err != nil {
		t.Fatalf("complete .part: %v", err)
	}
	// A partial file longer than the listing is dropped and the file fetched again.
	os.Remove(p)
	os.WriteFile(part, append(append([]byte{}, data...), 'x'), 0o644)
	if _, err := c.Download(context.Background(), dir, f); err != nil {
		t.Fatalf("oversized .part: %v", err)
	}
	if last := s.ranges[len(s.ranges)-1]; last != "" {
		t.Errorf("oversized .part resumed: Range %q", last)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestChecksumMismatchNamesFile(t *testing.T) {
	data := []byte(`{"model_type":"qwen3"}`)
	_, c, _ := setup(t, map[string][]byte{"config.json": data})
	dir := t.TempDir()
	for _, f := range []File{
		{Name: "config.json", URL: c.ResolveURL(Model, "org/repo", "main", "config.json"), Size: int64(len(data)), SHA256: strings.Repeat("0", 64)},
		{Name: "config.json", URL: c.ResolveURL(Model, "org/repo", "main", "config.json"), Size: int64(len(data)), BlobSHA1: strings.Repeat("0", 40)},
	} {
		_, err := c.Download(context.Background(), dir, f)
		if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "config.json") {
			t.Fatalf("want a checksum mismatch naming config.json, got %v", err)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
			t.Fatalf("files left after a checksum mismatch: %v", m)
		}
	}
	// The right git blob sha1 passes, and a tampered file is replaced.
	f := File{Name: "config.json", URL: c.ResolveURL(Model, "org/repo", "main", "config.json"), Size: int64(len(data)), BlobSHA1: blobSHA1(data)}
	p, err := c.Download(context.Background(), dir, f)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte(`{"model_type":"qwen2"}`), 0o644)
	if _, err := c.Download(context.Background(), dir, f); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Fatalf("tampered file not replaced: %q", got)
	}
	// Too few bytes for the listing: an error, the partial file kept for a resume.
	f.Size++
	f.BlobSHA1 = ""
	os.Remove(p)
	if _, err := c.Download(context.Background(), dir, f); err == nil || !strings.Contains(err.Error(), "the listing says") {
		t.Fatalf("short file: %v", err)
	}
}

func TestOfflineCacheHit(t *testing.T) {
	data := []byte("weights")
	_, c, _ := setup(t, map[string][]byte{"w.bin": data})
	dir := t.TempDir()
	f := fileFor(c, "w.bin", data)
	if _, err := c.Download(context.Background(), dir, f); err != nil {
		t.Fatal(err)
	}
	// The same file from an endpoint where nothing listens: no request, no error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var log bytes.Buffer
	off := New(Client{Endpoint: "http://" + addr, Log: &log, OfflineHint: "use local files"})
	f.URL = off.ResolveURL(Model, "org/repo", "main", "w.bin")
	if p, err := off.Download(context.Background(), dir, f); err != nil || p != filepath.Join(dir, "w.bin") {
		t.Fatalf("cached file offline: %q %v", p, err)
	}
	if !strings.Contains(log.String(), "up to date") {
		t.Errorf("log: %q", log.String())
	}
	// A file not in the cache: a fast, clear offline error with the caller's hint.
	start := time.Now()
	g := File{Name: "other.bin", URL: off.ResolveURL(Model, "org/repo", "main", "other.bin"), Size: 3}
	_, err = off.Download(context.Background(), dir, g)
	if err == nil || !strings.Contains(err.Error(), "cannot reach http://"+addr+" (offline? use local files)") || !strings.Contains(err.Error(), "other.bin") {
		t.Fatalf("want a clear offline error, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("offline failure took %v", d)
	}
	// A cancelled context is not reported as offline.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := off.Download(ctx, dir, g); err == nil || strings.Contains(err.Error(), "offline") {
		t.Errorf("cancelled: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	_, c, _ := setup(t, map[string][]byte{})
	dir := t.TempDir()
	f := File{Name: "missing.safetensors", URL: c.ResolveURL(Model, "org/repo", "main", "missing.safetensors"), Size: 10}
	_, err := c.Download(context.Background(), dir, f)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"download missing.safetensors", "HTTP 404 Not Found", "Entry not found", f.URL, "check the repository"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("404 error %q lacks %q", err, want)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("files left after a 404: %v", m)
	}
	var v any
	if err := c.GetJSON(context.Background(), c.Endpoint+"/api/nothing", &v); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("GetJSON 404: %v", err)
	}
}

func TestNamesAndURLs(t *testing.T) {
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", `a\b`} {
		if err := CheckName(bad); err == nil || !strings.Contains(err.Error(), "unsafe") {
			t.Errorf("CheckName(%q) = %v", bad, err)
		}
		if _, err := New(Client{Endpoint: "http://127.0.0.1:1"}).Download(context.Background(), t.TempDir(), File{Name: bad}); err == nil {
			t.Errorf("Download accepted %q", bad)
		}
	}
	for _, bad := range []string{"x", "a/b/c", "../b", "a/ b", "/b"} {
		if err := ValidRepo(bad); err == nil || !strings.Contains(err.Error(), "ORG/NAME") {
			t.Errorf("ValidRepo(%q) = %v", bad, err)
		}
	}
	c := New(Client{Endpoint: "https://hf.example/"})
	if got, want := c.ResolveURL(Dataset, "o/r", "refs/pr/1", "data/a b.parquet"), "https://hf.example/datasets/o/r/resolve/refs%2Fpr%2F1/data/a%20b.parquet"; got != want {
		t.Errorf("dataset URL %s, want %s", got, want)
	}
	if got, want := c.ResolveURL(Model, "o/r", "main", "model.safetensors"), "https://hf.example/o/r/resolve/main/model.safetensors"; got != want {
		t.Errorf("model URL %s, want %s", got, want)
	}
	t.Setenv("HF_ENDPOINT", "http://mirror.example//")
	t.Setenv("HF_TOKEN", "envtok")
	if c := New(Client{}); c.Endpoint != "http://mirror.example" || c.Token != "envtok" || c.HTTP == nil || c.OfflineHint != DefaultOfflineHint {
		t.Errorf("defaults: %+v", c)
	}
}
