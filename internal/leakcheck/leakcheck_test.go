package leakcheck

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parked blocks until stop is closed, under a name the tests look for.
//
//go:noinline
func parked(started chan<- struct{}, stop <-chan struct{}) {
	close(started)
	<-stop
}

func TestGoroutines(t *testing.T) {
	const match = "leakcheck.parked"
	if err := Goroutines(time.Second, match); err != nil {
		t.Fatalf("before: %v", err)
	}
	// The caller's own stack mentions the package but is never counted.
	if err := Goroutines(0, "leakcheck.TestGoroutines"); err != nil {
		t.Fatalf("the caller was counted: %v", err)
	}

	started, stop := make(chan struct{}), make(chan struct{})
	go parked(started, stop)
	<-started
	err := Goroutines(50*time.Millisecond, "no such function", match)
	if err == nil || !strings.Contains(err.Error(), match) {
		t.Fatalf("a parked goroutine: got %v, want an error naming %s", err, match)
	}

	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	if err := Goroutines(5*time.Second, match); err != nil {
		t.Fatalf("a goroutine ending within the timeout: %v", err)
	}
}

func TestChildProcesses(t *testing.T) {
	if kids := ChildProcesses(); len(kids) != 0 {
		t.Fatalf("before: children %v", kids)
	}
	if tasks, _ := filepath.Glob("/proc/self/task/*/children"); runtime.GOOS != "linux" || len(tasks) == 0 {
		t.Skip("needs /proc/self/task/*/children (Linux)")
	}
	cmd := exec.Command("sleep", "10")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if kids := ChildProcesses(); len(kids) != 0 {
			t.Errorf("after Wait: children %v", kids)
		}
	}()
	kids := ChildProcesses()
	if len(kids) != 1 || kids[0] != strconv.Itoa(cmd.Process.Pid) {
		t.Fatalf("children %v, want [%d]", kids, cmd.Process.Pid)
	}
}
