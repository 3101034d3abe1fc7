package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rewardServer is a `greason reward serve` process started by a test.
type rewardServer struct {
	cmd  *exec.Cmd
	url  string
	logs chan string // stderr lines after the listening one
}

var listeningRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)/v1/reward`)

// startRewardServer runs `greason reward serve --addr 127.0.0.1:0 args...` and waits for its
// address.
func startRewardServer(t *testing.T, args ...string) *rewardServer {
	t.Helper()
	cmd := greason(append([]string{"reward", "serve", "--addr", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs := &rewardServer{cmd: cmd, logs: make(chan string, 100)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	sc := bufio.NewScanner(stderr)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			line := sc.Text()
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				found <- m[1]
				continue
			}
			rs.logs <- line
		}
		close(rs.logs)
	}()
	select {
	case rs.url = <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("greason reward serve did not print its address within 60 s")
	}
	return rs
}

// stop sends SIGTERM and checks the server drains and exits 0, saying what it did.
func (rs *rewardServer) stop(t *testing.T) {
	t.Helper()
	if err := rs.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rs.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("reward serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reward serve did not exit within 30 s of SIGTERM")
	}
	var all []string
	for l := range rs.logs {
		all = append(all, l)
	}
	if !strings.Contains(strings.Join(all, "\n"), "reward server: stopped after") {
		t.Fatalf("no shutdown summary in the log:\n%s", strings.Join(all, "\n"))
	}
}

func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

// TestVerlRewardModule runs tools/verl/test_greason_reward.py (Python standard library only)
// with Debian's python3 against real `greason reward serve` processes: single and batched
// calls, a malformed row, a 413, a judge endpoint that is down, a server that is down, retries.
func TestVerlRewardModule(t *testing.T) {
	py := debianPython()
	if py == "" {
		t.Skip("python3 is not installed: the verl reward module's test needs it (apt-get install python3)")
	}
	rules := startRewardServer(t, "--max-body", "256KiB")
	verifier := deadURL(t) + "/v1"
	down := startRewardServer(t, "--judge", "cascade", "--verifier-url", verifier, "--judge-retries", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, filepath.Join("..", "..", "tools", "verl", "test_greason_reward.py"))
	cmd.Env = append(os.Environ(), "GREASON_REWARD_URL="+rules.url, "GREASON_TEST_JUDGE_DOWN="+down.url,
		"GREASON_TEST_DEAD_URL="+deadURL(t), "GREASON_TEST_VERIFIER_URL="+verifier, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 test_greason_reward.py: %v\n%s", err, out)
	}
	t.Logf("%s: %s", py, lastLines(string(out), 3))
	rules.stop(t)
	down.stop(t)
}

// debianPython is $GREASON_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH ("" if none).
func debianPython() string {
	if p := os.Getenv("GREASON_PYTHON"); p != "" {
		return p
	}
	if st, err := os.Stat("/usr/bin/python3"); err == nil && !st.IsDir() {
		return "/usr/bin/python3"
	}
	p, _ := exec.LookPath("python3")
	return p
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestRewardServeFlags: bad flags are user errors (exit status 2) naming the flag.
func TestRewardServeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--judge", "cascade"}, "--verifier-url"},
		{[]string{"--tokenizer", "/nonexistent/tok.json"}, "--tokenizer"},
		{[]string{"--max-body", "lots"}, "--max-body"},
		{[]string{"--judge-retries", "-1"}, "--judge-retries"},
		{[]string{"--judge", "nope"}, "unknown judge"},
	} {
		cmd := greason(append([]string{"reward", "serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if err == nil || !asExit(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %v (want exit status 2 naming %s): %s", c.args, err, c.want, out)
		}
	}
	for in, want := range map[string]int64{"1048576": 1 << 20, "64KiB": 64 << 10, "256MiB": 256 << 20, "2GB": 2e9} {
		if got, err := parseByteSize(in); err != nil || got != want {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}
