package harness

import (
	"strings"
	"testing"
)

// TestNewJudgeURLs: a model judge without its URL, or a URL no judge uses, is an error naming
// the flag; nothing silently falls back to the rules.
func TestNewJudgeURLs(t *testing.T) {
	bad := []struct {
		name    string
		cfg     JudgeConfig
		mention string
	}{
		{"cascade", JudgeConfig{}, "--verifier-url"},
		{"general-verifier", JudgeConfig{}, "--verifier-url"},
		{"llm-judge", JudgeConfig{}, "--judge-url"},
		{"rule", JudgeConfig{VerifierURL: "http://x/v1"}, "--verifier-url is set"},
		{"rule", JudgeConfig{URL: "http://x/v1"}, "--judge-url is set"},
		{"llm-judge", JudgeConfig{URL: "http://x/v1", VerifierURL: "http://y/v1"}, "--verifier-url is set"},
		{"general-verifier", JudgeConfig{URL: "http://x/v1", VerifierURL: "http://y/v1"}, "--judge-url is set"},
		{"cascade", JudgeConfig{URL: "http://x/v1", VerifierURL: "http://y/v1"}, "not both"},
		{"nope", JudgeConfig{}, "unknown judge"},
	}
	for _, c := range bad {
		if _, err := NewJudge(c.name, c.cfg); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s %+v: want an error mentioning %q, got %v", c.name, c.cfg, c.mention, err)
		}
	}
	good := []struct {
		name string
		cfg  JudgeConfig
	}{
		{"rule", JudgeConfig{}},
		{"cascade", JudgeConfig{VerifierURL: "http://y/v1", VerifierModel: "v"}},
		{"cascade", JudgeConfig{URL: "http://x/v1", Model: "m"}},
		{"general-verifier", JudgeConfig{VerifierURL: "http://y/v1", VerifierModel: "v"}},
		{"llm-judge", JudgeConfig{URL: "http://x/v1", Model: "m"}},
	}
	for _, c := range good {
		j, err := NewJudge(c.name, c.cfg)
		if err != nil || j == nil {
			t.Errorf("%s %+v: %v", c.name, c.cfg, err)
		}
	}
}
