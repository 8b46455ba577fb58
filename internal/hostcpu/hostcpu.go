// Package hostcpu reads what the load host itself is doing while a level
// streams: how much of the machine's CPU time its hypervisor takes (steal)
// and how much CPU this process uses. On a shared VM, stolen time delays
// every frame and every result stamp, so it belongs beside the figures it
// distorts.
package hostcpu

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Reading is one reading of the machine's CPU time counters and of this
// process's CPU time.
type Reading struct {
	at           time.Time
	steal, total uint64 // clock ticks of all CPUs, from /proc/stat
	machineOK    bool
	process      time.Duration
	processOK    bool
}

// StealPct is the share of all the machine's CPU time, in percent, that its
// hypervisor gave to other guests between a and b; false where the counters
// are not known or did not advance.
func StealPct(a, b Reading) (float64, bool) {
	if !a.machineOK || !b.machineOK || b.total <= a.total || b.steal < a.steal {
		return 0, false
	}
	return 100 * float64(b.steal-a.steal) / float64(b.total-a.total), true
}

// ProcessCPU is the CPU time, user and system, this process used between a
// and b; false where unknown.
func ProcessCPU(a, b Reading) (time.Duration, bool) {
	if !a.processOK || !b.processOK || b.process < a.process {
		return 0, false
	}
	return b.process - a.process, true
}

// ProcessCPUPct is this process's CPU time between a and b as a share of
// one core, in percent (200 is two cores busy); false where unknown.
func ProcessCPUPct(a, b Reading) (float64, bool) {
	cpu, ok := ProcessCPU(a, b)
	wall := b.at.Sub(a.at)
	if !ok || wall <= 0 {
		return 0, false
	}
	return 100 * cpu.Seconds() / wall.Seconds(), true
}

// parseStat returns the steal and total clock ticks of the "cpu" line of a
// /proc/stat: user nice system idle iowait irq softirq steal (guest time is
// already counted in user and nice).
func parseStat(r io.Reader) (steal, total uint64, err error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 9 {
			return 0, 0, fmt.Errorf("/proc/stat: the cpu line has %d counters, want at least 8 (up to steal)", len(f)-1)
		}
		for i, s := range f[1:9] {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("/proc/stat: cpu counter %d: %w", i+1, err)
			}
			total += v
			if i == 7 {
				steal = v
			}
		}
		return steal, total, nil
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	return 0, 0, fmt.Errorf("/proc/stat: no cpu line")
}
