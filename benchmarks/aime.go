package benchmarks

import "strconv"

// AIME24 (HuggingFaceH4/aime_2024) and AIME25 (yentinglin/aime_2025): 30 problems each, 32
// samples at temperature 1, reported as the mean accuracy over the 32 samples (avg@32).
func init() {
	register(mathSet{
		spec: mathSpec("aime24", "AIME24", 30, 32, 1, "AIME 2024 I+II (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/aime24_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				ID      int    `json:"id"`
				Problem string `json:"problem"`
				Answer  string `json:"answer"`
			}]("aime24_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				if items[i], err = mathItem(f, i+1, strconv.Itoa(r.ID), r.Problem, r.Answer); err != nil {
					return nil, err
				}
			}
			return items, nil
		},
	})
	register(mathSet{
		spec: mathSpec("aime25", "AIME25", 30, 32, 1, "AIME 2025 I+II (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/aime25_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				Problem string `json:"problem"`
				Answer  string `json:"answer"`
			}]("aime25_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				id := "2025-" + map[bool]string{true: "I", false: "II"}[i < 15] + "-" + strconv.Itoa(i%15+1)
				if items[i], err = mathItem(f, i+1, id, r.Problem, r.Answer); err != nil {
					return nil, err
				}
			}
			return items, nil
		},
	})
}
