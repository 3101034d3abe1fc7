package sql

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The corpus pipeline runs once per test binary; the tests below read its database.
var (
	corpusOnce sync.Once
	corpusP    *Pipeline
	corpusErr  error
)

func corpus(t *testing.T) *Pipeline {
	t.Helper()
	corpusOnce.Do(func() {
		dir, err := os.MkdirTemp("", "greason-data-test")
		if err != nil {
			corpusErr = err
			return
		}
		opt := DefaultOptions()
		opt.BenchDir = filepath.Join("..", "benchmarks", "data")
		opt.ExportDir = filepath.Join(dir, "export")
		if testing.Verbose() {
			opt.Progress = os.Stderr
		}
		ctx := context.Background()
		p, err := Open(ctx, filepath.Join(dir, "corpus.duckdb"), opt)
		if err != nil {
			corpusErr = err
			return
		}
		if corpusErr = p.RunCorpus(ctx, 0, LastStage); corpusErr != nil {
			return
		}
		corpusP = p
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusP
}

func TestMain(m *testing.M) {
	code := m.Run()
	if corpusP != nil {
		corpusP.Close()
		os.RemoveAll(filepath.Dir(corpusP.Path))
	}
	os.Exit(code)
}

func queryInt(t *testing.T, p *Pipeline, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := p.Conn().QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestCorpusStageCounts(t *testing.T) {
	p := corpus(t)
	logQuery(t, p, `SELECT stage, name, rows_in, rows_out, dropped FROM stage_runs ORDER BY stage`)
	// stage 0: every vendored test set, with the row counts of shared/data/MANIFEST.md
	want := map[string]int64{"mmlu_pro": 12032, "gpqa_diamond": 198, "theoremqa": 800, "bbeh": 4520, "math500": 500,
		"olympiadbench": 675, "minerva_math": 272, "gsm8k": 1319, "amc23": 40, "aime24": 30, "aime25": 30}
	for b, n := range want {
		if got := queryInt(t, p, `SELECT count(*) FROM bench_items WHERE benchmark = ?`, b); got != n {
			t.Errorf("%s: %d items, want %d", b, got, n)
		}
	}
	if n := queryInt(t, p, `SELECT count(*) FROM bench_items WHERE question IS NULL OR answer IS NULL OR trim(answer) = ''`); n != 0 {
		t.Errorf("%d benchmark items without question or answer", n)
	}
	// the corpus is clean input: nothing quarantined; every stage conserves rows
	if n := queryInt(t, p, `SELECT dropped FROM stage_runs WHERE stage = 1`); n != 0 {
		t.Errorf("stage 1 quarantined %d benchmark rows", n)
	}
	checkConservation(t, p)
	if n := queryInt(t, p, `SELECT count(*) FROM stage_runs`); n != LastStage+1 {
		t.Errorf("%d stages recorded, want %d", n, LastStage+1)
	}
}

func TestCorpusKnownDuplicates(t *testing.T) {
	p := corpus(t)
	// MMLU-Pro 1052 and 1053 are the same question (UNSC Resolution 678) with the same answer
	if n := queryInt(t, p, `SELECT count(*) FROM exact_dups d JOIN s2_norm a ON a.rid = d.rid JOIN s2_norm b ON b.rid = d.rep_rid
		WHERE a.id = 'mmlu_pro:1053' AND b.id = 'mmlu_pro:1052'`); n != 1 {
		t.Errorf("exact duplicate mmlu_pro:1053 of mmlu_pro:1052 not found")
	}
	// every exact-duplicate group really has one normalised question and answer
	if n := queryInt(t, p, `SELECT count(*) FROM (SELECT d.qakey FROM exact_dups d JOIN s2_rows s USING (rid)
		GROUP BY d.qakey HAVING count(DISTINCT s.norm_question || chr(31) || s.norm_answer) > 1)`); n != 0 {
		t.Errorf("%d exact-duplicate groups mix different texts", n)
	}
	if n := queryInt(t, p, `SELECT count(*) FROM exact_dups WHERE rid <> rep_rid`); n < 100 {
		t.Errorf("only %d exact duplicates in the corpus (MMLU-Pro alone repeats about 160 questions)", n)
	}
	// MMLU-Pro 1001 and 1002 share one long fact pattern but ask different things (answers C, E):
	// clustered by MinHash, both kept
	if n := queryInt(t, p, `SELECT count(*) FROM near_dup_pairs WHERE id = 'mmlu_pro:1002' AND rep_id = 'mmlu_pro:1001' AND NOT same_answer`); n != 1 {
		t.Errorf("near-duplicate question mmlu_pro:1002 ~ mmlu_pro:1001 not clustered")
	}
	if n := queryInt(t, p, `SELECT count(*) FROM s4_norm WHERE id IN ('mmlu_pro:1001', 'mmlu_pro:1002')`); n != 2 {
		t.Errorf("mmlu_pro:1001/1002 have different answers but %d of them were kept", n)
	}
	// TheoremQA's binomial_lattice problem is MMLU-Pro 86 turned into multiple choice (answers
	// differ: a value vs a letter): stage 5 reports the overlap in both directions
	if n := queryInt(t, p, `SELECT count(*) FROM contamination WHERE (id = 'theoremqa:xueguangma/binomial_lattice.json' AND benchmark = 'mmlu_pro')
		OR (id = 'mmlu_pro:86' AND benchmark = 'theoremqa')`); n != 2 {
		t.Errorf("theoremqa binomial_lattice / mmlu_pro:86 overlap: %d of 2 directions reported", n)
	}
	if n := queryInt(t, p, `SELECT count(*) FROM near_dup_drop`); n < 30 {
		t.Errorf("only %d near duplicates with the same answer dropped", n)
	}
	// a dropped row always has the same normalised answer as the row kept for it
	if n := queryInt(t, p, `SELECT count(*) FROM near_dup_drop d JOIN s2_rows a ON a.rid = d.rid JOIN s2_rows b ON b.rid = d.keep_rid
		WHERE a.norm_answer <> b.norm_answer`); n != 0 {
		t.Errorf("%d near-duplicate drops with a different answer", n)
	}
	// every kept pair is at least as similar as the LSH threshold, by its signature estimate
	if n := queryInt(t, p, `SELECT count(*) FROM near_dup_clusters WHERE sim_to_rep < 0.5`); n > 0 {
		t.Logf("%d cluster members are less than 0.5 similar to their representative (chained clusters)", n)
	}
	// exact Jaccard of the dropped copies against their representatives
	rows, err := p.Conn().QueryContext(context.Background(), `SELECT a.question, b.question FROM near_dup_pairs n
		JOIN s1_rows a ON a.rid = n.rid JOIN s1_rows b ON b.rid = n.rep_rid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	low, total := 0, 0
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		total++
		if ShingleJaccard(NormText(a), NormText(b), 5) < 0.5 {
			low++
		}
	}
	t.Logf("near-duplicate copies: %d, exact word-5-gram Jaccard < 0.5 to the representative: %d", total, low)
	if total == 0 || float64(low) > 0.05*float64(total) {
		t.Errorf("%d of %d near-duplicate copies have Jaccard < 0.5 to their representative", low, total)
	}
}

func TestCorpusContamination(t *testing.T) {
	p := corpus(t)
	logQuery(t, p, `SELECT * FROM contamination_report WHERE contaminated_rows > 0`)
	// MMLU-Pro labels the questions it took from TheoremQA (src = theoremQA-*): use them as truth
	srcTQA := `(labels->>'$.src') LIKE 'theoremQA%'`
	total := queryInt(t, p, `SELECT count(*) FROM s4_rows WHERE source = 'mmlu_pro' AND `+srcTQA)
	found := queryInt(t, p, `SELECT count(*) FROM s4_rows WHERE source = 'mmlu_pro' AND `+srcTQA+`
		AND rid IN (SELECT rid FROM contamination WHERE benchmark = 'theoremqa')`)
	wrong := queryInt(t, p, `SELECT count(*) FROM s4_rows WHERE source = 'mmlu_pro' AND NOT `+srcTQA+`
		AND rid IN (SELECT rid FROM contamination WHERE benchmark = 'theoremqa')`)
	t.Logf("MMLU-Pro rows taken from TheoremQA: %d, flagged %d (recall %.3f), flagged without the label %d", total, found, float64(found)/float64(total), wrong)
	// all 598: the 29 that 13-grams cannot see are short TheoremQA questions plus options,
	// caught by containment
	if total != 598 || found != total {
		t.Errorf("TheoremQA overlap recall %d/%d, want 598/598", found, total)
	}
	if wrong != 0 {
		t.Errorf("%d MMLU-Pro rows flagged as TheoremQA copies without MMLU-Pro's theoremQA label", wrong)
	}
	// overlaps are cross-benchmark only, and math500 <-> MMLU-Pro overlaps are reported too
	if n := queryInt(t, p, `SELECT count(*) FROM contamination WHERE source = benchmark`); n != 0 {
		t.Errorf("%d same-benchmark hits", n)
	}
	if n := queryInt(t, p, `SELECT contaminated_rows FROM contamination_report WHERE benchmark = 'math500'`); n == 0 {
		t.Errorf("no MMLU-Pro row found overlapping MATH-500")
	}
}

func TestCorpusClassifiers(t *testing.T) {
	p := corpus(t)
	logQuery(t, p, `SELECT * FROM domain_eval WHERE source = 'all'`)
	acc := float64(queryInt(t, p, `SELECT (accuracy * 10000)::BIGINT FROM domain_eval WHERE level = 'category' AND source = 'all'`)) / 10000
	base := float64(queryInt(t, p, `SELECT (accuracy * 10000)::BIGINT FROM domain_eval WHERE level = 'majority-class baseline'`)) / 10000
	if n := queryInt(t, p, `SELECT n FROM domain_eval WHERE level = 'category' AND source = 'all'`); n < 1000 {
		t.Errorf("held-out split has %d rows", n)
	}
	if acc < 0.75 || acc < base+0.4 {
		t.Errorf("domain accuracy %.3f (majority baseline %.3f)", acc, base)
	}
	// rows without a category (BBEH) get one from the model
	if n := queryInt(t, p, `SELECT count(*) FROM dataset WHERE source = 'bbeh' AND domain_source <> 'model'`); n != 0 {
		t.Errorf("%d BBEH rows have a domain from a label", n)
	}
	logQuery(t, p, `SELECT * FROM answer_format_eval`)
	for src, min := range map[string]float64{"theoremqa": 0.98, "olympiadbench": 0.85, "mmlu_pro": 0.99} {
		a := float64(queryInt(t, p, `SELECT (10000 * sum(correct) / sum(n))::BIGINT FROM answer_format_eval WHERE source = ?`, src)) / 10000
		if a < min {
			t.Errorf("answer format accuracy on %s labels %.3f < %.2f", src, a, min)
		}
	}
}

func TestCorpusExport(t *testing.T) {
	p := corpus(t)
	dir := p.Opt.ExportDir
	n := queryInt(t, p, `SELECT count(*) FROM dataset`)
	if got := queryInt(t, p, `SELECT count(*) FROM read_json('`+filepath.Join(dir, "dataset.jsonl")+`')`); got != n {
		t.Errorf("dataset.jsonl has %d rows, dataset %d", got, n)
	}
	if got := queryInt(t, p, `SELECT count(*) FROM read_parquet('`+filepath.Join(dir, "dataset.parquet")+`')`); got != n {
		t.Errorf("dataset.parquet has %d rows, dataset %d", got, n)
	}
	verl := filepath.Join(dir, "verl_train.parquet")
	bad := queryInt(t, p, `SELECT count(*) FROM read_parquet('`+verl+`') v
		WHERE data_source <> 'general-reasoner' OR ability <> 'reasoning' OR len(prompt) <> 1 OR prompt[1].role <> 'user'
		   OR NOT ends_with(prompt[1].content, ' Please reason step by step, and put your final answer within \boxed{}.')
		   OR prompt[1].content <> (extra_info.question || ' Please reason step by step, and put your final answer within \boxed{}.')
		   OR reward_model.style <> 'rule' OR reward_model.ground_truth <> extra_info.answer OR extra_info.split <> 'train'`)
	if bad != 0 {
		t.Errorf("%d verl rows do not follow protocol.md §3.1", bad)
	}
	if got := queryInt(t, p, `SELECT count(DISTINCT extra_info.index) FROM read_parquet('`+verl+`')`); got != n {
		t.Errorf("verl extra_info.index has %d distinct values for %d rows", got, n)
	}
	files, err := p.WritePlots(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 1000 || string(b[1:4]) != "PNG" {
			t.Errorf("%s: not a PNG (%d bytes, %v)", f, len(b), err)
		}
	}
}

func logQuery(t *testing.T, p *Pipeline, q string) {
	t.Helper()
	rows, err := p.Conn().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		t.Log(vals...)
	}
}
