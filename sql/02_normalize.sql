-- Stage 2: normalise. Unicode NFKC (Go function nfkc), LaTeX spacing, whitespace and case,
-- then a key per row:
--   norm_question, norm_answer   normalised text
--   qkey                         md5 of norm_question
--   qakey                        md5 of norm_question + U+001F + norm_answer
-- No row is dropped here.
--
-- LaTeX spacing: the spacing commands \, \; \: \! \quad \qquad and "\ " become one space,
-- \left / \right disappear, spaces inside and around braces go ("\frac {1} { 2 }" = "\frac{1}{2}"),
-- a backslash command followed by a space keeps one space; $...$ delimiters go.

-- norm_text() is the macro defined in macros.sql (Go applies it at connection open).

CREATE OR REPLACE TABLE s2_rows AS
SELECT *,
       md5(norm_question) AS qkey,
       md5(norm_question || chr(31) || norm_answer) AS qakey
FROM (
    SELECT *, norm_text(question) AS norm_question, norm_text(answer) AS norm_answer FROM s1_rows
);

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 2, 'in', NULL, count(*) FROM s1_rows
UNION ALL SELECT 2, 'out', NULL, count(*) FROM s2_rows;
