package harness

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Sample is one generated response, as stored in a run's samples.jsonl.
type Sample struct {
	Key              string    `json:"key"`
	Benchmark        string    `json:"benchmark"`
	ID               string    `json:"id"`
	Sample           int       `json:"sample"`
	Response         string    `json:"response"`
	FinishReason     string    `json:"finish_reason,omitempty"`
	PromptTokens     int       `json:"prompt_tokens,omitempty"`
	CompletionTokens int       `json:"completion_tokens,omitempty"`
	Endpoint         string    `json:"endpoint,omitempty"`
	LatencyMS        int64     `json:"latency_ms"`
	Attempts         int       `json:"attempts,omitempty"`
	Time             time.Time `json:"time"`
}

// SampleKey identifies a sample by everything that determines it: model, API, the exact
// request (messages or prompt), the sampling parameters and the sample index.
func SampleKey(model, api string, request any, params any, sample int) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode([]any{model, api, request, params, sample})
	return hex.EncodeToString(h.Sum(nil))
}

// Cache is an append-only JSONL file of samples. Each sample is written as one line with one
// write call, so a process killed at any point leaves at most a torn last line, which Open
// drops: a restarted run regenerates exactly the samples that are missing.
type Cache struct {
	mu   sync.Mutex
	f    *os.File
	path string
	have map[string]Sample
}

// OpenCache opens (creating if needed) the cache at path and loads what it holds.
func OpenCache(path string) (*Cache, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	c := &Cache{f: f, path: path, have: map[string]Sample{}}
	r := bufio.NewReader(f)
	var good int64
	line := 0
	for {
		b, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(bytes.TrimSpace(b)) > 0 { // torn last line of a killed writer
				fmt.Fprintf(os.Stderr, "cache %s: dropping incomplete last line (%d bytes)\n", path, len(b))
			}
			break
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		line++
		var s Sample
		if jerr := json.Unmarshal(b, &s); jerr != nil || s.Key == "" {
			f.Close()
			return nil, fmt.Errorf("%s: line %d: corrupt sample record: %v", path, line, jerr)
		}
		c.have[s.Key] = s
		good += int64(len(b))
	}
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// Get returns the cached sample for key.
func (c *Cache) Get(key string) (Sample, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.have[key]
	return s, ok
}

// Len is the number of cached samples.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.have)
}

// Put appends s unless its key is already present (a sample is never stored twice).
func (c *Cache) Put(s Sample) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.have[s.Key]; dup {
		return nil
	}
	if _, err := c.f.Write(b); err != nil {
		return err
	}
	c.have[s.Key] = s
	return nil
}

// Close flushes and closes the file.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.f.Sync(); err != nil {
		c.f.Close()
		return err
	}
	return c.f.Close()
}
