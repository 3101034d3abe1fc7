-- Stage 3: exact dedup on the normalised question + answer (qakey).
--   exact_dups   (rid, rep_rid, qakey) for every row whose key was seen on another row
--   s3_norm, s3_rows  (views over s2_norm / s2_rows) one row per qakey: the representative is the row with the smallest id,
--                so it does not depend on input order
-- Also: question_conflicts, the normalised questions that occur with different answers
-- (kept, reported: they are not duplicates of each other).

-- Only the keys seen on two rows or more are ranked (a cheap count first).
CREATE OR REPLACE TABLE exact_dups AS
SELECT rid,
       first_value(rid) OVER (PARTITION BY qakey ORDER BY id, rid) AS rep_rid,
       qakey,
       count(*) OVER (PARTITION BY qakey) AS group_size
FROM s2_norm
WHERE qakey IN (SELECT qakey FROM s2_norm GROUP BY qakey HAVING count(*) > 1);

CREATE OR REPLACE VIEW s3_norm AS
SELECT s.* FROM s2_norm s ANTI JOIN (SELECT rid FROM exact_dups WHERE rid <> rep_rid) d USING (rid);

CREATE OR REPLACE VIEW s3_rows AS
SELECT s.*, n.qkey, n.qakey FROM s1_rows s JOIN s3_norm n USING (rid);

-- (the distinct answers and ids are gathered only for questions seen on two rows or more)
CREATE OR REPLACE TABLE question_conflicts AS
SELECT qkey, count(DISTINCT qakey) AS answers, list(DISTINCT id ORDER BY id)[:10] AS example_ids
FROM s3_norm
WHERE qkey IN (SELECT qkey FROM s3_norm GROUP BY qkey HAVING count(*) > 1)
GROUP BY qkey HAVING count(DISTINCT qakey) > 1;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 3, 'in', NULL, count(*) FROM s2_norm
UNION ALL SELECT 3, 'out', NULL, count(*) FROM s3_norm
UNION ALL SELECT 3, 'dropped', 'exact duplicate (question + answer)', count(*) FROM exact_dups WHERE rid <> rep_rid;
