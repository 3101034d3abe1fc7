package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/greason/greason/model/qwen"
)

// chunk is a streamed or whole response of either endpoint.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Choices []struct {
		Index        int             `json:"index"`
		Text         *string         `json:"text"`
		Delta        map[string]any  `json:"delta"`
		Message      map[string]any  `json:"message"`
		Logprobs     json.RawMessage `json:"logprobs"`
		FinishReason *string         `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		Prompt     int `json:"prompt_tokens"`
		Completion int `json:"completion_tokens"`
	} `json:"usage"`
	HasUsage bool `json:"-"`
}

// sse posts body and returns the data events (raw JSON) up to [DONE].
func sse(t *testing.T, url, body string) []string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("POST %s: status %d, content type %q", body, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	blank := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			blank = true
			continue
		}
		if !blank || !strings.HasPrefix(line, "data: ") {
			t.Fatalf("malformed SSE line %q (each event is one data line then a blank line)", line)
		}
		blank = false
		data := strings.TrimPrefix(line, "data: ")
		if data == "[DONE]" {
			for sc.Scan() {
				if sc.Text() != "" {
					t.Fatalf("data after [DONE]: %q", sc.Text())
				}
			}
			return events
		}
		events = append(events, data)
	}
	t.Fatalf("stream ended without [DONE] after %d events", len(events))
	return nil
}

func parseChunk(t *testing.T, data string) chunk {
	t.Helper()
	var c chunk
	if err := json.Unmarshal([]byte(data), &c); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(data), &raw)
	_, c.HasUsage = raw["usage"]
	return c
}

// streamed joins the streamed text of each choice and returns it with the finish reasons and
// the final usage chunk.
type streamed struct {
	text, finish []string
	logprobs     [][]json.RawMessage
	usage        *chunk
	chunks       []chunk
}

func collect(t *testing.T, events []string, n int, chat, includeUsage bool) streamed {
	t.Helper()
	st := streamed{text: make([]string, n), finish: make([]string, n), logprobs: make([][]json.RawMessage, n)}
	opened := make([]bool, n)
	id := ""
	for k, e := range events {
		c := parseChunk(t, e)
		st.chunks = append(st.chunks, c)
		if id == "" {
			id = c.ID
		}
		if c.ID != id {
			t.Fatalf("chunk ids differ: %q, %q", id, c.ID)
		}
		if want := map[bool]string{true: "chat.completion.chunk", false: "text_completion"}[chat]; c.Object != want {
			t.Fatalf("object %q, want %q", c.Object, want)
		}
		if c.HasUsage != includeUsage {
			t.Fatalf("chunk %d: usage field present %v, include_usage %v: %s", k, c.HasUsage, includeUsage, e)
		}
		if len(c.Choices) == 0 {
			if k != len(events)-1 || c.Usage == nil {
				t.Fatalf("chunk %d of %d without choices: %s", k, len(events), e)
			}
			st.usage = &st.chunks[len(st.chunks)-1]
			continue
		}
		if c.Usage != nil {
			t.Fatalf("usage before the last chunk: %s", e)
		}
		for _, ch := range c.Choices {
			i := ch.Index
			if st.finish[i] != "" {
				t.Fatalf("choice %d continues after finish_reason %q", i, st.finish[i])
			}
			if chat {
				if !opened[i] {
					if ch.Delta["role"] != "assistant" {
						t.Fatalf("first chunk of choice %d has no role: %s", i, e)
					}
					opened[i] = true
				} else if _, ok := ch.Delta["role"]; ok {
					t.Fatalf("role repeated: %s", e)
				}
				if s, ok := ch.Delta["content"].(string); ok {
					st.text[i] += s
				}
			} else {
				st.text[i] += *ch.Text
			}
			if string(ch.Logprobs) != "null" {
				st.logprobs[i] = append(st.logprobs[i], ch.Logprobs)
			}
			if ch.FinishReason != nil {
				st.finish[i] = *ch.FinishReason
			}
		}
	}
	for i, f := range st.finish {
		if f == "" {
			t.Fatalf("choice %d never finished", i)
		}
	}
	if includeUsage && st.usage == nil {
		t.Fatal("no usage chunk")
	}
	return st
}

func whole(t *testing.T, url, body string) chunk {
	t.Helper()
	return parseChunk(t, post(t, url, body, 200))
}

func (c chunk) text(i int) string {
	if c.Choices[i].Text != nil {
		return *c.Choices[i].Text
	}
	return c.Choices[i].Message["content"].(string)
}

// TestServeStreaming: streamed chunks join to the same text, finish reasons and usage as the
// whole response, for both endpoints, with n > 1 and seeds, and with stop strings (no chunk
// ever carries text past the stop string).
func TestServeStreaming(t *testing.T) {
	f := newFixture(t, Options{})
	base := f.ts.URL + "/v1"
	cases := []struct {
		name, path, body string
		n                int
		chat             bool
	}{
		{"completion greedy", "/completions", `"prompt":"The capital of France is","max_tokens":12,"temperature":0`, 1, false},
		{"completion n=3 seeded", "/completions", `"prompt":"Once upon a time","max_tokens":9,"temperature":1,"n":3,"seed":11`, 3, false},
		{"chat greedy", "/chat/completions", `"messages":[{"role":"user","content":"What is 2+2?"}],"max_tokens":10,"temperature":0`, 1, true},
		{"chat n=2 seeded", "/chat/completions", `"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":8,"temperature":0.8,"top_p":0.9,"n":2,"seed":3`, 2, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := whole(t, base+c.path, "{"+c.body+"}")
			if len(want.Choices) != c.n {
				t.Fatalf("%d choices", len(want.Choices))
			}
			for _, usage := range []bool{false, true} {
				body := "{" + c.body + `,"stream":true}`
				if usage {
					body = "{" + c.body + `,"stream":true,"stream_options":{"include_usage":true}}`
				}
				got := collect(t, sse(t, base+c.path, body), c.n, c.chat, usage)
				for i := range c.n {
					if got.text[i] != want.text(i) || got.finish[i] != *want.Choices[i].FinishReason {
						t.Fatalf("choice %d: streamed %q (%s), whole %q (%s)", i, got.text[i], got.finish[i], want.text(i), *want.Choices[i].FinishReason)
					}
				}
				if usage && (got.usage.Usage.Prompt != want.Usage.Prompt || got.usage.Usage.Completion != want.Usage.Completion) {
					t.Fatalf("usage: streamed %+v, whole %+v", *got.usage.Usage, *want.Usage)
				}
				if len(got.chunks) < 3 {
					t.Fatalf("only %d chunks: not streamed token by token", len(got.chunks))
				}
			}
		})
	}
	// Stop strings: the greedy text is cut before the stop string, streamed or not, and no
	// streamed chunk holds any part of it.
	full := whole(t, base+"/completions", `{"prompt":"The capital of France is","max_tokens":16,"temperature":0}`)
	text := full.text(0)
	runes := []rune(text)
	if len(runes) < 8 {
		t.Fatalf("greedy text %q too short for the stop check", text)
	}
	stop := string(runes[5:8])
	cut := text[:strings.Index(text, stop)]
	for _, path := range []string{"/completions", "/chat/completions"} {
		chat := path == "/chat/completions"
		req := `"prompt":"The capital of France is","max_tokens":16,"temperature":0`
		if chat {
			req = `"messages":[{"role":"user","content":"Hi"}],"max_tokens":16,"temperature":0`
			c := whole(t, base+path, "{"+req+"}")
			text = c.text(0)
			runes = []rune(text)
			if len(runes) < 8 {
				t.Fatalf("chat greedy text %q too short for the stop check", text)
			}
			stop = string(runes[5:8])
			cut = text[:strings.Index(text, stop)]
		}
		stopJSON, _ := json.Marshal([]string{"never-there", stop})
		w := whole(t, base+path, "{"+req+`,"stop":`+string(stopJSON)+"}")
		got := collect(t, sse(t, base+path, "{"+req+`,"stream":true,"stop":`+string(stopJSON)+"}"), 1, chat, false)
		if w.text(0) != cut || *w.Choices[0].FinishReason != "stop" || got.text[0] != cut || got.finish[0] != "stop" {
			t.Fatalf("%s stop %q: whole %q, streamed %q (%s), want %q", path, stop, w.text(0), got.text[0], got.finish[0], cut)
		}
	}
}

// TestServeLogprobs: completions and chat logprobs are the model's log-softmax at each
// generated token (compared with the model run directly), the top lists are the most likely
// tokens in order, text_offset and bytes are consistent with the text, and streamed logprobs
// join to the whole ones.
func TestServeLogprobs(t *testing.T) {
	f := newFixture(t, Options{})
	base := f.ts.URL + "/v1"
	prompt := "The capital of France is"
	direct, err := f.m.Generate(context.Background(), []qwen.Request{{Prompt: f.tok.Encode(prompt), Logprobs: true, TopLogprobs: 3,
		Params: qwen.SampleParams{MaxNewTokens: 10, StopTokens: f.tok.EOSIDs()}}}, qwen.GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := direct[0][0].Logprobs

	type compLP struct {
		Tokens        []string             `json:"tokens"`
		TokenLogprobs []float64            `json:"token_logprobs"`
		TopLogprobs   []map[string]float64 `json:"top_logprobs"`
		TextOffset    []int                `json:"text_offset"`
	}
	body := `{"prompt":"The capital of France is","max_tokens":10,"temperature":0,"logprobs":3}`
	w := whole(t, base+"/completions", body)
	var lp compLP
	if err := json.Unmarshal(w.Choices[0].Logprobs, &lp); err != nil {
		t.Fatal(err)
	}
	if len(lp.Tokens) != len(ref) || len(lp.Tokens) != w.Usage.Completion || len(lp.TextOffset) != len(ref) {
		t.Fatalf("%d tokens, %d reference logprobs, usage %d", len(lp.Tokens), len(ref), w.Usage.Completion)
	}
	off := 0
	for i, r := range ref {
		if lp.Tokens[i] != f.tok.Decode([]int{r.Token}, false) || math.Abs(lp.TokenLogprobs[i]-r.Logprob) > 1e-6 {
			t.Fatalf("token %d: %q %g, want %q %g", i, lp.Tokens[i], lp.TokenLogprobs[i], f.tok.Decode([]int{r.Token}, false), r.Logprob)
		}
		if len(lp.TopLogprobs[i]) != 3 { // greedy: the sampled token is the most likely one
			t.Fatalf("token %d: top_logprobs %v", i, lp.TopLogprobs[i])
		}
		for _, tp := range r.Top {
			if v, ok := lp.TopLogprobs[i][f.tok.Decode([]int{tp.Token}, false)]; !ok || math.Abs(v-tp.Logprob) > 1e-6 {
				t.Fatalf("token %d: top_logprobs %v lacks %d (%g)", i, lp.TopLogprobs[i], tp.Token, tp.Logprob)
			}
		}
		if lp.TextOffset[i] != off {
			t.Fatalf("text_offset %v", lp.TextOffset)
		}
		off += utf8.RuneCountInString(lp.Tokens[i])
	}
	if strings.Join(lp.Tokens, "") != w.text(0) || len(ref) == 0 {
		t.Fatalf("tokens %q do not join to the text %q", lp.Tokens, w.text(0))
	}
	// The top_logprobs object lists the most likely token first (rank order, not sorted keys).
	raw := string(w.Choices[0].Logprobs)
	first := raw[strings.Index(raw, `"top_logprobs":[{`)+len(`"top_logprobs":[{`):]
	if k, _ := json.Marshal(lp.Tokens[0]); !strings.HasPrefix(first, string(k)+":") {
		t.Fatalf("top_logprobs not in rank order: %.80s", first)
	}
	// Streamed completions logprobs join to the whole ones, text_offset included.
	var joined compLP
	for _, l := range collect(t, sse(t, base+"/completions", strings.TrimSuffix(body, "}")+`,"stream":true}`), 1, false, false).logprobs[0] {
		var part compLP
		json.Unmarshal(l, &part)
		joined.Tokens = append(joined.Tokens, part.Tokens...)
		joined.TokenLogprobs = append(joined.TokenLogprobs, part.TokenLogprobs...)
		joined.TopLogprobs = append(joined.TopLogprobs, part.TopLogprobs...)
		joined.TextOffset = append(joined.TextOffset, part.TextOffset...)
	}
	if a, b := mustJSON(joined), mustJSON(lp); a != b {
		t.Fatalf("streamed logprobs %s\nwhole %s", a, b)
	}

	// Chat.
	type chatLP struct {
		Content []struct {
			Token       string  `json:"token"`
			Logprob     float64 `json:"logprob"`
			RawBytes    []int   `json:"bytes"`
			TopLogprobs []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
				Bytes   []int   `json:"bytes"`
			} `json:"top_logprobs"`
		} `json:"content"`
	}
	cbody := `{"messages":[{"role":"user","content":"Say something"}],"max_tokens":10,"temperature":1,"seed":4,"logprobs":true,"top_logprobs":2}`
	cw := whole(t, base+"/chat/completions", cbody)
	var clp chatLP
	if err := json.Unmarshal(cw.Choices[0].Logprobs, &clp); err != nil {
		t.Fatal(err)
	}
	if len(clp.Content) != cw.Usage.Completion || len(clp.Content) == 0 {
		t.Fatalf("%d logprob entries, %d tokens", len(clp.Content), cw.Usage.Completion)
	}
	var all []byte
	for i, c := range clp.Content {
		for _, b := range c.RawBytes {
			all = append(all, byte(b))
		}
		if len(c.TopLogprobs) != 2 || c.TopLogprobs[0].Logprob < c.TopLogprobs[1].Logprob || c.Logprob > c.TopLogprobs[0].Logprob+1e-9 || c.Logprob > 0 {
			t.Fatalf("entry %d: %+v", i, c)
		}
	}
	if string(all) != cw.text(0) {
		t.Fatalf("bytes join to %q, text %q", all, cw.text(0))
	}
	var cjoined chatLP
	for _, l := range collect(t, sse(t, base+"/chat/completions", strings.TrimSuffix(cbody, "}")+`,"stream":true}`), 1, true, false).logprobs[0] {
		var part chatLP
		json.Unmarshal(l, &part)
		cjoined.Content = append(cjoined.Content, part.Content...)
	}
	if a, b := mustJSON(cjoined), mustJSON(clp); a != b {
		t.Fatalf("streamed chat logprobs %s\nwhole %s", a, b)
	}
	// Without logprobs, none are returned.
	if w := whole(t, base+"/completions", `{"prompt":"x","max_tokens":2}`); string(w.Choices[0].Logprobs) != "null" {
		t.Fatalf("logprobs without asking: %s", w.Choices[0].Logprobs)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestServeSeeds: a seed gives the same samples every time, whatever else is in the batch;
// choice i of n is the same sample as choice i of any other n with that seed.
func TestServeSeeds(t *testing.T) {
	f := newFixture(t, Options{BatchWindow: 200 * time.Millisecond})
	base := f.ts.URL + "/v1/completions"
	body := `{"prompt":"Once upon a time","max_tokens":8,"temperature":1,"n":3,"seed":42}`
	a := whole(t, base, body)
	texts := []string{a.text(0), a.text(1), a.text(2)}
	if texts[0] == texts[1] && texts[1] == texts[2] {
		t.Fatalf("n=3 gave three equal samples %q: the choices share one random stream", texts[0])
	}
	var wg sync.WaitGroup
	results := make([]chunk, 4)
	for i, b := range []string{body, `{"prompt":"A different prompt entirely","max_tokens":12,"temperature":1,"n":2}`,
		`{"prompt":"Once upon a time","max_tokens":8,"temperature":1,"n":2,"seed":42}`, `{"prompt":"x","max_tokens":3}`} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = parseChunk(t, post(t, base, b, 200))
		}()
	}
	wg.Wait()
	if st := f.srv.Stats(); st.MaxBatchReqs < 2 {
		t.Fatalf("the seeded requests were not batched with others: %+v", st)
	}
	for i := range 3 {
		if results[0].text(i) != texts[i] {
			t.Fatalf("choice %d: %q in a batch, %q alone", i, results[0].text(i), texts[i])
		}
	}
	for i := range 2 {
		if results[2].text(i) != texts[i] {
			t.Fatalf("n=2 choice %d: %q, n=3 choice %d: %q", i, results[2].text(i), i, texts[i])
		}
	}
	if b := whole(t, base, strings.Replace(body, `"seed":42`, `"seed":43`, 1)); slices.Equal([]string{b.text(0), b.text(1), b.text(2)}, texts) {
		t.Fatal("seeds 42 and 43 gave the same samples")
	}
}

// TestServeCancelOnDisconnect: a client that goes away mid-stream stops its generation: the
// sampler ends the request long before max_tokens.
func TestServeCancelOnDisconnect(t *testing.T) {
	f := newFixture(t, Options{})
	const maxTokens = 4000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", f.ts.URL+"/v1/completions",
		strings.NewReader(`{"prompt":"Once upon a time","max_tokens":4000,"temperature":1,"seed":5,"stream":true}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	got := 0
	for got < 3 && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: {") {
			got++
		}
	}
	if got < 3 {
		t.Fatalf("stream ended after %d chunks", got)
	}
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for f.srv.Stats().Active > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("generation still running 30 s after the client left: %+v", f.srv.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := f.srv.Stats()
	t.Logf("stats after the disconnect: %+v", st)
	if st.Cancelled != 1 || st.Tokens >= maxTokens {
		t.Fatalf("want 1 cancelled sample and far fewer than %d tokens: %+v", maxTokens, st)
	}
	// A non-streaming request whose client times out is dropped as well.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, "POST", f.ts.URL+"/v1/completions", strings.NewReader(`{"prompt":"Once upon a time","max_tokens":4000,"temperature":1,"seed":5}`))
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request finished within 300 ms")
	}
	for f.srv.Stats().Active > 0 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("non-streaming generation still running after its client left: %+v", f.srv.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st2 := f.srv.Stats(); st2.Cancelled != 2 || st2.Tokens-st.Tokens >= maxTokens {
		t.Fatalf("non-streaming: %+v", st2)
	}
}

// TestServeHealthAndModel: /health answers 200 while serving and 503 once closed;
// /v1/models/ID answers for the served model only.
func TestServeHealthAndModel(t *testing.T) {
	f := newFixture(t, Options{})
	get := func(path string) int {
		resp, err := http.Get(f.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/health"); c != 200 {
		t.Fatalf("/health: %d", c)
	}
	if c := get("/v1/models/tiny"); c != 200 {
		t.Fatalf("/v1/models/tiny: %d", c)
	}
	if c := get("/v1/models/other"); c != 404 {
		t.Fatalf("/v1/models/other: %d", c)
	}
	if c := get("/v1/embeddings"); c != 404 {
		t.Fatalf("/v1/embeddings: %d", c)
	}
	f.srv.Close()
	if c := get("/health"); c != 503 {
		t.Fatalf("/health after Close: %d", c)
	}
}
