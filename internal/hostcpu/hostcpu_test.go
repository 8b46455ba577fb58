package hostcpu

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A /proc/stat of a 2-core VM, as read there.
const statVM = `cpu  1065624 0 259313 3109170 14298 0 26733 152412 0 0
cpu0 536957 0 133751 1544489 6064 0 16117 76115 0 0
cpu1 528666 0 125561 1564681 8234 0 10616 76297 0 0
intr 98162153 0 9 0 0 0 0 0 0 0 0
ctxt 171954430
btime 1764635100
`

func TestParseStatTakesTheSumOfAllCPUs(t *testing.T) {
	steal, total, err := parseStat(strings.NewReader(statVM))
	require.NoError(t, err)
	assert.Equal(t, uint64(152412), steal)
	assert.Equal(t, uint64(1065624+259313+3109170+14298+26733+152412), total, "guest time is in user already")
}

func TestParseStatNamesWhatIsWrong(t *testing.T) {
	for _, c := range []struct{ stat, want string }{
		{"cpu  1 2 3 4\n", "the cpu line has 4 counters, want at least 8"},
		{"cpu  1 2 3 4 5 6 7 x 9 10\n", "cpu counter 8"},
		{"intr 5\n", "no cpu line"},
	} {
		_, _, err := parseStat(strings.NewReader(c.stat))
		assert.ErrorContains(t, err, c.want, c.stat)
	}
}

func TestStealPct(t *testing.T) {
	a := Reading{machineOK: true, steal: 100, total: 10000}
	b := Reading{machineOK: true, steal: 150, total: 11000}
	got, ok := StealPct(a, b)
	assert.True(t, ok)
	assert.InDelta(t, 5.0, got, 1e-9, "50 of 1000 ticks")

	_, ok = StealPct(a, a)
	assert.False(t, ok, "counters that did not advance say nothing")
	_, ok = StealPct(Reading{}, b)
	assert.False(t, ok, "an unread counter is unknown, not zero")
}

func TestProcessCPUPct(t *testing.T) {
	t0 := time.Now()
	a := Reading{at: t0, process: time.Second, processOK: true}
	b := Reading{at: t0.Add(2 * time.Second), process: 2500 * time.Millisecond, processOK: true}
	got, ok := ProcessCPUPct(a, b)
	assert.True(t, ok)
	assert.InDelta(t, 75.0, got, 1e-9, "1.5 s of CPU in 2 s")
	cpu, ok := ProcessCPU(a, b)
	assert.True(t, ok)
	assert.Equal(t, 1500*time.Millisecond, cpu)
	_, ok = ProcessCPUPct(a, Reading{at: b.at})
	assert.False(t, ok)
	_, ok = ProcessCPU(a, Reading{at: b.at})
	assert.False(t, ok, "an unread process time is unknown, not zero")
}

func TestReadSeesThisMachineAndThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the counters are read on Linux only")
	}
	a := Read()
	require.True(t, a.machineOK, "/proc/stat was read")
	require.True(t, a.processOK, "getrusage answered")
	// Work until both clocks move on (they tick coarsely).
	deadline := time.Now().Add(10 * time.Second)
	var b Reading
	for x := 0; time.Now().Before(deadline); {
		for i := range 1_000_000 {
			x += i ^ x
		}
		if b = Read(); b.total > a.total && b.process > a.process {
			break
		}
	}
	pct, ok := ProcessCPUPct(a, b)
	assert.True(t, ok && pct > 0, "the process's CPU time advanced: %v %v", pct, ok)
	steal, ok := StealPct(a, b)
	assert.True(t, ok, "the machine's counters advanced")
	assert.True(t, steal >= 0 && steal <= 100, "steal %v%%", steal)
}
