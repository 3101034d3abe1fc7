package sql

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// SynthConfig shapes the synthetic WebInstruct-like rows of GenerateSynthetic.
type SynthConfig struct {
	Rows        int
	Seed        uint64
	ExactShare  float64 // rows that are exact duplicates (after normalisation) of an earlier row
	NearShare   float64 // rows that are near duplicates (one or two words changed)
	ContamShare float64 // rows that copy a benchmark question (needs bench_items)
	BadShare    float64 // malformed rows (missing answer or question)
}

// DefaultSynth plants 4% exact and 4% near duplicates, 0.05% contamination and 0.1% bad rows.
func DefaultSynth(rows int) SynthConfig {
	return SynthConfig{Rows: rows, Seed: 1, ExactShare: 0.04, NearShare: 0.04, ContamShare: 0.0005, BadShare: 0.001}
}

type weighted struct {
	name string
	w    float64
}

// Shares of protocol.md §4.3 (answer types) and §4.4 (fine categories, % of the whole set).
var (
	synthAnswerTypes = []weighted{{"Float", 29.4}, {"Expression", 21.4}, {"Multiple Choice", 13.4}, {"Integer", 9.99},
		{"String", 7.04}, {"List", 5.67}, {"Boolean", 5.51}, {"Percentage", 3.06}, {"Fraction", 2.39}, {"Matrix", 2.11}, {"Other", 0.9}}
	synthCategories = []weighted{{"Mathematics", 33.9}, {"Physics", 23.7}, {"Chemistry", 10.4}, {"Business", 9.99},
		{"Finance", 5.75}, {"Economics", 5.08}, {"History", 2.66}, {"Biology", 2.56}, {"Other", 3.15}, {"Psychology", 0.78},
		{"Computer Science", 0.56}, {"Health", 0.5}, {"Other STEM", 0.42}, {"Philosophy", 0.22}, {"Law", 0.2}, {"Engineering", 0.14}}
	// difficulty shares are not published; these are made up for the generator
	synthDifficulties = []weighted{{"Primary School", 4}, {"Junior High School", 10}, {"Senior High School", 22},
		{"University", 54}, {"PhD", 10}}
	synthKeywords = map[string][]string{
		"Mathematics":      {"integral", "derivative", "matrix", "polynomial", "equation", "function", "limit", "series", "triangle", "probability"},
		"Physics":          {"velocity", "force", "mass", "energy", "momentum", "charge", "field", "wavelength", "pressure", "acceleration"},
		"Chemistry":        {"molar", "reaction", "solution", "acid", "enthalpy", "electron", "compound", "equilibrium", "gas", "concentration"},
		"Business":         {"revenue", "cost", "inventory", "budget", "sales", "margin", "company", "overhead", "depreciation", "ledger"},
		"Finance":          {"interest", "bond", "portfolio", "yield", "dividend", "loan", "annuity", "stock", "return", "discount"},
		"Economics":        {"demand", "supply", "elasticity", "market", "price", "utility", "inflation", "gdp", "monopoly", "equilibrium"},
		"History":          {"empire", "war", "treaty", "revolution", "century", "dynasty", "colonial", "king", "republic", "reform"},
		"Biology":          {"cell", "gene", "protein", "enzyme", "species", "dna", "organism", "membrane", "evolution", "tissue"},
		"Other":            {"people", "world", "culture", "language", "music", "art", "society", "media", "sport", "travel"},
		"Psychology":       {"behavior", "memory", "cognitive", "stimulus", "anxiety", "personality", "learning", "perception", "emotion", "therapy"},
		"Computer Science": {"algorithm", "array", "complexity", "graph", "binary", "program", "compiler", "network", "hash", "recursion"},
		"Health":           {"patient", "dose", "disease", "nutrition", "blood", "symptom", "treatment", "clinical", "vaccine", "diet"},
		"Other STEM":       {"material", "sensor", "signal", "circuit", "beam", "fluid", "thermal", "sample", "measurement", "device"},
		"Philosophy":       {"ethics", "argument", "virtue", "logic", "knowledge", "truth", "moral", "reason", "mind", "existence"},
		"Law":              {"contract", "court", "statute", "liability", "plaintiff", "defendant", "tort", "rights", "appeal", "jurisdiction"},
		"Engineering":      {"stress", "load", "torque", "efficiency", "design", "turbine", "voltage", "beam", "strain", "flow"},
	}
)

func pick(r *rand.Rand, ws []weighted) string {
	total := 0.0
	for _, w := range ws {
		total += w.w
	}
	x := r.Float64() * total
	for _, w := range ws {
		if x -= w.w; x < 0 {
			return w.name
		}
	}
	return ws[len(ws)-1].name
}

// synthVocab makes n pronounceable pseudo-words from syllables (deterministic).
func synthVocab(n int) []string {
	syl := []string{"ba", "ko", "ri", "ten", "lu", "mas", "ve", "dor", "pi", "sha", "gum", "fe", "nal", "tro", "wi", "zel", "qua", "mo", "ish", "ar"}
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		x := i
		var b strings.Builder
		for range 3 {
			b.WriteString(syl[x%len(syl)])
			x /= len(syl)
		}
		out = append(out, b.String())
	}
	return out
}

func synthAnswer(r *rand.Rand, typ string, vocab []string) string {
	switch typ {
	case "Float":
		return fmt.Sprintf("%.3f", r.Float64()*1000)
	case "Integer":
		return fmt.Sprint(r.IntN(100000))
	case "Fraction":
		return fmt.Sprintf("%d/%d", 1+r.IntN(40), 2+r.IntN(60))
	case "Percentage":
		return fmt.Sprintf("%.1f%%", r.Float64()*100)
	case "Expression":
		return fmt.Sprintf("%dx^2 + %dx - %d", 1+r.IntN(9), r.IntN(20), r.IntN(50))
	case "List":
		return fmt.Sprintf("%d, %d, %d", r.IntN(50), r.IntN(50), r.IntN(50))
	case "Matrix":
		return fmt.Sprintf(`\begin{pmatrix} %d & %d \\ %d & %d \end{pmatrix}`, r.IntN(9), r.IntN(9), r.IntN(9), r.IntN(9))
	case "Boolean":
		return []string{"True", "False"}[r.IntN(2)]
	case "Multiple Choice":
		return string(rune('A' + r.IntN(10)))
	case "String":
		return vocab[r.IntN(len(vocab))] + " " + vocab[r.IntN(len(vocab))]
	default:
		return fmt.Sprintf("(-\\infty, %d]", r.IntN(30))
	}
}

// fullwidth rewrites ASCII digits as fullwidth digits (NFKC folds them back).
func fullwidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, s)
}

// GenerateSynthetic writes cfg.Rows WebInstruct-shaped rows into the table synthetic_input
// (row_no, id, question, answer, answer_type, category, difficulty, labels). labels records what
// was planted: {"planted":"exact"|"near"|"contaminated"|"bad","of":<id or benchmark item>}; near
// copies also carry the exact word-5-gram Jaccard similarity to their source ("jaccard").
// Benchmark questions for contamination come from bench_items (stage 0 must have run).
func (p *Pipeline) GenerateSynthetic(ctx context.Context, cfg SynthConfig) error {
	r := rand.New(rand.NewPCG(cfg.Seed, 0xda7a))
	vocab := synthVocab(8000)
	var bench []string
	var benchIDs []string
	if cfg.ContamShare > 0 {
		rows, err := p.conn.QueryContext(ctx, `SELECT benchmark || ':' || item_id, question FROM bench_items
			WHERE len(string_split(question, ' ')) BETWEEN 20 AND 400 ORDER BY 1`)
		if err != nil {
			return fmt.Errorf("synthetic contamination needs stage 0 (bench_items): %w", err)
		}
		for rows.Next() {
			var id, q string
			if err := rows.Scan(&id, &q); err != nil {
				rows.Close()
				return err
			}
			benchIDs = append(benchIDs, id)
			bench = append(bench, q)
		}
		rows.Close()
	}
	if err := p.exec(ctx, `CREATE OR REPLACE TABLE synthetic_input (row_no BIGINT, id VARCHAR, question VARCHAR, answer VARCHAR,
		answer_type VARCHAR, category VARCHAR, difficulty VARCHAR, labels VARCHAR)`); err != nil {
		return err
	}
	type base struct{ id, q, a, typ, cat, diff string }
	bases := make([]base, 0, cfg.Rows)
	bar := p.bar(int64(cfg.Rows), "generate")
	err := p.withAppender("synthetic_input", func(ap *duckdb.Appender) error {
		var b strings.Builder
		for i := range cfg.Rows {
			if i%8192 == 0 {
				bar.Add(min(8192, cfg.Rows-i))
			}
			id := fmt.Sprintf("syn-%016x", r.Uint64())
			x := r.Float64()
			bad := r.Float64() < cfg.BadShare
			if bad {
				x = 1 // a fresh row, corrupted below and never used as a source of duplicates
			}
			var row base
			labels := "{}"
			switch {
			case len(bases) > 0 && x < cfg.ExactShare:
				src := bases[r.IntN(len(bases))]
				q := strings.ToUpper(src.q[:1]) + strings.ReplaceAll(src.q[1:], " ", "  ") + " "
				if r.IntN(2) == 0 {
					q = fullwidth(q)
				}
				row = base{id, q, src.a, src.typ, src.cat, src.diff}
				labels = `{"planted":"exact","of":"` + src.id + `"}`
			case len(bases) > 0 && x < cfg.ExactShare+cfg.NearShare:
				src := bases[r.IntN(len(bases))]
				w := strings.Fields(src.q)
				for range 1 + r.IntN(2) {
					w[1+r.IntN(len(w)-1)] = vocab[r.IntN(len(vocab))]
				}
				row = base{id, strings.Join(w, " "), src.a, src.typ, src.cat, src.diff}
				labels = fmt.Sprintf(`{"planted":"near","of":"%s","jaccard":%.3f}`, src.id,
					ShingleJaccard(strings.ToLower(src.q), strings.ToLower(row.q), 5))
			case len(bench) > 0 && x < cfg.ExactShare+cfg.NearShare+cfg.ContamShare:
				k := r.IntN(len(bench))
				typ := pick(r, synthAnswerTypes)
				row = base{id, bench[k], synthAnswer(r, typ, vocab), typ, pick(r, synthCategories), pick(r, synthDifficulties)}
				labels = `{"planted":"contaminated","of":"` + benchIDs[k] + `"}`
			default:
				cat := pick(r, synthCategories)
				kw := synthKeywords[cat]
				b.Reset()
				n := 35 + r.IntN(40)
				for j := range n {
					if j > 0 {
						b.WriteByte(' ')
					}
					if r.IntN(5) == 0 {
						b.WriteString(kw[r.IntN(len(kw))])
					} else {
						b.WriteString(vocab[r.IntN(len(vocab))])
					}
				}
				b.WriteString("?")
				typ := pick(r, synthAnswerTypes)
				row = base{id, b.String(), synthAnswer(r, typ, vocab), typ, cat, pick(r, synthDifficulties)}
				if !bad {
					bases = append(bases, row)
				}
			}
			if bad {
				if r.IntN(2) == 0 {
					row.a = ""
				} else {
					row.q = "  "
				}
				labels = `{"planted":"bad"}`
			}
			if err := ap.AppendRow(int64(i+1), row.id, row.q, row.a, row.typ, row.cat, row.diff, labels); err != nil {
				return err
			}
		}
		return nil
	})
	bar.Finish()
	if err != nil {
		return err
	}
	// the settings, for HasSynthetic (a table comment: no table's rows change)
	return p.exec(ctx, fmt.Sprintf(`COMMENT ON TABLE synthetic_input IS '%s'`, cfg.marker()))
}

func (cfg SynthConfig) marker() string {
	return fmt.Sprintf("greason synthetic rows=%d seed=%d exact=%g near=%g contam=%g bad=%g",
		cfg.Rows, cfg.Seed, cfg.ExactShare, cfg.NearShare, cfg.ContamShare, cfg.BadShare)
}

// HasSynthetic reports whether the database already holds the rows GenerateSynthetic(cfg)
// writes (a previous run with the same settings left them), so they can be used again.
func (p *Pipeline) HasSynthetic(ctx context.Context, cfg SynthConfig) (bool, error) {
	var n int64
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name = 'synthetic_input'
		AND database_name = current_database() AND comment = ?`, cfg.marker()).Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		return false, nil
	}
	if err := p.conn.QueryRowContext(ctx, `SELECT count(*) FROM synthetic_input`).Scan(&n); err != nil {
		return false, err
	}
	return n == int64(cfg.Rows), nil
}
