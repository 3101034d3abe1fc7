package reward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/greason/greason/verify"
)

// loadRow is one generated row and what verify.RewardFor says about it.
type loadRow struct {
	ID                     int    `json:"id"`
	Question               string `json:"question"`
	Gold                   string `json:"gold"`
	Response               string `json:"response"`
	reward                 float64
	correct                bool
	extracted, layer, reas string
}

// genRows makes n rows of the shapes policy outputs take (a right or wrong boxed answer, a
// final-answer line, no answer, a hedge, a long derivation before the box) with ids from id0.
func genRows(rng *rand.Rand, id0, n int) []loadRow {
	golds := []string{"42", "3/4", `\frac{\sqrt{2}}{2}`, "Paris", "x^2+1", "0.25", "(B)", "7 m/s", "True", "-3"}
	wrongs := []string{"41", "0.7", `\sqrt{2}`, "Lyon", "x^2-1", "25", "(C)", "7 km/h", "False", "3"}
	rights := []string{"42", "0.75", `\frac{1}{\sqrt{2}}`, "Paris", "1+x^2", `\frac{1}{4}`, "B", "7 m/s", "Yes", "-3"}
	rows := make([]loadRow, n)
	for i := range rows {
		k := rng.IntN(len(golds))
		var resp string
		switch rng.IntN(6) {
		case 0:
			resp = "Let me compute. " + strings.Repeat("We simplify the expression step by step. ", rng.IntN(40)) + `So the answer is \boxed{` + rights[k] + "}."
		case 1:
			resp = `Therefore \boxed{` + wrongs[k] + "}"
		case 2:
			resp = "Work shown.\nFinal Answer: " + rights[k] + "\n"
		case 3:
			resp = "I am not sure what the answer is."
		case 4:
			resp = `It is \boxed{` + rights[k] + `} or \boxed{` + wrongs[k] + "}"
		default:
			resp = `\boxed{` + rights[k] + "}"
		}
		rows[i] = loadRow{ID: id0 + i, Question: "Question " + fmt.Sprint(id0+i) + "? Options: (A) 1 (B) 2 (C) 3", Gold: golds[k], Response: resp}
	}
	return rows
}

// TestLoadManyClients: 32 clients on loopback send batches at once; every row comes back
// exactly once, in its request's order, with the reward, verdict and extracted answer that
// verify.RewardFor gives for it in-process.
func TestLoadManyClients(t *testing.T) {
	const clients, requests = 32, 4
	s, hs := newTestServer(t, Options{Workers: 2})
	rng := rand.New(rand.NewPCG(1, 2))
	type batchIn struct {
		rows []loadRow
		body []byte
	}
	batches := make([][]batchIn, clients)
	byID := map[int]*loadRow{}
	id := 0
	ctx := context.Background()
	judge := verify.RuleVerifier{}
	total := 0
	for c := range batches {
		for range requests {
			rows := genRows(rng, id, 1+rng.IntN(120))
			id += len(rows)
			for i := range rows {
				r := &rows[i]
				rw, v, err := verify.RewardFor(ctx, judge, r.Question, r.Gold, r.Response, verify.RuneCounter)
				if err != nil {
					t.Fatal(err)
				}
				ans, ok := verify.RewardAnswer(r.Response)
				if !ok {
					ans = "<none>"
				}
				r.reward, r.correct, r.extracted, r.layer, r.reas = rw, v.Correct, ans, v.Layer, v.Reason
				byID[r.ID] = r
			}
			total += len(rows)
			body, err := json.Marshal(map[string]any{"rows": rows})
			if err != nil {
				t.Fatal(err)
			}
			batches[c] = append(batches[c], batchIn{rows, body})
		}
	}
	seen := make([]int, id)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Transport: &http.Transport{}} // one connection per client
			defer client.CloseIdleConnections()
			for _, b := range batches[c] {
				resp, err := client.Post(hs.URL+"/v1/reward", "application/json", bytes.NewReader(b.body))
				if err != nil {
					errs <- err
					return
				}
				raw, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d %v: %s", resp.StatusCode, err, raw)
					return
				}
				var out struct{ Results []wireResult }
				if err := json.Unmarshal(raw, &out); err != nil {
					errs <- err
					return
				}
				if len(out.Results) != len(b.rows) {
					errs <- fmt.Errorf("%d results for %d rows", len(out.Results), len(b.rows))
					return
				}
				for i, r := range out.Results {
					var got int
					if err := json.Unmarshal(r.ID, &got); err != nil || got != b.rows[i].ID {
						errs <- fmt.Errorf("result %d has id %s, want %d", i, r.ID, b.rows[i].ID)
						return
					}
					w := byID[got]
					ex := "<none>"
					if r.Extracted != nil {
						ex = *r.Extracted
					}
					if r.Reward != w.reward || r.Correct != w.correct || ex != w.extracted || r.Layer != w.layer || r.Reason != w.reas {
						errs <- fmt.Errorf("id %d: got %v %v %q %s/%s, RewardFor gives %v %v %q %s/%s", got, r.Reward, r.Correct, ex, r.Layer, r.Reason, w.reward, w.correct, w.extracted, w.layer, w.reas)
						return
					}
					mu.Lock()
					seen[got]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("row id %d answered %d times", i, n)
		}
	}
	st := s.Stats()
	if st.Rows != int64(total) || st.Requests != clients*requests || st.Failed+st.Rejected+st.Cancelled != 0 {
		t.Fatalf("stats %+v, want %d rows in %d requests", st, total, clients*requests)
	}
	var kinds [3]int // −0.5, 0, pass
	for _, r := range byID {
		switch {
		case r.reward == -0.5:
			kinds[0]++
		case r.reward == 0:
			kinds[1]++
		default:
			kinds[2]++
		}
	}
	if kinds[0] == 0 || kinds[1] == 0 || kinds[2] == 0 {
		t.Fatalf("the generated rows do not cover every reward kind: %v", kinds)
	}
	t.Logf("%d clients, %d rows in %d requests, every one answered once and as RewardFor (no answer/wrong/pass: %v)", clients, total, clients*requests, kinds)
}
