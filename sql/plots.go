package sql

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Share is one bar of a distribution chart.
type Share struct {
	Label string
	Pct   float64
}

// Distribution returns the percentage of dataset rows per value of column (domain, category or
// answer_format), largest first.
func (p *Pipeline) Distribution(ctx context.Context, column string) ([]Share, error) {
	switch column {
	case "domain", "category", "answer_format", "answer_type", "source":
	default:
		return nil, fmt.Errorf("distribution: unknown column %q", column)
	}
	rows, err := p.conn.QueryContext(ctx, fmt.Sprintf(`SELECT %[1]s, 100 * count(*) / sum(count(*)) OVER ()
		FROM dataset GROUP BY %[1]s ORDER BY 2 DESC, 1`, column))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Share
	for rows.Next() {
		var s Share
		if err := rows.Scan(&s.Label, &s.Pct); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// BarChartPNG renders shares as a PNG bar chart (percent on the y axis, values on the bars).
func BarChartPNG(title string, shares []Share) ([]byte, error) {
	pl := plot.New()
	pl.Title.Text = title
	pl.Y.Label.Text = "% of rows"
	vals := make(plotter.Values, len(shares))
	names := make([]string, len(shares))
	for i, s := range shares {
		vals[i] = s.Pct
		names[i] = s.Label
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(22))
	if err != nil {
		return nil, err
	}
	bars.LineStyle.Width = 0
	bars.Color = plotter.DefaultLineStyle.Color
	pl.Add(bars)
	labels := make([]plotter.XY, len(shares))
	text := make([]string, len(shares))
	for i, s := range shares {
		labels[i] = plotter.XY{X: float64(i), Y: s.Pct}
		text[i] = fmt.Sprintf("%.1f", s.Pct)
	}
	lab, err := plotter.NewLabels(plotter.XYLabels{XYs: labels, Labels: text})
	if err != nil {
		return nil, err
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].XAlign = draw.XCenter
		lab.TextStyle[i].YAlign = draw.YBottom
	}
	pl.Add(lab)
	pl.NominalX(names...)
	pl.X.Tick.Label.Rotation = 0.7
	pl.X.Tick.Label.XAlign = draw.XRight
	pl.X.Tick.Label.YAlign = draw.YCenter
	if len(shares) > 0 {
		pl.Y.Max = shares[0].Pct * 1.12
	}
	w, err := pl.WriterTo(7*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WritePlots writes domain.png, category.png and answer_format.png into dir (atomically).
func (p *Pipeline) WritePlots(ctx context.Context, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, c := range []struct{ col, file, title string }{
		{"domain", "domain.png", "Domain distribution"},
		{"category", "category.png", "Fine category distribution"},
		{"answer_format", "answer_format.png", "Answer-format distribution"},
	} {
		sh, err := p.Distribution(ctx, c.col)
		if err != nil {
			return written, err
		}
		png, err := BarChartPNG(c.title, sh)
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, c.file)
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, png, 0o644); err != nil {
			return written, err
		}
		if err := os.Rename(tmp, path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}
