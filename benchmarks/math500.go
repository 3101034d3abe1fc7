package benchmarks

// MATH-500 (HuggingFaceH4/MATH-500 = simple-evals math_500_test.csv), greedy, GPT-4o equality.
func init() {
	register(mathSet{
		spec: mathSpec("math500", "MATH-500", 500, 1, 0, "HuggingFaceH4/MATH-500 test (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/math500_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				Problem  string `json:"problem"`
				Answer   string `json:"answer"`
				Subject  string `json:"subject"`
				Level    int    `json:"level"`
				UniqueID string `json:"unique_id"`
			}]("math500_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				if items[i], err = mathItem(f, i+1, r.UniqueID, r.Problem, r.Answer); err != nil {
					return nil, err
				}
				items[i].Group = r.Subject
			}
			return items, nil
		},
	})
}
