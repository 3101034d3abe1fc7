-- Stage 9: export. The final dataset in the WebInstruct schema (plus provenance and pipeline
-- labels), the verl RL layout of protocol.md §3.1, and files in {{export_dir}} when set
-- (dataset is a view over the row-id tables of stages 1-8: the text is written once, to the files):
--   dataset.jsonl, dataset.parquet, verl_train.parquet (written to a temporary name, then renamed).
--   dataset   (view) id, question, answer, answer_type, category, difficulty (WebInstruct columns; answer_type
--             is the source label when it names one type, else the classifier's), then domain,
--             answer_format, difficulty_level, source, source_id, labels
--   verl_rows data_source, prompt, ability, reward_model, extra_info (a view)

CREATE OR REPLACE VIEW dataset AS
SELECT id, question, answer, coalesce(answer_type_label, answer_format) AS answer_type,
       domain_category AS category, difficulty,
       domain, domain_source, answer_format, difficulty_level, source, source_id, labels
FROM s8_rows;

-- verl_layout(t): the verl rows of any table with the dataset's columns (a table macro, stored in
-- the database, plain SQL); the export applies it to its in-memory copy of the dataset.
CREATE OR REPLACE MACRO verl_layout(t) AS TABLE
SELECT 'general-reasoner' AS data_source,
       [{'role': 'user', 'content': d.question || ' Please reason step by step, and put your final answer within \boxed{}.'}] AS prompt,
       'reasoning' AS ability,
       {'style': 'rule', 'ground_truth': d.answer} AS reward_model,
       {'split': 'train', 'index': i.idx, 'answer': d.answer, 'question': d.question, 'level': d.difficulty} AS extra_info
FROM query_table(t) d
-- index = rank of the id; ranked on the ids alone, so the sort does not carry the text
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM query_table(t)) i USING (id);

CREATE OR REPLACE VIEW verl_rows AS SELECT * FROM verl_layout('dataset');

-- @go export

INSERT INTO stage_counts (stage, metric, reason, n)
SELECT 9, 'in', NULL, count(*) FROM row_difficulty WHERE drop_reason IS NULL
UNION ALL SELECT 9, 'out', NULL, count(*) FROM dataset;
