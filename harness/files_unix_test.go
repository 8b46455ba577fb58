//go:build unix

package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestADialOutOfFilesSaysSo: a session that cannot open a socket because
// the process has no file descriptor left names the limit. The test runs
// itself in a child process, which lowers its own limit and uses it up.
func TestADialOutOfFilesSaysSo(t *testing.T) {
	if os.Getenv("STTBENCH_TEST_OUT_OF_FILES") == "1" {
		dialOutOfFiles(t)
		return
	}
	srv := newTranscribingServer(t, 1, "hello")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestADialOutOfFilesSaysSo$", "-test.v")
	cmd.Env = append(os.Environ(), "STTBENCH_TEST_OUT_OF_FILES=1", "STTBENCH_TEST_URL="+srv.url())
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "session: error: dial "+srv.url()+": this machine ran out of open files: raise the limit (ulimit -n)")
	assert.Contains(t, string(out), "too many open files")
}

// dialOutOfFiles is the child: it takes every descriptor its lowered limit
// allows, then runs one session.
func dialOutOfFiles(t *testing.T) {
	lim := syscall.Rlimit{Cur: 64, Max: 64}
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
	var held []*os.File
	defer func() {
		for _, f := range held {
			f.Close()
		}
	}()
	for {
		f, err := os.Open(os.DevNull)
		if errors.Is(err, syscall.EMFILE) {
			break
		}
		require.NoError(t, err)
		held = append(held, f)
	}
	cfg := SessionConfig{URL: os.Getenv("STTBENCH_TEST_URL"), DialTimeout: 5 * time.Second}
	res := RunSession(context.Background(), cfg, toneClip(time.Second, 0), 0, time.Now())
	fmt.Printf("session: %s: %s\n", res.Outcome, res.Err)
}
