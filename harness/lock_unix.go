//go:build unix

package harness

import (
	"errors"
	"os"
	"syscall"
)

var errLocked = errors.New("locked by another process")

// flockExclusive takes a non-blocking exclusive flock on f.
func flockExclusive(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLocked
		default:
			return err
		}
	}
}
