package benchmarks

import "strconv"

// OlympiadBench (OE_TO_maths_en_COMP, 675; zwhe99/simplerl-OlympiadBench): question and
// final_answer[0], greedy, GPT-4o equality.
func init() {
	register(mathSet{
		spec: mathSpec("olympiadbench", "OlympiadBench", 675, 1, 0, "OlympiadBench OE_TO_maths_en_COMP (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/olympiadbench_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				ID          int      `json:"id"`
				Question    string   `json:"question"`
				FinalAnswer []string `json:"final_answer"`
				Subfield    string   `json:"subfield"`
			}]("olympiadbench_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				if len(r.FinalAnswer) == 0 {
					return nil, fieldError(f, i+1, "final_answer", "empty list")
				}
				if items[i], err = mathItem(f, i+1, strconv.Itoa(r.ID), r.Question, r.FinalAnswer[0]); err != nil {
					return nil, err
				}
				items[i].Group = r.Subfield
			}
			return items, nil
		},
	})
}
