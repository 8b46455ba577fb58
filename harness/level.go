package harness

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/sttbench/sttbench/internal/hostcpu"
	"github.com/sttbench/sttbench/ttspool"
)

// LevelConfig describes one concurrency level.
type LevelConfig struct {
	// Session is applied to every session of the level.
	Session SessionConfig
	// MaxDialsInFlight bounds concurrent handshakes, so that a handshake
	// storm does not distort the service before streaming starts.
	// Zero means 8.
	MaxDialsInFlight int
	// Progress, when not nil, is updated as sessions change state.
	Progress *Progress
	// Aligned starts every stream at the common origin, so that all the
	// level's frames of a tick leave in one burst: a worst case for the
	// service and for this client. By default session i of n starts
	// i/n of a frame period after the origin, as independent callers do.
	Aligned bool
	// Positions, when set, gives each clip's session its index among the
	// Of sessions of the whole level, of which this call runs some (a
	// shard): its Index and its phase. Nil means clip i is session i of
	// len(clips).
	Positions []int
	Of        int
}

// Phase is the offset of session i of n from the level's origin.
func (c LevelConfig) Phase(i, n int) time.Duration {
	if c.Aligned || n <= 1 {
		return 0
	}
	return time.Duration(int64(c.Session.withDefaults().Frame) * int64(i) / int64(n))
}

// position is the index of clip i's session in the whole level, and the
// level's number of sessions.
func (c LevelConfig) position(i, clips int) (int, int) {
	if c.Positions == nil {
		return i, clips
	}
	return c.Positions[i], c.Of
}

// Validate reports the first invalid field.
func (c LevelConfig) Validate() error {
	if c.MaxDialsInFlight < 0 {
		return fmt.Errorf("level config: max dials in flight %d is negative", c.MaxDialsInFlight)
	}
	return c.Session.Validate()
}

// LevelResult is one run of one concurrency level: a session per clip.
type LevelResult struct {
	// Concurrency is the number of sessions run at once.
	Concurrency int
	// Sessions holds one result per clip, in clip order.
	Sessions []SessionResult
	// Start is the common stream origin; End is when the last session ended.
	Start, End time.Time
	// Host is what the load host did from Start to End.
	Host HostLoad
}

// HostLoad is what the load host itself did while a level streamed. A nil
// figure was not measured (the machine's counters are read on Linux only).
type HostLoad struct {
	// StealPct is the share of all the machine's CPU time, in percent,
	// that its hypervisor gave to other guests: time in which no frame
	// left and no result was stamped.
	StealPct *float64 `json:"steal_pct"`
	// ProcessCPUPct is this process's CPU time as a share of one core, in
	// percent (with -stt-url embedded it includes the service's).
	ProcessCPUPct *float64 `json:"process_cpu_pct"`
}

// HostLoadBetween is the load between two readings.
func HostLoadBetween(a, b hostcpu.Reading) HostLoad {
	var h HostLoad
	if v, ok := hostcpu.StealPct(a, b); ok {
		h.StealPct = &v
	}
	if v, ok := hostcpu.ProcessCPUPct(a, b); ok {
		h.ProcessCPUPct = &v
	}
	return h
}

// RunLevel runs one session per clip at once: it dials all of them first,
// then starts every stream from one common origin. Session failures are
// data in the result; the error is for an invalid configuration only.
// It returns when every session has ended and every connection is closed.
func RunLevel(ctx context.Context, cfg LevelConfig, clips []ttspool.Clip) (LevelResult, error) {
	if err := cfg.Validate(); err != nil {
		return LevelResult{}, err
	}
	if len(clips) == 0 {
		return LevelResult{}, errors.New("run level: no clips to stream")
	}
	if cfg.Positions != nil && (len(cfg.Positions) != len(clips) || cfg.Of < len(clips)) {
		return LevelResult{}, fmt.Errorf("run level: %d positions among %d sessions for %d clips", len(cfg.Positions), cfg.Of, len(clips))
	}
	scfg := cfg.Session.withDefaults()
	maxDials := cfg.MaxDialsInFlight
	if maxDials == 0 {
		maxDials = 8
	}
	prog := cfg.Progress
	if prog == nil {
		prog = &Progress{}
	}
	prog.reset(len(clips))

	results := make([]SessionResult, len(clips))
	for i, c := range clips {
		index, _ := cfg.position(i, len(clips))
		results[i] = SessionResult{Index: index, Reference: c.Text, AudioDuration: c.Duration()}
	}

	streams := prepareAll(clips, scfg)

	// Dial everything first; each worker writes only its own slot.
	conns := make([]*conn, len(clips))
	sources := make([]*frameSource, len(clips))
	sem := make(chan struct{}, maxDials)
	var wg sync.WaitGroup
	for i := range clips {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			prog.add(&prog.Connecting, 1)
			defer prog.add(&prog.Connecting, -1)
			res := &results[i]
			// A session that cannot begin ends here, Errored.
			fail := func(err error, reason, stop string) {
				res.Outcome, res.Err, res.Reason, res.StopReason = Errored, err.Error(), reason, stop
				res.Ended = time.Now()
				prog.add(&prog.Done, 1)
			}
			res.DialStart = time.Now()
			c, err := dialConn(ctx, scfg)
			if err != nil {
				fail(err, err.Error(), "dial error")
				return
			}
			res.Dialed = time.Now()
			src, err := openAudio(*streams[i], res.Index)
			if err != nil {
				c.drop()
				fail(err, audioUnreadable, "audio unreadable")
				return
			}
			conns[i], sources[i] = c, src
		})
	}
	wg.Wait()

	// Every session is set up, its reader reading and its sender waiting,
	// before the origin is taken: setting up thousands takes longer than a
	// frame period, and would make the first frames late. The origin then
	// leaves the released senders time to wake and arm their first timers.
	var ready sync.WaitGroup
	begin := make(chan struct{})
	var origin time.Time
	streaming := 0
	for i, slot := range conns {
		if slot == nil {
			continue
		}
		streaming++
		ready.Add(2) // the reader and the sender
		phase := cfg.Phase(cfg.position(i, len(clips)))
		start := startSignal{ready: ready.Done, at: func() time.Time {
			<-begin
			return origin.Add(phase)
		}}
		wg.Go(func() {
			defer prog.add(&prog.Done, 1)
			stream(ctx, slot, scfg, *streams[i], sources[i], start, &results[i], prog)
			summariseLags(&results[i])
		})
	}
	ready.Wait()
	// Collect the dials' garbage now: a collection while frames are due
	// stops a one-core client for as long as its marking takes (116 ms
	// at 5000 sessions), and this one leaves the next far off.
	runtime.GC()
	before := hostcpu.Read()
	origin = time.Now().Add(startLead(streaming))
	close(begin)
	wg.Wait()
	return LevelResult{Concurrency: len(clips), Sessions: results, Start: origin, End: time.Now(), Host: HostLoadBetween(before, hostcpu.Read())}, nil
}

// startLead is how long after the senders are released the level's origin
// lies: enough for every one of them to wake and arm its first timer before
// any frame is due. 5000 released together took 10.5 ms on one core of a
// 2-core VM; 10 µs each leaves room for a busier host.
func startLead(senders int) time.Duration {
	return time.Millisecond + time.Duration(senders)*10*time.Microsecond
}

// prepareAll lays out each distinct clip once, shared by the sessions that
// play it. Copies of a clip share its samples, so the address of the first
// sample names the clip.
func prepareAll(clips []ttspool.Clip, cfg SessionConfig) []*prepared {
	out := make([]*prepared, len(clips))
	// A clip is named by its first sample's address, or its cache file.
	type audioID struct {
		first *int16
		path  string
	}
	byAudio := map[audioID]*prepared{}
	for i, c := range clips {
		var id audioID
		if path, ok := c.OnDisk(); ok {
			id.path = path
		} else if len(c.PCM) > 0 {
			id.first = &c.PCM[0]
		}
		if p, ok := byAudio[id]; ok && id != (audioID{}) {
			out[i] = p
			continue
		}
		p := prepare(c, cfg)
		out[i] = &p
		if id != (audioID{}) {
			byAudio[id] = &p
		}
	}
	return out
}
