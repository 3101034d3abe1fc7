package sql

import (
	"io"
	"syscall"
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

// ProcessCPU is the user + system CPU time of the process so far, in seconds (DuckDB's threads
// included). On a shared machine it moves less with the load than wall time does.
func ProcessCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
