-- Stage 6: domain. Map the source's category label to the paper's categories (the 16 fine
-- WebInstruct categories) and groups (Mathematics, Physics, Chemistry, Business, Finance,
-- Economics, History, Biology, Other; the finer "Other" categories are kept in domain_category).
-- Rows without a (mappable) label get the category predicted by a multinomial naive-Bayes model
-- trained here on the labelled rows (domain.go; hashed word unigrams + bigrams, 2^20 buckets),
-- evaluated on a held-out 10% of the labelled rows (domain_eval). Only held-out and unlabelled
-- rows are predicted (domain_predictions). An input without labelled training rows gets a model
-- trained on the labelled benchmark items instead (stage_counts says which).
--   category_map(raw, category)        lower-cased source label -> fine category
--   category_groups(category, grp)     fine category -> paper group
--   domain_predictions(rid, split, predicted, prob)
--   row_domain(rid, domain_category, domain, domain_source, domain_prob); s6_rows = s5_rows + these (view)
--   domain_eval(level, source, n, correct, accuracy)   held-out accuracy
-- No row is dropped.

CREATE OR REPLACE TABLE category_groups AS
SELECT * FROM (VALUES
    ('Mathematics', 'Mathematics'), ('Physics', 'Physics'), ('Chemistry', 'Chemistry'), ('Business', 'Business'),
    ('Finance', 'Finance'), ('Economics', 'Economics'), ('History', 'History'), ('Biology', 'Biology'),
    ('Other', 'Other'), ('Psychology', 'Other'), ('Computer Science', 'Other'), ('Health', 'Other'),
    ('Other STEM', 'Other'), ('Philosophy', 'Other'), ('Law', 'Other'), ('Engineering', 'Other')
) t(category, grp);

CREATE OR REPLACE TABLE category_map AS
SELECT * FROM (
    -- WebInstruct-verified's own names map to themselves
    SELECT lower(category) AS raw, category FROM category_groups
    UNION ALL SELECT * FROM (VALUES
        -- MMLU-Pro categories
        ('math', 'Mathematics'),
        -- TheoremQA fields
        ('eecs', 'Computer Science'),
        -- Minerva (MIT OCW course of each problem)
        ('introduction to solid state chemistry (3.091 fall 2010)', 'Chemistry'),
        ('introduction to astronomy (8.282j spring 2006)', 'Physics'),
        ('differential equations (18.03 spring 2010)', 'Mathematics'),
        ('dynamics and control (2.003 spring 2005)', 'Engineering'),
        ('principles of microeconomics (14.01 fall 2011)', 'Economics'),
        ('relativity (8.033 fall 2006)', 'Physics'),
        ('physical chemistry (5.61 fall 2017)', 'Chemistry'),
        ('ecology i (1.018j fall 2009)', 'Biology'),
        ('information and entropy (6.050j spring 2008)', 'Computer Science')
    ) v(raw, category)
);

-- split: a deterministic 10% of the labelled rows (by hash(id, seed)) is held out; the
-- classifier trains on at most getvariable('domain_max_train') of the others (in rid order): the
-- rows up to the rid of the domain_max_train-th of them (a top-N on rids, not a window that
-- sorts every row with its text).
SET VARIABLE domain_last_train_rid = coalesce(
    (SELECT max(rid) FROM (SELECT s.rid FROM s5_rows s JOIN category_map m ON m.raw = lower(trim(s.category))
                           WHERE hash(s.id, getvariable('seed')) % 10 <> 0
                           ORDER BY s.rid LIMIT greatest(getvariable('domain_max_train'), 0))), -1);

CREATE OR REPLACE TABLE s6_labelled AS
SELECT *,
       CASE WHEN label_category IS NULL THEN 'unlabelled'
            WHEN heldout THEN 'heldout'
            WHEN rid <= getvariable('domain_last_train_rid') THEN 'train'
            ELSE 'unused'
       END AS split
FROM (
    SELECT s.rid, s.id, s.source, s.category, m.category AS label_category,
           hash(s.id, getvariable('seed')) % 10 = 0 AS heldout
    FROM s5_rows s LEFT JOIN category_map m ON m.raw = lower(trim(s.category))
);

-- @go domain_classify

CREATE OR REPLACE TABLE row_domain AS
SELECT l.rid,
       coalesce(l.label_category, d.predicted) AS domain_category,
       g.grp AS domain,
       CASE WHEN l.label_category IS NOT NULL THEN 'label' ELSE 'model' END AS domain_source,
       d.prob AS domain_prob
FROM s6_labelled l LEFT JOIN domain_predictions d USING (rid)
JOIN category_groups g ON g.category = coalesce(l.label_category, d.predicted);

CREATE OR REPLACE VIEW s6_rows AS
SELECT * FROM s5_rows JOIN row_domain USING (rid);

CREATE OR REPLACE TABLE domain_eval AS
WITH h AS (
    SELECT l.source, l.label_category AS label, d.predicted,
           gl.grp AS label_group, gp.grp AS predicted_group
    FROM s6_labelled l JOIN domain_predictions d USING (rid)
    JOIN category_groups gl ON gl.category = l.label_category
    JOIN category_groups gp ON gp.category = d.predicted
    WHERE d.split = 'heldout'
)
SELECT 'category' AS level, 'all' AS source, count(*) AS n, count(*) FILTER (label = predicted) AS correct,
       round(count(*) FILTER (label = predicted) / count(*), 4) AS accuracy FROM h
UNION ALL
SELECT 'group', 'all', count(*), count(*) FILTER (label_group = predicted_group),
       round(count(*) FILTER (label_group = predicted_group) / count(*), 4) FROM h
UNION ALL
SELECT 'category', source, count(*), count(*) FILTER (label = predicted),
       round(count(*) FILTER (label = predicted) / count(*), 4) FROM h GROUP BY source
UNION ALL
SELECT 'majority-class baseline', 'all', count(*), max(c), round(max(c) / count(*), 4)
FROM (SELECT label, count(*) OVER (PARTITION BY label) AS c FROM h);

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 6, 'in', NULL, count(*) FROM s5_norm
UNION ALL SELECT 6, 'out', NULL, count(*) FROM row_domain
UNION ALL SELECT 6, 'domain_from_label', NULL, count(*) FROM row_domain WHERE domain_source = 'label'
UNION ALL SELECT 6, 'domain_from_model', NULL, count(*) FROM row_domain WHERE domain_source = 'model'
UNION ALL SELECT 6, 'unmapped_category_label', category, count(*) FROM s6_labelled
          WHERE category IS NOT NULL AND label_category IS NULL GROUP BY ALL;
