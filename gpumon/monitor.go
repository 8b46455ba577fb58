package gpumon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

const (
	// maxLine bounds one line of dmon output held in memory; a longer line
	// is dropped and counted as skipped.
	maxLine = 64 << 10
	// maxStderr bounds the tail of dmon's standard error kept for messages.
	maxStderr = 4 << 10
	// keepSkipped is how many skipped lines are kept for error messages:
	// dmon prints errors such as "No devices were found" on standard output.
	keepSkipped = 3
)

var monitorIDs atomic.Uint64

// Monitor runs `nvidia-smi dmon -s um` for one GPU and keeps every sample
// it prints, stamped on arrival, for the life of the Monitor (one small
// Sample per interval). Mark, Window, Samples, Err and Skipped are safe to
// call from any goroutine, concurrently with the goroutine that reads dmon
// and with each other. Stop is safe to call more than once and from several
// goroutines.
//
// A nil *Monitor is valid and reports no data: Mark returns a zero Mark,
// Window a Summary with N == 0, and Stop and Err nil, so a caller that goes
// on without nvidia-smi keeps a single code path.
type Monitor struct {
	id            uint64
	gpu           string
	closeWait     time.Duration
	stopTimeout   time.Duration
	sampleTimeout time.Duration
	cancel        context.CancelFunc
	done          chan struct{} // closed once dmon is reaped and finish has run
	stopOnce      sync.Once
	proc          *os.Process // dmon, or its wrapper: the leader of its process group
	started       time.Time
	stderr        tailBuffer

	mu       sync.Mutex
	p        parser
	partial  []byte // the line being received
	discard  bool   // the line being received is over maxLine
	samples  []Sample
	skipped  int
	lastBad  []string      // the last keepSkipped skipped lines
	arrived  chan struct{} // closed and replaced when a sample arrives or dmon ends
	lastAt   time.Time     // when the last sample arrived; zero before the first
	lines    int           // lines of output received, of any kind
	watch    *time.Timer   // fires SampleTimeout after the last sample
	killer   *time.Timer   // kills dmon's group StopTimeout after the interrupt
	stopping bool
	finished bool
	killed   bool  // dmon's group was killed after ignoring the interrupt
	kill     bool  // Kill was called: how dmon ended is of no interest
	stalled  bool  // no sample within SampleTimeout: dmon was stopped
	err      error // dmon ended without Stop, or stopped sending samples
	stopErr  error // dmon had to be killed, or its pipes were held open
}

// Mark is a position in a Monitor's stream of samples: the samples that had
// arrived, and the time, when Mark was called. The zero Mark belongs to no
// Monitor. Marks are values, safe to copy and share.
type Mark struct {
	mon uint64
	n   int
	at  time.Time
}

// Time returns when the mark was taken.
func (k Mark) Time() time.Time { return k.at }

// Start launches `nvidia-smi dmon -s um -d <Interval> -i <gpu>` and reads
// its samples until Stop is called or ctx is done; gpu is an index or UUID,
// usually Selection.ID. Start waits up to Interval + 1 s for the first
// sample (dmon prints it about 20 ms after starting), so that a dmon that
// fails at once, such as `No devices were found` (exit status 6), is
// reported by Start's error with dmon's message. A missing nvidia-smi gives
// an error matching ErrNotFound.
//
// Should no readable sample arrive within SampleTimeout (10 s) of the start
// or of the previous sample, the Monitor stops dmon and Err says what dmon
// did instead: printed nothing, printed only lines it could not read (one is
// quoted), or went quiet after some samples.
//
// ctx should live as long as the monitoring: when it is done, dmon is
// interrupted as by Stop and the Monitor reports the cause through Err.
// Whatever the path out, dmon and its process group (a wrapper such as ssh
// and what it started) are interrupted, killed StopTimeout later if dmon
// has not exited, and reaped; the caller must call Stop (a defer will do),
// or Kill on an emergency exit. Should the caller's process die without
// either, dmon is not left behind for long: it gets SIGPIPE at its next
// write into the closed pipe.
func Start(ctx context.Context, cfg Config, gpu string) (*Monitor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := validID(gpu); err != nil {
		return nil, fmt.Errorf("gpumon: start nvidia-smi dmon: %w", err)
	}
	path, err := cfg.executable()
	if err != nil {
		return nil, fmt.Errorf("gpumon: start nvidia-smi dmon: %w", err)
	}

	m := newMonitor(cfg, gpu)
	ctx, cancel := context.WithCancel(ctx)
	secs := strconv.Itoa(int(cfg.interval() / time.Second))
	cmd := cfg.command(ctx, path, "dmon", "-s", "um", "-d", secs, "-i", gpu)
	// dmon exits with status 0 between about 0.6 and 1 s after SIGINT; the
	// killer timer kills its whole group StopTimeout later if it has not
	// (WaitDelay alone would kill only the group's leader, a wrapper, and
	// leave nvidia-smi running). WaitDelay, a little later, is the backstop
	// that bounds the wait for the output pipes to close.
	cmd.Cancel = func() error {
		m.mu.Lock()
		if m.killer == nil {
			m.killer = time.AfterFunc(m.stopTimeout, func() {
				m.mu.Lock()
				m.killed = true
				m.mu.Unlock()
				killGroup(cmd.Process)
			})
		}
		m.mu.Unlock()
		return interruptGroup(cmd.Process)
	}
	cmd.WaitDelay = m.stopTimeout + time.Second
	// With writers rather than StdoutPipe, Wait itself drains standard
	// output to EOF before it returns (bounded by WaitDelay should a
	// descendant hold the pipe open), so no line is lost at exit and no
	// read can race with Wait closing the pipe.
	cmd.Stdout = stdoutWriter{m}
	cmd.Stderr = &m.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return nil, fmt.Errorf("gpumon: start nvidia-smi dmon: %w", err)
	}
	m.cancel = cancel
	m.proc = cmd.Process
	m.mu.Lock()
	m.started = time.Now()
	m.watch = time.AfterFunc(m.sampleTimeout, m.checkStall)
	m.mu.Unlock()
	go func() {
		err := cmd.Wait()
		// Whatever is left of dmon's group (a wrapper's child that closed
		// its output) goes with it.
		killGroup(cmd.Process)
		m.finish(ctx, err, cmd.ProcessState)
		close(m.done)
	}()

	if err := m.awaitFirst(cfg.interval() + time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

func newMonitor(cfg Config, gpu string) *Monitor {
	return &Monitor{
		id:            monitorIDs.Add(1),
		gpu:           gpu,
		closeWait:     cfg.closeWait(),
		stopTimeout:   cfg.stopTimeout(),
		sampleTimeout: cfg.sampleTimeout(),
		cancel:        func() {},
		done:          make(chan struct{}),
		arrived:       make(chan struct{}),
	}
}

// awaitFirst waits up to d for the first sample. It returns dmon's error if
// dmon ended first, and nil on a sample or on timeout: a slow first sample
// is not a failure.
func (m *Monitor) awaitFirst(d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		m.mu.Lock()
		n, finished, err, ch := len(m.samples), m.finished, m.err, m.arrived
		m.mu.Unlock()
		switch {
		case err != nil:
			return err
		case n > 0 || finished:
			return nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return nil
		}
	}
}

// Stop interrupts dmon, waits until it has exited (killing it StopTimeout
// after the interrupt if need be) and reaped, and returns the first error
// the Monitor met: the one Err reports, or a failure to stop dmon cleanly.
// Samples already received stay available to Window. Stop is idempotent,
// safe for concurrent use, and safe in a deferred call while panicking; it
// blocks for at most about StopTimeout.
func (m *Monitor) Stop() error {
	if m == nil {
		return nil
	}
	m.stopOnce.Do(func() {
		m.mu.Lock()
		m.stopping = true
		m.mu.Unlock()
		m.cancel()
		<-m.done
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	return m.stopErr
}

// Kill sends SIGKILL to dmon and every process of its group at once and
// returns without waiting: for a caller about to exit that has no time for
// Stop (a second interrupt). Stop may still be called afterwards. Kill is
// safe for concurrent use and on a nil or stopped Monitor.
func (m *Monitor) Kill() {
	if m == nil || m.proc == nil {
		return
	}
	select {
	case <-m.done:
		// Reaped: the group's number may belong to someone else by now.
		return
	default:
	}
	m.mu.Lock()
	m.stopping, m.kill = true, true
	m.mu.Unlock()
	killGroup(m.proc)
}

// Err returns the reason dmon ended before Stop was called, with what dmon
// printed (for example "exit status 6: No devices were found"), the cause
// when ctx ended it, or what dmon did when it sent no readable sample within
// SampleTimeout; nil while dmon runs and after a clean Stop.
// Once Err is non-nil, every Window reports no data. Safe for concurrent use.
func (m *Monitor) Err() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Skipped returns how many lines of dmon output could not be read as a
// sample, header or units line and were skipped. Safe for concurrent use.
func (m *Monitor) Skipped() int {
	if m == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.skipped
}

// Mark returns the current position in the sample stream, to pass to
// Window. Safe for concurrent use.
func (m *Monitor) Mark() Mark {
	if m == nil {
		return Mark{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	// Taken under the lock that appends samples, so every sample at or
	// after the mark's position arrived after its time.
	return Mark{mon: m.id, n: len(m.samples), at: time.Now()}
}

// Window summarises the GPU's activity between two marks taken in that
// order from this Monitor. It takes every sample that arrived between from
// and to, and the one that closes the window: each sample describes the
// interval before its arrival, so the first sample after to covers the
// window's last stretch. A window shorter than one interval thus has one
// sample, and consecutive windows share the sample that spans their
// boundary.
//
// If the closing sample has not arrived, Window waits for it until
// CloseWait (1.5 intervals by default) after to's time, or until dmon ends,
// and then summarises without it (Summary.Closed false). A window with no
// sample, marks of another Monitor or in the wrong order, or any window
// after dmon failed (Err non-nil) reports no data: Summary.N is 0 and the
// figures are NaN. Safe for concurrent use.
func (m *Monitor) Window(from, to Mark) Summary {
	samples, closed := m.window(from, to)
	s := Summarize(samples)
	s.Closed = closed
	return s
}

// Samples returns copies of the samples Window(from, to) summarises, in
// arrival order, waiting for the closing sample as Window does. It returns
// nil where Window reports no data. Safe for concurrent use.
func (m *Monitor) Samples(from, to Mark) []Sample {
	samples, _ := m.window(from, to)
	return samples
}

func (m *Monitor) window(from, to Mark) ([]Sample, bool) {
	if m == nil || from.mon != m.id || to.mon != m.id || from.n > to.n {
		return nil, false
	}
	deadline := to.at.Add(m.closeWait)
	var timer *time.Timer
	for {
		m.mu.Lock()
		if m.err != nil {
			m.mu.Unlock()
			return nil, false
		}
		if len(m.samples) > to.n {
			s := slices.Clone(m.samples[from.n : to.n+1])
			m.mu.Unlock()
			return s, true
		}
		wait := time.Until(deadline)
		if m.finished || wait <= 0 {
			var s []Sample
			if len(m.samples) > from.n {
				s = slices.Clone(m.samples[from.n:])
			}
			m.mu.Unlock()
			return s, false
		}
		ch := m.arrived
		m.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
		}
	}
}

// write takes a chunk of dmon's standard output, splits it into lines and
// parses each one, stamped with the time the chunk arrived.
func (m *Monitor) write(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at := time.Now()
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if m.discard || len(m.partial)+len(b) > maxLine {
				m.partial, m.discard = m.partial[:0], true
			} else {
				m.partial = append(m.partial, b...)
			}
			return
		}
		chunk := b[:i]
		b = b[i+1:]
		if m.discard || len(m.partial)+len(chunk) > maxLine {
			m.partial, m.discard = m.partial[:0], false
			m.skip("(over-long line)")
			continue
		}
		line := string(m.partial) + string(chunk)
		m.partial = m.partial[:0]
		m.lines++
		m.line(line, at, true)
	}
}

// line handles one line; m.mu is held. countSkip false drops a line that
// is not a sample without counting it.
func (m *Monitor) line(text string, at time.Time, countSkip bool) {
	s, kind := m.p.parse(text, at)
	switch kind {
	case lineSample:
		m.samples = append(m.samples, s)
		m.lastAt = at
		close(m.arrived)
		m.arrived = make(chan struct{})
	case lineSkipped:
		if countSkip {
			m.skip(text)
		}
	}
}

// skip counts a skipped line and keeps it for error messages; m.mu is held.
func (m *Monitor) skip(text string) {
	m.skipped++
	if text = strings.TrimSpace(text); text != "" {
		if len(m.lastBad) == keepSkipped {
			m.lastBad = slices.Delete(m.lastBad, 0, 1)
		}
		m.lastBad = append(m.lastBad, abbrev.String(text, 100))
	}
}

// finish records how dmon ended; it runs once, after Wait.
func (m *Monitor) finish(ctx context.Context, waitErr error, state *os.ProcessState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.partial) > 0 && !m.discard {
		// A last line without a newline arrives at EOF. When dmon exits on
		// our interrupt, that is the start of a line cut short (on driver
		// 580, "    0": the gpu column of the next sample), not malformed
		// output, so it is not counted as skipped.
		m.line(string(m.partial), time.Now(), !m.stopping)
	}
	m.partial = nil
	m.finished = true
	defer close(m.arrived)
	if m.watch != nil {
		m.watch.Stop()
	}
	if m.killer != nil {
		m.killer.Stop()
	}

	var exitErr *exec.ExitError
	switch {
	case m.stalled, m.kill:
		// m.err says what dmon did, or the caller gave up on dmon: how it
		// then ended adds nothing.
	case m.stopping && (m.killed || killed(state)):
		m.stopErr = fmt.Errorf("gpumon: stop nvidia-smi dmon -i %s: no exit within %v of an interrupt, killed", m.gpu, m.stopTimeout)
	case m.stopping:
		// After the interrupt Wait reports the cancelled context or the
		// exit status; neither is a failure. Anything else (pipes held open
		// past WaitDelay) is.
		if waitErr != nil && !errors.Is(waitErr, context.Canceled) && !errors.As(waitErr, &exitErr) {
			m.stopErr = fmt.Errorf("gpumon: stop nvidia-smi dmon -i %s: %w", m.gpu, waitErr)
		} else if len(m.samples) == 0 && time.Since(m.started) > m.sampleTimeout/2 {
			// Stopped before the stall was declared, but long enough to have
			// had a sample: an empty GPU column needs a reason.
			m.stopErr = m.noSample(time.Since(m.started).Round(100 * time.Millisecond))
		}
	case ctx.Err() != nil:
		m.err = fmt.Errorf("gpumon: nvidia-smi dmon -i %s stopped: %w", m.gpu, context.Cause(ctx))
	default:
		cause := waitErr
		if cause == nil {
			cause = errors.New("exit status 0")
		}
		m.err = fmt.Errorf("gpumon: nvidia-smi dmon -i %s exited early: %w", m.gpu, cause)
		if msg := m.message(); msg != "" {
			m.err = fmt.Errorf("%w: %s", m.err, msg)
		}
	}
}

// checkStall runs SampleTimeout after dmon started and after each check:
// if no sample arrived in the last SampleTimeout, it records what dmon did
// instead and stops dmon; else it looks again when the timeout would next
// expire.
func (m *Monitor) checkStall() {
	m.mu.Lock()
	if m.finished || m.stopping || m.err != nil {
		m.mu.Unlock()
		return
	}
	since := m.started
	if !m.lastAt.IsZero() {
		since = m.lastAt
	}
	if left := m.sampleTimeout - time.Since(since); left > 0 {
		m.watch.Reset(left)
		m.mu.Unlock()
		return
	}
	m.stalled = true
	if len(m.samples) == 0 {
		m.err = m.noSample(m.sampleTimeout)
	} else {
		m.err = fmt.Errorf("gpumon: nvidia-smi dmon -i %s printed no sample for %v after %s (the last at %s); it seems hung (a wedged driver can hang nvidia-smi), so GPU figures stop here",
			m.gpu, m.sampleTimeout, plural(len(m.samples), "sample", "samples"), m.lastAt.Format("15:04:05"))
	}
	m.mu.Unlock()
	m.cancel()
}

// noSample describes a dmon that printed no readable sample in d: nothing
// at all, a header only, or lines it could not read. m.mu is held.
func (m *Monitor) noSample(d time.Duration) error {
	what := "it printed nothing"
	switch {
	case m.skipped > 0 && len(m.lastBad) > 0:
		what = fmt.Sprintf("it printed only %s that could not be read, such as %q", plural(m.skipped, "line", "lines"), m.lastBad[len(m.lastBad)-1])
	case m.skipped > 0:
		what = fmt.Sprintf("it printed only %s that could not be read", plural(m.skipped, "line", "lines"))
	case m.lines > 0:
		what = fmt.Sprintf("it printed %s of header, no data", plural(m.lines, "line", "lines"))
	}
	if msg := firstLine(m.stderr.String()); msg != "" {
		what += "; on standard error: " + msg
	}
	return fmt.Errorf("gpumon: nvidia-smi dmon -i %s printed no parsable sample in %v: %s. Check that `nvidia-smi dmon -s um -i %s` prints samples on the GPU's host",
		m.gpu, d, what, m.gpu)
}

// message is what dmon printed that was not data: its standard error, and
// the last lines of standard output that were skipped.
func (m *Monitor) message() string {
	var parts []string
	for line := range strings.Lines(m.stderr.String()) {
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, abbrev.String(line, 100))
		}
	}
	if len(parts) > keepSkipped {
		parts = parts[len(parts)-keepSkipped:]
	}
	parts = append(parts, m.lastBad...)
	return strings.Join(parts, "; ")
}

// killed reports whether the process died of SIGKILL: sent by WaitDelay
// when dmon ignored the interrupt.
func killed(state *os.ProcessState) bool {
	if state == nil {
		return false
	}
	ws, ok := state.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	})
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// stdoutWriter feeds dmon's standard output to its Monitor.
type stdoutWriter struct{ m *Monitor }

func (w stdoutWriter) Write(b []byte) (int, error) {
	w.m.write(b)
	return len(b), nil
}

// tailBuffer keeps the last maxStderr bytes written to it. Safe for
// concurrent use.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > maxStderr {
		t.b = slices.Clone(t.b[len(t.b)-maxStderr:])
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
