//go:build unix

package gpumon

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownGroup makes cmd the leader of a new process group, so that a signal
// to the group reaches a wrapper's children too.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends sig to the process group that p leads. It returns
// os.ErrProcessDone when no process of the group is left.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	err := syscall.Kill(-p.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

func interruptGroup(p *os.Process) error { return signalGroup(p, syscall.SIGINT) }

func killGroup(p *os.Process) error { return signalGroup(p, syscall.SIGKILL) }
