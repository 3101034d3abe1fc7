package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestChatRetriesOn429And5xx(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer sk-secret" {
			t.Errorf("missing bearer token")
		}
		switch n {
		case 1:
			w.WriteHeader(429)
			return
		case 2:
			w.WriteHeader(503)
			w.Write([]byte("overloaded sk-secret"))
			return
		}
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		if req["temperature"] != 0.0 || req["max_tokens"] != 16.0 || req["model"] != "m" {
			t.Errorf("unexpected request %v", req)
		}
		w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`))
	}))
	defer srv.Close()
	c := New(srv.URL, "m")
	c.APIKey, c.Backoff = "sk-secret", time.Millisecond
	r, err := c.Chat(context.Background(), []Message{{"user", "x"}}, Params{Temperature: F64(0), MaxTokens: 16})
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "hi" || r.Attempts != 3 || r.CompletionTokens != 1 {
		t.Fatalf("got %+v", r)
	}
}

func TestNoRetryOn400AndKeyRedacted(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(400)
		w.Write([]byte(`bad request for key sk-secret`))
	}))
	defer srv.Close()
	c := New(srv.URL, "m")
	c.APIKey, c.Backoff = "sk-secret", time.Millisecond
	_, err := c.Complete(context.Background(), "p", Params{})
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err=%v calls=%d", err, calls.Load())
	}
	if strings.Contains(err.Error(), "sk-secret") || !strings.Contains(err.Error(), "400") {
		t.Fatalf("error leaks key or lacks status: %v", err)
	}
}

func TestTimeoutIsRetriedThenFails(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "m")
	c.Timeout, c.Backoff, c.MaxRetries = 50*time.Millisecond, time.Millisecond, 2
	if _, err := c.Complete(context.Background(), "p", Params{}); err == nil {
		t.Fatal("expected timeout error")
	}
	if calls.Load() != 3 {
		t.Fatalf("calls = %d, want 3", calls.Load())
	}
}
