package benchmarks

import (
	"math"
	"sort"
)

// GroupScore is the accuracy of one category / discipline / task.
type GroupScore struct {
	Name     string  `json:"name"`
	N        int     `json:"n"`
	Correct  int     `json:"correct"`
	Accuracy float64 `json:"accuracy"` // percent
}

// Metrics summarises a benchmark run. Accuracies are percentages.
type Metrics struct {
	Benchmark    string       `json:"benchmark"`
	Headline     string       `json:"headline"` // which number the paper reports
	Score        float64      `json:"score"`    // the headline number
	N            int          `json:"n"`        // scored samples
	Items        int          `json:"items"`
	Correct      int          `json:"correct"`
	Micro        float64      `json:"micro"`
	Macro        float64      `json:"macro,omitempty"`         // mean over groups
	HarmonicMean float64      `json:"harmonic_mean,omitempty"` // BBEH paper's adjusted harmonic mean over tasks
	NoAnswerRate float64      `json:"no_answer_rate"`          // samples where nothing was extracted
	FallbackRate float64      `json:"fallback_rate,omitempty"` // samples scored with a random letter
	Groups       []GroupScore `json:"groups,omitempty"`
}

// Aggregate computes the metrics of spec over results (one per item and sample).
func Aggregate(spec Spec, results []Result) Metrics {
	m := Metrics{Benchmark: spec.Name, Headline: spec.Headline, N: len(results)}
	items := map[string]bool{}
	groups := map[string]*GroupScore{}
	noAns, fallback := 0, 0
	for _, r := range results {
		items[r.ID] = true
		if r.Correct {
			m.Correct++
		}
		if !r.Found {
			noAns++
		}
		if r.Fallback {
			fallback++
		}
		if spec.GroupBy != "" {
			g := groups[r.Group]
			if g == nil {
				g = &GroupScore{Name: r.Group}
				groups[r.Group] = g
			}
			g.N++
			if r.Correct {
				g.Correct++
			}
		}
	}
	m.Items = len(items)
	if m.N == 0 {
		return m
	}
	m.Micro = pct(m.Correct, m.N)
	m.NoAnswerRate = pct(noAns, m.N)
	m.FallbackRate = pct(fallback, m.N)
	for _, g := range groups {
		g.Accuracy = pct(g.Correct, g.N)
		m.Groups = append(m.Groups, *g)
	}
	sort.Slice(m.Groups, func(i, j int) bool { return m.Groups[i].Name < m.Groups[j].Name })
	if len(m.Groups) > 0 {
		sum, inv := 0.0, 0.0
		for _, g := range m.Groups {
			sum += g.Accuracy
			inv += 1 / (g.Accuracy + 1)
		}
		m.Macro = sum / float64(len(m.Groups))
		if spec.Name == "bbeh" {
			// BBEH paper: harmonic mean over tasks of (accuracy% + 1), minus 1, so that a task at
			// zero accuracy does not zero the whole score.
			m.HarmonicMean = float64(len(m.Groups))/inv - 1
		}
	}
	switch spec.Headline {
	case "macro":
		m.Score = m.Macro
	default: // micro, and avg@k, which is the micro mean over all item x sample pairs
		m.Score = m.Micro
	}
	return m
}

func pct(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return 100 * float64(a) / float64(b)
}
