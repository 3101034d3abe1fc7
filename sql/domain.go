package sql

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func init() { goSteps["domain_classify"] = domainStep }

// NaiveBayes is a multinomial naive-Bayes text classifier over hashed word unigrams and bigrams.
type NaiveBayes struct {
	Classes  []string
	Buckets  int
	logPrior []float64
	logLik   []float32 // [bucket*classes + class]: one feature's classes share a cache line
	counts   [][]float32
	docs     []int
}

// NewNaiveBayes returns an untrained classifier with 2^bits feature buckets.
func NewNaiveBayes(classes []string, bits int) *NaiveBayes {
	nb := &NaiveBayes{Classes: classes, Buckets: 1 << bits, docs: make([]int, len(classes))}
	nb.counts = make([][]float32, len(classes))
	for i := range nb.counts {
		nb.counts[i] = make([]float32, nb.Buckets)
	}
	return nb
}

// features appends the bucket of every unigram and bigram of text.
func (nb *NaiveBayes) features(text string, scratch []uint64, out []int32) ([]uint64, []int32) {
	scratch = wordHashes(text, scratch)
	out = out[:0]
	mask := uint64(nb.Buckets - 1)
	for i, w := range scratch {
		out = append(out, int32(mix64(w)&mask))
		if i > 0 {
			out = append(out, int32(mix64(w^scratch[i-1]*0x9e3779b97f4a7c15)&mask))
		}
	}
	return scratch, out
}

// Add counts one training document.
func (nb *NaiveBayes) Add(class int, text string) {
	_, f := nb.features(text, nil, nil)
	for _, b := range f {
		nb.counts[class][b]++
	}
	nb.docs[class]++
}

// Fit turns the counts into log probabilities (Laplace smoothing alpha).
func (nb *NaiveBayes) Fit(alpha float64) {
	total := 0
	for _, d := range nb.docs {
		total += d
	}
	nb.logPrior = make([]float64, len(nb.Classes))
	k := len(nb.Classes)
	nb.logLik = make([]float32, nb.Buckets*k)
	for c := range nb.Classes {
		nb.logPrior[c] = math.Log((float64(nb.docs[c]) + 1) / (float64(total) + float64(len(nb.Classes))))
		sum := 0.0
		for _, v := range nb.counts[c] {
			sum += float64(v)
		}
		den := math.Log(sum + alpha*float64(nb.Buckets))
		for b, v := range nb.counts[c] {
			nb.logLik[b*k+c] = float32(math.Log(float64(v)+alpha) - den)
		}
	}
	nb.counts = nil
}

// Predict returns the most likely class and its posterior probability.
func (nb *NaiveBayes) Predict(text string, scratch []uint64, feats []int32, scores []float64) (int, float64, []uint64, []int32) {
	scratch, feats = nb.features(text, scratch, feats)
	k := len(nb.Classes)
	copy(scores, nb.logPrior)
	for _, b := range feats {
		row := nb.logLik[int(b)*k : int(b)*k+k]
		for c, v := range row {
			scores[c] += float64(v)
		}
	}
	best := 0
	for c := range scores {
		if scores[c] > scores[best] {
			best = c
		}
	}
	z := 0.0
	for _, s := range scores {
		z += math.Exp(s - scores[best])
	}
	return best, 1 / z, scratch, feats
}

// domainStep trains the classifier on the rows of s6_labelled whose split is 'train' and predicts
// a fine category for the 'heldout' and 'unlabelled' rows: domain_predictions(rid, split,
// predicted, prob). The SQL of stage 6 measures the held-out accuracy (domain_eval).
func domainStep(ctx context.Context, p *Pipeline) error {
	t0 := time.Now()
	var classes []string
	rows, err := p.conn.QueryContext(ctx, `SELECT DISTINCT category FROM category_map ORDER BY 1`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return err
		}
		classes = append(classes, c)
	}
	rows.Close()
	classIdx := map[string]int{}
	for i, c := range classes {
		classIdx[c] = i
	}
	type row struct {
		rid   int64
		split string
		text  string
		label int // -1: unlabelled
	}
	var all []row
	rows, err = p.conn.QueryContext(ctx, `SELECT l.rid, l.split, r.question, l.label_category
		FROM s6_labelled l JOIN s1_rows r USING (rid) WHERE l.split <> 'unused'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r row
		var lab *string
		if err := rows.Scan(&r.rid, &r.split, &r.text, &lab); err != nil {
			rows.Close()
			return err
		}
		r.label = -1
		if lab != nil {
			r.label = classIdx[*lab]
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	p.tracef("    domain: read %d rows in %.2fs\n", len(all), time.Since(t0).Seconds())
	nb := NewNaiveBayes(classes, 20)
	trained := 0
	var todo []int // rows to predict: held out and unlabelled
	for i, r := range all {
		if r.split == "train" {
			nb.Add(r.label, NormText(r.text))
			trained++
		} else {
			todo = append(todo, i)
		}
	}
	trainedOn := "input"
	if trained == 0 {
		// too few labelled input rows (all held out, or none): train on the labelled benchmark items
		trainedOn = "benchmarks"
		rows, err := p.conn.QueryContext(ctx, `SELECT b.question, m.category FROM bench_items b
			JOIN category_map m ON m.raw = lower(trim(b.category))`)
		if err != nil {
			return fmt.Errorf("domain classifier: no labelled input rows, and the benchmark items are not available: %w", err)
		}
		for rows.Next() {
			var q, c string
			if err := rows.Scan(&q, &c); err != nil {
				rows.Close()
				return err
			}
			nb.Add(classIdx[c], NormText(q))
			trained++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if trained == 0 {
			return fmt.Errorf("domain classifier: no labelled rows in the input or the benchmarks")
		}
	}
	nb.Fit(0.1)
	p.tracef("    domain: trained on %d rows in %.2fs\n", trained, time.Since(t0).Seconds())

	pred := make([]int, len(todo))
	prob := make([]float64, len(todo))
	bar := p.bar(int64(len(todo)), "stage 6 classify")
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []uint64
			var feats []int32
			scores := make([]float64, len(classes))
			for i := w; i < len(todo); i += workers {
				pred[i], prob[i], scratch, feats = nb.Predict(NormText(all[todo[i]].text), scratch, feats, scores)
				if i%4096 == 0 {
					bar.Add(4096 * workers)
				}
			}
		}()
	}
	wg.Wait()
	bar.Finish()
	p.tracef("    domain: predicted in %.2fs\n", time.Since(t0).Seconds())

	if err := p.exec(ctx, `CREATE OR REPLACE TABLE domain_predictions (rid BIGINT, split VARCHAR, predicted VARCHAR, prob DOUBLE)`); err != nil {
		return err
	}
	err = p.withAppender("domain_predictions", func(a *duckdb.Appender) error {
		for i, k := range todo {
			if err := a.AppendRow(all[k].rid, all[k].split, classes[pred[i]], prob[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = p.conn.ExecContext(ctx, `INSERT INTO stage_counts (stage, metric, reason, n) VALUES (6, 'classifier_train_rows', ?, ?)`, trainedOn, trained)
	return err
}
