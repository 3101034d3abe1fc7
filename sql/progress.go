package sql

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// bar returns a progress bar on the pipeline's progress writer (a silent one without writer).
func (p *Pipeline) bar(total int64, desc string) *progressbar.ProgressBar {
	return newBar(p.Opt.Progress, total, desc)
}

// newBar returns a progress bar on w (a silent one if w is nil).
func newBar(w io.Writer, total int64, desc string) *progressbar.ProgressBar {
	if w == nil {
		w = io.Discard
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { io.WriteString(w, "\n") }),
		progressbar.OptionSetWidth(30))
}
