package sql

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// StatsQueries are the reports `greason data stats` prints, in order.
var StatsQueries = []struct{ Title, Query string }{
	{"Stages (rows in / out / dropped)", `SELECT stage, name, rows_in, rows_out, dropped, round(seconds, 2) AS seconds FROM stage_runs ORDER BY stage`},
	{"Dropped rows by reason", `SELECT stage, reason, n FROM stage_counts WHERE metric = 'dropped' AND n > 0 ORDER BY stage, n DESC`},
	{"Other stage metrics", `SELECT stage, metric, coalesce(reason, '') AS detail, n FROM stage_counts WHERE metric NOT IN ('in', 'out', 'dropped') ORDER BY stage, metric, n DESC`},
	{"Quarantine (first 10)", `SELECT input_file, input_row, field, reason FROM quarantine ORDER BY input_file, input_row LIMIT 10`},
	{"Exact duplicate groups by source", `SELECT s.source, count(*) FILTER (d.rid <> d.rep_rid) AS dropped_copies, count(DISTINCT d.qakey) AS groups
		FROM exact_dups d JOIN s2_rows s USING (rid) GROUP BY ALL ORDER BY 2 DESC`},
	{"Near-duplicate clusters by source", `SELECT s.source, count(*) FILTER (c.rid <> c.rep_rid) AS members_besides_rep,
		count(*) FILTER (c.rid IN (SELECT rid FROM near_dup_drop)) AS dropped_same_answer, count(DISTINCT c.cluster_id) AS clusters,
		round(avg(c.sim_to_rep) FILTER (c.rid <> c.rep_rid), 3) AS mean_sim FROM near_dup_clusters c JOIN s2_norm s USING (rid) GROUP BY ALL ORDER BY 2 DESC`},
	{"Contamination report (rows hit per benchmark)", `SELECT * FROM contamination_report`},
	{"Decontamination recall on known overlaps: MMLU-Pro questions taken from TheoremQA (src theoremQA-*)",
		`WITH tq AS (SELECT rid FROM s1_rows WHERE source = 'mmlu_pro' AND json_extract_string(labels, '$.src') LIKE 'theoremQA%'),
		hit AS (SELECT DISTINCT rid FROM contamination WHERE benchmark = 'theoremqa')
		SELECT count(*) AS mmlu_pro_rows_from_theoremqa,
		       count(*) FILTER (rid IN (SELECT rid FROM s4_norm)) AS reaching_stage5,
		       count(*) FILTER (rid IN (SELECT rid FROM hit)) AS flagged_theoremqa,
		       round(100 * count(*) FILTER (rid IN (SELECT rid FROM hit)) / nullif(count(*) FILTER (rid IN (SELECT rid FROM s4_norm)), 0), 2) AS recall_pct
		FROM tq`},
	{"Domain classifier, held-out accuracy", `SELECT * FROM domain_eval ORDER BY level, source`},
	{"Answer-format rules vs source labels", `SELECT * FROM answer_format_eval`},
	{"Domain distribution of the output", `SELECT domain, count(*) AS n, round(100 * count(*) / sum(count(*)) OVER (), 2) AS pct,
		count(*) FILTER (domain_source = 'model') AS from_model FROM dataset GROUP BY ALL ORDER BY n DESC`},
	{"Fine categories of the output", `SELECT category, domain, count(*) AS n, round(100 * count(*) / sum(count(*)) OVER (), 2) AS pct FROM dataset GROUP BY ALL ORDER BY n DESC`},
	{"Answer-format distribution of the output", `SELECT answer_format, count(*) AS n, round(100 * count(*) / sum(count(*)) OVER (), 2) AS pct FROM dataset GROUP BY ALL ORDER BY n DESC`},
}

// Stats prints every report of StatsQueries whose tables exist.
func (p *Pipeline) Stats(ctx context.Context, w io.Writer) error {
	for _, s := range StatsQueries {
		fmt.Fprintf(w, "\n## %s\n", s.Title)
		if err := p.PrintQuery(ctx, w, s.Query); err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				fmt.Fprintln(w, "(not built yet: run the stages first)")
				continue
			}
			return err
		}
	}
	return nil
}

// PrintQuery runs q and prints the result as an aligned text table.
func (p *Pipeline) PrintQuery(ctx context.Context, w io.Writer, q string, args ...any) error {
	rows, err := p.conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		cells := make([]string, len(cols))
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				cells[i] = ""
			case float64:
				cells[i] = fmt.Sprintf("%.4g", x)
			default:
				cells[i] = fmt.Sprint(x)
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return tw.Flush()
}
