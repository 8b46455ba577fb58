//go:build !unix

package gpumon

import (
	"os"
	"os/exec"
)

// ownGroup does nothing where there are no Unix process groups: only the
// process itself is signalled.
func ownGroup(*exec.Cmd) {}

func interruptGroup(p *os.Process) error { return p.Signal(os.Interrupt) }

func killGroup(p *os.Process) error { return p.Kill() }
