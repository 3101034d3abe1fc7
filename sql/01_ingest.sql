-- Stage 1: ingest + schema check. Reads the raw_input view (benchmark corpus, local
-- Parquet/JSONL files or synthetic rows; see inputs.go) and splits it into
--   s1_rows     rows with id, question and answer present, first occurrence of each id
--   quarantine  every other row, with input_file, input_row, the field and the reason
-- Invariant: rows in = s1_rows + quarantine.

CREATE OR REPLACE TEMP TABLE s1_checked AS
SELECT *,
       CASE WHEN parse_error IS NOT NULL THEN 'parse'
            WHEN id IS NULL OR trim(id) = '' THEN 'id'
            WHEN question IS NULL OR trim(question) = '' THEN 'question'
            WHEN answer IS NULL OR trim(answer) = '' THEN 'answer'
            WHEN first_file IS DISTINCT FROM input_file OR first_row IS DISTINCT FROM input_row THEN 'id'
       END AS bad_field,
       CASE WHEN parse_error IS NOT NULL THEN parse_error
            WHEN id IS NULL OR trim(id) = '' THEN 'missing field id'
            WHEN question IS NULL OR trim(question) = '' THEN 'missing field question'
            WHEN answer IS NULL OR trim(answer) = '' THEN 'missing field answer'
            WHEN first_file IS DISTINCT FROM input_file OR first_row IS DISTINCT FROM input_row
                THEN 'duplicate id (first seen at ' || first_file || ':' || first_row || ')'
       END AS reason
FROM (
    SELECT *,
           first_value(input_file) OVER w AS first_file,
           first_value(input_row) OVER w AS first_row
    FROM raw_input
    WINDOW w AS (PARTITION BY CASE WHEN parse_error IS NULL AND trim(id) <> '' THEN id END
                 ORDER BY input_file, input_row)
);

CREATE OR REPLACE TABLE quarantine AS
SELECT input_file, input_row, id, bad_field AS field, reason, question, answer
FROM s1_checked WHERE reason IS NOT NULL;

-- rid: dense row number in input order (stable for the same input)
CREATE OR REPLACE TABLE s1_rows AS
SELECT row_number() OVER (ORDER BY input_file, input_row) AS rid,
       id, question, answer::VARCHAR AS answer, answer_type, category, difficulty,
       source, source_id, labels, input_file, input_row
FROM s1_checked WHERE reason IS NULL;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 1, 'in', NULL, count(*) FROM s1_checked
UNION ALL SELECT 1, 'out', NULL, count(*) FROM s1_rows
UNION ALL SELECT 1, 'dropped', 'quarantine: ' || regexp_replace(reason, ' \(first seen at .*', ''), count(*)
          FROM quarantine GROUP BY ALL;

DROP TABLE s1_checked;
