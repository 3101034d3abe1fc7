package benchmarks

import (
	"encoding/json"
	"strconv"
)

// AMC23 (40 problems; zwhe99/amc23): question and answer, one greedy run. The answer is a JSON
// float (27.0) and is formatted as Python's str() would, since that is what the judge saw.
func init() {
	register(mathSet{
		spec: mathSpec("amc23", "AMC23", 40, 1, 0, "AMC 2023 (vendored)"),
		load: func() ([]Item, error) {
			const f = "benchmarks/data/amc23_test.jsonl.gz"
			rows, err := loadVendoredJSONL[struct {
				ID       int         `json:"id"`
				Question string      `json:"question"`
				Answer   json.Number `json:"answer"`
			}]("amc23_test.jsonl.gz")
			if err != nil {
				return nil, err
			}
			items := make([]Item, len(rows))
			for i, r := range rows {
				if items[i], err = mathItem(f, i+1, strconv.Itoa(r.ID), r.Question, pyNumberString(r.Answer)); err != nil {
					return nil, err
				}
			}
			return items, nil
		},
	})
}

// pyNumberString formats a JSON number the way Python's str() prints the value json.loads
// gives: integers as they are, floats with repr (27.0, 0.5).
func pyNumberString(n json.Number) string {
	s := string(n)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return pyFloatRepr(f)
}
