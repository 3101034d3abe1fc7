package benchmarks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// SuperGPQA (m-a-p/SuperGPQA, 26,529 questions, 13 disciplines). Its data cannot be vendored
// here: the loader reads HF's SuperGPQA-all.jsonl from DataDir. Headline = macro mean over
// disciplines, as the paper reports.
type superGPQA struct{}

func init() { register(superGPQA{}) }

const superGPQASuffix = "\nPlease reason step by step, and put your final answer option within \\boxed{}. Only put the letter in the box, e.g. \\boxed{A}. There is only one correct answer."

// SuperGPQAFile is the file name of the HF dataset (repo m-a-p/SuperGPQA).
const SuperGPQAFile = "SuperGPQA-all.jsonl"

func (superGPQA) Spec() Spec {
	return Spec{Name: "supergpqa", Title: "SuperGPQA", Count: 26529, Domain: "general", Samples: 1,
		Temperature: 0, MaxTokens: 8192, GroupBy: "discipline", Headline: "macro",
		Protocols: []string{"paper"},
		Source:    "m-a-p/SuperGPQA " + SuperGPQAFile + " (not vendored; read from $GREASON_DATA_DIR)"}
}

type superGPQARow struct {
	UUID          string   `json:"uuid"`
	Question      string   `json:"question"`
	Options       []string `json:"options"`
	Answer        string   `json:"answer"`
	AnswerLetter  string   `json:"answer_letter"`
	Discipline    string   `json:"discipline"`
	Field         string   `json:"field"`
	Subfield      string   `json:"subfield"`
	Difficulty    string   `json:"difficulty"`
	IsCalculation *bool    `json:"is_calculation"`
}

// SuperGPQAPath returns the first existing candidate path of SuperGPQA-all.jsonl under dir.
func SuperGPQAPath(dir string) (string, error) {
	cands := []string{filepath.Join(dir, "supergpqa", SuperGPQAFile), filepath.Join(dir, SuperGPQAFile)}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("SuperGPQA not found (looked for %s and %s).\n"+
		"It is not vendored. Download it with network access, e.g.\n"+
		"  huggingface-cli download m-a-p/SuperGPQA %s --repo-type dataset --local-dir %s/supergpqa\n"+
		"(expected 23,957,124 bytes, sha256 28b998e70205ee95e540317b5adc06a06552a3961fb50b153df126b833f7a910),\n"+
		"or set GREASON_DATA_DIR to the folder that holds it", cands[0], cands[1], SuperGPQAFile, dir)
}

func (superGPQA) Load() ([]Item, error) {
	path, err := SuperGPQAPath(DataDir)
	if err != nil {
		return nil, err
	}
	return LoadSuperGPQAFile(path)
}

// LoadSuperGPQAFile reads a SuperGPQA-all.jsonl file in the HF schema.
func LoadSuperGPQAFile(path string) ([]Item, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rows, err := readJSONL[superGPQARow](path, data)
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for i, r := range rows {
		if field, problem := r.check(); field != "" {
			return nil, fieldError(path, i+1, field, problem)
		}
		items = append(items, Item{
			ID: r.UUID, Question: r.Question, Gold: r.AnswerLetter, Group: r.Discipline, Options: r.Options,
			Prompt: r.Question + "\n" + optionsBlock(r.Options) + "\n" + superGPQASuffix,
			Meta:   map[string]string{"field": r.Field, "subfield": r.Subfield, "difficulty": r.Difficulty},
		})
	}
	return items, nil
}

// check returns the first bad field and what is wrong with it ("" when the row is valid).
func (r superGPQARow) check() (field, problem string) {
	switch {
	case r.UUID == "":
		return "uuid", "missing or empty"
	case r.Question == "":
		return "question", "missing or empty"
	case len(r.Options) < 2 || len(r.Options) > 10:
		return "options", fmt.Sprintf("need 2..10 options, got %d", len(r.Options))
	case len(r.AnswerLetter) != 1 || r.AnswerLetter[0] < 'A' || int(r.AnswerLetter[0]-'A') >= len(r.Options):
		return "answer_letter", fmt.Sprintf("not the letter of an option: %q", r.AnswerLetter)
	case r.Options[r.AnswerLetter[0]-'A'] != r.Answer:
		return "answer", "does not equal the option named by answer_letter"
	case r.Discipline == "":
		return "discipline", "missing or empty"
	}
	return "", ""
}

func (b superGPQA) Score(_ context.Context, it Item, response string, sc Scorer) (Result, error) {
	if _, err := checkProtocol(b.Spec(), sc.Protocol); err != nil {
		return Result{}, err
	}
	return scorePaperLetter(it, response, sc), nil
}
