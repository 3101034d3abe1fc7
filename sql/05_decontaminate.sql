-- Stage 5: decontamination against every benchmark test set of the harness (bench_items of
-- stage 0: MMLU-Pro, GPQA-Diamond, TheoremQA, BBEH, MATH-500, OlympiadBench, Minerva, GSM8K,
-- AMC23, AIME24, AIME25; SuperGPQA is not vendored).
-- Method: word 13-grams (getvariable('contam_n')) of the normalised question. overlap = shared
-- n-grams / the benchmark item's n-grams. A row is contaminated by an item when overlap >=
-- getvariable('contam_min_overlap') (0.5). An item shorter than 13 words (and at least 4 words,
-- Options.ContamShortMin) is matched by containment: the row holds its words in that order (e.g. an
-- MMLU-Pro question made of a short TheoremQA question and its options); its overlap is then 1.
-- A row is never compared with itself, and a benchmark's own rows are not counted against that
-- benchmark (so in the benchmark corpus only cross-benchmark overlaps are reported).
--   contamination_hits   every (row, item) pair with overlap >= 0.2 (report floor)
--   contamination        the hits that make a row contaminated
--   contamination_report per benchmark: items, contaminated rows and items hit (a view)
-- A dropped row is counted once, under the benchmark of its largest overlap (ties: the first
-- benchmark by name; arg_max picked one by storage order, which changed from run to run).

CREATE OR REPLACE TABLE bench_norm AS
SELECT benchmark, item_id, norm_text(question) AS norm_question FROM bench_items;

-- @go decontaminate

CREATE OR REPLACE TABLE contamination AS
SELECT h.*, s.id, s.source, s.source_id
FROM contamination_hits h JOIN s2_norm s USING (rid)
WHERE h.overlap >= getvariable('contam_min_overlap') AND s.source <> h.benchmark;

CREATE OR REPLACE VIEW s5_norm AS
SELECT s.* FROM s4_norm s ANTI JOIN contamination c USING (rid);

CREATE OR REPLACE VIEW s5_rows AS
SELECT s.*, n.qkey, n.qakey FROM s1_rows s JOIN s5_norm n USING (rid);

CREATE OR REPLACE VIEW contamination_report AS
SELECT b.benchmark, b.items,
       coalesce(c.rows_hit, 0) AS contaminated_rows, coalesce(c.items_hit, 0) AS items_hit,
       c.sources
FROM (SELECT benchmark, count(*) AS items FROM bench_items GROUP BY ALL) b
LEFT JOIN (SELECT benchmark, count(DISTINCT rid) AS rows_hit, count(DISTINCT item_id) AS items_hit,
                  string_agg(DISTINCT source, ', ' ORDER BY source) AS sources
           FROM contamination GROUP BY ALL) c USING (benchmark)
ORDER BY benchmark;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 5, 'in', NULL, count(*) FROM s4_norm
UNION ALL SELECT 5, 'out', NULL, count(*) FROM s5_norm
UNION ALL SELECT 5, 'dropped', 'contaminated: ' || benchmark, count(*)
          FROM (SELECT rid, first(benchmark ORDER BY overlap DESC, benchmark) AS benchmark FROM contamination GROUP BY rid) GROUP BY ALL;
