package sql

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/schollz/progressbar/v3"
)

func init() { goSteps["domain_classify"] = domainStep }

// NaiveBayes is a multinomial naive-Bayes text classifier over hashed word unigrams and bigrams.
type NaiveBayes struct {
	Classes  []string
	Buckets  int
	logPrior []float64
	logLik   []float32  // [bucket*classes + class]: one feature's classes share a cache line
	counts   [][]uint32 // [class][bucket], added to atomically (training rows arrive on several threads)
	docs     []atomic.Int64

	freeCounts, freeLogLik func() // both tables are in huge pages (hugeSlice): random access
}

// NewNaiveBayes returns an untrained classifier with 2^bits feature buckets; Close releases it.
func NewNaiveBayes(classes []string, bits int) *NaiveBayes {
	nb := &NaiveBayes{Classes: classes, Buckets: 1 << bits, docs: make([]atomic.Int64, len(classes))}
	all, free := hugeSlice[uint32](len(classes) * nb.Buckets)
	nb.counts, nb.freeCounts, nb.freeLogLik = make([][]uint32, len(classes)), free, func() {}
	for i := range nb.counts {
		nb.counts[i] = all[i*nb.Buckets : (i+1)*nb.Buckets]
	}
	return nb
}

// features appends the bucket of every unigram and bigram of text.
func (nb *NaiveBayes) features(text string, scratch []uint64, out []int32) ([]uint64, []int32) {
	scratch = wordHashes(text, scratch)
	return scratch, nb.featuresWords(scratch, out)
}

// featuresWords is features of the text whose word hashes are scratch.
func (nb *NaiveBayes) featuresWords(scratch []uint64, out []int32) []int32 {
	return nb.appendFeatures(out[:0], scratch)
}

// appendFeatures appends the features of the text whose word hashes are scratch to out.
func (nb *NaiveBayes) appendFeatures(out []int32, scratch []uint64) []int32 {
	mask := uint64(nb.Buckets - 1)
	for i, w := range scratch {
		out = append(out, int32(mix64(w)&mask))
		if i > 0 {
			out = append(out, int32(mix64(w^scratch[i-1]*0x9e3779b97f4a7c15)&mask))
		}
	}
	return out
}

// Add counts one training document. It is safe to call from several goroutines.
func (nb *NaiveBayes) Add(class int, text string) {
	_, f := nb.features(text, nil, nil)
	nb.addFeatures(class, f)
}

func (nb *NaiveBayes) addFeatures(class int, f []int32) {
	counts := nb.counts[class]
	for _, b := range f {
		atomic.AddUint32(&counts[b], 1)
	}
	nb.docs[class].Add(1)
}

// Fit turns the counts into log probabilities (Laplace smoothing alpha), the buckets split
// between GOMAXPROCS goroutines. A count is used as the float32 it was when counts were float32
// increments (exact up to 2^24, which an increment no longer changes).
func (nb *NaiveBayes) Fit(alpha float64) {
	total := 0
	for i := range nb.docs {
		total += int(nb.docs[i].Load())
	}
	nb.logPrior = make([]float64, len(nb.Classes))
	k := len(nb.Classes)
	nb.logLik, nb.freeLogLik = hugeSlice[float32](nb.Buckets * k)
	asFloat32 := func(v uint32) float64 { return float64(float32(min(v, 1<<24))) }
	// log(count + alpha) of the small counts (most buckets), computed once: the same values
	var logSmall [256]float64
	for v := range logSmall {
		logSmall[v] = math.Log(asFloat32(uint32(v)) + alpha)
	}
	for c := range nb.Classes {
		nb.logPrior[c] = math.Log((float64(nb.docs[c].Load()) + 1) / (float64(total) + float64(len(nb.Classes))))
		sum := 0.0 // a sum of integers below 2^53: exact in any order
		for _, v := range nb.counts[c] {
			sum += asFloat32(v)
		}
		den := math.Log(sum + alpha*float64(nb.Buckets))
		counts := nb.counts[c]
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := w*len(counts)/workers, (w+1)*len(counts)/workers
				for b := lo; b < hi; b++ {
					l := 0.0
					if v := counts[b]; v < uint32(len(logSmall)) {
						l = logSmall[v]
					} else {
						l = math.Log(asFloat32(v) + alpha)
					}
					nb.logLik[b*k+c] = float32(l - den)
				}
			}()
		}
		wg.Wait()
	}
	nb.counts = nil
	nb.freeCounts()
}

// Close releases the classifier's tables.
func (nb *NaiveBayes) Close() {
	if nb.counts != nil {
		nb.counts = nil
		nb.freeCounts()
	}
	nb.logLik = nil
	nb.freeLogLik()
}

// Predict returns the most likely class and its posterior probability.
func (nb *NaiveBayes) Predict(text string, scratch []uint64, feats []int32, scores []float64) (int, float64, []uint64, []int32) {
	scratch = wordHashes(text, scratch)
	c, p, feats := nb.predictWords(scratch, feats, scores)
	return c, p, scratch, feats
}

// predictWords is Predict of the text whose word hashes are words.
func (nb *NaiveBayes) predictWords(words []uint64, feats []int32, scores []float64) (int, float64, []int32) {
	feats = nb.featuresWords(words, feats)
	c, p := nb.predictFeatures(feats, scores)
	return c, p, feats
}

// predictFeatures is Predict of a text with these features.
func (nb *NaiveBayes) predictFeatures(feats []int32, scores []float64) (int, float64) {
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
	return best, 1 / z
}

// domainStep trains the classifier on the rows of s6_labelled whose split is 'train' and predicts
// a fine category for the 'heldout' and 'unlabelled' rows: domain_predictions(rid, split,
// predicted, prob). The SQL of stage 6 measures the held-out accuracy (domain_eval). Training and
// prediction read the rows inside a query, on both cores (sink.go); the counts are integers, so
// the order rows arrive in does not change the model.
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
	nb := NewNaiveBayes(classes, 20)
	defer nb.Close()
	var todo int64
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*) FROM s6_labelled WHERE split IN ('heldout', 'unlabelled')`).Scan(&todo); err != nil {
		return err
	}
	// One pass trains on the 'train' rows and keeps the features of the rows to predict (about
	// 520 bytes a row), unless there are more than domainBufferRows of them: then a second query
	// reads those rows again after training.
	buffer := todo <= domainBufferRows
	tr := &nbTrainSink{nb: nb, classIdx: classIdx, buffer: buffer}
	q := `SELECT count(go_step_rows(l.rid, l.split, l.label_category, r.question))
		FROM s6_labelled l JOIN s1_rows r USING (rid) WHERE l.split = 'train'`
	if buffer {
		q = strings.Replace(q, "l.split = 'train'", "l.split <> 'unused'", 1)
	}
	if _, err := p.sinkRows(ctx, tr, q); err != nil {
		return fmt.Errorf("domain classifier: %w", err)
	}
	trained := tr.trained.Load()
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

	pr := &nbPredictSink{nb: nb, bar: p.bar(todo, "stage 6 classify")}
	if buffer {
		pr.predictBuffered(tr)
	} else if _, err := p.sinkRows(ctx, pr, `SELECT count(go_step_rows(l.rid, l.split, r.question))
		FROM s6_labelled l JOIN s1_rows r USING (rid) WHERE l.split IN ('heldout', 'unlabelled')`); err != nil {
		return fmt.Errorf("domain classifier: %w", err)
	}
	pr.bar.Finish()
	if int64(len(pr.out)) != todo {
		return fmt.Errorf("domain classifier: %d rows to predict, %d predicted", todo, len(pr.out))
	}
	p.tracef("    domain: predicted in %.2fs\n", time.Since(t0).Seconds())

	if err := p.exec(ctx, `CREATE OR REPLACE TABLE domain_predictions (rid BIGINT, split VARCHAR, predicted VARCHAR, prob DOUBLE)`); err != nil {
		return err
	}
	err = p.withAppender("domain_predictions", func(a *duckdb.Appender) error {
		for _, r := range pr.out {
			if err := a.AppendRow(r.rid, r.split, classes[r.class], r.prob); err != nil {
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

// domainBufferRows: stage 6 keeps the features of at most this many rows to predict in memory
// (one pass over the text); more, and it reads them again after training.
var domainBufferRows int64 = 2_000_000

// nbTrainSink adds the 'train' rows (rid, split, label, question) to the classifier's counts;
// with buffer, it keeps the features of the other rows (split heldout or unlabelled).
type nbTrainSink struct {
	nb       *NaiveBayes
	classIdx map[string]int
	buffer   bool
	trained  atomic.Int64

	mu      sync.Mutex
	feats   []int32 // features of the rows to predict, back to back
	pending []nbPending
}

// nbPending is a row to predict: its features are feats[lo:hi].
type nbPending struct {
	rid    int64
	split  string
	lo, hi int
}

func (s *nbTrainSink) consume(c *sinkChunk) error {
	var words []uint64
	var feats, kept []int32
	var pending []nbPending
	for row, rid := range c.rids {
		if !c.valid[0][row] || !c.valid[2][row] {
			return fmt.Errorf("domain classifier: rid %d has no split or question", rid)
		}
		split := c.text[0][row]
		words = normWordHashes(c.text[2][row], words) // the words of NormText(question)
		if split != "train" {
			if !s.buffer {
				return fmt.Errorf("domain classifier: rid %d: split %q in the training query", rid, split)
			}
			lo := len(kept)
			kept = s.nb.appendFeatures(kept, words)
			pending = append(pending, nbPending{rid: rid, split: strings.Clone(split), lo: lo, hi: len(kept)})
			continue
		}
		label := c.text[1][row]
		class, ok := s.classIdx[label]
		if !c.valid[1][row] || !ok {
			return fmt.Errorf("domain classifier: training row rid %d: label %q is not a category", rid, label)
		}
		feats = s.nb.featuresWords(words, feats)
		s.nb.addFeatures(class, feats)
		s.trained.Add(1)
	}
	if len(pending) > 0 {
		s.mu.Lock()
		off := len(s.feats)
		s.feats = append(s.feats, kept...)
		for _, r := range pending {
			r.lo, r.hi = r.lo+off, r.hi+off
			s.pending = append(s.pending, r)
		}
		s.mu.Unlock()
	}
	return nil
}

// nbPrediction is the predicted class of one row.
type nbPrediction struct {
	rid   int64
	split string
	class int
	prob  float64
}

// nbPredictSink predicts the class of the rows (rid, split, question).
type nbPredictSink struct {
	nb  *NaiveBayes
	bar *progressbar.ProgressBar
	mu  sync.Mutex
	out []nbPrediction
}

// predictBuffered predicts the rows the training pass kept, on GOMAXPROCS goroutines.
func (s *nbPredictSink) predictBuffered(tr *nbTrainSink) {
	s.out = make([]nbPrediction, len(tr.pending))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			scores := make([]float64, len(s.nb.Classes))
			lo, hi := w*len(tr.pending)/workers, (w+1)*len(tr.pending)/workers
			for i := lo; i < hi; i++ {
				r := tr.pending[i]
				class, prob := s.nb.predictFeatures(tr.feats[r.lo:r.hi], scores)
				s.out[i] = nbPrediction{rid: r.rid, split: r.split, class: class, prob: prob}
			}
			s.bar.Add(hi - lo)
		}()
	}
	wg.Wait()
}

func (s *nbPredictSink) consume(c *sinkChunk) error {
	var words []uint64
	var feats []int32
	scores := make([]float64, len(s.nb.Classes))
	out := make([]nbPrediction, len(c.rids))
	for row, rid := range c.rids {
		if !c.valid[0][row] || !c.valid[1][row] {
			return fmt.Errorf("domain classifier: rid %d has no split or question", rid)
		}
		words = normWordHashes(c.text[1][row], words)
		out[row] = nbPrediction{rid: rid, split: strings.Clone(c.text[0][row])}
		out[row].class, out[row].prob, feats = s.nb.predictWords(words, feats, scores)
	}
	s.bar.Add(len(c.rids))
	s.mu.Lock()
	s.out = append(s.out, out...)
	s.mu.Unlock()
	return nil
}
