//go:build unix

package sttbench

import (
	"fmt"
	"syscall"
)

// checkFileLimit makes sure this process may open a socket and a clip file
// per session it may have in flight at once (two sockets with the embedded
// STT, whose end is in this process too), raising the soft limit toward
// the hard one when it must. peak names those sessions in the error.
// Go already raises the soft limit to the hard one at start; this catches a
// hard limit too low for the run, before a single session is dialed.
func checkFileLimit(peak streamPeak, embedded bool) error {
	need := peak.files(embedded)
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
	return fileLimitError(peak, embedded, lim.Cur, lim.Max)
}

func fileLimitError(peak streamPeak, embedded bool, cur, hard uint64) error {
	what := "a socket and a clip file per session"
	if embedded {
		what += ", and the embedded service's end of each socket"
	}
	need := peak.files(embedded)
	return fmt.Errorf("%s needs about %d open files (%s), but this process may open %d (hard limit %d): "+
		"raise the limit (ulimit -n %d, or LimitNOFILE= for a service), or %s",
		peak.name, need, what, cur, hard, need, peak.split)
}
