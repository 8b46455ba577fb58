package hostcpu

import (
	"os"
	"syscall"
	"time"
)

// Read takes a reading now. What cannot be read is left out of it, and
// the figures that need it are then unknown.
func Read() Reading {
	r := Reading{at: time.Now()}
	if f, err := os.Open("/proc/stat"); err == nil {
		r.steal, r.total, err = parseStat(f)
		r.machineOK = err == nil
		f.Close()
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.processOK = true
	}
	return r
}
