package gpumon

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/gpumon/internal/fakesmi"
)

// The captured load's data lines (dmon-um-i0.txt) follow 2 header lines:
// samples 0-9 idle, 10-14 light, 15-19 heavy (fb grows at 19), 20-24 grow,
// 25-29 release.
const headerLines = 2

// startFake starts a Monitor on a fake nvidia-smi replaying capture. With a
// gated fake (o.Pace zero) it first releases the header and the first
// sample, which Start waits for.
func startFake(t *testing.T, o fakesmi.Options, cfg Config) (*fake, *Monitor) {
	t.Helper()
	f := newFake(t, o)
	if o.Pace == 0 {
		f.release(headerLines + 1)
	}
	cfg.Path = f.path
	m, err := Start(t.Context(), cfg, "0")
	require.NoError(t, err)
	t.Cleanup(func() { m.Stop() })
	return f, m
}

// waitSamples waits until m holds n samples.
func waitSamples(t *testing.T, m *Monitor, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.samples) >= n
	}, 5*time.Second, time.Millisecond, "waiting for %d samples", n)
}

// markAt releases the capture up to n samples, waits for them and marks.
func markAt(t *testing.T, f *fake, m *Monitor, n int) Mark {
	t.Helper()
	f.release(headerLines + n)
	waitSamples(t, m, n)
	k := m.Mark()
	require.Equal(t, n, k.n)
	return k
}

func assertSummary(t *testing.T, want, got Summary) {
	t.Helper()
	assert.Equal(t, want.N, got.N, "N")
	assert.Equal(t, want.Closed, got.Closed, "Closed")
	for _, f := range []struct {
		name      string
		want, got float64
	}{
		{"SMP95", want.SMP95, got.SMP95},
		{"SMMean", want.SMMean, got.SMMean},
		{"VRAMPeakMiB", want.VRAMPeakMiB, got.VRAMPeakMiB},
		{"VRAMMeanMiB", want.VRAMMeanMiB, got.VRAMMeanMiB},
	} {
		if math.IsNaN(f.want) {
			assert.True(t, math.IsNaN(f.got), "%s = %v, want NaN", f.name, f.got)
		} else {
			assert.InDelta(t, f.want, f.got, 1e-9, f.name)
		}
	}
}

var noData = Summary{SMP95: math.NaN(), SMMean: math.NaN(), VRAMPeakMiB: math.NaN(), VRAMMeanMiB: math.NaN()}

func TestMonitorWindowsOverCapture(t *testing.T) {
	// The capture ends at sample 29, so the last Window waits CloseWait
	// for a sample that does not come.
	f, m := startFake(t, fakesmi.Options{
		Capture:     testdata(t, "dmon-um-i0.txt"),
		Exit:        -1,
		SigDelay:    50 * time.Millisecond,
		SigFragment: "    0",
	}, Config{CloseWait: 200 * time.Millisecond})
	first := m.Mark()
	require.Equal(t, 1, first.n, "Start returns once the first sample is in")

	// Light phase: samples 10-14 (sm 51 49 47 49 51); the mark at 14 is
	// closed by sample 14.
	from := markAt(t, f, m, 10)
	to := markAt(t, f, m, 14)
	f.release(headerLines + 15)
	light := m.Window(from, to)
	assertSummary(t, Summary{N: 5, SMP95: 51, SMMean: 49.4, VRAMPeakMiB: 3255, VRAMMeanMiB: 3255, Closed: true}, light)
	assert.True(t, light.OK())

	// Heavy phase: samples 15-19 (sm 99 99 100 100 100); 19 closes the
	// window and brings the grown memory (9449 MiB).
	from = markAt(t, f, m, 15)
	to = markAt(t, f, m, 19)
	f.release(headerLines + 20)
	heavy := m.Window(from, to)
	assertSummary(t, Summary{N: 5, SMP95: 100, SMMean: 99.6, VRAMPeakMiB: 9449, VRAMMeanMiB: (4*3255 + 9449) / 5.0, Closed: true}, heavy)
	assert.Equal(t, "5 samples: SM p95 100%, mean 99.6%; VRAM peak 9449 MiB, mean 4494 MiB", heavy.String())

	samples := m.Samples(from, to)
	require.Len(t, samples, 5)
	for i := 1; i < len(samples); i++ {
		// Lines read in one chunk share their arrival time.
		assert.False(t, samples[i].Time.Before(samples[i-1].Time), "arrival times do not decrease")
	}
	assert.True(t, samples[0].Time.After(from.Time()), "sample after the mark arrived after it")
	assert.True(t, samples[4].Time.After(to.Time()), "the closing sample arrived after the end mark")

	// Everything: samples 1-29 after the first mark.
	f.release(1000)
	waitSamples(t, m, 30)
	last := m.Mark()
	all := m.Samples(first, last)
	require.Len(t, all, 29)
	assert.Equal(t, 0.0, all[28].SM)
	assert.Equal(t, 3217.0, all[28].FBMiB)

	require.NoError(t, m.Stop())
	assert.Equal(t, []string{"interrupt"}, f.lines("signals"), "Stop sends SIGINT")
	assert.Equal(t, []string{"dmon -s um -d 1 -i 0"}, f.lines("args"))
	assert.NoError(t, m.Err())
	assert.Zero(t, m.Skipped(), "the line cut short by the interrupt is not malformed output")

	// Windows stay readable after Stop, and do not wait any more.
	assertSummary(t, heavy, m.Window(from, to))
	start := time.Now()
	sum := m.Window(last, m.Mark())
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assertSummary(t, noData, sum)
}

func TestMonitorWindowWaitsForClosingSample(t *testing.T) {
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1}, Config{CloseWait: 5 * time.Second})
	from := markAt(t, f, m, 5)
	to := m.Mark() // a window shorter than one interval

	const delay = 100 * time.Millisecond
	go func() {
		time.Sleep(delay)
		f.release(headerLines + 6)
	}()
	start := time.Now()
	sum := m.Window(from, to)
	assert.GreaterOrEqual(t, time.Since(start), delay, "Window waited for the closing sample")
	assertSummary(t, Summary{N: 1, SMP95: 0, SMMean: 0, VRAMPeakMiB: 3029, VRAMMeanMiB: 3029, Closed: true}, sum)
}

func TestMonitorWindowStopsWaiting(t *testing.T) {
	const closeWait = 150 * time.Millisecond
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1}, Config{CloseWait: closeWait})
	from := markAt(t, f, m, 3)
	to := markAt(t, f, m, 5)

	start := time.Now()
	sum := m.Window(from, to)
	waited := time.Since(start)
	assert.GreaterOrEqual(t, waited, closeWait-time.Since(to.Time())-time.Millisecond)
	assert.Less(t, waited, closeWait+time.Second)
	// Samples 3 and 4 (fb 0 and 43) without the closing one.
	assertSummary(t, Summary{N: 2, SMP95: 0, SMMean: 0, VRAMPeakMiB: 43, VRAMMeanMiB: 21.5}, sum)

	// An empty window whose closing sample does not come has no data.
	assertSummary(t, noData, m.Window(to, to))
}

func TestMonitorPaced(t *testing.T) {
	const pace = 20 * time.Millisecond
	start := time.Now()
	_, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Pace: pace, Exit: -1}, Config{})
	from := m.Mark()
	waitSamples(t, m, 10)
	sum := m.Window(from, m.Mark())
	require.True(t, sum.OK())
	assert.GreaterOrEqual(t, sum.N, 9)

	m.mu.Lock()
	samples := append([]Sample(nil), m.samples[:10]...)
	m.mu.Unlock()
	// Each sample carries the time it arrived: between Start and now, in
	// order, and spread over the time the fake took to write them (nine
	// paces, less whatever delay the reader had on the first).
	assert.True(t, samples[0].Time.After(start))
	assert.False(t, samples[9].Time.After(time.Now()))
	for i := 1; i < len(samples); i++ {
		assert.False(t, samples[i].Time.Before(samples[i-1].Time), "sample %d", i)
	}
	assert.Greater(t, samples[9].Time.Sub(samples[0].Time), 4*pace)
}

func TestMonitorConcurrentUse(t *testing.T) {
	_, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Pace: time.Millisecond, Loop: true, Exit: -1}, Config{CloseWait: 50 * time.Millisecond})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				from := m.Mark()
				time.Sleep(time.Millisecond)
				sum := m.Window(from, m.Mark())
				assert.NoError(t, m.Err())
				if sum.OK() {
					assert.LessOrEqual(t, sum.SMP95, 100.0)
				}
				m.Samples(from, m.Mark())
				m.Skipped()
			}
		})
	}
	wg.Wait()
	var stops sync.WaitGroup
	for range 3 {
		stops.Go(func() { assert.NoError(t, m.Stop()) })
	}
	stops.Wait()
}

func TestMonitorStartFails(t *testing.T) {
	tests := []struct {
		name     string
		o        fakesmi.Options
		exitCode int
		msg      string
	}{
		{
			name:     "no devices (dmon -i 7 on a one-GPU host)",
			o:        fakesmi.Options{Capture: "No devices were found\n", Pace: time.Millisecond, Exit: 6},
			exitCode: 6,
			msg:      "gpumon: nvidia-smi dmon -i 0 exited early: exit status 6: No devices were found",
		},
		{
			name:     "exits 0 at once",
			o:        fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt")[:80], Pace: time.Millisecond, Exit: 0},
			exitCode: -1,
			msg:      "gpumon: nvidia-smi dmon -i 0 exited early: exit status 0",
		},
		{
			name:     "error on standard error",
			o:        fakesmi.Options{Pace: time.Millisecond, Exit: 15, Stderr: "Failed to initialize NVML: Driver/library version mismatch\n"},
			exitCode: 15,
			msg:      "exit status 15: Failed to initialize NVML: Driver/library version mismatch",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.o)
			m, err := Start(t.Context(), Config{Path: f.path}, "0")
			assert.Nil(t, m)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			var exitErr *exec.ExitError
			if tt.exitCode >= 0 {
				require.ErrorAs(t, err, &exitErr)
				assert.Equal(t, tt.exitCode, exitErr.ExitCode())
			}
			assert.Len(t, f.pids(), 1)
		})
	}
}

func TestMonitorEarlyExit(t *testing.T) {
	f, m := startFake(t, fakesmi.Options{
		Capture: testdata(t, "dmon-um-i0.txt"),
		Exit:    3,
		Stderr:  "Unable to determine the device handle for GPU0000:00:06.0: Unknown Error\n",
	}, Config{})
	from := markAt(t, f, m, 10)
	to := markAt(t, f, m, 14)
	f.release(1000)

	require.Eventually(t, func() bool { return m.Err() != nil }, 5*time.Second, time.Millisecond)
	err := m.Err()
	assert.EqualError(t, err, "gpumon: nvidia-smi dmon -i 0 exited early: exit status 3: Unable to determine the device handle for GPU0000:00:06.0: Unknown Error")
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 3, exitErr.ExitCode())

	// From then on, windows report no data, even those that had samples.
	assertSummary(t, noData, m.Window(from, to))
	assertSummary(t, noData, m.Window(to, m.Mark()))
	assert.Nil(t, m.Samples(from, to))
	assert.False(t, m.Window(from, to).OK())
	assert.Equal(t, "no GPU data", m.Window(from, to).String())

	assert.Equal(t, err, m.Stop())
	assert.Equal(t, err, m.Stop(), "Stop is idempotent")
	assert.Empty(t, f.lines("signals"), "nothing to interrupt")
}

func TestMonitorStopKillsWhenInterruptIgnored(t *testing.T) {
	const stopTimeout = 200 * time.Millisecond
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1, IgnoreSignals: true}, Config{StopTimeout: stopTimeout})
	start := time.Now()
	err := m.Stop()
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gpumon: stop nvidia-smi dmon -i 0: no exit within 200ms of an interrupt, killed")
	assert.GreaterOrEqual(t, elapsed, stopTimeout)
	assert.Less(t, elapsed, stopTimeout+2*time.Second)
	assert.Empty(t, f.lines("signals"))
	assert.NoError(t, m.Err(), "a stopped monitor has not failed")
	assert.Equal(t, err, m.Stop())
}

func TestMonitorStopInDeferWhilePanicking(t *testing.T) {
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1}, Config{})
	func() {
		defer func() { assert.Equal(t, "boom", recover()) }()
		defer m.Stop()
		panic("boom")
	}()
	require.Len(t, f.pids(), 1)
	f.checkNoLeaks()
	assert.NoError(t, m.Stop())
	assert.Equal(t, []string{"interrupt"}, f.lines("signals"))
}

func TestMonitorContextDone(t *testing.T) {
	f := newFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1})
	f.release(headerLines + 1)
	ctx, cancel := context.WithCancelCause(t.Context())
	m, err := Start(ctx, Config{Path: f.path}, "0")
	require.NoError(t, err)
	defer m.Stop()
	from := m.Mark()

	cancel(errors.New("benchmark over"))
	require.Eventually(t, func() bool { return m.Err() != nil }, 5*time.Second, time.Millisecond)
	assert.EqualError(t, m.Err(), "gpumon: nvidia-smi dmon -i 0 stopped: benchmark over")
	assert.Equal(t, []string{"interrupt"}, f.lines("signals"))
	assert.False(t, m.Window(from, m.Mark()).OK())
	assert.Equal(t, m.Err(), m.Stop())
}

func TestStartInvalid(t *testing.T) {
	for _, id := range []string{"", "0,1", "-i"} {
		m, err := Start(t.Context(), Config{Path: "/bin/true"}, id)
		assert.Nil(t, m)
		assert.ErrorContains(t, err, "gpumon: start nvidia-smi dmon: ", id)
	}
	_, err := Start(t.Context(), Config{Interval: time.Millisecond}, "0")
	assert.ErrorContains(t, err, "invalid config")
}

func TestNilMonitor(t *testing.T) {
	var m *Monitor
	k := m.Mark()
	assert.Equal(t, Mark{}, k)
	assertSummary(t, noData, m.Window(k, k))
	assert.Nil(t, m.Samples(k, k))
	assert.NoError(t, m.Err())
	assert.NoError(t, m.Stop())
	assert.Zero(t, m.Skipped())
}

// Window's selection of samples, fed directly, without a subprocess.
func TestWindowSelection(t *testing.T) {
	lines := strings.SplitAfter(testdata(t, "dmon-um-i0.txt"), "\n")
	feed := func(m *Monitor, from, to int) { // data lines [from, to)
		for _, l := range lines[headerLines+from : headerLines+to] {
			m.write([]byte(l))
		}
	}
	newFed := func(n int) *Monitor {
		m := newMonitor(Config{CloseWait: time.Millisecond}, "0")
		m.write([]byte(lines[0] + lines[1]))
		feed(m, 0, n)
		return m
	}

	t.Run("between marks plus the closing sample", func(t *testing.T) {
		m := newFed(20)
		a := m.Mark()
		feed(m, 20, 24)
		b := m.Mark()
		feed(m, 24, 30)
		// Samples 20-23 and the closing 24: sm 80 88 87 89 97.
		assertSummary(t, Summary{N: 5, SMP95: 97 - 0.2*(97-89), SMMean: 88.2, VRAMPeakMiB: 9449, VRAMMeanMiB: (4*9449 + 3217) / 5.0, Closed: true}, m.Window(a, b))
	})
	t.Run("consecutive windows share the boundary sample", func(t *testing.T) {
		m := newFed(0)
		a := m.Mark()
		feed(m, 0, 3)
		b := m.Mark()
		feed(m, 3, 6)
		c := m.Mark()
		feed(m, 6, 7)
		first, second := m.Samples(a, b), m.Samples(b, c)
		require.Len(t, first, 4)
		require.Len(t, second, 4)
		assert.Equal(t, first[3], second[0])
	})
	t.Run("no data", func(t *testing.T) {
		m, other := newFed(10), newFed(10)
		a := m.Mark()
		feed(m, 10, 12)
		b := m.Mark()
		feed(m, 12, 13)
		require.True(t, m.Window(a, b).OK())
		for name, w := range map[string][2]Mark{
			"reversed":      {b, a},
			"zero marks":    {{}, {}},
			"other monitor": {other.Mark(), other.Mark()},
			"mixed":         {a, other.Mark()},
		} {
			assertSummary(t, noData, m.Window(w[0], w[1]))
			assert.Nil(t, m.Samples(w[0], w[1]), name)
		}
	})
	t.Run("lines split across writes, over-long and unterminated lines", func(t *testing.T) {
		m := newMonitor(Config{}, "0")
		m.write([]byte("# gpu  sm   fb\n    0  1"))
		m.write([]byte("2  345\n"))
		m.write([]byte(strings.Repeat("9", maxLine)))
		m.write([]byte("9 9\n    0  13  346\n    0  14  347"))
		m.finish(context.Background(), nil, nil)
		require.Len(t, m.samples, 3)
		assert.Equal(t, []float64{12, 13, 14}, []float64{m.samples[0].SM, m.samples[1].SM, m.samples[2].SM})
		assert.Equal(t, 1, m.skipped)
		assert.ErrorContains(t, m.err, "exited early: exit status 0: (over-long line)")
	})
}

func TestSummarize(t *testing.T) {
	nan := math.NaN()
	assertSummary(t, noData, Summarize(nil))
	// A board that reports no SM figure still has memory figures.
	assertSummary(t, Summary{N: 2, SMP95: nan, SMMean: nan, VRAMPeakMiB: 20, VRAMMeanMiB: 15},
		Summarize([]Sample{{SM: nan, FBMiB: 10}, {SM: nan, FBMiB: 20}}))
	// numpy.percentile([0, 25, 50, 100], 95) = 92.5
	assertSummary(t, Summary{N: 4, SMP95: 92.5, SMMean: 43.75, VRAMPeakMiB: 4, VRAMMeanMiB: 2.5},
		Summarize([]Sample{{SM: 0, FBMiB: 1}, {SM: 25, FBMiB: 2}, {SM: 50, FBMiB: 3}, {SM: 100, FBMiB: 4}}))
}
