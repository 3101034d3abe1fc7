// Package e2e is the end-to-end chain on a CPU (`just e2e`): the micro generator's questions
// written as WebInstruct-verified-schema files (their meanings kept aside for the oracle),
// through `greason data run` and `data export`, a tiny Qwen3 with the real Qwen3 tokenizer
// warm-started by `greason train sft` on the export, `greason train grpo` with the rules reward,
// the checkpoint served by `greason serve`, the held-out questions answered through its
// OpenAI-compatible API and judged by the micro oracle (the evaluator of `just micro`), and a
// report that `greason tables` shows.
package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/greason/greason/internal/atomicfile"
	"github.com/greason/greason/train/micro"
)

// DataConfig sizes the generated data.
type DataConfig struct {
	Seed      uint64  `json:"seed"`        // the micro generator's data seed
	Train     int     `json:"train"`       // training questions
	HeldOut   int     `json:"held_out"`    // held-out questions (the test split), disjoint from the training ones
	Teacher   int     `json:"teacher"`     // noisy teacher responses (SFT examples), drawn over the training questions
	WrongProb float64 `json:"wrong_prob"`  // a teacher response is a wrong answer with this probability
	NoBoxProb float64 `json:"no_box_prob"` // ... and has no \boxed{} with this one
}

// DefaultData is the `just e2e` data: the micro reproduction's sizes and its noisy teacher.
func DefaultData() DataConfig {
	return DataConfig{Seed: 7, Train: 4000, HeldOut: 300, Teacher: 12000, WrongProb: 0.4, NoBoxProb: 0.3}
}

// The files WriteData writes under its folder.
const (
	TrainFile   = "train.jsonl"   // WebInstruct-verified schema: the input of `greason data run`
	TestFile    = "test.jsonl"    // the held-out questions, same schema (the job's validation split)
	TeacherFile = "teacher.jsonl" // {"question", "response"}: the SFT job's data.responses
	OracleFile  = "oracle.jsonl"  // {"id", "question", "domain", "group", "meaning"}: for the oracle only, never training data
)

// webRow is a row of the WebInstruct-verified schema (difficulty is left out: the generator has no
// difficulty label, so the pipeline's easy-maths rebalancing keeps every row).
type webRow struct {
	ID         string `json:"id"`
	Question   string `json:"question"`
	Answer     string `json:"answer"`
	AnswerType string `json:"answer_type"`
	Category   string `json:"category"`
}

// OracleRow is what the oracle knows of a question: its generator meaning.
type OracleRow struct {
	ID       string        `json:"id"`
	Question string        `json:"question"`
	Domain   string        `json:"domain"`
	Group    string        `json:"group"`
	Meaning  micro.Meaning `json:"meaning"`
}

// DataSummary counts what WriteData wrote.
type DataSummary struct {
	Config   DataConfig     `json:"config"`
	Train    int            `json:"train"`
	HeldOut  int            `json:"held_out"`
	Teacher  int            `json:"teacher"`
	ByDomain map[string]int `json:"train_by_domain"`
	// TeacherCorrect is the share of teacher responses the oracle accepts (the warm start's
	// teacher is noisy by design).
	TeacherCorrect float64 `json:"teacher_correct"`
}

// category is the WebInstruct category of a micro group.
func category(group string) string {
	return map[string]string{"math": "Mathematics", "physics": "Physics", "other": "Other"}[group]
}

// answerType is the WebInstruct answer_type of a domain.
func answerType(domain string) string {
	return map[string]string{"arith": "Integer", "fraction": "Fraction", "algebra": "Expression", "units": "Float",
		"percent": "Percentage", "list": "List", "boolean": "Boolean", "choice": "Multiple Choice"}[domain]
}

// teacherText is a noisy teacher's response to it: an equivalent form of the answer drawn
// independently of the gold's form, a wrong answer with probability wrong, and no box with
// probability noBox (the micro warm start's teacher).
func teacherText(r *rand.Rand, it micro.Item, wrong, noBox float64) string {
	ans := it.Forms[r.IntN(len(it.Forms))]
	if len(it.Wrong) > 0 && r.Float64() < wrong {
		ans = it.Wrong[r.IntN(len(it.Wrong))]
	}
	if r.Float64() < noBox {
		return "so " + ans
	}
	return `\boxed{` + ans + `}`
}

// WriteData writes the e2e data into dir: the training and held-out questions of the micro
// generator (data seed cfg.Seed, as `just micro` draws them) in the WebInstruct-verified schema,
// the noisy teacher's responses and, apart, the oracle's meanings.
func WriteData(dir string, cfg DataConfig) (*DataSummary, error) {
	if cfg.Train < 1 || cfg.HeldOut < 1 || cfg.Teacher < 0 {
		return nil, fmt.Errorf("e2e data: want train ≥ 1, held_out ≥ 1 and teacher ≥ 0")
	}
	mc := micro.DefaultConfig()
	mc.DataSeed, mc.TrainPrompts, mc.HeldOut, mc.SFTExamples = cfg.Seed, cfg.Train, cfg.HeldOut, 0
	d := micro.MakeData(mc)
	sum := &DataSummary{Config: cfg, Train: len(d.Train), HeldOut: len(d.HeldOut), ByDomain: map[string]int{}}
	var oracle []OracleRow
	write := func(name, prefix string, items []micro.Item) error {
		return atomicfile.Write(filepath.Join(dir, name), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetEscapeHTML(false)
			for i, it := range items {
				id := fmt.Sprintf("%s-%05d", prefix, i)
				oracle = append(oracle, OracleRow{ID: id, Question: it.Question, Domain: it.Domain, Group: it.Group, Meaning: it.Meaning})
				if err := enc.Encode(webRow{ID: id, Question: it.Question, Answer: it.Gold, AnswerType: answerType(it.Domain), Category: category(it.Group)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := write(TrainFile, "e2e-train", d.Train); err != nil {
		return nil, err
	}
	if err := write(TestFile, "e2e-test", d.HeldOut); err != nil {
		return nil, err
	}
	for _, it := range d.Train {
		sum.ByDomain[it.Domain]++
	}
	r := rand.New(rand.NewPCG(cfg.Seed+4, 0x7eac))
	correct := 0
	err := atomicfile.Write(filepath.Join(dir, TeacherFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := 0; i < cfg.Teacher; i++ {
			it := d.Train[r.IntN(len(d.Train))]
			text := teacherText(r, it, cfg.WrongProb, cfg.NoBoxProb)
			if micro.OracleCorrect(it, text) {
				correct++
			}
			if err := enc.Encode(struct {
				Question string `json:"question"`
				Response string `json:"response"`
			}{it.Question, text}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sum.Teacher = cfg.Teacher
	if cfg.Teacher > 0 {
		sum.TeacherCorrect = float64(correct) / float64(cfg.Teacher)
	}
	err = atomicfile.Write(filepath.Join(dir, OracleFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, o := range oracle {
			if err := enc.Encode(o); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}
