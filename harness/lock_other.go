//go:build !unix

package harness

import (
	"errors"
	"os"
	"runtime"
)

var errLocked = errors.New("locked by another process")

// flockExclusive: run folders are locked with flock(2), which only Unix systems have.
func flockExclusive(*os.File) error {
	return errors.New("locking a run folder needs flock(2), not available on " + runtime.GOOS)
}
