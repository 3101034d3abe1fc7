package grpo

import (
	"bufio"
	"encoding/json"
	"image/color"
	"os"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// ReadLog reads a GRPO metrics JSONL file (StepRecord lines; other kinds are skipped).
func ReadLog(path string) ([]StepRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []StepRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r StepRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, err
		}
		if r.Kind == "train" || r.Kind == "eval" {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

// Series is one named curve.
type Series struct {
	Name string
	X, Y []float64
}

var lineColors = []color.Color{
	color.RGBA{0x1f, 0x78, 0xb4, 0xff}, color.RGBA{0xe3, 0x1a, 0x1c, 0xff}, color.RGBA{0x33, 0xa0, 0x2c, 0xff},
	color.RGBA{0xff, 0x7f, 0x00, 0xff}, color.RGBA{0x6a, 0x3d, 0x9a, 0xff}, color.RGBA{0xb1, 0x59, 0x28, 0xff},
}

// PlotPNG draws the series as lines with points and writes a PNG to path.
func PlotPNG(path, title, xLabel, yLabel string, series []Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	sort.SliceStable(series, func(i, j int) bool { return series[i].Name < series[j].Name })
	for i, s := range series {
		pts := make(plotter.XYs, len(s.X))
		for k := range s.X {
			pts[k].X, pts[k].Y = s.X[k], s.Y[k]
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		c := lineColors[i%len(lineColors)]
		l.Color, sc.Color = c, c
		l.Width = vg.Points(1.5)
		p.Add(l, sc)
		p.Legend.Add(s.Name, l, sc)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

// LogCurves extracts the eval accuracy and train reward-mean curves of one log.
func LogCurves(recs []StepRecord) (eval, reward Series) {
	for _, r := range recs {
		if r.Kind == "eval" {
			eval.X, eval.Y = append(eval.X, float64(r.Step)), append(eval.Y, r.Accuracy)
		} else {
			reward.X, reward.Y = append(reward.X, float64(r.Step)), append(reward.Y, r.RewardMean)
		}
	}
	return eval, reward
}
