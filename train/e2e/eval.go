package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/greason/greason/train/job"
	"github.com/greason/greason/train/micro"
)

// Question is a held-out question with what the oracle knows of it.
type Question struct {
	ID, Question, Gold string
	Item               micro.Item // Domain, Group, Meaning: the oracle's
}

// LoadQuestions reads the held-out questions (TestFile) and their meanings (OracleFile) from dir.
func LoadQuestions(dir string) ([]Question, error) {
	meanings := map[string]OracleRow{}
	if err := readLines(filepath.Join(dir, OracleFile), func(line int, b []byte) error {
		var o OracleRow
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		meanings[o.ID] = o
		return nil
	}); err != nil {
		return nil, err
	}
	var qs []Question
	err := readLines(filepath.Join(dir, TestFile), func(line int, b []byte) error {
		var r webRow
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		o, ok := meanings[r.ID]
		if !ok || o.Question != r.Question {
			return fmt.Errorf("id %s: no oracle meaning for this question in %s", r.ID, OracleFile)
		}
		qs = append(qs, Question{ID: r.ID, Question: r.Question, Gold: r.Answer,
			Item: micro.Item{Domain: o.Domain, Group: o.Group, Question: o.Question, Gold: r.Answer, Meaning: o.Meaning}})
		return nil
	})
	return qs, err
}

func readLines(path string, fn func(line int, b []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := fn(line, sc.Bytes()); err != nil {
			return fmt.Errorf("%s row %d: %w", path, line, err)
		}
	}
	return sc.Err()
}

// EvalConfig is how the held-out questions are asked.
type EvalConfig struct {
	URL         string  `json:"-"`           // the server's base URL (…/v1)
	Model       string  `json:"model"`       // the model id the server serves
	Samples     int     `json:"samples"`     // sampled answers per question (avg@k)
	Temperature float64 `json:"temperature"` // of the samples
	MaxTokens   int     `json:"max_tokens"`
	Seed        int64   `json:"seed"` // question i's request seed is Seed + i
	// PromptTokens, when set, is the number of tokens each question's prompt has in training (the
	// chat template the job used): a served prompt of another length is an error (the server
	// would not be asking what the policy was trained on).
	PromptTokens map[string]int `json:"-"`
}

// Eval is the oracle's verdict on the answers a served model gave to the held-out questions.
type Eval struct {
	Config   EvalConfig         `json:"config"`
	Accuracy float64            `json:"accuracy"` // avg@k at the temperature, % (the oracle)
	Greedy   float64            `json:"greedy"`   // greedy (temperature 0), % (the oracle)
	ByGroup  map[string]float64 `json:"by_group"` // avg@k by group and domain, %
	Boxed    float64            `json:"boxed"`    // share of sampled answers with exactly one \boxed{} the oracle can read, %
	Requests int                `json:"requests"`
	Samples  []Sample           `json:"samples,omitempty"` // the first questions' first answers
}

// Sample is one held-out answer.
type Sample struct {
	ID       string `json:"id"`
	Domain   string `json:"domain"`
	Question string `json:"question"`
	Gold     string `json:"gold"`
	Response string `json:"response"`
	Correct  bool   `json:"correct"`
}

// samplesKept is how many questions' first answers an Eval keeps.
const samplesKept = 16

// Evaluate asks the server every question once greedily and once for cfg.Samples samples, one
// request at a time (so each request is decoded alone and the answers do not depend on how the
// server batches), with the question's §3.1 user turn as the only message, and judges every
// answer with the oracle.
func Evaluate(ctx context.Context, cfg EvalConfig, qs []Question) (*Eval, error) {
	ev := &Eval{Config: cfg, ByGroup: map[string]float64{}}
	hits, counts := map[string]float64{}, map[string]float64{}
	var total, n, greedy, boxed float64
	client := &http.Client{Timeout: 10 * time.Minute}
	for i, q := range qs {
		for _, greedyReq := range []bool{true, false} {
			temp, k := cfg.Temperature, cfg.Samples
			if greedyReq {
				temp, k = 0, 1
			}
			texts, promptTokens, err := chat(ctx, client, cfg, job.UserTurn(q.Question), k, temp, cfg.Seed+int64(i))
			ev.Requests++
			if err != nil {
				return nil, fmt.Errorf("question %s: %w", q.ID, err)
			}
			if want, ok := cfg.PromptTokens[q.ID]; ok && want != promptTokens {
				return nil, fmt.Errorf("question %s: the server's prompt has %d tokens, the trained prompt %d: another chat template?", q.ID, promptTokens, want)
			}
			for j, t := range texts {
				c := micro.OracleCorrect(q.Item, t)
				if greedyReq {
					if c {
						greedy++
					}
					continue
				}
				if _, ok := micro.OracleExtract(t); ok {
					boxed++
				}
				v := 0.0
				if c {
					v = 1
				}
				total, n = total+v, n+1
				for _, key := range []string{q.Item.Group, q.Item.Domain} {
					hits[key] += v
					counts[key]++
				}
				if j == 0 && i < samplesKept {
					ev.Samples = append(ev.Samples, Sample{ID: q.ID, Domain: q.Item.Domain, Question: q.Question, Gold: q.Gold, Response: t, Correct: c})
				}
			}
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no answers")
	}
	ev.Accuracy, ev.Greedy, ev.Boxed = 100*total/n, 100*greedy/float64(len(qs)), 100*boxed/n
	for k, c := range counts {
		ev.ByGroup[k] = 100 * hits[k] / c
	}
	return ev, nil
}

// chat posts one chat completion request and returns its choices' texts (in order) and the
// prompt's token count.
func chat(ctx context.Context, client *http.Client, cfg EvalConfig, user string, n int, temperature float64, seed int64) ([]string, int, error) {
	body, err := json.Marshal(map[string]any{"model": cfg.Model, "messages": []map[string]string{{"role": "user", "content": user}},
		"n": n, "temperature": temperature, "max_tokens": cfg.MaxTokens, "seed": seed})
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(cfg.URL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))
	}
	var out struct {
		Choices []struct {
			Index   int `json:"index"`
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, 0, fmt.Errorf("response: %w", err)
	}
	if len(out.Choices) != n {
		return nil, 0, fmt.Errorf("%d choices, asked for %d", len(out.Choices), n)
	}
	sort.Slice(out.Choices, func(a, b int) bool { return out.Choices[a].Index < out.Choices[b].Index })
	texts := make([]string, n)
	for i, c := range out.Choices {
		texts[i] = c.Message.Content
	}
	// usage.prompt_tokens counts the prompt once per request (OpenAI's convention).
	return texts, out.Usage.PromptTokens, nil
}
