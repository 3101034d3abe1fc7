-- Stage 8: difficulty filter and rebalancing.
--   difficulty_level  the source's difficulty label, mapped: 'easy' for school-level labels
--                     (Primary/Junior High/Senior High School, Grade School, MATH Level 1-2),
--                     'hard' for University, PhD, Competition, MATH Level 4-5, GPQA's
--                     graduate-level estimates, 'medium' for MATH Level 3, NULL when unknown.
--   1. difficulty filter: with getvariable('keep_difficulties') set (a list of raw labels), rows
--      with another label are dropped.
--   2. rebalance: "easy mathematics" (domain Mathematics and difficulty_level 'easy') is
--      downsampled so that it makes up at most getvariable('easy_math_share') of the output,
--      as the paper downsampled easy maths. Which rows stay is decided by
--      hash(id, getvariable('seed')): the same seed keeps the same rows.
--   row_difficulty(rid, difficulty_level, easy_math, keep, drop_reason); s8_rows = kept s7_rows (view)

-- the level of each distinct difficulty label (a few), then of each row
CREATE OR REPLACE TEMP TABLE s8_label_levels AS
SELECT difficulty,
       CASE
           WHEN regexp_matches(lower(difficulty), 'primary|elementary|junior high|middle school|senior high|high school|grade school')
             OR lower(difficulty) IN ('level 1', 'level 2') THEN 'easy'
           WHEN lower(difficulty) = 'level 3' THEN 'medium'
           WHEN regexp_matches(lower(difficulty), 'university|undergraduate|graduate|phd|post-graduate|competition')
             OR lower(difficulty) IN ('level 4', 'level 5') THEN 'hard'
       END AS difficulty_level,
       getvariable('keep_difficulties') IS NULL
         OR coalesce(list_contains(getvariable('keep_difficulties')::VARCHAR[], difficulty), false) AS keep_difficulty
FROM (SELECT DISTINCT difficulty FROM raw_input); -- every label of the input (those of s5_rows among them)

CREATE OR REPLACE TEMP TABLE s8_levels AS
SELECT s.rid, s.id, l.difficulty_level, l.keep_difficulty,
       l.keep_difficulty AND d.domain = 'Mathematics' AND coalesce(l.difficulty_level = 'easy', false) AS easy_math
FROM s5_rows s JOIN row_domain d USING (rid)
JOIN s8_label_levels l ON s.difficulty IS NOT DISTINCT FROM l.difficulty;

-- easy maths in the order of hash(id, seed) (only those rows are ranked)
CREATE OR REPLACE TEMP TABLE s8_ranked AS
SELECT rid, row_number() OVER (ORDER BY hash(id, getvariable('seed')), id) AS easy_rank
FROM s8_levels WHERE easy_math;

SET VARIABLE easy_math_keep = (
    SELECT least(count(*) FILTER (easy_math),
                 floor(getvariable('easy_math_share') * count(*) FILTER (keep_difficulty AND NOT easy_math)
                       / (1 - getvariable('easy_math_share'))))::BIGINT
    FROM s8_levels);

CREATE OR REPLACE TABLE row_difficulty AS
SELECT l.rid, l.difficulty_level, l.easy_math,
       CASE WHEN NOT l.keep_difficulty THEN 'difficulty filter'
            WHEN l.easy_math AND r.easy_rank > getvariable('easy_math_keep') THEN 'rebalance: easy mathematics downsampled'
       END AS drop_reason
FROM s8_levels l LEFT JOIN s8_ranked r USING (rid);

CREATE OR REPLACE VIEW s8_rows AS
SELECT s.*, d.difficulty_level, d.easy_math
FROM s7_rows s JOIN row_difficulty d USING (rid) WHERE d.drop_reason IS NULL;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 8, 'in', NULL, count(*) FROM row_answer_format
UNION ALL SELECT 8, 'out', NULL, count(*) FROM row_difficulty WHERE drop_reason IS NULL
UNION ALL SELECT 8, 'dropped', drop_reason, count(*) FROM row_difficulty WHERE drop_reason IS NOT NULL GROUP BY ALL;

DROP TABLE s8_label_levels;
DROP TABLE s8_levels;
DROP TABLE s8_ranked;
