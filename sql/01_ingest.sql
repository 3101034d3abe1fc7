-- Stage 1: ingest + schema check. Reads the raw_input view (benchmark corpus, local
-- Parquet/JSONL files or synthetic rows; see inputs.go) and splits it into
--   s1_keep     (rid, input_file, input_row) of the rows with id, question and answer present,
--               first occurrence of each id; rid numbers them in input order
--   s1_rows     view: s1_keep joined with raw_input (all input columns + rid)
--   quarantine  every other row, with input_file, input_row, the field and the reason
-- Invariant: rows in = s1_rows + quarantine. The checks run on a narrow copy (no text), so
-- the text is copied once.

CREATE OR REPLACE TEMP TABLE s1_checked AS
SELECT input_file, input_row, id,
       CASE WHEN parse_error IS NOT NULL THEN 'parse'
            WHEN id IS NULL OR NOT regexp_matches(id, '\S') THEN 'id'
            WHEN question IS NULL OR NOT regexp_matches(question, '\S') THEN 'question'
            WHEN answer IS NULL OR NOT regexp_matches(answer, '\S') THEN 'answer'
       END AS bad_field,
       CASE WHEN parse_error IS NOT NULL THEN parse_error
            WHEN id IS NULL OR NOT regexp_matches(id, '\S') THEN 'missing field id'
            WHEN question IS NULL OR NOT regexp_matches(question, '\S') THEN 'missing field question'
            WHEN answer IS NULL OR NOT regexp_matches(answer, '\S') THEN 'missing field answer'
       END AS reason
FROM raw_input;

-- a repeated id: the first occurrence (in input order) stays, the others are quarantined
UPDATE s1_checked c SET bad_field = 'id', reason = 'duplicate id (first seen at ' || f.file || ':' || f.row || ')'
FROM (SELECT id, arg_min(input_file, (input_file, input_row)) AS file, arg_min(input_row, (input_file, input_row)) AS row
      FROM s1_checked WHERE reason IS NULL GROUP BY id HAVING count(*) > 1) f
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
