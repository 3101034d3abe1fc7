package job

import (
	"bufio"
	"compress/gzip"
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// Row is one question of the training or validation data: what the prompt and the reward need.
type Row struct {
	ID         string // the row's id (WebInstruct files), or its extra_info.index (verl layout)
	Question   string // the raw question, without the instruction suffix
	Answer     string // the gold answer (reward_model.ground_truth)
	DataSource string // verl's data_source (the validation metric's name); "general-reasoner" for WebInstruct rows
	File       string // where it came from (file and 1-based row, for messages)
	Line       int
}

// Suffix is the instruction appended to every question (protocol §3.1: data_preprocess.py joins
// question, one space and this sentence into the single user turn).
const Suffix = "Please reason step by step, and put your final answer within \\boxed{}."

// UserTurn is the content of the user turn of a question: question + " " + Suffix.
func UserTurn(question string) string { return question + " " + Suffix }

// defaultSource is the data_source of rows read from WebInstruct-schema files (the one
// `greason data export` writes into the verl layout).
const defaultSource = "general-reasoner"

// ExportFile is the file of a `greason data export` folder that the job trains on (the verl
// layout of protocol §3.1).
const ExportFile = "verl_train.parquet"

// LoadRows reads the rows of every path in order: a `greason data export` folder (its
// verl_train.parquet), a parquet file in the verl layout (prompt, reward_model, extra_info) or in
// the WebInstruct-verified schema (id, question, answer, ...), or a JSON Lines file (.jsonl,
// .jsonl.gz) in the WebInstruct-verified schema. limit > 0 stops after that many rows. A row
// without a question or answer, or whose verl prompt is not the §3.1 user turn of its question,
// is an error naming the file, the row and the field: nothing is dropped silently.
func LoadRows(ctx context.Context, paths []string, limit int) ([]Row, error) {
	var out []Row
	for _, p := range paths {
		if limit > 0 && len(out) >= limit {
			break
		}
		rows, err := loadPath(ctx, p, limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data %s: no rows", strings.Join(paths, ", "))
	}
	return out, nil
}

func loadPath(ctx context.Context, p string, limit int) ([]Row, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		f := filepath.Join(p, ExportFile)
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("data %s: a folder must be a `greason data export` folder holding %s: %w", p, ExportFile, err)
		}
		p = f
	}
	switch {
	case strings.HasSuffix(p, ".parquet"):
		return loadParquet(ctx, p, limit)
	case strings.HasSuffix(p, ".jsonl"), strings.HasSuffix(p, ".jsonl.gz"), strings.HasSuffix(p, ".ndjson"):
		return loadJSONL(p, limit)
	}
	return nil, fmt.Errorf("data %s: unknown format (want a `greason data export` folder, .parquet, .jsonl or .jsonl.gz)", p)
}

// loadJSONL reads WebInstruct-schema JSON lines: id, question and answer are required (the answer
// may be a JSON number or boolean, as in WebInstruct's JSON, read as its text); other fields are
// the schema's metadata and are not needed here.
func loadJSONL(path string, limit int) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("data %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var out []Row
	for line := 1; sc.Scan(); line++ {
		if limit > 0 && len(out) >= limit {
			break
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal([]byte(text), &obj); err != nil {
			return nil, fmt.Errorf("data %s row %d: not a JSON object: %w", path, line, err)
		}
		row := Row{File: path, Line: line, DataSource: defaultSource}
		for _, fld := range []struct {
			name string
			dst  *string
			any  bool
		}{{"id", &row.ID, false}, {"question", &row.Question, false}, {"answer", &row.Answer, true}} {
			v, err := jsonText(obj[fld.name], fld.any)
			if err != nil {
				return nil, fmt.Errorf("data %s row %d field %s: %w", path, line, fld.name, err)
			}
			*fld.dst = v
		}
		if err := row.check(); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("data %s: %w", path, err)
	}
	return out, nil
}

// jsonText returns a JSON string's value (or, with scalars, a number's or boolean's text).
func jsonText(raw json.RawMessage, scalars bool) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", fmt.Errorf("missing")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if scalars {
		var f any
		if err := json.Unmarshal(raw, &f); err == nil {
			switch f.(type) {
			case float64, bool:
				return string(raw), nil
			}
		}
	}
	return "", fmt.Errorf("want a string, got %s", string(raw))
}

func (r Row) where() string { return fmt.Sprintf("data %s row %d", r.File, r.Line) }

func (r Row) check() error {
	if strings.TrimSpace(r.Question) == "" {
		return fmt.Errorf("%s field question: empty", r.where())
	}
	if strings.TrimSpace(r.Answer) == "" {
		return fmt.Errorf("%s field answer: empty", r.where())
	}
	return nil
}

// loadParquet reads a parquet file through DuckDB: the verl layout when it has prompt and
// reward_model columns, else the WebInstruct-verified schema.
func loadParquet(ctx context.Context, path string, limit int) ([]Row, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, err
	}
	db := dbsql.OpenDB(connector)
	defer db.Close()
	src := "read_parquet('" + strings.ReplaceAll(path, "'", "''") + "', file_row_number = true)"
	cols := map[string]string{}
	rs, err := db.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", path, err)
	}
	for rs.Next() {
		var n, t string
		if err := rs.Scan(&n, &t); err != nil {
			rs.Close()
			return nil, fmt.Errorf("data %s: %w", path, err)
		}
		cols[n] = t
	}
	rs.Close()
	lim := ""
	if limit > 0 {
		lim = fmt.Sprintf(" LIMIT %d", limit)
	}
	var q string
	verl := cols["prompt"] != "" && cols["reward_model"] != ""
	if verl {
		for _, c := range []string{"extra_info", "data_source"} {
			if cols[c] == "" {
				return nil, fmt.Errorf("data %s: verl layout without column %s (want data_source, prompt, ability, reward_model, extra_info)", path, c)
			}
		}
		q = `SELECT file_row_number + 1, CAST(extra_info.index AS VARCHAR), extra_info.question,
		            CAST(reward_model.ground_truth AS VARCHAR), data_source, len(prompt),
		            prompt[1].role, prompt[1].content FROM ` + src + ` ORDER BY file_row_number` + lim
	} else {
		for _, c := range []string{"id", "question", "answer"} {
			if cols[c] == "" {
				return nil, fmt.Errorf("data %s: no column %s (want the WebInstruct-verified schema: id, question, answer, ... or the verl layout)", path, c)
			}
		}
		q = `SELECT file_row_number + 1, CAST(id AS VARCHAR), CAST(question AS VARCHAR), CAST(answer AS VARCHAR),
		            NULL, NULL, NULL, NULL FROM ` + src + ` ORDER BY file_row_number` + lim
	}
	rs, err = db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", path, err)
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var line int
		var id, question, answer, source, role, content dbsql.NullString
		var turns dbsql.NullInt64
		if err := rs.Scan(&line, &id, &question, &answer, &source, &turns, &role, &content); err != nil {
			return nil, fmt.Errorf("data %s: %w", path, err)
		}
		row := Row{ID: id.String, Question: question.String, Answer: answer.String, DataSource: defaultSource, File: path, Line: line}
		if verl {
			row.DataSource = source.String
			switch {
			case !question.Valid:
				return nil, fmt.Errorf("%s field extra_info.question: missing", row.where())
			case !answer.Valid:
				return nil, fmt.Errorf("%s field reward_model.ground_truth: missing", row.where())
			case !source.Valid || source.String == "":
				return nil, fmt.Errorf("%s field data_source: missing", row.where())
			case turns.Int64 != 1 || role.String != "user":
				return nil, fmt.Errorf("%s field prompt: want one user turn, got %d turn(s), the first %q", row.where(), turns.Int64, role.String)
			case content.String != UserTurn(question.String):
				return nil, fmt.Errorf("%s field prompt: its user turn is not extra_info.question + %q (protocol §3.1)", row.where(), " "+Suffix)
			}
		} else {
			for _, f := range []struct {
				name string
				v    dbsql.NullString
			}{{"id", id}, {"question", question}, {"answer", answer}} {
				if !f.v.Valid {
					return nil, fmt.Errorf("%s field %s: missing", row.where(), f.name)
				}
			}
		}
		if err := row.check(); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("data %s: %w", path, err)
	}
	return out, nil
}
