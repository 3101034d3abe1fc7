package sql

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSyntheticPlanted runs 20K synthetic rows through every stage and checks that the planted
// bad rows, exact duplicates, near duplicates and benchmark copies are found.
func TestSyntheticPlanted(t *testing.T) {
	ctx := context.Background()
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	p, err := Open(ctx, filepath.Join(t.TempDir(), "syn.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultSynth(20000)
	cfg.ContamShare = 0.002
	if err := p.GenerateSynthetic(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := p.UseSynthetic(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, LastStage); err != nil {
		t.Fatal(err)
	}
	logQuery(t, p, `SELECT stage, rows_in, rows_out, dropped FROM stage_runs ORDER BY stage`)
	logQuery(t, p, `SELECT count(*), count(DISTINCT cluster_id) FROM near_dup_clusters`)
	logQuery(t, p, `SELECT count(*) FROM contamination_hits`)
	planted := func(kind string) int64 {
		return queryInt(t, p, `SELECT count(*) FROM synthetic_input WHERE labels->>'$.planted' = ?`, kind)
	}
	// bad rows: all quarantined, nothing else quarantined
	bad := planted("bad")
	if q := queryInt(t, p, `SELECT count(*) FROM quarantine`); q != bad || bad == 0 {
		t.Errorf("quarantine %d rows, planted %d bad rows", q, bad)
	}
	// exact duplicates: every planted copy is dropped in stage 3 (the copy or its original)
	exact := planted("exact")
	found := queryInt(t, p, `SELECT count(*) FROM synthetic_input i JOIN s2_rows s USING (id)
		WHERE i.labels->>'$.planted' = 'exact' AND s.rid IN (SELECT rid FROM exact_dups)`)
	t.Logf("exact: planted %d, in a duplicate group %d", exact, found)
	if exact == 0 || found != exact {
		t.Errorf("exact duplicates: planted %d, found %d", exact, found)
	}
	// near duplicates: planted copies with word-5-gram Jaccard >= 0.8 to their source must be
	// clustered with it (>= 95%); below the LSH threshold (0.72) most are not.
	logQuery(t, p, `SELECT (i.labels->>'$.jaccard')::DOUBLE >= 0.8 AS high, count(*) AS planted,
		count(*) FILTER (ca.cluster_id = cb.cluster_id) AS clustered
		FROM synthetic_input i JOIN s3_rows a ON a.id = i.id JOIN s3_rows b ON b.id = (i.labels->>'$.of')
		LEFT JOIN near_dup_clusters ca ON ca.rid = a.rid LEFT JOIN near_dup_clusters cb ON cb.rid = b.rid
		WHERE i.labels->>'$.planted' = 'near' GROUP BY ALL ORDER BY 1`)
	// (a copy whose replaced words happened to equal the originals is an exact duplicate: stage 3)
	high := queryInt(t, p, `SELECT count(*) FROM synthetic_input i JOIN s3_rows a ON a.id = i.id
		JOIN s3_rows b ON b.id = (i.labels->>'$.of')
		WHERE i.labels->>'$.planted' = 'near' AND (i.labels->>'$.jaccard')::DOUBLE >= 0.8`)
	highFound := queryInt(t, p, `SELECT count(*) FROM synthetic_input i
		JOIN s3_rows a ON a.id = i.id JOIN near_dup_clusters ca ON ca.rid = a.rid
		JOIN s3_rows b ON b.id = (i.labels->>'$.of') JOIN near_dup_clusters cb ON cb.rid = b.rid
		WHERE i.labels->>'$.planted' = 'near' AND (i.labels->>'$.jaccard')::DOUBLE >= 0.8 AND ca.cluster_id = cb.cluster_id`)
	if high == 0 || float64(highFound) < 0.95*float64(high) {
		t.Errorf("near duplicates with Jaccard >= 0.8: planted %d, clustered with their source %d", high, highFound)
	}
	// false positives: base rows clustered with another base row
	fp := queryInt(t, p, `SELECT count(*) FROM near_dup_clusters c JOIN s3_rows s USING (rid)
		JOIN synthetic_input i USING (id) WHERE i.labels = '{}' AND c.cluster_size > 1
		AND NOT EXISTS (SELECT 1 FROM synthetic_input j JOIN s3_rows s2 USING (id) JOIN near_dup_clusters c2 ON c2.rid = s2.rid
		                WHERE c2.cluster_id = c.cluster_id AND j.labels <> '{}')`)
	if fp > 0 {
		t.Errorf("%d unrelated base rows were clustered as near duplicates", fp)
	}
	// contamination: every planted benchmark copy that survived dedup is caught, with its source
	cont := planted("contaminated")
	caught := queryInt(t, p, `SELECT count(*) FROM synthetic_input i JOIN contamination c USING (id)
		WHERE i.labels->>'$.planted' = 'contaminated' AND c.benchmark || ':' || c.item_id = (i.labels->>'$.of')`)
	reached := queryInt(t, p, `SELECT count(*) FROM synthetic_input i JOIN s4_rows s USING (id)
		WHERE i.labels->>'$.planted' = 'contaminated'`)
	t.Logf("contamination: planted %d, reached stage 5 %d, caught %d", cont, reached, caught)
	if cont == 0 || caught != reached {
		t.Errorf("contamination: %d planted rows reached stage 5, %d caught", reached, caught)
	}
	if other := queryInt(t, p, `SELECT count(*) FROM contamination c JOIN synthetic_input i USING (id)
		WHERE i.labels->>'$.planted' IS DISTINCT FROM 'contaminated'`); other != 0 {
		t.Errorf("%d rows flagged contaminated that were not planted", other)
	}
	// answer format vs the generator's answer_type labels
	acc := queryInt(t, p, `SELECT (accuracy * 1000)::BIGINT FROM answer_format_eval WHERE source = 'all'`)
	t.Logf("answer format accuracy on synthetic labels: %.1f%%", float64(acc)/10)
	if acc < 950 {
		t.Errorf("answer format accuracy %.3f < 0.95 on synthetic answers", float64(acc)/1000)
	}
	// rebalancing: easy maths share at most the target
	share := queryInt(t, p, `SELECT (1000 * count(*) FILTER (easy_math) / count(*))::BIGINT FROM s8_rows`)
	if float64(share) > 1000*opt.EasyMathShare+1 {
		t.Errorf("easy maths share %d‰ > target %.0f‰", share, 1000*opt.EasyMathShare)
	}
	checkConservation(t, p)
}

// checkConservation verifies in = out + dropped for every stage, and that stage N's input is
// stage N-1's output.
func checkConservation(t *testing.T, p *Pipeline) {
	t.Helper()
	if n := queryInt(t, p, `SELECT count(*) FROM stage_runs WHERE rows_in <> rows_out + dropped`); n != 0 {
		t.Errorf("%d stages break in = out + dropped", n)
	}
	if n := queryInt(t, p, `SELECT count(*) FROM stage_runs a JOIN stage_runs b ON b.stage = a.stage + 1
		WHERE a.stage >= 1 AND b.rows_in <> a.rows_out`); n != 0 {
		t.Errorf("%d stages read a different row count than the previous stage wrote", n)
	}
}
