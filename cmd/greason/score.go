package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/greason/greason/benchmarks"
	"github.com/greason/greason/harness"
	"github.com/greason/greason/verify"
)

func init() {
	var (
		bench, gens, protocol, out, judge, predField, run string
		jc                                                verify.JudgeConfig
		local                                             localVerifierFlags
		seed                                              uint64
		workers                                           int
	)
	cmd := &cobra.Command{
		Use:   "score --bench NAME --generations FILE [--protocol P] --out OUT.jsonl",
		Short: "Re-score a saved run or a foreign generations file, no model needed",
		Long: `Reads FILE (JSONL or a JSON array; .gz, or a .zip holding one file) whose records hold an
id (id, question_id, uuid, unique_id or idx) and a response (response, generated_text,
model_outputs, output, completion or solution), scores each against the benchmark under the
chosen protocol, writes one row per record to OUT (id, extracted, pred, gold, correct, ...) and
prints the metrics as JSON. Records without an id are matched to the benchmark's items by their
question text (question, Question or problem; whitespace-normalised); a record that matches no
item is an error.

Responses may be lists (one per sample: ToRA's "code"). A record whose response sits in
objects, one per setup (openai/grade-school-math's example_model_solutions: 6b_finetuning,
..., each {"solution", "is_correct"}), holds one run per object: each run is scored on its
own, OUT's rows name their run and the metrics are printed per run (--run NAME keeps one).

Protocols: paper (General-Reasoner's, the default); final-answer (math sets: the final answer
as models write it, read by the verifier's extraction: the last box, "#### N", a last line
"A: N", "Final Answer:", "the answer is", a worked solution's conclusion; for files that were
not prompted for a box); mmlu-pro-repo (MMLU-Pro repository's evaluate_from_local.py
extraction, for its published per-model output files); theoremqa-repo (the TheoremQA
repository's run.py extraction and compute_accuracy.py grading, rows scored in file order with
latex2sympy2's process-wide state, one process per run). With --pred-field, the answer that
the file's own pipeline extracted is graded as it is (for the TheoremQA repository's outputs:
--pred-field pred).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := benchmarks.Get(bench)
			if err != nil {
				return err
			}
			items, err := b.Load()
			if err != nil {
				return err
			}
			j, lv, err := local.openJudge(judge, jc)
			if err != nil {
				return err
			}
			if lv != nil {
				defer lv.Close()
				defer reportLocal(os.Stderr, lv)
			}
			sc := benchmarks.Scorer{Protocol: protocol, Judge: j, Seed: seed, Extracted: predField != ""}
			res, resps, err := harness.ScoreFile(context.Background(), b, items, gens, harness.ReadOptions{TextField: predField, Run: run}, sc, workers)
			if err != nil {
				return err
			}
			p := protocol
			if p == "" {
				p = b.Spec().Protocols[0]
			}
			rows := make([]harness.ScoreRow, len(res))
			byRun := map[string][]benchmarks.Result{}
			var runs []string
			for i, r := range res {
				rows[i] = harness.ScoreRow{Run: resps[i].Run, Benchmark: bench, Protocol: p, Result: r}
				if _, ok := byRun[resps[i].Run]; !ok {
					runs = append(runs, resps[i].Run)
				}
				byRun[resps[i].Run] = append(byRun[resps[i].Run], r)
			}
			if out != "" {
				if err := harness.WriteJSONLAtomic(out, rows); err != nil {
					return err
				}
			}
			noAnswer := 0
			for _, r := range res {
				if !r.Found {
					noAnswer++
				}
			}
			if p == "paper" && slices.Contains(b.Spec().Protocols, "final-answer") && 2*noAnswer > len(res) {
				fmt.Fprintf(os.Stderr, "score: %d of %d responses have no \\boxed{} answer, which the paper's protocol judges as \"None\"; "+
					"for files not prompted for a box, --protocol final-answer reads the answers as written\n", noAnswer, len(res))
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if len(runs) == 1 && runs[0] == "" {
				return enc.Encode(benchmarks.Aggregate(b.Spec(), res))
			}
			perRun := map[string]benchmarks.Metrics{}
			for _, r := range runs {
				perRun[r] = benchmarks.Aggregate(b.Spec(), byRun[r])
			}
			return enc.Encode(perRun)
		},
	}
	f := cmd.Flags()
	f.StringVar(&bench, "bench", "", "benchmark name (see greason bench list)")
	f.StringVar(&gens, "generations", "", "generations file (JSONL or JSON array)")
	f.StringVar(&protocol, "protocol", "", "scoring protocol (default: paper)")
	f.StringVar(&out, "out", "", "write per-item rows here (JSONL)")
	f.StringVar(&run, "run", "", "score only this run of a file that holds several (e.g. 175b_verification)")
	f.StringVar(&predField, "pred-field", "", "grade the answer already extracted into this field (e.g. pred) instead of extracting it from the response")
	f.StringVar(&judge, "judge", "rule", "equivalence judge for math answers: "+fmt.Sprint(verify.JudgeNames()))
	f.StringVar(&jc.URL, "judge-url", "", "judge model base URL (llm-judge, cascade)")
	f.StringVar(&jc.Model, "judge-model", "gpt-4o", "judge model name")
	f.StringVar(&jc.VerifierURL, "verifier-url", "", "completions endpoint serving TIGER-Lab/general-verifier (general-verifier, cascade)")
	f.StringVar(&jc.VerifierModel, "verifier-model", "TIGER-Lab/general-verifier", verifierModelHelp)
	local.add(f)
	f.Uint64Var(&seed, "seed", 0, "seed of the multiple-choice random fallback")
	f.IntVar(&workers, "workers", 8, "concurrent judge calls")
	_ = cmd.MarkFlagRequired("bench")
	_ = cmd.MarkFlagRequired("generations")
	rootCmd.AddCommand(cmd)
}
