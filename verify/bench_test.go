package verify

import (
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user+system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// shortPairs are typical short (gold, answer, question) triples: numbers, fractions, units,
// lists, text, verdicts, multiple choice, and two hedges.
var shortPairs = [][3]string{
	{"3/2", "1.5"}, {`\frac{11}{16}`, "0.6875"}, {"4.9 J", "4.9 N·m"}, {"$2x+3$", "$3+2x$"}, {"25%", "0.25"},
	{"(1, 2)", "(1,2)"}, {"x = 4", "4"}, {"7425000", "7,425,000"}, {"True", "Yes"}, {"Paris", "Paris"},
	{"Wilhelm Conrad Röntgen", "Wilhelm Röntgen"}, {"420", "421"}, {`\sqrt{2}/2`, `\frac{1}{\sqrt{2}}`}, {"B", "(B)"},
	{"36 km/h", "10 m/s"}, {"[0, 1)", "(0, 1)"}, {"Friday", "Thursday or Friday"}, {"42", "41, 42 or 43"},
}

// BenchmarkRuleShort measures single-core verifications per second on short answers and
// reports the p99 latency.
func BenchmarkRuleShort(b *testing.B) {
	r := RuleVerifier{}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := shortPairs[i%len(shortPairs)]
		t0 := time.Now()
		r.Check(p[2], p[0], p[1])
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verif/s")
	// per second of CPU the process used (all its threads): the one-core rate on a machine
	// shared with other work, where wall-clock time also counts waiting for a core
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "verif/cpu-s")
	}
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func adversarialInputs() map[string][3]string {
	deep := strings.Repeat(`\frac{`, 5000) + "1" + strings.Repeat("}{2}", 5000)
	paren := strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)
	mb := strings.Repeat("The quick brown fox is 42 m/s or maybe \\frac{1}{2} torr, not Paris. ", 1<<20/68)
	var list strings.Builder
	for i := 0; i < 20000; i++ {
		list.WriteString("Paris, London, ")
	}
	q := strings.Repeat("which city is the capital of france paris lyon or marseille ", 16<<10/60)
	return map[string][3]string{
		"copied-question": {"Paris", strings.Repeat(q, 4), q},
		"20k-item-list":   {"Paris", list.String()},
		"1MB-or-chain":    {"42", strings.Repeat("41 or ", 1<<20/6) + "42"},
		"1MB-days":        {"Friday", strings.Repeat("Monday Tuesday Wednesday Thursday Friday ", 1<<20/41)},
		"deep-frac":       {"1/2", deep},
		"deep-paren":      {"1", paren},
		"tower":           {"10^{10^{10}}", `10^{10^{10^{10^{10}}}}`},
		"factorial":       {"100000!", "99999!"},
		"1MB-text":        {"Paris", mb},
		"1MB-math":        {"5", strings.Repeat("1+", 1<<19) + "1"},
		"1MB-boxes":       {"x", strings.Repeat(`\boxed{`, 1<<17)},
		"many-items":      {strings.Repeat("1,", 5000) + "1", strings.Repeat("1,", 5000) + "1"},
		"1MB-gold-ans":    {mb, mb},
		// worked solutions and their conclusion: many "the answer is" on one line, digits
		// before a far "=", a long worked solution, a long last line of sentences and bolds
		"answer-is-run":   {"2", strings.Repeat("the answer is ", 1<<16/14) + "1 = 2"},
		"digits-then-eq":  {"5", strings.Repeat("1 a ", 1<<16/4) + "= 5"},
		"64KB-worked":     {"46", strings.Repeat("She has 14 + 32 = <<14+32=46>>46 pizzas. ", 1<<16/42) + "\nThere are 46 pizzas."},
		"64KB-conclusion": {"5", "2 + 3 = 5 so\n" + strings.Repeat("Mrs. A has **1** of 2 = 3 vs. B. ", 1<<16/34)},
	}
}

// BenchmarkAdversarial times the worst inputs end to end (extraction + rule check).
func BenchmarkAdversarial(b *testing.B) {
	for name, in := range adversarialInputs() {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				a, _ := ExtractForJudging(in[1])
				RuleVerifier{}.Check(in[2], in[0], a)
			}
		})
	}
}

// TestAdversarialBounded checks that the worst inputs finish quickly (the bound here is loose
// because CI machines are shared; BenchmarkAdversarial gives the real figure).
func TestAdversarialBounded(t *testing.T) {
	for name, in := range adversarialInputs() {
		start := time.Now()
		a, _ := ExtractForJudging(in[1])
		res := RuleVerifier{}.Check(in[2], in[0], a)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s took %v", name, d)
		} else {
			t.Logf("%-12s %8v %v", name, d.Round(time.Microsecond), res.Outcome)
		}
	}
}

// BenchmarkExtractRewardPublished: the training reward's extraction (ExtractReward) over the
// published MMLU-Pro and TheoremQA responses, most of which have no \boxed{} and go through the
// final-answer patterns.
func BenchmarkExtractRewardPublished(b *testing.B) {
	texts := publishedResponses(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ExtractReward(texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkExtractRewardPublishedRegexScan is the same with the whole-text regex scan the
// head-anchored scan replaced (the reference of TestLastFinalAnswerHeadScan).
func BenchmarkExtractRewardPublishedRegexScan(b *testing.B) {
	texts := publishedResponses(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := texts[i%len(texts)]
		if a, ok := LastBoxed2(t); !ok || a == "" {
			lastFinalAnswerByRegexScan(t)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}
