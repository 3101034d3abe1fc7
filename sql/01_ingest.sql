-- Stage 1: ingest + schema check. Reads the raw_input view (benchmark corpus, local
-- Parquet/JSONL files or synthetic rows; see inputs.go) and splits it into
--   s1_keep     (rid, input_file, input_row) of the rows with id, question and answer present,
--               first occurrence of each id; rid numbers them in input order
--   s1_rows     view: s1_keep joined with raw_input (all input columns + rid)
--   quarantine  every other row, with input_file, input_row, the field and the reason
-- Invariant: rows in = s1_rows + quarantine. The checks run on a narrow copy (no text), so
-- the text is copied once.

-- A field is present when it holds a character other than RE2's \s (space, \t, \n, \f, \r):
-- its first character is another one, or ltrim of those five leaves something
-- (regexp_matches(x, '\S') said the same, at a regex call per test; each field is tested once).
CREATE OR REPLACE TEMP TABLE s1_checked AS
SELECT input_file, input_row, id,
       CASE WHEN parse_error IS NOT NULL THEN 'parse'
            WHEN NOT id_ok THEN 'id'
            WHEN NOT question_ok THEN 'question'
            WHEN NOT answer_ok THEN 'answer'
       END AS bad_field,
       CASE WHEN parse_error IS NOT NULL THEN parse_error
            WHEN NOT id_ok THEN 'missing field id'
            WHEN NOT question_ok THEN 'missing field question'
            WHEN NOT answer_ok THEN 'missing field answer'
       END AS reason
FROM (
    SELECT input_file, input_row, id, parse_error,
           coalesce(id <> '' AND (ascii(id) NOT IN (32, 9, 10, 12, 13) OR ltrim(id, ' ' || chr(9) || chr(10) || chr(12) || chr(13)) <> ''), false) AS id_ok,
           coalesce(question <> '' AND (ascii(question) NOT IN (32, 9, 10, 12, 13) OR ltrim(question, ' ' || chr(9) || chr(10) || chr(12) || chr(13)) <> ''), false) AS question_ok,
           coalesce(answer::VARCHAR <> '' AND (ascii(answer::VARCHAR) NOT IN (32, 9, 10, 12, 13) OR ltrim(answer::VARCHAR, ' ' || chr(9) || chr(10) || chr(12) || chr(13)) <> ''), false) AS answer_ok
    FROM raw_input
);

-- a repeated id: the first occurrence (in input order) stays, the others are quarantined. Ids
-- that share a 64-bit hash are found first (grouping numbers is cheaper than grouping text);
-- only their rows are grouped by id.
UPDATE s1_checked c SET bad_field = 'id', reason = 'duplicate id (first seen at ' || f.file || ':' || f.row || ')'
FROM (SELECT id, arg_min(input_file, (input_file, input_row)) AS file, arg_min(input_row, (input_file, input_row)) AS row
      FROM s1_checked
      WHERE reason IS NULL
        AND hash(id) IN (SELECT hash(id) FROM s1_checked WHERE reason IS NULL GROUP BY hash(id) HAVING count(*) > 1)
      GROUP BY id HAVING count(*) > 1) f
WHERE c.reason IS NULL AND c.id = f.id AND (c.input_file, c.input_row) <> (f.file, f.row);

CREATE OR REPLACE TABLE quarantine AS
SELECT c.input_file, c.input_row, c.id, c.bad_field AS field, c.reason, r.question, r.answer
FROM s1_checked c JOIN raw_input r USING (input_file, input_row) WHERE c.reason IS NOT NULL;

-- the kept rows: their ids, and a view that joins the input (the text is not copied here)
CREATE OR REPLACE TABLE s1_keep AS
SELECT row_number() OVER (ORDER BY input_file, input_row) AS rid, input_file, input_row
FROM s1_checked WHERE reason IS NULL;

CREATE OR REPLACE VIEW s1_rows AS
SELECT k.rid, r.id, r.question, r.answer::VARCHAR AS answer, r.answer_type, r.category, r.difficulty,
       r.source, r.source_id, r.labels, r.input_file, r.input_row
FROM s1_keep k JOIN raw_input r USING (input_file, input_row);

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 1, 'in', NULL, count(*) FROM s1_checked
UNION ALL SELECT 1, 'out', NULL, count(*) FROM s1_keep
UNION ALL SELECT 1, 'dropped', 'quarantine: ' || regexp_replace(reason, ' \(first seen at .*', ''), count(*)
          FROM quarantine GROUP BY ALL;

DROP TABLE s1_checked;
