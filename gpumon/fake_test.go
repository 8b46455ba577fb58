package gpumon

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// fakeOpts says how the fake nvidia-smi behaves.
type fakeOpts struct {
	// Capture is the dmon output to replay, line by line.
	Capture string
	// Pace is the time between lines. Zero means gated: a line is written
	// only once the test has released it (fake.release).
	Pace time.Duration
	// Loop replays the capture's data lines over and over.
	Loop bool
	// Exit is the exit status once the capture is replayed; -1 means keep
	// running, as dmon does, until a signal.
	Exit int
	// Stderr is written to standard error before exiting with Exit.
	Stderr string
	// IgnoreSignals makes the fake ignore SIGINT and SIGTERM.
	IgnoreSignals bool
	// SigDelay is how long the fake takes to exit after SIGINT or SIGTERM
	// (dmon takes 0.6 to 1 s).
	SigDelay time.Duration
	// SigFragment is written, without a newline, on SIGINT or SIGTERM just
	// before exiting: interrupted, dmon on driver 580 flushes the start of
	// its next line ("    0").
	SigFragment string
	// Apps and GPUs answer --query-compute-apps and --query-gpu.
	Apps, GPUs string
	// QueryExit and QueryMsg, when QueryExit is not 0, make the queries fail.
	QueryExit int
	QueryMsg  string
	// QueryHang makes the queries hang until killed, as on a wedged driver.
	QueryHang bool
}

// fake is a fake nvidia-smi: a shell script that re-executes the test
// binary with fakeEnv set.
type fake struct {
	t    *testing.T
	dir  string
	path string // the nvidia-smi script
}

// newFake writes a fake nvidia-smi into a temporary directory and registers
// a cleanup that fails the test if a process it started is still there,
// unreaped, or if the test process has any child left. Every test that runs
// the fake uses it; the cleanup runs after the test's own cleanups.
func newFake(t *testing.T, o fakeOpts) *fake {
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
	for _, pid := range f.pids() {
		assert.True(t, gone(pid), "fake nvidia-smi (PID %d) still exists: running, or a zombie not reaped", pid)
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

// runFake is the fake nvidia-smi's main.
func runFake(dir string, args []string) int {
	var o fakeOpts
	b, err := os.ReadFile(filepath.Join(dir, "opts.json"))
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake nvidia-smi:", err)
		return 2
	}
	appendLine(dir, "pids", strconv.Itoa(os.Getpid()))
	appendLine(dir, "args", strings.Join(args, " "))
	switch {
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-compute-apps"):
		return fakeQuery(o, o.Apps)
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-gpu"):
		return fakeQuery(o, o.GPUs)
	case len(args) > 0 && args[0] == "dmon":
		return fakeDmon(dir, o)
	}
	fmt.Fprintln(os.Stderr, "fake nvidia-smi: unknown command", args)
	return 2
}

func appendLine(dir, name, line string) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func fakeQuery(o fakeOpts, out string) int {
	if o.QueryHang {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		time.Sleep(time.Hour)
	}
	if o.QueryExit != 0 {
		fmt.Println(o.QueryMsg)
		return o.QueryExit
	}
	fmt.Print(out)
	return 0
}

func fakeDmon(dir string, o fakeOpts) int {
	sigs := make(chan os.Signal, 1)
	if o.IgnoreSignals {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
	} else {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	onSignal := func(s os.Signal) int {
		appendLine(dir, "signals", s.String())
		time.Sleep(o.SigDelay)
		os.Stdout.WriteString(o.SigFragment)
		return 0
	}
	// turn waits until line i may be written; it returns false on a signal.
	turn := func(i int) (os.Signal, bool) {
		if o.Pace > 0 {
			if i == 0 {
				return nil, true
			}
			select {
			case <-time.After(o.Pace):
				return nil, true
			case s := <-sigs:
				return s, false
			}
		}
		for {
			b, _ := os.ReadFile(filepath.Join(dir, "gate"))
			if n, err := strconv.Atoi(string(b)); err == nil && n > i {
				return nil, true
			}
			select {
			case <-time.After(2 * time.Millisecond):
			case s := <-sigs:
				return s, false
			}
		}
	}
	var lines []string
	for line := range strings.Lines(o.Capture) {
		lines = append(lines, line)
	}
	for i, line := range lines {
		if s, ok := turn(i); !ok {
			return onSignal(s)
		}
		os.Stdout.WriteString(line)
	}
	for i := len(lines); o.Loop; i++ {
		line := lines[i%len(lines)]
		if strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := turn(i); !ok {
			return onSignal(s)
		}
		os.Stdout.WriteString(line)
	}
	if o.Exit >= 0 {
		os.Stderr.WriteString(o.Stderr)
		return o.Exit
	}
	for {
		select {
		case s := <-sigs:
			return onSignal(s)
		case <-time.After(time.Hour):
		}
	}
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
