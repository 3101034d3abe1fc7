package reward

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/greason/greason/llm"
	"github.com/greason/greason/verify"
)

// newTestServer serves opts (rule judge and code-point counter unless set) on loopback.
func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Judge == nil {
		opts.Judge = verify.RuleVerifier{}
	}
	if opts.Count == nil {
		opts.Count = verify.RuneCounter
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

type wireResult struct {
	ID        json.RawMessage `json:"id"`
	Reward    float64         `json:"reward"`
	Correct   bool            `json:"correct"`
	Extracted *string         `json:"extracted"`
	Layer     string          `json:"layer"`
	Reason    string          `json:"reason"`
}

type wireError struct {
	Error struct {
		Type     string `json:"type"`
		Message  string `json:"message"`
		Row      *int   `json:"row"`
		Field    string `json:"field"`
		Judge    string `json:"judge"`
		Endpoint string `json:"endpoint"`
		Rows     []struct {
			Row     *int   `json:"row"`
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"rows"`
	} `json:"error"`
}

func post(t *testing.T, client *http.Client, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := client.Post(url+"/v1/reward", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRewardValues checks the paper's reward semantics (protocol §2.2) on rows whose rewards
// are worked out by hand: −0.5 without an extracted answer, 0 for a wrong one, 1 − 0.05·min(10, Δ)
// for a right one, Δ the difference of the answer's and the gold's lengths (code points here).
func TestRewardValues(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	rows := []map[string]any{
		{"question": "2+2?", "gold": "4", "response": "2+2 is \\boxed{4}."},                       // 1
		{"question": "2+2?", "gold": "4", "response": "I think it is \\boxed{5}"},                 // 0
		{"question": "2+2?", "gold": "4", "response": "I think it is 4"},                          // no box, no marker: −0.5
		{"question": "half?", "gold": "0.5", "response": "so \\boxed{\\frac{1}{2}}"},              // pass, |11−3| = 8: 0.6
		{"question": "x?", "gold": "7", "response": "Work.\nFinal Answer: 7\n"},                   // marker line: 1
		{"question": "x?", "gold": "3", "response": "\\boxed{3} or maybe \\boxed{4}"},             // hedge: 0
		{"question": "big?", "gold": "1", "response": "\\boxed{1.00000000000000000000000000}"},    // pass, Δ 29 → capped at 10: 0.5
		{"question": nil, "gold": "Paris", "response": "The answer is \\boxed{Paris}", "id": "p"}, // 1, id echoed
		{"extra_info": map[string]any{"question": "q", "index": 3}, "gold": "2", "response": "\\boxed{2}", "data_source": "x", "id": 9},
	}
	want := []struct {
		reward    float64
		correct   bool
		extracted any // string, or nil for none
	}{
		{1, true, "4"}, {0, false, "5"}, {-0.5, false, nil}, {0.6, true, `\frac{1}{2}`}, {1, true, "7"},
		{0, false, `\boxed{3}, \boxed{4}`}, {0.5, true, "1.00000000000000000000000000"}, {1, true, "Paris"}, {1, true, "2"},
	}
	code, body := post(t, hs.Client(), hs.URL, mustJSON(t, map[string]any{"rows": rows}))
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got struct {
		Judge   string       `json:"judge"`
		Results []wireResult `json:"results"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Judge != "rule" || len(got.Results) != len(rows) {
		t.Fatalf("judge %q, %d results for %d rows", got.Judge, len(got.Results), len(rows))
	}
	for i, w := range want {
		r := got.Results[i]
		var ex any
		if r.Extracted != nil {
			ex = *r.Extracted
		}
		if diff := r.Reward - w.reward; diff > 1e-12 || diff < -1e-12 || r.Correct != w.correct || ex != w.extracted {
			t.Errorf("row %d: got reward %v correct %v extracted %v (%s); want %v %v %v", i, r.Reward, r.Correct, ex, r.Reason, w.reward, w.correct, w.extracted)
		}
		if r.Layer == "" || r.Reason == "" {
			t.Errorf("row %d: no layer/reason: %+v", i, r)
		}
	}
	if string(got.Results[7].ID) != `"p"` || string(got.Results[8].ID) != "9" || got.Results[0].ID != nil {
		t.Errorf("ids: %s %s %s", got.Results[7].ID, got.Results[8].ID, got.Results[0].ID)
	}
}

// TestMalformedRows: a malformed row refuses the whole batch with a 400 naming the 0-based row
// and the field; no row is scored.
func TestMalformedRows(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	ok := `{"question":"q","gold":"1","response":"\\boxed{1}"}`
	cases := []struct {
		body         string
		row          int // -1: the request itself
		field, inMsg string
	}{
		{`{"rows":[` + ok + `,{"question":"q","gold":4,"response":"x"}]}`, 1, "gold", "want a string, got a number"},
		{`{"rows":[` + ok + `,` + ok + `,{"question":"q","ground_truth":"4","response":"x"}]}`, 2, "ground_truth", "unknown field"},
		{`{"rows":[{"question":"q","response":"x"}]}`, 0, "gold", "missing"},
		{`{"rows":[{"question":"q","gold":null,"response":"x"}]}`, 0, "gold", "null"},
		{`{"rows":[{"question":"q","gold":"1"}]}`, 0, "response", "missing"},
		{`{"rows":[` + ok + `,{"gold":"1","response":"x"}]}`, 1, "question", "extra_info.question"},
		{`{"rows":[{"question":5,"gold":"1","response":"x"}]}`, 0, "question", "want a string or null"},
		{`{"rows":[{"question":"q","gold":"1","response":"x","extra_info":"q"}]}`, 0, "extra_info", "want an object"},
		{`{"rows":[{"gold":"1","response":"x","extra_info":{"question":3}}]}`, 0, "extra_info.question", "want a string"},
		{`{"rows":[{"question":"q","gold":"1","response":"x","id":[1]}]}`, 0, "id", "string or a number"},
		{`{"rows":[{"question":"q","gold":"1","response":"x","gold":"2"}]}`, 0, "gold", "duplicate"},
		{`{"rows":[` + ok + `,{"question":"q","gold":"1",`, 1, "", "unexpected EOF"},
		{`{"rows":[` + ok + `], "n": 1}`, -1, "n", "unknown field"},
		{`{"row":[]}`, -1, "row", "unknown field"},
		{`{}`, -1, "rows", "missing"},
		{`[]`, -1, "", "want an object"},
		{`{"rows":{}}`, -1, "rows", "want an array"},
		{``, -1, "", "EOF"},
	}
	for _, c := range cases {
		code, body := post(t, hs.Client(), hs.URL, []byte(c.body))
		var e wireError
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("%s: %v: %s", c.body, err, body)
		}
		row := -1
		if e.Error.Row != nil {
			row = *e.Error.Row
		}
		if code != 400 || e.Error.Type != "invalid_row" || row != c.row || e.Error.Field != c.field ||
			!strings.Contains(e.Error.Message, c.inMsg) || !strings.Contains(e.Error.Message, "whole batch was refused") {
			t.Errorf("%s:\n  got %d %s row %d field %q: %s\n  want 400 row %d field %q containing %q", c.body, code, e.Error.Type, row, e.Error.Field, e.Error.Message, c.row, c.field, c.inMsg)
		}
	}
	// every row that lacks a field is listed
	code, body := post(t, hs.Client(), hs.URL, []byte(`{"rows":[`+ok+`,{"question":"q"},`+ok+`,{"question":"q","gold":"1"}]}`))
	var e wireError
	_ = json.Unmarshal(body, &e)
	if code != 400 || len(e.Error.Rows) != 2 || *e.Error.Rows[0].Row != 1 || *e.Error.Rows[1].Row != 3 || e.Error.Rows[1].Field != "response" {
		t.Errorf("several malformed rows: %d %s", code, body)
	}
	if st := s.Stats(); st.Rows != 0 || st.Rejected != int64(len(cases)+1) {
		t.Errorf("stats after malformed requests: %+v", st)
	}
}

func TestLimitsAndRoutes(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBodyBytes: 1000, MaxRows: 3})
	row := `{"question":"q","gold":"1","response":"\\boxed{1}"}`
	big := `{"rows":[{"question":"q","gold":"1","response":"` + strings.Repeat("x", 1000) + `"}]}`
	for _, c := range []struct {
		body, typ string
		code      int
	}{
		{big, "body_too_large", 413},
		{`{"rows":[` + strings.Repeat(row+",", 3) + row + `]}`, "too_many_rows", 413},
		{`{"rows":[` + strings.Repeat(row+",", 2) + row + `]}`, "", 200},
		{`{"rows":[]}`, "", 200},
	} {
		code, body := post(t, hs.Client(), hs.URL, []byte(c.body))
		var e wireError
		_ = json.Unmarshal(body, &e)
		if code != c.code || e.Error.Type != c.typ {
			t.Errorf("got %d %s, want %d %s", code, body, c.code, c.typ)
		}
	}
	// a body sent without Content-Length (chunked) is held to the same limit
	req, _ := http.NewRequest("POST", hs.URL+"/v1/reward", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked oversized body: %d", resp.StatusCode)
	}
	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/v1/reward", 405}, {"GET", "/nope", 404}, {"GET", "/health", 200}} {
		req, _ := http.NewRequest(c.method, hs.URL+c.path, nil)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, b)
		}
		if c.path == "/health" {
			var h struct {
				Status, Judge string
				MaxBodyBytes  int64 `json:"max_body_bytes"`
				MaxRows       int   `json:"max_rows"`
				Stats         Stats
			}
			if err := json.Unmarshal(b, &h); err != nil || h.Status != "ok" || h.Judge != "rule" || h.MaxBodyBytes != 1000 || h.MaxRows != 3 || h.Stats.Rows != 3 {
				t.Errorf("health: %v %s", err, b)
			}
		}
	}
	s.Close()
	req, _ = http.NewRequest("GET", hs.URL+"/health", nil)
	resp, err = hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("health after Close: %d", resp.StatusCode)
	}
	if code, body := post(t, hs.Client(), hs.URL, []byte(`{"rows":[`+row+`]}`)); code != 503 {
		t.Errorf("reward after Close: %d %s", code, body)
	}
}

// TestJudgeEndpointDown: a General-Verifier whose endpoint refuses connections, and one whose
// endpoint answers 500, fail the batch with a 502 naming the judge, the endpoint and the row;
// no reward is answered.
func TestJudgeEndpointDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/v1"
	ln.Close() // nothing listens there now
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "model crashed", 500)
	}))
	defer broken.Close()
	for _, url := range []string{dead, broken.URL + "/v1"} {
		gv := verify.NewGeneralVerifier(url, "TIGER-Lab/general-verifier")
		gv.Model.(*llm.Client).MaxRetries = 0
		s, hs := newTestServer(t, Options{Judge: &verify.Cascade{Model: gv}, JudgeEndpoint: url})
		// row 0 the rules pass (no model call); row 1 goes to the model
		code, body := post(t, hs.Client(), hs.URL, []byte(`{"rows":[{"question":"q","gold":"1","response":"\\boxed{1}"},{"question":"q","gold":"1","response":"\\boxed{2}"}]}`))
		var e wireError
		_ = json.Unmarshal(body, &e)
		if code != 502 || e.Error.Type != "judge_failed" || e.Error.Judge != "cascade" || e.Error.Endpoint != url ||
			e.Error.Row == nil || *e.Error.Row != 1 || !strings.Contains(e.Error.Message, url) || strings.Contains(string(body), "reward\"") {
			t.Errorf("%s: got %d %s", url, code, body)
		}
		if st := s.Stats(); st.Failed != 1 || st.Rows != 0 {
			t.Errorf("stats: %+v", st)
		}
	}
}

// blockingJudge blocks every call until its context ends or release is closed, counting calls.
type blockingJudge struct {
	release chan struct{}
	started chan struct{}
	mu      sync.Mutex
	calls   int
	aborted int
}

func (*blockingJudge) Name() string { return "blocking" }
func (b *blockingJudge) Judge(ctx context.Context, _, gold, answer string) (verify.Verdict, error) {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	select {
	case b.started <- struct{}{}:
	default:
	}
	select {
	case <-ctx.Done():
		b.mu.Lock()
		b.aborted++
		b.mu.Unlock()
		return verify.Verdict{}, ctx.Err()
	case <-b.release:
		return verify.Verdict{Correct: gold == answer, Layer: "blocking", Reason: "released"}, nil
	}
}

func manyRows(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"rows":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"question":"q","gold":"%d","response":"\\boxed{%d}","id":%d}`, i, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// TestClientDisconnect: a client that goes away stops its batch (the judge calls in flight see
// the cancellation, no new row starts), the server keeps serving, and no goroutine is left
// behind once it has shut down.
func TestClientDisconnect(t *testing.T) {
	base := runtime.NumGoroutine()
	j := &blockingJudge{release: make(chan struct{}), started: make(chan struct{}, 1)}
	s, err := New(Options{Judge: j, Count: verify.RuneCounter, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", hs.URL+"/v1/reward", bytes.NewReader(manyRows(1000)))
	errc := make(chan error, 1)
	go func() {
		resp, err := hs.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-j.started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Cancelled != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	j.mu.Lock()
	calls, aborted := j.calls, j.aborted
	j.mu.Unlock()
	if st := s.Stats(); st.Cancelled != 1 || st.InFlight != 0 || calls > 4 || aborted != calls {
		t.Fatalf("after the disconnect: %+v, %d judge calls, %d aborted (want ≤ 4 workers' calls, all aborted)", st, calls, aborted)
	}
	// the server still answers
	close(j.release)
	code, body := post(t, hs.Client(), hs.URL, manyRows(50))
	if code != 200 || bytes.Count(body, []byte(`"reward":1`)) != 50 {
		t.Fatalf("after a disconnect: %d %s", code, body)
	}
	hs.Close()
	s.Close()
	hs.Client().CloseIdleConnections()
	for time.Now().Before(deadline) && runtime.NumGoroutine() > base {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left, %d before:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}

// TestGracefulShutdown: http.Server.Shutdown lets a batch being scored finish with its answer;
// the server then refuses new connections.
func TestGracefulShutdown(t *testing.T) {
	j := &blockingJudge{release: make(chan struct{}), started: make(chan struct{}, 1)}
	s, err := New(Options{Judge: j, Count: verify.RuneCounter, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	url := "http://" + ln.Addr().String()
	type answer struct {
		code int
		body []byte
	}
	ans := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url+"/v1/reward", "application/json", bytes.NewReader(manyRows(20)))
		if err != nil {
			ans <- answer{0, []byte(err.Error())}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		ans <- answer{resp.StatusCode, b}
	}()
	<-j.started
	done := make(chan error, 1)
	go func() { done <- hs.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // Shutdown is now waiting for the request
	close(j.release)
	a := <-ans
	if a.code != 200 || bytes.Count(a.body, []byte(`"reward":1`)) != 20 {
		t.Fatalf("request in flight during shutdown: %d %s", a.code, a.body)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url + "/health"); err == nil {
		t.Fatal("server still accepts connections after Shutdown")
	}
}

// decodeV2 is DecodeRequest without its fast path.
func decodeV2(body []byte, maxRows int) ([]Row, []RowError, error) {
	saved := fastEnabled
	fastEnabled = false
	defer func() { fastEnabled = saved }()
	return DecodeRequest(body, maxRows)
}

// FuzzDecodeFast: wherever decodeFast answers, encoding/json/v2 gives the same rows; the seeds
// cover escapes, surrogates, null questions, whitespace, and shapes it must leave to v2.
func FuzzDecodeFast(f *testing.F) {
	for _, s := range []string{
		`{"rows":[{"question":"q","gold":"1","response":"\\boxed{1}"}]}`,
		`{"rows":[]}`, ` { "rows" : [ ] } `,
		`{"rows":[{"question":null,"gold":"a\"b","response":"\u00e9\ud83d\ude00\n\t\/","data_source":"x"}]}`,
		`{"rows":[{"question":"q","gold":"1","response":"x"},{"gold":"2","response":"y","question":"r"}]}`,
		`{"rows":[{"question":"q","gold":"1","response":"\ud800"}]}`,
		`{"rows":[{"question":"q","gold":"1","response":"x","id":3}]}`,
		`{"rows":[{"question":"q","gold":"1","gold":"2","response":"x"}]}`,
		`{"rows":[{"question":"q","gold":"1"}]}`,
		`{"rows":[{"question":nul,"gold":"1","response":"x"}]}`,
		"{\"rows\":[{\"question\":\"\xff\",\"gold\":\"1\",\"response\":\"x\"}]}",
		`{"rows":[{"question":"q","gold":"1","response":"x"}]} x`,
		`{"rows":[{"qu\u0065stion":"q","gold":"1","response":"x"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := decodeFast(body, 100)
		if !ok {
			return
		}
		slow, errs, err := decodeV2(body, 100)
		if err != nil || len(errs) > 0 {
			t.Fatalf("decodeFast accepted %q, v2 says %v %v", body, err, errs)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d rows fast, %d v2", body, len(fast), len(slow))
		}
		for i := range fast {
			a, b := fast[i], slow[i]
			if a.Question != b.Question || a.Gold != b.Gold || a.Response != b.Response || a.Source != b.Source || len(a.ID) != 0 || len(b.ID) != 0 {
				t.Fatalf("%q row %d: fast %+v, v2 %+v", body, i, a, b)
			}
		}
	})
}

// TestDecodeFastOnBenchRows: the fast path takes the benchmark's real rows, as Go writes them
// (UTF-8) and as Python's json.dumps does (non-ASCII as \u escapes, surrogate pairs beyond the
// BMP), and decodes them as v2 does.
func TestDecodeFastOnBenchRows(t *testing.T) {
	rows := benchRows(t)[:4000]
	body, err := json.Marshal(map[string]any{"rows": rows})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{body, asciiEscaped(body)} {
		fast, ok := decodeFast(body, 1<<20)
		if !ok {
			t.Fatal("decodeFast gave up on the benchmark rows")
		}
		slow, errs, err := decodeV2(body, 1<<20)
		if err != nil || len(errs) > 0 || len(slow) != len(fast) {
			t.Fatal(err, errs)
		}
		for i := range fast {
			a, b := fast[i], slow[i]
			if a.Question != b.Question || a.Gold != b.Gold || a.Response != b.Response || a.Source != b.Source {
				t.Fatalf("row %d differs", i)
			}
		}
	}
}

// asciiEscaped writes every non-ASCII rune of a JSON text as \u escapes (UTF-16), as Python's
// json.dumps does by default.
func asciiEscaped(b []byte) []byte {
	var out []byte
	for _, r := range string(b) {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			out = fmt.Appendf(out, `\u%04x`, u)
		}
	}
	return out
}
