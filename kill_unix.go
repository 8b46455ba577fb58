//go:build unix

package sttbench

import (
	"strconv"
	"syscall"

	"github.com/sttbench/sttbench/internal/leakcheck"
)

// killChildren sends SIGKILL to every child of this process and to the
// process group each may lead: gpumon starts nvidia-smi, and a wrapper such
// as ssh, in a group of its own. For an exit that cannot wait for Stop.
func killChildren() {
	for _, s := range leakcheck.ChildProcesses() {
		if pid, err := strconv.Atoi(s); err == nil && pid > 0 {
			syscall.Kill(-pid, syscall.SIGKILL)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
