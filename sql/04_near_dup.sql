-- Stage 4: near-duplicates. MinHash over word 5-grams of norm_question with LSH banding
-- (datatrove's defaults: 14 bands × 8 hashes, candidate threshold (1/14)^(1/8) ≈ 0.72).
-- The Go step (minhash.go) signs every row, collects candidate pairs from equal band keys,
-- keeps pairs whose estimated Jaccard similarity (equal signature positions / 112) is at least
-- the threshold, clusters them (union-find) and writes
--   near_dup_clusters(rid, cluster_id, rep_rid, cluster_size, sim_to_rep)
-- for every row of a cluster of two or more rows; the representative is the member with the
-- smallest id. s4_norm / s4_rows (views) keep every row but the dropped ones (near_dup_drop).
-- @go near_dup

-- MinHash looks at the question only. Within a cluster, rows are duplicates only when their
-- normalised answers agree too: questions that share a long passage or template but ask for
-- something else (MMLU-Pro law items on one fact pattern, BBEH templates, "a 5 kg mass" vs
-- "a 6 kg mass") have different answers and are all kept. Each (cluster, answer) group keeps its
-- row with the smallest id; near_dup_drop lists the others.
CREATE OR REPLACE TABLE near_dup_drop AS
SELECT rid, keep_rid FROM (
    SELECT c.rid, first_value(c.rid) OVER (PARTITION BY c.cluster_id, hash(norm_text(s.answer)) ORDER BY s.id) AS keep_rid
    FROM near_dup_clusters c JOIN s1_rows s USING (rid)
) WHERE rid <> keep_rid;

CREATE OR REPLACE VIEW s4_norm AS
SELECT s.* FROM s3_norm s ANTI JOIN near_dup_drop c USING (rid);

CREATE OR REPLACE VIEW s4_rows AS
SELECT s.*, n.qkey, n.qakey FROM s1_rows s JOIN s4_norm n USING (rid);

-- every cluster member next to the cluster's representative; same_answer says whether their
-- normalised answers agree (the member is dropped exactly when it does)
CREATE OR REPLACE VIEW near_dup_pairs AS
SELECT c.cluster_id, c.rid, c.rep_rid, c.sim_to_rep, a.id, b.id AS rep_id,
       norm_text(a.answer) = norm_text(b.answer) AS same_answer
FROM near_dup_clusters c JOIN s1_rows a ON a.rid = c.rid JOIN s1_rows b ON b.rid = c.rep_rid
WHERE c.rid <> c.rep_rid;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 4, 'in', NULL, count(*) FROM s3_norm
UNION ALL SELECT 4, 'out', NULL, count(*) FROM s4_norm
UNION ALL SELECT 4, 'dropped', 'near duplicate (MinHash LSH, same answer)', count(*) FROM near_dup_drop
UNION ALL SELECT 4, 'clusters', NULL, count(DISTINCT cluster_id) FROM near_dup_clusters
UNION ALL SELECT 4, 'clustered_kept_other_answer', NULL,
          (SELECT count(*) FROM near_dup_clusters WHERE rid <> rep_rid) - (SELECT count(*) FROM near_dup_drop);
