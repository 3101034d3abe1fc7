package harness

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLockRun: a second lock on a held run folder fails at once naming the holder's pid;
// after Unlock the folder can be locked again. (flock locks belong to an open file, so two
// opens in one process conflict like two processes do; cmd/greason tests it with two real
// `greason eval` processes and a killed holder.)
func TestLockRun(t *testing.T) {
	dir := t.TempDir()
	l, err := LockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockRun(dir)
	var le *RunLockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := LockRun(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
	if _, err := LockRun(dir + "/missing"); err == nil {
		t.Fatal("locking a missing folder succeeded")
	}
}
