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

CREATE OR REPLACE TEMP TABLE s8_levels AS
SELECT *,
       CASE
           WHEN regexp_matches(lower(difficulty), 'primary|elementary|junior high|middle school|senior high|high school|grade school')
             OR lower(difficulty) IN ('level 1', 'level 2') THEN 'easy'
           WHEN lower(difficulty) = 'level 3' THEN 'medium'
           WHEN regexp_matches(lower(difficulty), 'university|undergraduate|graduate|phd|post-graduate|competition')
             OR lower(difficulty) IN ('level 4', 'level 5') THEN 'hard'
       END AS difficulty_level,
       getvariable('keep_difficulties') IS NULL OR coalesce(list_contains(getvariable('keep_difficulties')::VARCHAR[], difficulty), false) AS keep_difficulty
FROM s7_rows;

CREATE OR REPLACE TEMP TABLE s8_ranked AS
SELECT *,
       keep_difficulty AND domain = 'Mathematics' AND coalesce(difficulty_level = 'easy', false) AS easy_math,
       row_number() OVER (PARTITION BY keep_difficulty AND domain = 'Mathematics' AND coalesce(difficulty_level = 'easy', false)
                          ORDER BY hash(id, getvariable('seed')), id) AS easy_rank
FROM s8_levels;

SET VARIABLE easy_math_keep = (
    SELECT least(count(*) FILTER (easy_math),
                 floor(getvariable('easy_math_share') * count(*) FILTER (keep_difficulty AND NOT easy_math)
                       / (1 - getvariable('easy_math_share'))))::BIGINT
    FROM s8_ranked);

CREATE OR REPLACE TABLE s8_rows AS
SELECT * EXCLUDE (keep_difficulty, easy_rank)
FROM s8_ranked WHERE keep_difficulty AND (NOT easy_math OR easy_rank <= getvariable('easy_math_keep'));

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 8, 'in', NULL, count(*) FROM s7_rows
UNION ALL SELECT 8, 'out', NULL, count(*) FROM s8_rows
UNION ALL SELECT 8, 'dropped', 'difficulty filter', count(*) FROM s8_ranked WHERE NOT keep_difficulty
UNION ALL SELECT 8, 'dropped', 'rebalance: easy mathematics downsampled', count(*) FROM s8_ranked
          WHERE easy_math AND easy_rank > getvariable('easy_math_keep');

DROP TABLE s8_levels;
DROP TABLE s8_ranked;
