package sql

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// fixtureParquet writes a small WebInstruct-schema parquet file with DuckDB (real benchmark
// questions, so the rows look like the real thing) and returns its bytes.
func fixtureParquet(t *testing.T, rows int) []byte {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	p, err := Open(ctx, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	path := filepath.Join(dir, "f.parquet")
	q := fmt.Sprintf(`COPY (SELECT 'wi-' || row_number() OVER () AS id, problem AS question, answer::VARCHAR AS answer,
		'Integer' AS answer_type, 'Mathematics' AS category, 'Senior High School' AS difficulty
		FROM read_json('../benchmarks/data/gsm8k_test.jsonl.gz') LIMIT %d) TO '%s' (FORMAT parquet)`, rows, path)
	q = strings.Replace(q, "problem AS question, answer::VARCHAR", "question, trim(split_part(answer, '#### ', -1))", 1)
	if _, err := p.Conn().ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeHub serves the Hub tree API and resolve URLs for one parquet file, with Range support.
type fakeHub struct {
	data     []byte
	oid      string
	mu       sync.Mutex
	ranges   []string
	cutAfter int // if > 0, the first full download stops after this many bytes
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const file = "data/train-00000-of-00001.parquet"
	switch r.URL.Path {
	case "/api/datasets/" + WebInstructRepo + "/tree/main":
		json.NewEncoder(w).Encode([]map[string]any{
			{"type": "directory", "path": "data"},
			{"type": "file", "path": "README.md", "size": 10},
			{"type": "file", "path": file, "size": len(h.data), "lfs": map[string]any{"oid": h.oid, "size": len(h.data)}},
		})
	case "/datasets/" + WebInstructRepo + "/resolve/main/" + file:
		h.mu.Lock()
		h.ranges = append(h.ranges, r.Header.Get("Range"))
		cut := h.cutAfter
		h.cutAfter = 0
		h.mu.Unlock()
		if cut > 0 && r.Header.Get("Range") == "" {
			// announce the full length, send part of it, then drop the connection
			w.Header().Set("Content-Length", fmt.Sprint(len(h.data)))
			w.WriteHeader(http.StatusOK)
			w.Write(h.data[:cut])
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
			return
		}
		http.ServeContent(w, r, "f.parquet", time.Time{}, bytes.NewReader(h.data))
	default:
		http.NotFound(w, r)
	}
}

func TestPullDownloadResumeChecksum(t *testing.T) {
	data := fixtureParquet(t, 300)
	sum := sha256.Sum256(data)
	hub := &fakeHub{data: data, oid: hex.EncodeToString(sum[:]), cutAfter: len(data) / 3}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	dir := t.TempDir()
	ctx := context.Background()
	opt := PullOptions{Endpoint: srv.URL, Dir: dir}

	// 1. the connection drops mid-file: a clear error, the partial file stays
	if _, err := Pull(ctx, opt); err == nil || !strings.Contains(err.Error(), "resume") {
		t.Fatalf("interrupted download: want an error that says how to resume, got %v", err)
	}
	part := filepath.Join(dir, "data", "train-00000-of-00001.parquet.part")
	if st, err := os.Stat(part); err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("partial file: %v %v", st, err)
	}
	// 2. pull again: resumes with a Range request and verifies the checksum
	paths, err := Pull(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	if last := hub.ranges[len(hub.ranges)-1]; !strings.HasPrefix(last, "bytes=") || last == "bytes=0-" {
		t.Errorf("second pull did not resume: Range %q", last)
	}
	got, err := os.ReadFile(paths[0])
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs from the served one (%v)", err)
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf(".part file left behind")
	}
	// 3. up to date: no new request for the file
	n := len(hub.ranges)
	if _, err := Pull(ctx, opt); err != nil || len(hub.ranges) != n {
		t.Errorf("third pull: err %v, %d new downloads", err, len(hub.ranges)-n)
	}
	// 4. the downloaded parquet goes through the pipeline's file input
	p, err := Open(ctx, filepath.Join(t.TempDir(), "pulled.duckdb"), Options{BenchDir: filepath.Join("..", "benchmarks", "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.UseFiles(ctx, paths); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, 3); err != nil {
		t.Fatal(err)
	}
	if n := queryInt(t, p, `SELECT rows_out FROM stage_runs WHERE stage = 1`); n != 300 {
		t.Errorf("stage 1 kept %d of 300 pulled rows", n)
	}

	// 5. checksum mismatch: error, nothing left behind
	hub.oid = strings.Repeat("0", 64)
	dir2 := t.TempDir()
	_, err = Pull(ctx, PullOptions{Endpoint: srv.URL, Dir: dir2})
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("want checksum mismatch, got %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir2, "data", "*"))
	if len(matches) != 0 {
		t.Errorf("files left after a checksum mismatch: %v", matches)
	}
}

func TestPullOffline(t *testing.T) {
	// a loopback port with nothing listening stands for "no network"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = Pull(context.Background(), PullOptions{Endpoint: "http://" + addr, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "cannot reach") || !strings.Contains(err.Error(), "offline") {
		t.Fatalf("want a clear offline error, got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("offline failure took %v", d)
	}
}
