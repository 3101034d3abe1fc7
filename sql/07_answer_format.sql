-- Stage 7: answer format. Classify every answer string into the paper's answer types: Float,
-- Integer, Fraction, Percentage, Expression, List, Matrix, Boolean, Multiple Choice, String, Other
-- (rules below, first match wins), and measure the rules against the labels the sources carry.
--   answer_label_map(label, accepted)  lower-cased source label -> answer type(s) it allows
--                                      (OlympiadBench "Numerical" allows Integer, Float, Fraction)
--   answer_format_eval(source, label, n, correct, accuracy)
--   answer_format_confusion(label, predicted, n)   (view)
--   row_answer_format(rid, source, answer_type, answer_format, answer_type_label): the predicted format, and the source
--                                      label mapped to the paper's names when it names exactly one
-- s7_rows = s6_rows + these (view). No row is dropped.

CREATE OR REPLACE TEMP MACRO answer_format(a) AS (
    WITH t AS (SELECT trim(regexp_replace(trim(a), '^\$+|\$+$', '', 'g')) AS s)
    SELECT CASE
        WHEN regexp_full_match(s, '\(?[A-J]\)?[.:]?') OR regexp_full_match(s, '\([a-j]\)')
          OR regexp_full_match(s, '(?i)(option|answer|choice)\s*\(?[A-J]\)?') THEN 'Multiple Choice'
        WHEN regexp_full_match(s, '(?i)(true|false|yes|no|correct|incorrect)\.?') THEN 'Boolean'
        WHEN regexp_matches(s, '\\begin\{[pbvBV]?matrix\}') OR regexp_full_match(s, '\[\s*\[.*\]\s*(,\s*\[.*\]\s*)+\]') THEN 'Matrix'
        WHEN regexp_full_match(s, '[+-]?\d+(\.\d+)?\s*\\?%') THEN 'Percentage'
        WHEN regexp_full_match(s, '[+-]?\d+\s*/\s*\d+') OR regexp_full_match(s, '[+-]?\\[dt]?frac\{\d+\}\{\d+\}') THEN 'Fraction'
        WHEN regexp_full_match(s, '[+-]?\d+') OR regexp_full_match(s, '[+-]?\d{1,3}(,\d{3})+') THEN 'Integer'
        WHEN regexp_full_match(s, '[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?') OR regexp_full_match(s, '[+-]?\d+[eE][+-]?\d+')
          OR regexp_full_match(s, '[+-]?\d+(\.\d+)?\s*(\\times|×|\*|x|\\cdot)\s*10\^\{?[+-]?\d+\}?') THEN 'Float'
        -- a number followed by a unit ("12.5 m/s", "3 \mathrm{kg}")
        WHEN regexp_full_match(s, '[+-]?\d[\d,]*\.\d+(\s*(\\times|×)\s*10\^\{?[+-]?\d+\}?)?\s+(\\(mathrm|text)\{[^}]*\}|[a-zA-Zμ°Ω][a-zA-Zμ°Ω0-9/^·*{}\s-]*)') THEN 'Float'
        WHEN regexp_full_match(s, '[+-]?\d[\d,]*\s+(\\(mathrm|text)\{[^}]*\}|[a-zA-Zμ°Ω][a-zA-Zμ°Ω0-9/^·*{}\s-]*)') THEN 'Integer'
        WHEN regexp_full_match(s, '\[.*\]') OR regexp_full_match(s, '\{.*,.*\}') OR regexp_full_match(s, '\(.*,.*\)')
          OR regexp_full_match(s, '[^,;]+([,;]\s*[^,;]+)+') THEN 'List'
        WHEN regexp_matches(s, '[=+*/^_\\<>]|\d') OR regexp_full_match(s, '[a-zA-Z]') OR regexp_matches(s, '[a-z]\(') 
          OR regexp_matches(s, '[a-zA-Z]\s*-\s*[a-zA-Z0-9]') THEN 'Expression'
        WHEN regexp_full_match(s, '[[:alpha:]][[:alpha:][:space:]''’.\-()]*') THEN 'String'
        ELSE 'Other'
    END FROM t
);

CREATE OR REPLACE TABLE answer_label_map AS
SELECT * FROM (VALUES
    -- the paper's own names
    ('float', 'Float'), ('integer', 'Integer'), ('fraction', 'Fraction'), ('percentage', 'Percentage'),
    ('expression', 'Expression'), ('list', 'List'), ('matrix', 'Matrix'), ('boolean', 'Boolean'),
    ('multiple choice', 'Multiple Choice'), ('string', 'String'), ('other', 'Other'),
    -- TheoremQA Answer_type
    ('list of integer', 'List'), ('list of float', 'List'), ('bool', 'Boolean'), ('option', 'Multiple Choice'),
    -- OlympiadBench answer_type
    ('numerical', 'Integer'), ('numerical', 'Float'), ('numerical', 'Fraction'),
    ('tuple', 'List'), ('tuple', 'Expression'), ('interval', 'Expression'), ('interval', 'List')
) t(label, accepted);

CREATE OR REPLACE TABLE row_answer_format AS
SELECT s.rid, s.source, s.answer_type, answer_format(s.answer) AS answer_format, m.accepted AS answer_type_label
FROM s5_rows s
LEFT JOIN (SELECT label, any_value(accepted) AS accepted FROM answer_label_map GROUP BY label HAVING count(*) = 1) m
       ON m.label = lower(trim(s.answer_type));

CREATE OR REPLACE VIEW s7_rows AS
SELECT * FROM s6_rows JOIN (SELECT rid, answer_format, answer_type_label FROM row_answer_format) USING (rid);

-- one row per labelled row: correct when the label accepts the predicted format (the accepted
-- formats of each label gathered first, so no grouping by row)
CREATE OR REPLACE TABLE answer_format_eval AS
WITH m AS (SELECT label, list(accepted) AS accepted FROM answer_label_map GROUP BY label),
l AS (
    SELECT s.source, lower(trim(s.answer_type)) AS label, s.answer_format,
           list_contains(m.accepted, s.answer_format) AS correct
    FROM row_answer_format s
    JOIN m ON m.label = lower(trim(s.answer_type))
)
SELECT 'all' AS source, 'all' AS label, count(*) AS n, count(*) FILTER (correct) AS correct,
       round(count(*) FILTER (correct) / count(*), 4) AS accuracy FROM l
UNION ALL
SELECT source, label, count(*), count(*) FILTER (correct), round(count(*) FILTER (correct) / count(*), 4)
FROM l GROUP BY ALL ORDER BY source, label;

CREATE OR REPLACE VIEW answer_format_confusion AS
SELECT lower(trim(answer_type)) AS label, answer_format AS predicted, count(*) AS n
FROM row_answer_format WHERE answer_type IS NOT NULL GROUP BY ALL ORDER BY label, n DESC;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 7, 'in', NULL, count(*) FROM row_domain
UNION ALL SELECT 7, 'out', NULL, count(*) FROM row_answer_format
UNION ALL SELECT 7, 'labelled_answer_types', NULL, count(*) FROM row_answer_format s
          WHERE EXISTS (SELECT 1 FROM answer_label_map m WHERE m.label = lower(trim(s.answer_type)));
