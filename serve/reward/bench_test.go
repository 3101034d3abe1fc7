package reward

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/greason/greason/verify"
)

// benchRows are real responses shipped in the repository, as tools/verl/bench_greason_reward.py
// reads them: the published MMLU-Pro and TheoremQA generations, MATH-500's reference solutions
// with their answers, and the micro reproduction's policy samples.
func benchRows(b testing.TB) []map[string]any {
	root := filepath.Join("..", "..")
	pub := filepath.Join(root, "benchmarks", "data", "published")
	var rows []map[string]any
	add := func(src, q, gold, resp string) {
		rows = append(rows, map[string]any{"question": q, "gold": gold, "response": resp, "data_source": src})
	}
	zr, err := zip.OpenReader(filepath.Join(pub, "model_outputs_Mistral-7B-v0.1_5shots.zip"))
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		var recs []struct {
			Question      string   `json:"question"`
			Options       []string `json:"options"`
			Answer        string   `json:"answer"`
			GeneratedText string   `json:"generated_text"`
		}
		if err := json.NewDecoder(rc).Decode(&recs); err != nil {
			b.Fatal(err)
		}
		rc.Close()
		for _, r := range recs {
			q := r.Question
			for i, o := range r.Options {
				q += fmt.Sprintf("\n%c. %s", 'A'+i, o)
			}
			add("mmlu-pro", q, r.Answer, r.GeneratedText)
		}
	}
	zr.Close()
	readLines := func(path string, gz bool, fn func([]byte)) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		var r io.Reader = f
		if gz {
			if r, err = gzip.NewReader(f); err != nil {
				b.Fatal(err)
			}
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			fn(sc.Bytes())
		}
	}
	for _, name := range []string{"Mistral_7B_v0.1_5shots_mistral.jsonl.gz", "internlm2_20b_5shots_short.jsonl.gz"} {
		readLines(filepath.Join(pub, name), true, func(l []byte) {
			var r struct {
				Question, Solution string
				Correct            []any
			}
			if err := json.Unmarshal(l, &r); err != nil || len(r.Correct) == 0 {
				b.Fatalf("%s: %v", name, err)
			}
			add("theoremqa", r.Question, fmt.Sprint(r.Correct[0]), r.Solution)
		})
	}
	readLines(filepath.Join(root, "benchmarks", "data", "math500_test.jsonl.gz"), true, func(l []byte) {
		var r struct{ Problem, Solution, Answer string }
		if err := json.Unmarshal(l, &r); err != nil {
			b.Fatal(err)
		}
		add("math500", r.Problem, r.Answer, r.Solution)
	})
	samples, _ := filepath.Glob(filepath.Join(root, "results", "micro", "logs", "*_samples.jsonl"))
	for _, p := range samples {
		readLines(p, false, func(l []byte) {
			var r struct{ Question, Gold, Response string }
			if err := json.Unmarshal(l, &r); err != nil {
				b.Fatal(err)
			}
			add("micro", r.Question, r.Gold, r.Response)
		})
	}
	if len(rows) < 14000 {
		b.Fatalf("only %d rows read", len(rows))
	}
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

// BenchmarkServeBatch8192 posts verl-sized steps (8192 rows) to the server on loopback, two
// requests in flight (as the module's batched call sends its chunks), and reports rewards/s:
// the server's side of `just bench-reward` (rules judge, code-point counter), JSON included.
func BenchmarkServeBatch8192(b *testing.B) {
	rows := benchRows(b)
	const size = 8192
	var bodies [][]byte
	for lo := 0; lo+size <= len(rows); lo += size / 2 {
		body, err := json.Marshal(map[string]any{"rows": rows[lo : lo+size]})
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	s, err := New(Options{Judge: verify.RuleVerifier{}, Count: verify.RuneCounter})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	hs := httptest.NewServer(s)
	defer hs.Close()
	srv := hs.URL
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.SetParallelism(1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			resp, err := client.Post(srv+"/v1/reward", "application/json", bytes.NewReader(bodies[i%len(bodies)]))
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || bytes.Count(out, []byte(`"reward":`)) != size {
				b.Errorf("status %d: %.200s", resp.StatusCode, out)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "rewards/s")
}

// BenchmarkDecodeRequest: parsing and validating a verl step's body (8192 rows).
func BenchmarkDecodeRequest(b *testing.B) {
	rows := benchRows(b)[:8192]
	body, err := json.Marshal(map[string]any{"rows": rows})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, errs, err := DecodeRequest(body, 1<<20); err != nil || len(errs) > 0 {
			b.Fatal(err, errs)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkScore: scoring a verl step's rows on the server's workers (rules judge, Qwen-free
// code-point counter), no HTTP.
func BenchmarkScore(b *testing.B) {
	rows := benchRows(b)[:8192]
	body, _ := json.Marshal(map[string]any{"rows": rows})
	decoded, _, _ := DecodeRequest(body, 1<<20)
	s, err := New(Options{Judge: verify.RuleVerifier{}, Count: verify.RuneCounter})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Score(context.Background(), decoded); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}
