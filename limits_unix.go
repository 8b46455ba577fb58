//go:build unix

package sttbench

import (
	"fmt"
	"syscall"
)

// checkFileLimit makes sure this process may open a socket and a clip file
// per session of the largest level (two sockets with the embedded STT,
// whose end is in this process too), raising the soft limit toward the hard
// one when it must.
// Go already raises the soft limit to the hard one at start; this catches a
// hard limit too low for the run, before a single session is dialed.
func checkFileLimit(sessions int, embedded bool) error {
	perSession := 2 // a socket, and the clip's cache file while it streams
	if embedded {
		perSession = 3
	}
	need := uint64(sessions*perSession + 256) // the rest: the binary's own files, the TTS, dmon
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // unknown: let the dials speak for themselves
	}
	if lim.Cur >= need {
		return nil
	}
	if lim.Max >= need {
		raised := lim
		raised.Cur = need
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return nil
		}
	}
	return fileLimitError(sessions, need, lim.Cur, lim.Max)
}

func fileLimitError(sessions int, need, cur, hard uint64) error {
	return fmt.Errorf("conc=%d needs about %d open files (a socket and a clip file per session, and a second socket with the embedded service), "+
		"but this process may open %d (hard limit %d): raise the limit (ulimit -n %d, or LimitNOFILE= for a service), "+
		"or split the run over load hosts with -shard", sessions, need, cur, hard, need)
}
