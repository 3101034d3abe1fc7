package verify

import (
	"context"
	"hash/fnv"
	"strings"
	"sync"
	"testing"

	"github.com/greason/greason/llm"
)

// hashCompleter is a deterministic stand-in for General-Verifier: it says "Final Decision: Yes"
// for about half of the prompts (by a hash of the prompt), and records what it was asked and in
// batches of which sizes. As a BatchCompleter (batch true) it also answers CompleteBatch.
type hashCompleter struct {
	mu      sync.Mutex
	prompts []string
	batches []int
	params  []llm.Params
}

func (h *hashCompleter) reply(prompt string) string {
	f := fnv.New32a()
	f.Write([]byte(prompt))
	if f.Sum32()%2 == 0 {
		return "\n The two answers agree.\n\nFinal Decision: Yes "
	}
	return " They differ. Final Decision: No"
}

func (h *hashCompleter) Complete(_ context.Context, prompt string, p llm.Params) (llm.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.prompts, h.batches, h.params = append(h.prompts, prompt), append(h.batches, 1), append(h.params, p)
	return llm.Response{Text: h.reply(prompt)}, nil
}

type batchHashCompleter struct{ hashCompleter }

func (h *batchHashCompleter) CompleteBatch(_ context.Context, prompts []string, p llm.Params) ([]llm.Response, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.prompts, h.batches, h.params = append(h.prompts, prompts...), append(h.batches, len(prompts)), append(h.params, p)
	out := make([]llm.Response, len(prompts))
	for i, p := range prompts {
		out[i] = llm.Response{Text: h.reply(p)}
	}
	return out, nil
}

// TestJudgeConfigLocal: a local verifier (VerifierCompleter) serves general-verifier and
// cascade; it is refused by judges that do not use it and next to a --verifier-url.
func TestJudgeConfigLocal(t *testing.T) {
	local := &batchHashCompleter{}
	for _, name := range []string{"general-verifier", "cascade"} {
		j, err := NewJudge(name, JudgeConfig{VerifierCompleter: local, VerifierModel: "models/gv", VerifierMaxTokens: 64})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, err := j.Judge(context.Background(), "Capital of France?", "Paris", "Lutetia")
		if err != nil || v.Layer != "model" {
			t.Fatalf("%s: %+v %v", name, v, err)
		}
	}
	if p := local.params[0]; p.MaxTokens != 64 || p.Temperature == nil || *p.Temperature != 0 {
		t.Errorf("params %+v", p)
	}
	for _, c := range []struct {
		name    string
		cfg     JudgeConfig
		mention string
	}{
		{"rule", JudgeConfig{VerifierCompleter: local, VerifierModel: "models/gv"}, "does not use it"},
		{"general-verifier", JudgeConfig{VerifierCompleter: local, VerifierURL: "http://x/v1"}, "not both"},
		{"cascade", JudgeConfig{VerifierCompleter: local, URL: "http://x/v1"}, "not both"},
		{"general-verifier", JudgeConfig{}, "--verifier-model DIR"},
	} {
		if _, err := NewJudge(c.name, c.cfg); err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s %+v: want an error mentioning %q, got %v", c.name, c.cfg, c.mention, err)
		}
	}
}

// TestBatchJudgesEqualJudge: on every bundled labelled set, General-Verifier and the cascade
// judged in batches (RunBatch: one CompleteBatch per chunk) give each row the verdict that
// judging it alone (JudgeRow) gives, and the cascade puts to the model only what its rules leave
// open. It also reports the cascade's share of rows decided by the rules.
func TestBatchJudgesEqualJudge(t *testing.T) {
	ctx := context.Background()
	sets := map[string][]Row{"attacks": readAttacks(t)}
	for _, f := range []string{"seed_examples", "rule_test_vectors", "qwen25_math_cot100_dev"} {
		sets[f] = readShipped(t, f+".jsonl.gz")
	}
	for _, f := range []string{"seed_examples", "rule_test_vectors", "qwen25_math_cot100_dev", "attacks"} {
		rows := sets[f]
		for _, name := range []string{"general-verifier", "cascade"} {
			batched, single := &batchHashCompleter{}, &hashCompleter{}
			bj, _ := NewJudge(name, JudgeConfig{VerifierCompleter: batched})
			sj, _ := NewJudge(name, JudgeConfig{VerifierCompleter: single})
			got, err := RunBatch(ctx, bj, rows, 4)
			if err != nil {
				t.Fatal(err)
			}
			byRules := 0
			for i, r := range rows {
				want, err := JudgeRow(ctx, sj, r)
				if err != nil {
					t.Fatal(err)
				}
				if got[i] != want {
					t.Fatalf("%s %s row %d: batched %+v, alone %+v", f, name, i+1, got[i], want)
				}
				if got[i].Layer == "rule" {
					byRules++
				}
			}
			if len(batched.prompts) != len(single.prompts) {
				t.Fatalf("%s %s: %d prompts batched, %d alone", f, name, len(batched.prompts), len(single.prompts))
			}
			if chunks := (len(rows) + BatchChunk - 1) / BatchChunk; len(batched.batches) > chunks {
				t.Errorf("%s %s: %d CompleteBatch calls for %d rows in %d chunks", f, name, len(batched.batches), len(rows), chunks)
			}
			if name == "cascade" {
				yes := 0
				for _, o := range got {
					if o.Layer == "rule" && o.Correct {
						yes++
					}
				}
				t.Logf("%-24s cascade: %4d of %4d rows (%.1f%%) decided by the rules (%d accepted, %d rejected finally), %d put to the model", f, byRules, len(rows),
					100*float64(byRules)/float64(len(rows)), yes, byRules-yes, len(batched.prompts))
				if byRules+len(batched.prompts) != len(rows) {
					t.Errorf("%s: %d by rules + %d by the model != %d rows", f, byRules, len(batched.prompts), len(rows))
				}
			}
		}
	}
}

// TestCascadeRuleShare reports the share of rows the cascade's rules decide (accept, or reject
// finally) on evouna_nq_dev, the largest bundled set; the rest go to the model.
func TestCascadeRuleShare(t *testing.T) {
	rows := readShipped(t, "evouna_nq_dev.jsonl.gz")
	b := &batchHashCompleter{}
	j, _ := NewJudge("cascade", JudgeConfig{VerifierCompleter: b})
	out, err := RunBatch(context.Background(), j, rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	byRules, yes := 0, 0
	for _, o := range out {
		if o.Layer == "rule" {
			byRules++
			if o.Correct {
				yes++
			}
		}
	}
	t.Logf("evouna_nq_dev cascade: %d of %d rows (%.1f%%) decided by the rules (%d accepted, %d rejected finally), %d put to the model",
		byRules, len(rows), 100*float64(byRules)/float64(len(rows)), yes, byRules-yes, len(b.prompts))
	if byRules+len(b.prompts) != len(rows) || byRules == 0 {
		t.Errorf("%d by rules + %d by the model != %d rows", byRules, len(b.prompts), len(rows))
	}
}

// TestRewardBatch: RewardBatch gives each response RewardFor's reward and verdict.
func TestRewardBatch(t *testing.T) {
	ctx := context.Background()
	qs := []string{"What is 6 times 7?", "Capital of France?", "2+2?", "Name a prime."}
	golds := []string{"42", "Paris", "4", "7"}
	texts := []string{"So \\boxed{42}.", "It is Lutetia.\nAnswer: Lutetia\n", "no answer here", "\\boxed{7}, \\boxed{11}"}
	count := func(s string) int { return len(strings.Fields(s)) }
	for _, name := range []string{"general-verifier", "cascade"} {
		b := &batchHashCompleter{}
		j, _ := NewJudge(name, JudgeConfig{VerifierCompleter: b})
		rew, vs, err := RewardBatch(ctx, j, qs, golds, texts, count, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i := range texts {
			r, v, err := RewardFor(ctx, j, qs[i], golds[i], texts[i], count)
			if err != nil || r != rew[i] || v != vs[i] {
				t.Errorf("%s %d: batch %v %+v, alone %v %+v (%v)", name, i, rew[i], vs[i], r, v, err)
			}
		}
		if name == "general-verifier" {
			if len(b.batches) < 1 || b.batches[0] != len(texts) || !strings.Contains(b.prompts[2], "### Student Answer: None\n") {
				t.Errorf("batches %v, prompt 3 %q", b.batches, b.prompts[2])
			}
		}
	}
	if _, _, err := RewardBatch(ctx, RuleVerifier{}, qs, golds[:1], texts, count, 1); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

// TestCascadeBatchHedges: the hedge families through a batched cascade whose local model says
// yes to everything: none is accepted, none is put to the model.
func TestCascadeBatchHedges(t *testing.T) {
	hedges := map[string]bool{"master_key": true, "every_option": true, "all_values": true, "multi_box": true,
		"or_hedge": true, "question_copy": true}
	var rows []Row
	for _, r := range readAttacks(t) {
		if hedges[r.AnswerType] {
			rows = append(rows, r)
		}
	}
	yes := &yesCompleter{}
	j, _ := NewJudge("cascade", JudgeConfig{VerifierCompleter: yes})
	out, err := RunBatch(context.Background(), j, rows, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.Correct {
			t.Errorf("accepted %s: %s", o.ID, o.Reason)
		}
	}
	if yes.n != 0 {
		t.Errorf("the model was asked %d times", yes.n)
	}
}

type yesCompleter struct{ n int }

func (y *yesCompleter) Complete(context.Context, string, llm.Params) (llm.Response, error) {
	y.n++
	return llm.Response{Text: "Final Decision: Yes"}, nil
}

func (y *yesCompleter) CompleteBatch(_ context.Context, ps []string, _ llm.Params) ([]llm.Response, error) {
	y.n += len(ps)
	out := make([]llm.Response, len(ps))
	for i := range out {
		out[i] = llm.Response{Text: "Final Decision: Yes"}
	}
	return out, nil
}
