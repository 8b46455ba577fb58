package gpumon

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/gpumon/internal/fakesmi"
	"github.com/sttbench/sttbench/internal/leakcheck"
)

// fakeEnv, when set, makes the test binary act as nvidia-smi (the os/exec
// helper-process pattern). Its value is the fake's directory, which holds
// opts.json and the files the fake writes for the test to inspect.
const fakeEnv = "GPUMON_FAKE_SMI_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(fakeEnv); dir != "" {
		os.Exit(runFake(dir, os.Args[1:]))
	}
	code := m.Run()
	if code == 0 {
		code = checkLeaks()
	}
	os.Exit(code)
}

// checkLeaks fails the run if a goroutine of this package or of os/exec, or
// a child process, outlives the tests.
func checkLeaks() int {
	if err := leakcheck.Goroutines(2*time.Second, "sttbench/gpumon.", "os/exec."); err != nil {
		fmt.Fprintf(os.Stderr, "leak: %v\n", err)
		return 1
	}
	if kids := children(); len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "leak: child processes left after the tests: %v\n", kids)
		return 1
	}
	return 0
}

// fake is the fake nvidia-smi of package fakesmi, run as this test binary:
// a shell script re-executes it with fakeEnv set, which is quicker than
// building the fake as a program for each test.
type fake struct {
	t    *testing.T
	dir  string
	path string // the nvidia-smi script
}

// newFake writes a fake nvidia-smi into a temporary directory and registers
// a cleanup that fails the test if a process it started is still there,
// unreaped, or if the test process has any child left. Every test that runs
// the fake uses it; the cleanup runs after the test's own cleanups.
func newFake(t *testing.T, o fakesmi.Options) *fake {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the fake nvidia-smi needs /bin/sh and /proc")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	f := &fake{t: t, dir: dir, path: filepath.Join(dir, "nvidia-smi")}
	t.Cleanup(f.checkNoLeaks)

	b, err := json.Marshal(o)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "opts.json"), b, 0o644))
	// Under -race the race runtime sleeps 1 s at exit by default; the fake
	// has no races worth waiting for.
	script := fmt.Sprintf("#!/bin/sh\n%s=%s\nGORACE=atexit_sleep_ms=0\nexport %s GORACE\nexec %s \"$@\"\n",
		fakeEnv, shellQuote(dir), fakeEnv, shellQuote(self))
	require.NoError(t, os.WriteFile(f.path, []byte(script), 0o755))
	f.release(0)
	return f
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// release lets a gated fake write its first n lines in all.
func (f *fake) release(n int) {
	f.t.Helper()
	tmp := filepath.Join(f.dir, "gate.tmp")
	require.NoError(f.t, os.WriteFile(tmp, []byte(strconv.Itoa(n)), 0o644))
	require.NoError(f.t, os.Rename(tmp, filepath.Join(f.dir, "gate")))
}

// pids returns the PID of every run of the fake.
func (f *fake) pids() []int {
	var pids []int
	for _, line := range f.lines("pids") {
		if pid, err := strconv.Atoi(line); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// lines returns the lines of a file the fake appends to.
func (f *fake) lines(name string) []string {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (f *fake) checkNoLeaks() {
	t := f.t
	// A process killed with its group dies when the kernel next runs it,
	// which on a busy machine can be a moment after Stop returns; one that
	// leaked stays.
	for _, pid := range f.pids() {
		assert.Eventually(t, func() bool { return gone(pid) }, 10*time.Second, 10*time.Millisecond,
			"fake nvidia-smi (PID %d) still exists: running, or a zombie not reaped", pid)
	}
	assert.Empty(t, children(), "child processes of the test")
}

// gone reports whether process pid has exited and, if it was this
// process's child, been reaped. A dead child of another process (a wrapper
// that died first leaves its child to init) may linger as a zombie for a
// moment until that parent reaps it.
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return os.IsNotExist(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 1 && fields[0] == "Z" && fields[1] != strconv.Itoa(os.Getpid())
}

// children returns the PIDs of the test process's children, from /proc.
func children() []int {
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var kids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(self) {
			kids = append(kids, pid)
		}
	}
	return kids
}

// runFake is the fake nvidia-smi's main: the options newFake wrote.
func runFake(dir string, args []string) int {
	var o fakesmi.Options
	b, err := os.ReadFile(filepath.Join(dir, "opts.json"))
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake nvidia-smi:", err)
		return 2
	}
	o.Dir = dir
	return fakesmi.Main(args, o)
}

// testdata returns the contents of a file in testdata.
func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// transcript returns what a command printed the nth time (from 0) it was
// run in a testdata transcript: the lines after "$ <cmd>" up to "rc=".
func transcript(t testing.TB, name, cmd string, nth int) string {
	t.Helper()
	parts := strings.Split(testdata(t, name), "$ "+cmd+"\n")
	require.Greater(t, len(parts), nth+1, "%s has no run %d of %q", name, nth, cmd)
	after := parts[nth+1]
	out, _, ok := strings.Cut(after, "rc=")
	require.True(t, ok, "%s: %q has no rc= line", name, cmd)
	return out
}
