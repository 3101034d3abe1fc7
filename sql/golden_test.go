package sql

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The golden tests pin every output of the pipeline, row for row: a change that makes a stage
// faster must leave every table, view and export file as it was. They were written from the
// build before the speed work of issue 21 (`go test ./sql -run Golden -update-golden`).
//
//   - golden/input.jsonl.gz: 4,000-odd rows that exercise every stage: WebInstruct-shaped
//     synthetic rows with planted exact and near copies, benchmark copies and bad rows; a sample
//     of the benchmark corpus with its real duplicates, near-duplicate clusters, cross-benchmark
//     contamination and short items matched by containment (GPQA left out); hand-written rows for
//     the edge cases (whitespace that is and is not blank, Unicode that NFKC folds, LaTeX spacing,
//     repeated ids, JSON of the wrong type, texts without words, every answer format, every
//     difficulty label). It was made by `go test ./sql -run GoldenInput -golden-input`.
//   - golden/tables.txt.gz: Dump of that run (every table and view, rows sorted, long text as its
//     MD5) and the export files read back.
//   - golden/tables-options.txt.gz: the same run with goldenOptions (settings other than the
//     defaults).
//   - golden/corpus.digest: for the whole benchmark corpus run (20,416 rows), the columns, row
//     count and sum of 64-bit row hashes of each relation (Digest: DuckDB's hash, so a DuckDB
//     upgrade rewrites it).
var (
	updateGolden = flag.Bool("update-golden", false, "rewrite sql/testdata/golden/{tables,tables-options}.txt.gz and corpus.digest from this build")
	goldenInput  = flag.Bool("golden-input", false, "rebuild sql/testdata/golden/input.jsonl.gz (corpus sample, synthetic and edge rows)")
)

const goldenDir = "testdata/golden"

// goldenRun runs stages 0-9 on the golden input with opt (nil: the defaults), with export, and
// returns the pipeline and the export folder.
func goldenRun(t *testing.T, options *Options) (*Pipeline, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	opt := DefaultOptions()
	if options != nil {
		opt = *options
	}
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	opt.ExportDir = filepath.Join(dir, "export")
	p, err := Open(ctx, filepath.Join(dir, "golden.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	// the input's path is in input_file and quarantine reasons: dumpAll writes it as <input>
	if err := p.UseFiles(ctx, []string{filepath.Join(goldenDir, "input.jsonl.gz")}); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(ctx, 1, LastStage); err != nil {
		t.Fatal(err)
	}
	return p, opt.ExportDir
}

// dumpAll is Dump of the database plus the export files read back with DuckDB, with the
// absolute path of the golden input written as <input> (before long values are hashed).
func dumpAll(t *testing.T, p *Pipeline, exportDir string) []byte {
	t.Helper()
	ctx := context.Background()
	in, err := filepath.Abs(filepath.Join(goldenDir, "input.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.Dump(ctx, &buf, in, "<input>"); err != nil {
		t.Fatal(err)
	}
	for _, f := range ExportFiles {
		lit := "'" + strings.ReplaceAll(filepath.Join(exportDir, f.Name), "'", "''") + "'"
		q := "SELECT * FROM read_parquet(" + lit + ")"
		if strings.HasSuffix(f.Name, ".jsonl") {
			q = "SELECT * FROM read_json(" + lit + ", format = 'newline_delimited')"
		}
		if err := dumpQuery(ctx, p.conn, &buf, "export "+f.Name, q, in, "<input>"); err != nil {
			t.Fatal(err)
		}
	}
	return digestSections(buf.Bytes())
}

// digestSections keeps the rows of the tables and replaces those of the views, the export files
// and the 20,416 benchmark items of stage 0 (the same in every run) by their SHA-256: the views
// and files repeat the tables' columns next to the input's, and the golden stays small. A
// digest that differs names the relation; `greason data compare` of the two databases shows the rows.
func digestSections(dump []byte) []byte {
	var out bytes.Buffer
	lines := strings.Split(string(dump), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		out.WriteString(l + "\n")
		if !strings.HasPrefix(l, "== ") {
			continue
		}
		if name := l[3:strings.LastIndex(l, " (")]; strings.HasPrefix(name, "table ") && name != "table bench_items" && name != "table bench_norm" {
			continue
		}
		j := i + 1
		for j < len(lines) && !strings.HasPrefix(lines[j], "== ") {
			j++
		}
		h := sha256.Sum256([]byte(strings.Join(lines[i+1:j], "\n")))
		fmt.Fprintf(&out, "sha256 %s\n", hex.EncodeToString(h[:]))
		i = j - 1
	}
	return out.Bytes()
}

// TestGoldenTables: every table, view and export file of the golden run is row for row the one
// in golden/tables.txt.gz.
func TestGoldenTables(t *testing.T) {
	p, exp := goldenRun(t, nil)
	checkGolden(t, dumpAll(t, p, exp), filepath.Join(goldenDir, "tables.txt.gz"))
	checkExportOrder(t, p, exp)
}

// checkExportOrder: the export files hold their rows in the order of the ids (verl_train.parquet:
// of extra_info.index, the rank of the id), so that a trainer reading a file in order gets the
// same sequence from every run of the same input.
func checkExportOrder(t *testing.T, p *Pipeline, dir string) {
	t.Helper()
	for _, f := range ExportFiles {
		key := "id"
		if f.Name == "verl_train.parquet" {
			key = "extra_info.index"
		}
		lit := "'" + strings.ReplaceAll(filepath.Join(dir, f.Name), "'", "''") + "'"
		// lag() over the file's own row order (a window without ORDER BY keeps the scan order of a
		// single file read by one thread)
		q := fmt.Sprintf(`SELECT count(*) FILTER (WHERE prev > k), count(*) FROM (
			SELECT k, lag(k) OVER () AS prev FROM (SELECT %s AS k FROM %s))`, key, lit)
		var bad, n int
		if _, err := p.conn.ExecContext(context.Background(), "SET threads = 1"); err != nil {
			t.Fatal(err)
		}
		if err := p.conn.QueryRowContext(context.Background(), q).Scan(&bad, &n); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if bad != 0 || n == 0 {
			t.Errorf("%s: %d of %d rows come after a larger %s", f.Name, bad, n, key)
		}
	}
}

// goldenOptions are settings other than the defaults, so that the branches they reach are
// pinned too: another seed (MinHash permutations, held-out split, rebalancing), a classifier
// training cap below the labelled rows ('unused' rows), a difficulty filter, a smaller easy-maths
// share and a lower contamination threshold.
func goldenOptions() Options {
	opt := DefaultOptions()
	opt.Seed, opt.DomainMaxTrain, opt.EasyMathShare, opt.ContamMinOverlap = 7, 300, 0.03, 0.3
	opt.KeepDifficulties = []string{"University", "PhD", "Level 1", "Primary School", "Competition", "Senior High School"}
	return opt
}

// TestGoldenOptions: the same for the golden run with goldenOptions (golden/tables-options.txt.gz).
// Stages 4 and 6 take their paths for large inputs here: stage 4 does not keep the signatures
// (they are computed again), stage 6 reads the rows to predict again after training.
func TestGoldenOptions(t *testing.T) {
	keep, buf := nearDupKeepSignatures, domainBufferRows
	nearDupKeepSignatures, domainBufferRows = 0, 0
	t.Cleanup(func() { nearDupKeepSignatures, domainBufferRows = keep, buf })
	opt := goldenOptions()
	p, exp := goldenRun(t, &opt)
	checkGolden(t, dumpAll(t, p, exp), filepath.Join(goldenDir, "tables-options.txt.gz"))
}

// checkGolden compares a dump with the golden file at path (or rewrites it with -update-golden).
func checkGolden(t *testing.T, got []byte, path string) {
	t.Helper()
	if *updateGolden {
		writeGz(t, path, got)
		t.Logf("wrote %s (%d bytes of dump)", path, len(got))
		return
	}
	want := readGz(t, path)
	compareDumps(t, want, got)
}

// TestGoldenCorpus: every relation of the benchmark corpus run has the columns, row count and
// row-hash sum (Digest) recorded in golden/corpus.digest.
func TestGoldenCorpus(t *testing.T) {
	p := corpus(t)
	var buf bytes.Buffer
	if err := p.Digest(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	path := filepath.Join(goldenDir, "corpus.digest")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(b) {
		compareDigests(t, string(b), got)
	}
}

// sections splits a dump into relation title -> its lines (header line included).
func sections(dump []byte) (map[string][]string, []string) {
	out := map[string][]string{}
	var order []string
	var cur string
	for _, line := range strings.Split(string(dump), "\n") {
		if strings.HasPrefix(line, "== ") {
			cur = line[3:strings.LastIndex(line, " (")]
			order = append(order, cur)
			out[cur] = []string{line}
			continue
		}
		if cur != "" && line != "" {
			out[cur] = append(out[cur], line)
		}
	}
	return out, order
}

// compareDumps reports, per relation, the first lines that differ.
func compareDumps(t *testing.T, want, got []byte) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	ws, worder := sections(want)
	gs, gorder := sections(got)
	for _, name := range worder {
		g, ok := gs[name]
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		w := ws[name]
		if strings.Join(w, "\n") == strings.Join(g, "\n") {
			continue
		}
		inW := map[string]int{}
		for _, l := range w[1:] {
			inW[l]++
		}
		var extra, missing []string
		for _, l := range g[1:] {
			if inW[l] > 0 {
				inW[l]--
			} else {
				extra = append(extra, l)
			}
		}
		for _, l := range w[1:] {
			if inW[l] > 0 {
				inW[l]--
				missing = append(missing, l)
			}
		}
		t.Errorf("%s differs: golden %q, now %q; %d rows only in the golden, %d only now", name, w[0], g[0], len(missing), len(extra))
		for i := 0; i < len(missing) && i < 3; i++ {
			t.Errorf("    golden only: %s", missing[i])
		}
		for i := 0; i < len(extra) && i < 3; i++ {
			t.Errorf("    now only:    %s", extra[i])
		}
	}
	for _, name := range gorder {
		if _, ok := ws[name]; !ok {
			t.Errorf("%s: new relation, not in the golden", name)
		}
	}
}

func compareDigests(t *testing.T, want, got string) {
	t.Helper()
	wl := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
		wl[strings.SplitN(l, "\t", 2)[0]] = l
	}
	gl := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		name := strings.SplitN(l, "\t", 2)[0]
		gl[name] = true
		if wl[name] != l {
			t.Errorf("corpus run: %q, golden %q", l, wl[name])
		}
	}
	for name, l := range wl {
		if !gl[name] {
			t.Errorf("corpus run lacks %q", l)
		}
	}
}

func writeGz(t *testing.T, path string, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGz(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldenInput rebuilds golden/input.jsonl.gz (only with -golden-input): it is committed, so
// the golden run does not depend on the generator or the corpus staying as they are.
func TestGoldenInput(t *testing.T) {
	if !*goldenInput {
		t.Skip("rebuilds the golden input with -golden-input")
	}
	ctx := context.Background()
	var lines []string
	add := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	queryLines := func(p *Pipeline, q string) {
		rows, err := p.conn.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, s)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	// 1. synthetic rows with planted copies (no copy of a GPQA question)
	opt := DefaultOptions()
	opt.BenchDir = filepath.Join("..", "benchmarks", "data")
	synP, err := Open(ctx, "", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer synP.Close()
	if err := synP.Run(ctx, 0, 0); err != nil {
		t.Fatal(err)
	}
	cfg := SynthConfig{Rows: 2000, Seed: 7, ExactShare: 0.06, NearShare: 0.08, ContamShare: 0.02, BadShare: 0.01}
	if err := synP.GenerateSynthetic(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	queryLines(synP, `SELECT json_object('id', id, 'question', question, 'answer', answer, 'answer_type', answer_type,
		'category', category, 'difficulty', difficulty, 'source', 'synthetic', 'source_id', id, 'labels', labels)::VARCHAR
		FROM synthetic_input WHERE coalesce(labels->>'$.of', '') NOT LIKE 'gpqa_diamond:%' ORDER BY row_no`)

	// 2. a sample of the benchmark corpus: exact-duplicate groups, near-duplicate clusters (all
	// members), contaminated rows and the items they hit, question conflicts, other rows
	p := corpus(t)
	queryLines(p, `WITH
		ex AS (SELECT rid FROM exact_dups WHERE qakey IN (SELECT DISTINCT qakey FROM exact_dups ORDER BY qakey LIMIT 40)),
		nd AS (SELECT rid FROM near_dup_clusters WHERE cluster_id IN
		           (SELECT DISTINCT cluster_id FROM near_dup_clusters ORDER BY hash(cluster_id) LIMIT 40)),
		ndmix AS (SELECT c.rid FROM near_dup_clusters c WHERE c.cluster_id IN
		           (SELECT cluster_id FROM near_dup_pairs GROUP BY ALL HAVING bool_or(same_answer) AND bool_or(NOT same_answer) LIMIT 10)),
		co AS (SELECT rid FROM (SELECT DISTINCT rid FROM contamination) ORDER BY hash(rid) LIMIT 80),
		short AS (SELECT DISTINCT rid FROM contamination WHERE item_ngrams = 1 LIMIT 30),
		items AS (SELECT r.rid FROM s1_rows r JOIN contamination c ON r.source = c.benchmark AND r.source_id = c.item_id
		          WHERE c.rid IN (SELECT rid FROM co UNION SELECT rid FROM short)),
		qc AS (SELECT rid FROM s3_norm WHERE qkey IN (SELECT qkey FROM question_conflicts)),
		other AS (SELECT rid FROM s1_rows ORDER BY hash(rid) LIMIT 300),
		pick AS (SELECT rid FROM ex UNION SELECT rid FROM nd UNION SELECT rid FROM ndmix UNION SELECT rid FROM co
		         UNION SELECT rid FROM short UNION SELECT rid FROM items UNION SELECT rid FROM qc UNION SELECT rid FROM other)
		SELECT json_object('id', id, 'question', question, 'answer', answer, 'answer_type', answer_type, 'category', category,
		                   'difficulty', difficulty, 'source', source, 'source_id', source_id, 'labels', labels)::VARCHAR
		FROM s1_rows WHERE rid IN (SELECT rid FROM pick) AND source <> 'gpqa_diamond' AND length(question) < 1200 ORDER BY rid`)

	// 3. hand-written edge cases
	for _, r := range goldenEdgeRows(t, p) {
		add(r)
	}
	// lines that are not rows of the schema
	lines = append(lines,
		`{"id":"edge-json-1","question":"broken json",`,
		`["not", "an", "object"]`,
		`42`,
		``,
		`{"id":17,"question":"numeric id","answer":"1"}`,
		`{"id":"edge-json-2","question":"object answer","answer":{"a":1}}`,
		`{"id":"edge-json-3","question":"list answer","answer":[1,2]}`,
		`{"id":"edge-json-4","question":"integer answer","answer":12}`,
		`{"id":"edge-json-5","question":"float answer","answer":0.25}`,
		`{"id":"edge-json-6","question":"boolean answer","answer":false}`,
		`{"id":"edge-json-7","question":"null answer","answer":null}`,
		`{"id":"edge-json-8","question":"numeric category","answer":"x","category":3}`,
		`{"id":"edge-json-9","question":"bad difficulty type","answer":"x","difficulty":[1]}`,
		`{"id":"edge-json-10","question":"extra fields","answer":"x","extra":{"y":1}}`,
		`{"id":"edge-json-11","question":"labels as object","answer":"y","labels":{"k":"v"}}`,
	)
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	writeGz(t, filepath.Join(goldenDir, "input.jsonl.gz"), buf.Bytes())
	t.Logf("wrote %d lines", len(lines))
}

type goldenRow struct {
	ID         *string `json:"id"`
	Question   *string `json:"question"`
	Answer     *string `json:"answer"`
	AnswerType *string `json:"answer_type,omitempty"`
	Category   *string `json:"category,omitempty"`
	Difficulty *string `json:"difficulty,omitempty"`
	Source     string  `json:"source,omitempty"`
	SourceID   string  `json:"source_id,omitempty"`
}

func sp(s string) *string { return &s }

// goldenEdgeRows are the hand-written rows of the golden input.
func goldenEdgeRows(t *testing.T, corpus *Pipeline) []goldenRow {
	var rows []goldenRow
	n := 0
	row := func(q, a string, extra ...string) {
		n++
		r := goldenRow{ID: sp(fmt.Sprintf("edge-%03d", n)), Question: sp(q), Answer: sp(a)}
		for i := 0; i+1 < len(extra); i += 2 {
			v := sp(extra[i+1])
			switch extra[i] {
			case "type":
				r.AnswerType = v
			case "cat":
				r.Category = v
			case "diff":
				r.Difficulty = v
			case "src":
				r.Source = *v
			case "sid":
				r.SourceID = *v
			case "id":
				r.ID = v
			}
		}
		rows = append(rows, r)
	}
	// stage 1: blank and not-blank ids, questions and answers (RE2's \S: space, \t, \n, \f, \r are
	// blank; \v, NBSP, ideographic and zero-width spaces are not)
	for _, ws := range []string{"", " ", "\t", "\n", "\r\n", "\f", "\v", "\u00a0", "\u3000", "\u200b", "\u2028", " \t \n"} {
		n++
		rows = append(rows,
			goldenRow{ID: sp(ws), Question: sp(fmt.Sprintf("Blank id case %d: what is %d + %d?", n, n, n)), Answer: sp(fmt.Sprint(2 * n))},
			goldenRow{ID: sp(fmt.Sprintf("edge-ws-q-%d", n)), Question: sp(ws), Answer: sp("1")},
			goldenRow{ID: sp(fmt.Sprintf("edge-ws-a-%d", n)), Question: sp(fmt.Sprintf("Blank answer case %d: name the colour of the sky at noon number %d.", n, n)), Answer: sp(ws)})
	}
	rows = append(rows, goldenRow{ID: sp("edge-nullq"), Question: nil, Answer: sp("1")},
		goldenRow{ID: sp("edge-nulla"), Question: sp("Where is the answer field?"), Answer: nil},
		goldenRow{ID: nil, Question: sp("Where is the id field?"), Answer: sp("here")})
	// repeated ids: the first kept; a repeated id whose first row is bad
	for i := range 3 {
		row(fmt.Sprintf("Repeated id, occurrence %d: compute %d squared.", i, i+3), fmt.Sprint((i+3)*(i+3)), "id", "edge-dup-id")
	}
	row("First occurrence has no answer.", "", "id", "edge-dup-bad-first")
	row("Second occurrence is fine: what is 6 times 7?", "42", "id", "edge-dup-bad-first")
	// stage 2: normalisation (NFKC, case, LaTeX spacing, $, braces, whitespace) and exact copies
	base := `Find \frac{1}{2} of 10 $x$ where \left( x \right) = 4 and y^{2} = 9; give the sum of x and y in metres please.`
	for i, v := range []string{
		base,
		`FIND \FRAC{1}{2} OF 10 $X$ WHERE \LEFT( X \RIGHT) = 4 AND Y^{2} = 9; GIVE THE SUM OF X AND Y IN METRES PLEASE.`,
		`Find \frac {1} { 2 } of 10 $$x$$ where \Left( x \Right) = 4 and y ^ {2} = 9;   give the sum of x and y in metres please.`,
		"Find \\frac{1}{2} of １０ $x$ where \\left( x \\right) = ４ and y^{２} = ９; give\tthe sum of x and y in metres\u00a0please.",
		`Find \frac{1}{2}\,of\;10\:$x$\!where \left( x \right)\quad= 4\qquad and y^{2} = 9;\ give the sum of x and y in metres please.`,
	} {
		row(v, "7 m", "type", "Float", "cat", "Physics", "diff", "Senior High School")
		row(v, []string{"7 m", "7\u00a0m", " 7 M ", "$7$ m", "7  m"}[i], "cat", "physics")
	}
	row(base, "9 m") // same question, another answer: a question conflict
	for _, q := range []string{
		"ﬁnd the eﬃciency of a machine Ⅻ times x² with the ligatures ﬀ and ﬂ",
		"cafe\u0301 or café: are the two spellings the same after NFKC normalisation, yes or no",
		"İstanbul and ISTANBUL and ıstanbul: how many letters does the city name have",
		"Straße, STRASSE, ẞ and ß: which of these are equal under simple case folding",
		"ΣΑΣ ΟΔΟΣ σας: what does final sigma do when this Greek phrase is lower-cased",
		"Trailing backslash at the end of the question \\",
		`Escaped dollars \$5 and \$10 and a line break \\ in the middle: what is the total in dollars`,
		"Tabs\tand\nnewlines\r\nand\u0085next-line and\u2028line separators between the words of this question",
		"emoji 🙂 and CJK 東京 and RTL مرحبا in one question: how many scripts appear here",
		"x \\left\\{ y \\right\\} and \\leftarrow and \\rightarrow and \\quadratic and \\qquadx: which commands stay",
		"{ a } ^ { b } _ { c } and a{b}c and \\, { \\; } and $ { $ }",
		"$$ $$",
		"??? !!! ... ---",
		"...",
		"a",
		"one two three four",
		"one two three four five",
		"one two three four five six",
		"one two three four five seven",
	} {
		row(q, "B", "type", "Multiple Choice", "cat", "Other")
	}
	row("??? !!! ... ---", "C") // no words, other answer
	row("???   !!!   ...   ---", "B")
	// stage 4: near copies (one word, two words), a chain, clusters with equal and other answers
	long := strings.Fields("a uniform rod of length two metres and mass three kilograms is pivoted at one end and released from rest in a horizontal position find the angular velocity of the rod when it passes through the vertical position assuming no friction at the pivot and neglecting air resistance entirely")
	variant := func(changes map[int]string) string {
		w := append([]string(nil), long...)
		for i, s := range changes {
			w[i] = s
		}
		return strings.Join(w, " ")
	}
	row(variant(nil), "3.8 rad/s", "cat", "Physics", "diff", "University")
	row(variant(map[int]string{5: "four"}), "3.8 rad/s", "cat", "Physics", "diff", "University")
	row(variant(map[int]string{5: "four", 9: "five"}), "3.8 rad/s", "cat", "Physics")
	row(variant(map[int]string{5: "four", 9: "five", 30: "horizontal"}), "2.9 rad/s", "cat", "Physics")
	row(variant(map[int]string{20: "final"}), "3.1 rad/s", "cat", "Physics")
	row(variant(map[int]string{3: "six", 13: "two", 25: "angular", 40: "loose"}), "3.8 rad/s", "cat", "Physics")
	row(variant(map[int]string{1: "steel", 2: "beam", 3: "six", 13: "two", 25: "linear", 40: "loose", 44: "and"}), "3.8 rad/s")
	// stage 5: benchmark copies: verbatim, own item, same benchmark other item, partial overlap,
	// a short item inside a longer row
	bench := func(q string) (string, string, string) {
		var b, id, text string
		if err := corpus.conn.QueryRowContext(context.Background(), q).Scan(&b, &id, &text); err != nil {
			t.Fatal(err)
		}
		return b, id, text
	}
	b, id, q := bench(`SELECT benchmark, item_id, question FROM bench_items WHERE benchmark = 'math500' AND len(string_split(question, ' ')) > 40 ORDER BY item_id LIMIT 1`)
	row(q, "5", "cat", "Mathematics", "diff", "Level 2")
	row(q, "5", "src", b, "sid", id)
	row(q, "6", "src", b, "sid", "another-item")
	row(q, "7", "src", "gsm8k", "sid", "1")
	w := strings.Fields(q)
	row(strings.Join(w[:len(w)*2/5], " ")+" and then something else entirely different from the original problem statement here", "8")
	row(strings.Join(w[:len(w)*3/5], " ")+" and then something else", "9")
	row(strings.ToUpper(q), "10")
	_, _, short := bench(`SELECT benchmark, item_id, question FROM bench_items WHERE benchmark = 'theoremqa' AND len(string_split(question, ' ')) BETWEEN 5 AND 10 ORDER BY item_id LIMIT 1`)
	row("Consider the following. "+short+" Choose one: A. 1 B. 2 C. 3 D. 4", "A", "type", "Multiple Choice")
	row(short, "A")
	_, _, q2 := bench(`SELECT benchmark, item_id, question FROM bench_items WHERE benchmark = 'gsm8k' AND len(string_split(question, ' ')) > 40 ORDER BY item_id LIMIT 1`)
	row(q+" "+q2, "11")
	// stage 6: category labels (case, spaces, the sources' own names, unknown, none)
	for _, c := range []string{"Physics", " physics ", "PHYSICS", "math", "eecs", "Computer Science", "business", "law",
		"relativity (8.033 fall 2006)", "unknown-category", ""} {
		row("Category label "+c+": a question about energy and momentum of a moving cart on a track", "12 J", "cat", c)
	}
	row("No category label: a question about the derivative of a polynomial function and its integral", "2x")
	// stage 7: answer formats
	for i, a := range []string{"A", "(b)", "C.", "Option D", "answer (E)", "True", "no.", "Incorrect",
		`\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}`, "[[1, 2], [3, 4]]", "45%", `12.5 \%`, "3/4", "-7 / 8", `\frac{1}{2}`,
		`\dfrac{3}{4}`, "-12", "1,000,000", "3.14", ".5", "1e-5", "-2.5E+3", `2.5 \times 10^{3}`, "6.02 × 10^23",
		"12.5 m/s", `3 \mathrm{kg}`, "5 μm", "20 °C", "1,200 people", "[1, 2]", "{1, 2}", "(1, 2)", "a; b; c",
		"x^2 + 1", "f(x)", "a - b", "x", "hello world", "O'Neil", "l’Hôpital", "—", "$42$", "$$x$$", "  12  "} {
		row(fmt.Sprintf("Answer format case %d: state the value that answers this made-up question number %d.", i, i), a)
	}
	// answer types the sources name
	for _, at := range []string{"Float", "integer", "List of Integer", "bool", "option", "Numerical", "Tuple", "Interval", "nonsense", ""} {
		row("Answer type label "+at+": state the value asked for by this made-up question about a label.", "3", "type", at)
	}
	// stage 8: difficulty labels (easy maths is downsampled), unknown ones
	for i, d := range []string{"Primary School", "Junior High School", "Senior High School", "Grade School", "Level 1", "level 2",
		"Level 3", "Level 4", "LEVEL 5", "University", "Undergraduate", "PhD", "post-graduate", "Competition", "Elementary",
		"middle school", "hard", ""} {
		for j := range 3 {
			row(fmt.Sprintf("Difficulty %s item %d: what is the derivative of x to the power %d at x equal to %d?", d, j, i+2, j+1),
				fmt.Sprint((i+2)*(j+1)), "cat", "Mathematics", "diff", d)
		}
	}
	return rows
}
