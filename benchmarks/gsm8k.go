package benchmarks

import (
	"strconv"
	"strings"
)

// GSM8K (openai/gsm8k main test, 1,319): gold = answer.split('#### ')[-1].
func init() {
	register(mathSet{
		spec: mathSpec("gsm8k", "GSM8K", 1319, 1, 0, "openai/gsm8k main test (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/gsm8k_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				Question string `json:"question"`
				Answer   string `json:"answer"`
				Idx      int    `json:"idx"`
			}]("gsm8k_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				if !strings.Contains(r.Answer, "#### ") {
					return nil, fieldError(f, i+1, "answer", "no '#### ' final answer")
				}
				parts := strings.Split(r.Answer, "#### ")
				if items[i], err = mathItem(f, i+1, strconv.Itoa(r.Idx), r.Question, parts[len(parts)-1]); err != nil {
					return nil, err
				}
			}
			return items, nil
		},
	})
}
