-- Stage 0: benchmarks. Load the 11 vendored benchmark test sets ({{bench_dir}}) into one table in
-- the WebInstruct schema. It is the reference for decontamination (stage 5) and, with
-- `--input corpus`, the real multi-source corpus the pipeline is tested on.
-- bench_items(benchmark, item_id, question, answer, answer_type, category, difficulty, labels)
--   answer_type / category / difficulty hold the source's own labels, unmapped (stages 6-8 map them);
--   labels is a JSON object with every label the source has.

-- GPQA-Diamond sits in a password-protected zip: Go decrypts it in memory into gpqa_raw.
-- @go gpqa

CREATE OR REPLACE TABLE bench_items AS
WITH
mmlu AS (
    SELECT 'mmlu_pro' AS benchmark, CAST(question_id AS VARCHAR) AS item_id,
           question || chr(10) || array_to_string(
               list_transform(range(len(options)), lambda i: chr(65 + i::INTEGER) || '. ' || options[i + 1]), chr(10)) AS question,
           answer::VARCHAR AS answer, 'Multiple Choice' AS answer_type, category::VARCHAR AS category,
           NULL::VARCHAR AS difficulty,
           json_object('category', category, 'src', src, 'answer_index', answer_index)::VARCHAR AS labels
    FROM read_json('{{bench_dir}}/mmlu_pro_test.jsonl.gz', format = 'newline_delimited')
),
tqa AS (
    SELECT 'theoremqa', id, "Question",
           -- JSON answers keep their JSON spelling (true, [1, 2], 0.5); strings lose their quotes
           CASE WHEN json_type("Answer") = 'VARCHAR' THEN "Answer"->>'$' ELSE "Answer"::VARCHAR END,
           "Answer_type", field, NULL,
           json_object('field', field, 'subfield', subfield, 'answer_type', "Answer_type", 'theorem', theorem,
                       'has_picture', "Picture" IS NOT NULL)::VARCHAR
    FROM read_json('{{bench_dir}}/theoremqa_test.json.gz', format = 'array',
                   columns = {"Question": 'VARCHAR', "Answer": 'JSON', "Answer_type": 'VARCHAR', "Picture": 'VARCHAR',
                              id: 'VARCHAR', theorem: 'VARCHAR', subfield: 'VARCHAR', field: 'VARCHAR'})
),
bbeh AS (
    SELECT 'bbeh', task || '/' || "index"::VARCHAR, "input", target::VARCHAR, NULL, NULL, NULL,
           json_object('task', task)::VARCHAR
    FROM read_json('{{bench_dir}}/bbeh_all.jsonl.gz', format = 'newline_delimited')
),
math500 AS (
    SELECT 'math500', unique_id, problem, answer, NULL, 'Mathematics', 'Level ' || level::VARCHAR,
           json_object('subject', subject, 'level', level)::VARCHAR
    FROM read_json('{{bench_dir}}/math500_test.jsonl.gz', format = 'newline_delimited')
),
olympiad AS (
    SELECT 'olympiadbench', id::VARCHAR, question, array_to_string(final_answer, ', '),
           CASE WHEN is_multiple_answer THEN 'List' ELSE answer_type END, 'Mathematics', 'Competition',
           json_object('subfield', subfield, 'answer_type', answer_type, 'is_multiple_answer', is_multiple_answer)::VARCHAR
    FROM read_json('{{bench_dir}}/olympiadbench_test.jsonl.gz', format = 'newline_delimited')
),
minerva AS (
    -- no answer column: the gold answer is the content of the last \boxed{...} of the solution
    SELECT 'minerva_math', idx::VARCHAR, problem, last_boxed(solution), NULL, "type", NULL,
           json_object('course', "type")::VARCHAR
    FROM read_json('{{bench_dir}}/minerva_math_test.jsonl.gz', format = 'newline_delimited')
),
gsm8k AS (
    SELECT 'gsm8k', idx::VARCHAR, question, trim(split_part(answer, '#### ', -1)), NULL, 'Mathematics', 'Grade School',
           '{}'
    FROM read_json('{{bench_dir}}/gsm8k_test.jsonl.gz', format = 'newline_delimited')
),
amc23 AS (
    SELECT 'amc23', id::VARCHAR, question, answer::VARCHAR, NULL, 'Mathematics', 'Competition', '{}'
    FROM read_json('{{bench_dir}}/amc23_test.jsonl.gz', format = 'newline_delimited')
),
aime24 AS (
    SELECT 'aime24', id::VARCHAR, problem, answer::VARCHAR, NULL, 'Mathematics', 'Competition', '{}'
    FROM read_json('{{bench_dir}}/aime24_test.jsonl.gz', format = 'newline_delimited')
),
aime25 AS (
    SELECT 'aime25', (row_number() OVER ())::VARCHAR, problem, answer::VARCHAR, NULL, 'Mathematics', 'Competition', '{}'
    FROM read_json('{{bench_dir}}/aime25_test.jsonl.gz', format = 'newline_delimited')
),
gpqa AS (
    SELECT 'gpqa_diamond', record_id, question, correct_answer, NULL, high_level_domain, difficulty,
           json_object('domain', high_level_domain, 'subdomain', subdomain)::VARCHAR
    FROM gpqa_raw
)
SELECT * FROM mmlu UNION ALL SELECT * FROM tqa UNION ALL SELECT * FROM bbeh UNION ALL SELECT * FROM math500
UNION ALL SELECT * FROM olympiad UNION ALL SELECT * FROM minerva UNION ALL SELECT * FROM gsm8k
UNION ALL SELECT * FROM amc23 UNION ALL SELECT * FROM aime24 UNION ALL SELECT * FROM aime25 UNION ALL SELECT * FROM gpqa;

DROP TABLE gpqa_raw;

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 0, 'out', benchmark, count(*) FROM bench_items GROUP BY benchmark;
