package sttbench

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/sttbench/sttbench/gpumon"
	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/hostcpu"
	"github.com/sttbench/sttbench/internal/stats"
	"github.com/sttbench/sttbench/ttspool"
)

// The load models (-load).
const (
	// LoadRamp runs each -concurrency level in turn, every session of a
	// level starting together (the default).
	LoadRamp = "ramp"
	// LoadSoak keeps -concurrency sessions in flight for -duration, each
	// session that ends replaced at once by a new one.
	LoadSoak = "soak"
	// LoadArrivals starts sessions at the times of a seeded Poisson process
	// of -rate sessions a second for -duration, however many are in flight.
	LoadArrivals = "arrivals"
)

var loadModels = []string{LoadRamp, LoadSoak, LoadArrivals}

// LoadParams is the load model of a run and its parameters, as the run
// record's header carries them. A record without one ran the ramp.
type LoadParams struct {
	Model string `json:"model"`
	// Concurrency is the number of sessions a soak keeps in flight.
	Concurrency int `json:"concurrency,omitempty"`
	// Duration is how long a soak keeps sessions in flight, or how long
	// arrivals are scheduled for.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Rate is the arrivals' mean rate, sessions per second.
	Rate float64 `json:"rate,omitempty"`
	// ArrivalSeed seeds the arrival schedule.
	ArrivalSeed uint64 `json:"arrival_seed,omitempty"`
	// Hosts is, in a report merged from the records of several load hosts
	// each running a share of an arrivals run, their number; Rate is then
	// the sum of theirs. Zero in a record.
	Hosts int `json:"hosts,omitempty"`
}

// open reports whether the model runs sessions on their own schedules
// (soak, arrivals) rather than in levels.
func (p LoadParams) open() bool { return p.Model == LoadSoak || p.Model == LoadArrivals }

// level is the record's level of an open model: the soak's concurrency;
// 0 for arrivals, which have no nominal concurrency (what they reach is
// measured).
func (p LoadParams) level() int {
	if p.Model == LoadSoak {
		return p.Concurrency
	}
	return 0
}

// Name is the sub-benchmark name of an open model: soak/conc=N or
// arrivals/rate=R; empty for the ramp.
func (p LoadParams) Name() string {
	switch p.Model {
	case LoadSoak:
		return "soak/conc=" + strconv.Itoa(p.Concurrency)
	case LoadArrivals:
		return "arrivals/rate=" + strconv.FormatFloat(p.Rate, 'g', -1, 64)
	}
	return ""
}

// roundName names round k of level n of a record of this load model: a
// ramp's "conc=4 round 0", an open model's "minute 0" (its minutes are
// the rounds of its one level).
func (p LoadParams) roundName(n, k int) string {
	if p.open() {
		return fmt.Sprintf("minute %d", k)
	}
	return fmt.Sprintf("conc=%d round %d", n, k)
}

// describe is the load model in words, for the line above its table.
func (p LoadParams) describe() string {
	switch p.Model {
	case LoadSoak:
		return fmt.Sprintf("soak: %d %s kept in flight for %v", p.Concurrency, plural(p.Concurrency, "session"), p.Duration)
	case LoadArrivals:
		unit := "sessions/s"
		if p.Rate == 1 {
			unit = "session/s"
		}
		rate := strconv.FormatFloat(p.Rate, 'g', -1, 64)
		if p.Hosts > 1 {
			return fmt.Sprintf("arrivals: %s %s from %d load hosts (Poisson, each its own -arrival-seed) for %v", rate, unit, p.Hosts, p.Duration)
		}
		return fmt.Sprintf("arrivals: %s %s (Poisson, -arrival-seed %d) for %v", rate, unit, p.ArrivalSeed, p.Duration)
	}
	return "ramp"
}

// soakRetry is the shortest time from the start of one of a soak's
// sessions to the start of the one that replaces it. A session with speech
// lasts longer (its clip and trailing silence), so only sessions that
// failed at once wait.
const soakRetry = time.Second

// maxArrivals bounds the sessions of one arrivals run: about three times
// what one host drives in an hour at 1000 concurrent 10 s sessions.
const maxArrivals = 1_000_000

// parseLoad checks -load, -duration, -rate and -arrival-seed against each
// other and -concurrency (levels, already parsed; nil when invalid). For
// arrivals it makes the run's one level 0.
func parseLoad(value func(string) string, c *Config, bad func(name, msg string)) {
	p := LoadParams{Model: strings.TrimSpace(value("load"))}
	dur, rate := strings.TrimSpace(value("duration")), strings.TrimSpace(value("rate"))
	seed, err := strconv.ParseUint(strings.TrimSpace(value("arrival-seed")), 10, 64)
	if err != nil {
		bad("arrival-seed", "must be an integer >= 0")
	}
	p.ArrivalSeed = seed
	// Outside arrivals a seed schedules nothing: refused, not ignored (a
	// seed that does not parse is refused as such above).
	seedGiven := err == nil && strings.TrimSpace(value("arrival-seed")) != builtinDefault("arrival-seed")
	switch p.Model {
	case LoadRamp:
		if dur != "" {
			bad("duration", "applies to -load soak and -load arrivals only; the ramp runs each -concurrency level (drop -duration, or add -load soak)")
		}
		if rate != "" {
			bad("rate", "applies to -load arrivals only (drop -rate, or add -load arrivals)")
		}
		if seedGiven {
			bad("arrival-seed", "applies to -load arrivals only (drop -arrival-seed)")
		}
	case LoadSoak, LoadArrivals:
		d, err := time.ParseDuration(dur)
		switch {
		case dur == "":
			bad("duration", "required with -load "+p.Model+": how long to run it, e.g. 10m")
		case err != nil:
			bad("duration", "not a duration; write e.g. 10m or 90s")
		case d <= 0:
			bad("duration", "must be positive")
		}
		p.Duration = d
	default:
		bad("load", "unknown load model; valid: "+strings.Join(loadModels, ", "))
	}
	switch p.Model {
	case LoadSoak:
		if rate != "" {
			bad("rate", "applies to -load arrivals only; a soak keeps -concurrency sessions in flight (drop -rate)")
		}
		if seedGiven {
			bad("arrival-seed", "applies to -load arrivals only; a soak starts each session as the one before ends (drop -arrival-seed)")
		}
		if c.Levels != nil && len(c.Levels) != 1 {
			bad("concurrency", "-load soak keeps one number of sessions in flight: give exactly one value, e.g. -concurrency 20")
		} else if len(c.Levels) == 1 {
			p.Concurrency = c.Levels[0]
		}
	case LoadArrivals:
		r, err := strconv.ParseFloat(rate, 64)
		switch {
		case rate == "":
			bad("rate", "required with -load arrivals: mean session arrivals per second, e.g. 2 or 0.5")
		case err != nil || math.IsNaN(r) || math.IsInf(r, 0):
			bad("rate", "not a number; write sessions per second, e.g. 2 or 0.5")
		case r <= 0:
			bad("rate", "must be positive (sessions per second)")
		}
		// The schedule is built before the run: refuse one no host could run
		// rather than exhaust its memory building it.
		if n := r * p.Duration.Seconds(); n > maxArrivals {
			bad("rate", fmt.Sprintf("-rate %s for -duration %s schedules about %.3g sessions, more than the %d one run can hold; lower -rate or -duration, or run several load hosts, each at a share of the rate with its own -arrival-seed", rate, dur, n, maxArrivals))
		}
		if strings.TrimSpace(value("concurrency")) != builtinDefault("concurrency") {
			bad("concurrency", "-load arrivals has no concurrency levels: -rate sets the load, and the concurrency it reaches is measured (drop -concurrency)")
		}
		p.Rate = r
		c.Levels = []int{0}
	}
	c.Load = p
}

// CheckLoadBench checks go test's flags for an open load model: it runs
// once for its -duration, so -count and -benchtime must not ask for more.
// fs is the flag set holding go test's flags (flag.CommandLine).
func CheckLoadBench(cfg Config, fs *flag.FlagSet) error {
	get := func(name string) string {
		if f := fs.Lookup(name); f != nil {
			return f.Value.String()
		}
		return ""
	}
	if !cfg.Load.open() || get("test.bench") == "" {
		return nil
	}
	if c := get("test.count"); c != "" && c != "1" {
		return fmt.Errorf("-load %s runs once, for -duration: pass -count 1 (not %s); its minutes are its rounds", cfg.Load.Model, c)
	}
	bt := get("test.benchtime")
	if n, ok := strings.CutSuffix(bt, "x"); ok {
		if n != "1" {
			return fmt.Errorf("-load %s runs once, for -duration: pass -benchtime 1x (not %s)", cfg.Load.Model, bt)
		}
	} else if d, err := time.ParseDuration(bt); err == nil && d > cfg.Load.Duration {
		return fmt.Errorf("-load %s runs once, for -duration %v: pass -benchtime 1x (-benchtime %s would ask for more)", cfg.Load.Model, cfg.Load.Duration, bt)
	}
	return nil
}

// ArrivalSchedule is the arrival times, from the origin, of a Poisson
// process of rate sessions a second over [0, d): exponential gaps of mean
// 1/rate drawn by inverse transform from a PCG generator seeded with seed,
// so the same seed, rate and duration give the same schedule everywhere.
func ArrivalSchedule(rate float64, d time.Duration, seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var out []time.Duration
	t := 0.0
	for rate > 0 {
		u := float64(rng.Uint64()>>11) / (1 << 53) // uniform in [0, 1)
		t += -math.Log1p(-u) / rate
		at := time.Duration(t * float64(time.Second))
		if at >= d {
			break
		}
		out = append(out, at)
	}
	return out
}

// Soak keeps the -concurrency sessions in flight for -duration and returns
// the total row; see Load.
func (r *Run) Soak(ctx context.Context, opt LevelOptions) (LoadRow, error) {
	if r.Config.Load.Model != LoadSoak {
		return LoadRow{}, fmt.Errorf("soak: the run's -load is %q", r.Config.Load.Model)
	}
	return r.Load(ctx, opt)
}

// Arrivals starts sessions on the seeded arrival schedule for -duration
// and returns the total row; see Load.
func (r *Run) Arrivals(ctx context.Context, opt LevelOptions) (LoadRow, error) {
	if r.Config.Load.Model != LoadArrivals {
		return LoadRow{}, fmt.Errorf("arrivals: the run's -load is %q", r.Config.Load.Model)
	}
	return r.Load(ctx, opt)
}

// Load runs the run's open load model (soak or arrivals) once, for its
// duration, from -start-at when it is set. Session k speaks clip k,
// cycling through the texts. Each session is a harness.RunSession on its
// own schedule; the sessions that started in one minute of the run make
// one round of the run's level, recorded as soon as every one of them has
// ended. The sessions started before the duration ran out are waited for.
// It returns the row of the whole run. An interrupted run keeps the
// minutes completed before the interrupt and returns an error. opt.More is
// not used: the model runs once, for its duration.
func (r *Run) Load(ctx context.Context, opt LevelOptions) (row LoadRow, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.gpu.stop()
			panic(p)
		}
	}()
	p := r.Config.Load
	if !p.open() {
		return LoadRow{}, errors.New("load: the run's -load is ramp; run its levels with Level or Ramp")
	}
	if err := r.Setup(); err != nil {
		return LoadRow{}, err
	}
	r.mu.Lock()
	ran := r.loadRan
	r.loadRan = true
	r.mu.Unlock()
	if ran {
		return LoadRow{}, fmt.Errorf("-load %s runs once per run, for -duration (-count and -benchtime Nx do not repeat it)", p.Model)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.ctx, cancel)()
	if r.Config.StartAt.IsZero() {
		r.pause(ctx)
	} else if err := r.startAtAhead("preparing the audio"); err != nil {
		return LoadRow{}, err
	}

	var prog harness.Progress
	rctx, stopRender := context.WithCancel(ctx)
	rendered := make(chan struct{})
	go func() {
		defer close(rendered)
		if r.Progress != nil {
			prog.Render(rctx, r.Progress, p.Name()+":", opt.Resume, 250*time.Millisecond)
		}
	}()
	defer func() { stopRender(); <-rendered }()

	var schedule []time.Duration
	lead := time.Duration(0)
	if p.Model == LoadArrivals {
		schedule = ArrivalSchedule(p.Rate, p.Duration, p.ArrivalSeed)
		if err := checkFileLimit(arrivalsPeak(p.Rate, schedule, r.sessionLifetime()), isEmbedded(r.Config.STTURL)); err != nil {
			return LoadRow{}, err
		}
		// Each session is handed its start this far ahead, so that
		// starting it never makes it late.
		lead = 100 * time.Millisecond
	}
	// Under -start-at the run begins then, so that load hosts each running
	// a share of the load run together; else at once.
	origin := time.Now().Add(lead)
	if at := r.Config.StartAt; !at.IsZero() {
		sleepUntil(ctx, at.Add(-lead))
		if origin = time.Now().Add(lead); origin.Before(at) {
			origin = at
		}
	}
	minute := cmp.Or(r.loadMinute, time.Minute)
	l := &openLoad{origin: origin.Round(0), minute: minute,
		minutes: int((p.Duration + minute - 1) / minute), pending: map[int]time.Time{}, scheduled: len(schedule)}
	l.end = l.origin.Add(p.Duration)
	cfg := r.sessionConfig()
	clip := func(k int) ttspool.Clip { return r.clips[k%len(r.clips)] }
	var wg sync.WaitGroup
	switch p.Model {
	case LoadSoak:
		for range p.Concurrency {
			wg.Go(func() {
				for {
					k, ok := l.launch(ctx, true)
					if !ok {
						return
					}
					began := time.Now()
					l.finish(k, harness.RunSessionProgress(ctx, cfg, clip(k), k, began, &prog))
					// A session that failed at once (the service is down or
					// refuses connections) is replaced no sooner than
					// soakRetry after it began: a service down for a minute
					// then costs a failed session a second for each one kept
					// in flight, not tens of thousands of dials.
					sleepUntil(ctx, began.Add(soakRetry))
				}
			})
		}
	case LoadArrivals:
		wg.Go(func() {
			t := stoppedTimer()
			defer t.Stop()
			for _, off := range schedule {
				at := l.origin.Add(off)
				t.Reset(time.Until(at.Add(-lead)))
				select {
				case <-t.C:
				case <-ctx.Done():
					return
				}
				k, ok := l.launch(ctx, false)
				if !ok {
					return
				}
				wg.Go(func() { l.finish(k, harness.RunSessionProgress(ctx, cfg, clip(k), k, at, &prog)) })
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	level := p.level()
	// The GPU and the load host are read at each minute's end, as it passes.
	marks, hosts := []gpumon.Mark{r.gpu.mark()}, []hostcpu.Reading{hostcpu.Read()}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var rounds []Round
	for len(rounds) < l.minutes && ctx.Err() == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			continue
		}
		now := time.Now()
		for len(marks) < l.minutes && !now.Before(l.windowEnd(len(marks)-1)) {
			marks, hosts = append(marks, r.gpu.mark()), append(hosts, hostcpu.Read())
		}
		for m := len(rounds); m < l.minutes && l.ready(m, now) && ctx.Err() == nil; m = len(rounds) {
			to, host := r.gpu.mark(), hostcpu.Read()
			if m+1 < len(marks) {
				to, host = marks[m+1], hosts[m+1]
			}
			round := Round{Level: harness.LevelResult{Concurrency: level, Sessions: l.sessionsOf(m),
				Start: l.origin, End: l.windowEnd(m), Host: harness.HostLoadBetween(hosts[m], host)}, GPU: r.gpu.between(marks[m], to)}
			r.keep(level, []Round{round})
			rounds = append(rounds, round)
		}
	}
	cancel()
	<-allDone
	stopRender()
	<-rendered
	r.mu.Lock()
	r.lastEnd = time.Now()
	r.mu.Unlock()
	if len(rounds) < l.minutes {
		if len(rounds) == 0 {
			return LoadRow{}, fmt.Errorf("interrupted during -load %s before its first minute completed; nothing is kept", p.Model)
		}
		err = fmt.Errorf("interrupted during -load %s after %d of %d minute(s); the minute under way is left out", p.Model, len(rounds), l.minutes)
	}
	rows := loadRows(level, rounds)
	return rows[len(rows)-1], err
}

// openLoad tracks the sessions of an open load model: when each was
// launched, which are still running, and their results.
type openLoad struct {
	origin, end time.Time
	// minute is the length of a row (a minute, shorter in tests); the
	// duration makes minutes of them, the last one possibly shorter.
	minute  time.Duration
	minutes int

	// scheduled is the number of arrivals the schedule launches; 0 for a
	// soak, whose launches stop at the end.
	scheduled int

	mu       sync.Mutex
	launched int
	pending  map[int]time.Time // launch time of the sessions running
	done     []harness.SessionResult
}

// launch numbers a new session, unless ctx has ended or, for a soak
// (untilEnd), the duration has run out.
func (l *openLoad) launch(ctx context.Context, untilEnd bool) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if ctx.Err() != nil || (untilEnd && !now.Before(l.end)) {
		return 0, false
	}
	k := l.launched
	l.launched++
	l.pending[k] = now
	return k, true
}

func (l *openLoad) finish(k int, res harness.SessionResult) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pending, k)
	if !res.DialStart.IsZero() { // a session that never began is no data
		l.done = append(l.done, canonical(res))
	}
}

// windowEnd is the end of minute m: a minute later, or the end of the
// duration.
func (l *openLoad) windowEnd(m int) time.Time {
	e := l.origin.Add(time.Duration(m+1) * l.minute)
	if e.After(l.end) {
		return l.end
	}
	return e
}

// ready reports whether every session that may start in minute m has
// ended: the minute is over and no session launched before its end still
// runs (a session starts after its launch). The last minute also holds
// the arrivals a lagging launcher starts after the end, so it waits for
// every scheduled one to be launched and to end.
func (l *openLoad) ready(m int, now time.Time) bool {
	e := l.windowEnd(m)
	if now.Before(e) {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if m == l.minutes-1 && (l.launched < l.scheduled || len(l.pending) > 0) {
		return false
	}
	for _, at := range l.pending {
		if at.Before(e) {
			return false
		}
	}
	return true
}

// minuteOf is the minute of the run in which t falls; a session that
// began after the duration ran out counts in the last minute.
func (l *openLoad) minuteOf(t time.Time) int {
	return min(max(int(t.Sub(l.origin)/l.minute), 0), l.minutes-1)
}

// sessionsOf returns the sessions that started in minute m, by number.
func (l *openLoad) sessionsOf(m int) []harness.SessionResult {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []harness.SessionResult
	for _, s := range l.done {
		if l.minuteOf(s.DialStart) == m {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b harness.SessionResult) int { return a.Index - b.Index })
	return out
}

// clipsNeeded is how many clips the run prepares: one per session of its
// largest level; for an open model every reference text (sessions cycle
// through them), and at least one per session a soak keeps in flight.
// Recordings are counted once they are listed (prepareRecordings).
func (r *Run) clipsNeeded() int {
	if r.Config.Load.open() {
		if all, err := LoadTexts(r.Config.Texts); err == nil {
			return max(len(all), r.Config.Load.Concurrency, 1)
		}
	}
	return maxLevel(r.Config.Levels)
}

// sessionLifetime is the longest one of this run's sessions may last.
func (r *Run) sessionLifetime() time.Duration {
	longest := time.Duration(0)
	for _, c := range r.clips {
		longest = max(longest, c.Duration())
	}
	return r.sessionBound(longest)
}

// rampOnly refuses levels in a run of an open load model.
func (r *Run) rampOnly() error {
	if r.Config.Load.open() {
		return fmt.Errorf("-load %s runs with Run.Load, not in levels (TestGate and the ramp need -load ramp)", r.Config.Load.Model)
	}
	return nil
}

// LoadRow is one line of an open model's table and CSV: the sessions that
// started in one minute of the run, or (Minute "total") in all of it. Row's
// Concurrency is the run's level: the soak's concurrency, 0 for arrivals.
type LoadRow struct {
	Row
	// Minute is the minute of the run, from 0, or "total".
	Minute string `csv:"minute"`
	// InFlightMax and InFlightMean are the sessions in flight (from their
	// dial start to their end, every session of the run counted) over the
	// minute's window, or over the whole duration.
	InFlightMax  Float `csv:"in_flight_max"`
	InFlightMean Float `csv:"in_flight_mean"`
	// StartLateMaxMs and StartLateP95Ms are how long after their scheduled
	// start the row's sessions began (DialStart - Scheduled).
	StartLateMaxMs Float `csv:"start_late_max_ms"`
	StartLateP95Ms Float `csv:"start_late_p95_ms"`
}

// BenchRow is the row as the benchmark reports it: counts for the whole
// run, not per minute.
func (lr LoadRow) BenchRow() Row {
	row := lr.Row
	row.Rounds = 1
	return row
}

// Metric units of an open model, beside the level's.
const (
	unitInFlightMax  = "in-flight-max"
	unitInFlightMean = "in-flight-mean"
	unitStartLateMax = "start-late-max-sec"
)

// ReportLoadMetrics publishes what only an open model measures: the
// concurrency reached and how late sessions began.
func ReportLoadMetrics(b interface{ ReportMetric(float64, string) }, lr LoadRow) {
	for _, m := range []struct {
		v    Float
		unit string
	}{
		{lr.InFlightMax, unitInFlightMax}, {lr.InFlightMean, unitInFlightMean},
		{lr.StartLateMaxMs / 1000, unitStartLateMax},
	} {
		if m.v.Valid() {
			b.ReportMetric(float64(m.v), m.unit)
		}
	}
}

// loadRows is the rows of an open model's rounds, one per minute (round m
// is minute m), then the total. The run's origin is the rounds' Start; a
// minute's window runs from the end of the one before (the origin for
// the first) to its round's End.
func loadRows(level int, rounds []Round) []LoadRow {
	if len(rounds) == 0 {
		return nil
	}
	origin := rounds[0].Level.Start
	var all []harness.SessionResult
	for _, rd := range rounds {
		all = append(all, rd.Level.Sessions...)
	}
	rows := make([]LoadRow, 0, len(rounds)+1)
	from := origin
	for m, rd := range rounds {
		row := loadRow(LevelRow(level, rounds[m:m+1]), strconv.Itoa(m), rd.Level.Sessions, all, from, rd.Level.End)
		rows = append(rows, row)
		from = rd.Level.End
	}
	return append(rows, loadRow(LevelRow(level, rounds), "total", all, all, origin, rounds[len(rounds)-1].Level.End))
}

func loadRow(row Row, label string, own, all []harness.SessionResult, from, to time.Time) LoadRow {
	lr := LoadRow{Row: row, Minute: label, InFlightMax: None, InFlightMean: None, StartLateMaxMs: None, StartLateP95Ms: None}
	if hi, mean, ok := inFlight(all, from, to); ok {
		lr.InFlightMax, lr.InFlightMean = Float(hi), Float(mean)
	}
	var late []float64
	for _, s := range own {
		if !s.Scheduled.IsZero() && !s.DialStart.IsZero() {
			late = append(late, ms(s.DialStart.Sub(s.Scheduled)))
		}
	}
	if len(late) > 0 {
		lr.StartLateMaxMs, lr.StartLateP95Ms = Float(stats.Max(late)), Float(stats.Percentile(late, 95))
	}
	return lr
}

// inFlight is the most and the time-weighted mean number of sessions in
// flight over [from, to): a session is in flight from its DialStart to its
// Ended. An end and a start at the same instant do not overlap.
func inFlight(sessions []harness.SessionResult, from, to time.Time) (most int, mean float64, ok bool) {
	if !to.After(from) {
		return 0, 0, false
	}
	type event struct {
		at    time.Time
		delta int
	}
	var events []event
	n := 0
	for _, s := range sessions {
		start, end := s.DialStart, s.Ended
		if start.IsZero() || end.IsZero() || !end.After(from) || !start.Before(to) {
			continue
		}
		if !start.After(from) {
			n++ // in flight at from
		} else {
			events = append(events, event{start, 1})
		}
		if end.Before(to) {
			events = append(events, event{end, -1})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // ends first
	})
	most, last, area := n, from, 0.0
	for _, e := range events {
		area += float64(n) * e.at.Sub(last).Seconds()
		n += e.delta
		most = max(most, n)
		last = e.at
	}
	area += float64(n) * to.Sub(last).Seconds()
	return most, area / to.Sub(from).Seconds(), true
}

// RunReport is what a run's report wrote: the rows of its levels, or the
// minute rows of an open load model.
type RunReport struct {
	Rows     []Row
	LoadRows []LoadRow
}

// WriteCSVFile writes the report's CSV to path: the levels' columns, and
// for an open model the minute's columns after them.
func (rr RunReport) WriteCSVFile(path string) error {
	if rr.LoadRows == nil {
		return WriteCSVFile(path, rr.Rows)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { return WriteLoadCSV(w, rr.LoadRows) }); err != nil {
		return fmt.Errorf("write CSV %s: %w", path, err)
	}
	return nil
}

// WriteLoadCSV writes an open model's rows with a header line.
func WriteLoadCSV(w io.Writer, rows []LoadRow) error {
	if err := gocsv.Marshal(rows, w); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// ReportRun prints the table and notes of a run made with load: Report's
// table of levels for the ramp; for soak and arrivals one row per minute of
// the run (its sessions grouped by the minute they started in) and a total,
// with the concurrency reached and how late sessions began.
func ReportRun(w io.Writer, load LoadParams, levels []int, byLevel map[int][]Round) (RunReport, error) {
	if !load.open() {
		rows, err := Report(w, levels, byLevel)
		return RunReport{Rows: rows}, err
	}
	if len(levels) != 1 {
		return RunReport{}, fmt.Errorf("-load %s: the record holds levels %v, a run of it one", load.Model, levels)
	}
	level := levels[0]
	rows := loadRows(level, byLevel[level])
	fmt.Fprintf(w, "%s (sessions by the minute they started in)\n", load.describe())
	if err := WriteLoadTable(w, rows); err != nil {
		return RunReport{LoadRows: rows}, err
	}
	results := make([]harness.LevelResult, len(byLevel[level]))
	for i, rd := range byLevel[level] {
		results[i] = rd.Level
	}
	sum := Summarize(level, results)
	var notes bytes.Buffer
	WriteNotes(&notes, []LevelSummary{sum})
	prefix, label := fmt.Sprintf("conc=%d: ", level), load.Model+": "
	for _, line := range strings.SplitAfter(notes.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			line = label + rest
		}
		io.WriteString(w, line)
	}
	// The run's own frame (-frame), as a level's saturation is judged.
	if total := rows[len(rows)-1]; load.Model == LoadArrivals && total.StartLateMaxMs.Valid() && float64(total.StartLateMaxMs) > ms(sum.Frame) {
		fmt.Fprintf(w, "%s: sessions began up to %.0f ms after their scheduled arrival (more than one %v frame): "+
			"this client fell behind its schedule; use fewer sessions per client machine\n", load.Model, float64(total.StartLateMaxMs), sum.Frame)
	}
	return RunReport{LoadRows: rows}, nil
}

// WriteLoadTable prints an open model's table: per minute and in total,
// the sessions started, the sessions in flight (most and mean), the
// latest start, then the level table's figures.
func WriteLoadTable(w io.Writer, rows []LoadRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	io.WriteString(tw, "Minute\tSessions\tIn flight max\tIn flight mean\tStart late max\tEOS p50\tEOS p95\tEOS mean\tAudio Dur\tWER%\tGPU%p95\tGPU%mean\tVRAM peak\tVRAM mean\tLeak\tIncomplete\tFail\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d/%d\t\n",
			r.Minute, r.Total, r.InFlightMax.format("%.0f"), r.InFlightMean.format("%.2f"),
			(r.StartLateMaxMs / 1000).format("%.3fs"),
			r.EOSP50.format("%.3fs"), r.EOSP95.format("%.3fs"), r.EOSMean.format("%.3fs"),
			r.AudioDuration.format("%.2fs"), r.WER.format("%.2f"),
			r.GPUUtilP95.format("%.0f"), r.GPUUtilMean.format("%.1f"),
			r.VRAMPeak.format("%.0f MiB"), r.VRAMMean.format("%.0f MiB"),
			r.Leaks, r.Incomplete, r.Cancelled, r.Total)
	}
	return tw.Flush()
}

// sameLoad refuses to merge records of different load models: their rounds
// mean different things.
func sameLoad(a, b LoadParams) error {
	if a.Model == "" {
		a.Model = LoadRamp
	}
	if b.Model == "" {
		b.Model = LoadRamp
	}
	// Only arrivals use their seed; and arrivals split over load hosts
	// run a share of the rate each, with a seed of their own.
	na, nb := a, b
	na.ArrivalSeed, nb.ArrivalSeed = 0, 0
	if a.Model == LoadArrivals && b.Model == LoadArrivals {
		na.Rate, nb.Rate = 0, 0
	}
	if na != nb {
		return fmt.Errorf("ran %s, record 1 ran %s: only records of one run merge", a.describe(), b.describe())
	}
	return nil
}

// mergeArrivals is the load of arrivals records merged from several load
// hosts, each of which ran a share of the rate: their rates add up. Two
// hosts with one seed ran one schedule, so their sessions arrived together
// rather than as one Poisson process; the warnings say so.
func mergeArrivals(recs []*Record) (LoadParams, []string) {
	out := recs[0].Header.Load
	out.Rate, out.Hosts = 0, len(recs)
	var warnings []string
	bySeed := map[uint64]int{}
	for i, r := range recs {
		out.Rate += r.Header.Load.Rate
		seed := r.Header.Load.ArrivalSeed
		if j, ok := bySeed[seed]; ok {
			warnings = append(warnings, fmt.Sprintf("records %d and %d ran the same arrival schedule (-arrival-seed %d): their sessions arrived in step, not as one Poisson process of the summed rate; give each load host its own -arrival-seed", j+1, i+1, seed))
			continue
		}
		bySeed[seed] = i
	}
	return out, warnings
}

// sleepUntil waits until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) {
	wait := time.Until(t)
	if wait <= 0 {
		return
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// stoppedTimer is a timer that has not fired, ready for Reset.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}
