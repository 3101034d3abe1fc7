-- Stage 2: normalise. norm_text() is a Go function (normalize.go, NormText): Unicode NFKC,
-- lower case, LaTeX spacing commands (\, \; \: \! \quad \qquad "\ ") to one space, \left and
-- \right removed, $ delimiters removed, no spaces next to { } ^ _, whitespace runs collapsed.
-- Then a key per row:
--   norm_question, norm_answer   normalised text
--   qkey                         64-bit hash of norm_question (DuckDB hash(); at 1M rows the chance
--                                of any collision is about 3e-8; md5 was 2x slower here)
--   qakey                        64-bit hash of (norm_question, norm_answer)
-- s2_norm(rid, id, source, source_id, qkey, qakey) is the narrow table the later stages work
-- on; s2_rows = s1_rows + norm_question, norm_answer, qkey, qakey (view; it calls the Go
-- function norm_text, so only greason can query it). s3_rows .. s8_rows and dataset do not
-- call Go functions: any DuckDB client can read them. The Go steps of stages 4-6 take the words
-- of the normalised question again in Go (normWordHashes: the same rules, in one pass) instead
-- of reading stored text.
-- No row is dropped. Stages 1-8 store row ids and the columns they add, and their sN_rows are
-- views, so the text is stored once (input) + once normalised until the export.

CREATE OR REPLACE TABLE s2_norm AS
SELECT rid, id, source, source_id,
       hash(norm_question) AS qkey,
       hash(norm_question, norm_answer) AS qakey
FROM (
    SELECT rid, id, source, source_id, norm_text(question) AS norm_question, norm_text(answer) AS norm_answer FROM s1_rows
);

-- the normalised text is computed when read, not stored (writing it cost more than computing it)
CREATE OR REPLACE VIEW s2_rows AS
SELECT s.*, norm_text(s.question) AS norm_question, norm_text(s.answer) AS norm_answer, n.qkey, n.qakey
FROM s1_rows s JOIN s2_norm n USING (rid);

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 2, 'in', NULL, count(*) FROM s1_rows
UNION ALL SELECT 2, 'out', NULL, count(*) FROM s2_norm;
