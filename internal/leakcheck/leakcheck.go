// Package leakcheck finds goroutines and child processes that outlive a
// package's tests. A TestMain calls it once m.Run has returned.
package leakcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// poll is how often Goroutines looks again while leaked goroutines remain.
const poll = 10 * time.Millisecond

// Goroutines waits up to timeout for every goroutine whose stack mentions
// any of match (a substring such as "sttbench/internal/refstt." or
// "net/http.(*conn).serve") to end. The calling goroutine is never counted.
// It returns nil once none is left, or an error listing the stacks of those
// still running when timeout has passed.
func Goroutines(timeout time.Duration, match ...string) error {
	deadline := time.Now().Add(timeout)
	for {
		leaked := leakedGoroutines(match)
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leaked goroutines, still running after %v:\n\n%s", timeout, strings.Join(leaked, "\n\n"))
		}
		time.Sleep(poll)
	}
}

// leakedGoroutines returns the stacks, other than the caller's, that
// mention any of match.
func leakedGoroutines(match []string) []string {
	var leaked []string
	// The first stack of the dump is the calling goroutine's.
	for _, g := range allStacks()[1:] {
		for _, m := range match {
			if strings.Contains(g, m) {
				leaked = append(leaked, g)
				break
			}
		}
	}
	return leaked
}

// allStacks returns the stack of every goroutine, the caller's first.
func allStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// ChildProcesses returns the PIDs of this process's running children, from
// /proc/self/task/*/children (Linux; elsewhere it finds none).
func ChildProcesses() []string {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var pids []string
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err == nil {
			pids = append(pids, strings.Fields(string(data))...)
		}
	}
	return pids
}
