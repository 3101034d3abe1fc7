package benchmarks

import (
	"strconv"

	"github.com/greason/greason/verify"
)

// Minerva Math (272 OCW problems; zwhe99/simplerl-minerva-math). The vendored file has no
// answer column: the gold is the content of the last \boxed{} of the solution (balanced braces).
func init() {
	register(mathSet{
		spec: mathSpec("minerva", "Minerva", 272, 1, 0, "Minerva OCW math (vendored; gold = last \\boxed{} of solution)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/minerva_math_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				Problem  string `json:"problem"`
				Solution string `json:"solution"`
				Type     string `json:"type"`
				Idx      int    `json:"idx"`
			}]("minerva_math_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				gold, ok := verify.LastBoxedAny(r.Solution)
				if !ok {
					return nil, fieldError(f, i+1, "solution", "no \\boxed{} answer")
				}
				if items[i], err = mathItem(f, i+1, strconv.Itoa(r.Idx), r.Problem, gold); err != nil {
					return nil, err
				}
				items[i].Group = r.Type
			}
			return items, nil
		},
	})
}
