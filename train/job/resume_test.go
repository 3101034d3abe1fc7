package job

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/greason/greason/verify"
)

// childEnv makes the test binary run a job (TestMain) instead of the tests: the config JSON.
const childEnv = "GREASON_JOB_TEST_CHILD"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		os.Exit(runChild(raw))
	}
	os.Exit(m.Run())
}

// slowJudge is the rule verifier, 40 ms slower per call: the child's steps take long enough for
// the parent to kill it in the middle of the run.
type slowJudge struct{ verify.RuleVerifier }

func (s slowJudge) Judge(ctx context.Context, q, gold, ans string) (verify.Verdict, error) {
	time.Sleep(40 * time.Millisecond)
	return s.RuleVerifier.Judge(ctx, q, gold, ans)
}

func runChild(raw string) int {
	c, err := ParseConfig("child", []byte(raw))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := Run(context.Background(), c, Judges{Reward: slowJudge{}, Val: verify.RuleVerifier{}}, io.Discard); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKillAndResume runs the tiny job uninterrupted, and again in a child process killed with
// SIGKILL once it has written its first checkpoint (step 2); the rerun resumes from the last complete
// checkpoint and must give the uninterrupted run's metrics (wall-clock fields aside: the same data
// order, rewards, losses and validation scores) and the same weights, bit for bit (on the Go
// backend; bitwise equality is not expected on GPUs).
func TestKillAndResume(t *testing.T) {
	const steps = 6
	dirA, dirB := t.TempDir(), t.TempDir()
	a := tinyJob(t, dirA, steps, 2)
	if _, err := Run(context.Background(), a, rulesJudges(), io.Discard); err != nil {
		t.Fatal(err)
	}
	b := tinyJob(t, dirB, steps, 2)
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killedAt := 0
	deadline := time.After(2 * time.Minute)
wait:
	for {
		select {
		case err := <-done:
			t.Fatalf("the child finished before it was killed (%v): %s", err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("the child wrote no checkpoint in 2 minutes")
		case <-time.After(5 * time.Millisecond):
			if n, _ := LatestStep(b.Out); n >= 2 {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-done
				killedAt, _ = LatestStep(b.Out)
				break wait
			}
		}
	}
	if killedAt >= steps {
		t.Fatalf("killed after the last step (%d)", killedAt)
	}
	sum, err := Run(context.Background(), b, rulesJudges(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if sum.ResumedFrom != killedAt {
		t.Fatalf("resumed from %d, the last checkpoint was %d", sum.ResumedFrom, killedAt)
	}
	t.Logf("killed after checkpoint %d of %d, resumed", killedAt, steps)
	ma, _ := ReadMetrics(filepath.Join(a.Out, MetricsFile))
	mb, _ := ReadMetrics(filepath.Join(b.Out, MetricsFile))
	if len(ma) != steps+1 {
		t.Fatalf("uninterrupted run: %d metrics lines", len(ma))
	}
	if ja, jb := jsonRoundTrip(t, ma), jsonRoundTrip(t, mb); ja != jb {
		t.Fatalf("metrics differ:\nuninterrupted %s\nresumed       %s", ja, jb)
	}
	for _, f := range []string{"model/model.safetensors", "state.safetensors"} {
		x, err := os.ReadFile(filepath.Join(StepDir(a.Out, steps), f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(StepDir(b.Out, steps), f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs between the uninterrupted and the resumed run", f)
		}
	}
}
