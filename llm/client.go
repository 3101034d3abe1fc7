// Package llm is a small client for OpenAI-compatible servers (vLLM, SGLang, llama.cpp, Ollama,
// greason serve): chat and text completions with per-request timeouts and retries with
// exponential backoff on 429, 5xx, timeouts and connection errors. The API key is sent as a
// bearer token and never appears in errors or logs.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Params are the sampling parameters sent with a request. Nil pointers are omitted so the
// server's defaults apply.
type Params struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	TopK        *int     `json:"top_k,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

// F64 and I64 make pointer literals for Params.
func F64(v float64) *float64 { return &v }
func I64(v int64) *int64     { return &v }
func Int(v int) *int         { return &v }

// Response is one generated choice.
type Response struct {
	Text             string        `json:"text"`
	FinishReason     string        `json:"finish_reason"`
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	Latency          time.Duration `json:"latency_ns"`
	Attempts         int           `json:"attempts"`
}

// Client talks to one OpenAI-compatible endpoint.
type Client struct {
	BaseURL    string        // e.g. http://localhost:8000/v1
	Model      string        // model name sent in requests
	APIKey     string        // bearer token; never logged
	Timeout    time.Duration // per attempt; 0 means 10 minutes
	MaxRetries int           // retries after the first attempt
	Backoff    time.Duration // first backoff; doubles each retry, with jitter, capped at 60 s
	HTTP       *http.Client
}

// APIKeyFromEnv returns GREASON_API_KEY, else OPENAI_API_KEY, else "".
func APIKeyFromEnv() string {
	if k := os.Getenv("GREASON_API_KEY"); k != "" {
		return k
	}
	return os.Getenv("OPENAI_API_KEY")
}

// New returns a client with sensible defaults (6 retries, 1 s first backoff, 10 min timeout).
func New(baseURL, model string) *Client {
	return &Client{
		BaseURL: strings.TrimRight(baseURL, "/"), Model: model, APIKey: APIKeyFromEnv(),
		Timeout: 10 * time.Minute, MaxRetries: 6, Backoff: time.Second,
		HTTP: &http.Client{},
	}
}

// StatusError is a non-2xx answer from the server.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d: %s", e.Code, e.Body)
}

// Retryable reports whether an error is worth retrying: 408, 409, 429, 5xx, timeouts and
// connection failures. Context cancellation by the caller is not retryable.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == 408 || se.Code == 409 || se.Code == 429 || se.Code >= 500
	}
	return true // timeouts, resets, refused connections, broken JSON from a dying server
}

// Chat sends a /chat/completions request (the server applies the chat template).
func (c *Client) Chat(ctx context.Context, msgs []Message, p Params) (Response, error) {
	body := map[string]any{"model": c.Model, "messages": msgs}
	return c.do(ctx, "/chat/completions", body, p, func(raw []byte) (Response, error) {
		var r struct {
			Choices []struct {
				Message      Message `json:"message"`
				FinishReason string  `json:"finish_reason"`
			} `json:"choices"`
			Usage usage `json:"usage"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return Response{}, fmt.Errorf("decode chat response: %w", err)
		}
		if len(r.Choices) == 0 {
			return Response{}, errors.New("chat response has no choices")
		}
		return Response{Text: r.Choices[0].Message.Content, FinishReason: r.Choices[0].FinishReason,
			PromptTokens: r.Usage.PromptTokens, CompletionTokens: r.Usage.CompletionTokens}, nil
	})
}

// Complete sends a /completions request with a raw prompt (no chat template).
func (c *Client) Complete(ctx context.Context, prompt string, p Params) (Response, error) {
	body := map[string]any{"model": c.Model, "prompt": prompt}
	return c.do(ctx, "/completions", body, p, func(raw []byte) (Response, error) {
		var r struct {
			Choices []struct {
				Text         string `json:"text"`
				FinishReason string `json:"finish_reason"`
			} `json:"choices"`
			Usage usage `json:"usage"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return Response{}, fmt.Errorf("decode completion response: %w", err)
		}
		if len(r.Choices) == 0 {
			return Response{}, errors.New("completion response has no choices")
		}
		return Response{Text: r.Choices[0].Text, FinishReason: r.Choices[0].FinishReason,
			PromptTokens: r.Usage.PromptTokens, CompletionTokens: r.Usage.CompletionTokens}, nil
	})
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

func (c *Client) do(ctx context.Context, path string, body map[string]any, p Params,
	parse func([]byte) (Response, error)) (Response, error) {
	pj, _ := json.Marshal(p)
	var pm map[string]any
	_ = json.Unmarshal(pj, &pm)
	for k, v := range pm {
		body[k] = v
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return Response{}, err
	}
	start := time.Now()
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var lastErr error
	for attempt := 0; attempt <= c.MaxRetries; attempt++ {
		var retryAfter time.Duration
		raw, err := c.once(ctx, path, payload, &retryAfter)
		if err == nil {
			var r Response
			if r, err = parse(raw); err == nil {
				r.Latency, r.Attempts = time.Since(start), attempt+1
				return r, nil
			}
		}
		lastErr = err
		if ctx.Err() != nil || !Retryable(err) || attempt == c.MaxRetries {
			break
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/2+1))
		if retryAfter > wait {
			wait = retryAfter
		}
		select {
		case <-ctx.Done():
			return Response{}, ctx.Err()
		case <-time.After(wait):
		}
		if backoff *= 2; backoff > time.Minute {
			backoff = time.Minute
		}
	}
	return Response{}, fmt.Errorf("%s%s: %w", c.BaseURL, path, lastErr)
}

func (c *Client) once(ctx context.Context, path string, payload []byte, retryAfter *time.Duration) ([]byte, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.BaseURL+path, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.scrub(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, c.scrub(err)
	}
	if resp.StatusCode/100 != 2 {
		if s := resp.Header.Get("Retry-After"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil {
				*retryAfter = time.Duration(secs) * time.Second
			}
		}
		msg := string(raw)
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return nil, &StatusError{Code: resp.StatusCode, Body: c.scrubString(msg)}
	}
	return raw, nil
}

func (c *Client) scrub(err error) error {
	if c.APIKey == "" || !strings.Contains(err.Error(), c.APIKey) {
		return err
	}
	return errors.New(c.scrubString(err.Error()))
}

func (c *Client) scrubString(s string) string {
	if c.APIKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.APIKey, "[redacted]")
}
