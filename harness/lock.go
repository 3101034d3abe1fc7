package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RunLock is the exclusive right to write a run folder: the file run.lock in it, locked with
// flock(2) and holding the owner's pid. The kernel drops the lock when the owner exits, killed
// or not, so a crashed run never blocks the next one.
type RunLock struct {
	f    *os.File
	path string
}

// RunLockedError says that another process holds a run folder.
type RunLockedError struct {
	Dir string
	PID int // 0 when the holder had not written its pid yet
}

func (e *RunLockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("run folder %s is in use by %s, which holds %s: wait for it to finish or stop it, or use another --run",
		e.Dir, who, filepath.Join(e.Dir, "run.lock"))
}

// LockRun takes the lock of run folder dir (which must exist) or fails at once with a
// *RunLockedError naming the holder's pid.
func LockRun(dir string) (*RunLock, error) {
	path := filepath.Join(dir, "run.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := flockExclusive(f); err != nil {
		pid := readLockPID(f)
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, &RunLockedError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &RunLock{f: f, path: path}, nil
}

// Unlock releases the lock (the file stays, emptied: removing it would let two processes lock
// two different files of the same name).
func (l *RunLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}

func readLockPID(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid
}
