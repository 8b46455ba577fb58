package sttbench

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/wer"
)

func TestLoadFlagsAreCheckedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	base := map[string]string{"stt-url": "embedded", "tts-url": "embedded"}
	parse := func(over map[string]string) (Config, error) {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range over {
			m[k] = v
		}
		return ParseConfig(values(m))
	}
	for _, tt := range []struct {
		name string
		over map[string]string
		want []string
	}{
		{"unknown model", map[string]string{"load": "burst"}, []string{"-load", `"burst"`, "STTBENCH_LOAD", "valid: ramp, soak, arrivals"}},
		{"soak without duration", map[string]string{"load": "soak", "concurrency": "4"}, []string{"-duration", "required with -load soak", "STTBENCH_DURATION"}},
		{"soak with zero duration", map[string]string{"load": "soak", "concurrency": "4", "duration": "0s"}, []string{"-duration", "must be positive"}},
		{"soak with a bad duration", map[string]string{"load": "soak", "concurrency": "4", "duration": "ten"}, []string{"-duration", "not a duration"}},
		{"soak with two levels", map[string]string{"load": "soak", "concurrency": "4,8", "duration": "1m"}, []string{"-concurrency", "exactly one value"}},
		{"soak with a rate", map[string]string{"load": "soak", "concurrency": "4", "duration": "1m", "rate": "2"}, []string{"-rate", "arrivals only"}},
		{"arrivals without rate", map[string]string{"load": "arrivals", "duration": "1m"}, []string{"-rate", "required with -load arrivals", "STTBENCH_RATE"}},
		{"arrivals with zero rate", map[string]string{"load": "arrivals", "duration": "1m", "rate": "0"}, []string{"-rate", "must be positive"}},
		{"arrivals with a bad rate", map[string]string{"load": "arrivals", "duration": "1m", "rate": "fast"}, []string{"-rate", "not a number"}},
		{"arrivals with a negative duration", map[string]string{"load": "arrivals", "duration": "-1m", "rate": "1"}, []string{"-duration", "must be positive"}},
		{"ramp with a duration", map[string]string{"duration": "1m"}, []string{"-duration", "soak and -load arrivals only"}},
		{"ramp with a rate", map[string]string{"rate": "1"}, []string{"-rate", "arrivals only"}},
		{"arrivals past what a run holds", map[string]string{"load": "arrivals", "duration": "10s", "rate": "1e9"}, []string{"-rate", "1e9", "more than the 1000000 one run can hold", "lower -rate or -duration"}},
		{"a capacity search with a soak", map[string]string{"load": "soak", "concurrency": "4", "duration": "1m", "slo": "wer<=5", "search": "1..8"}, []string{"-slo", "-search", "probes -load ramp levels, not -load soak"}},
		{"a capacity search with arrivals", map[string]string{"load": "arrivals", "duration": "1m", "rate": "1", "slo": "wer<=5", "search": "1..8"}, []string{"-search", "not -load arrivals"}},
		{"arrivals with levels", map[string]string{"load": "arrivals", "duration": "1m", "rate": "1", "concurrency": "8"}, []string{"-concurrency", `"8"`, "-rate sets the load", "drop -concurrency"}},
		{"a soak with a slot", map[string]string{"load": "soak", "concurrency": "4", "duration": "1m", "start-at": "2030-01-02T15:04:05Z", "slot": "90s"}, []string{"-slot", "STTBENCH_SLOT", "runs once, for -duration, from -start-at", "drop -slot"}},
		{"a soak with an arrival seed", map[string]string{"load": "soak", "concurrency": "4", "duration": "1m", "arrival-seed": "7"}, []string{"-arrival-seed", `"7"`, "STTBENCH_ARRIVAL_SEED", "arrivals only", "drop -arrival-seed"}},
		{"ramp with an arrival seed", map[string]string{"arrival-seed": "7"}, []string{"-arrival-seed", "arrivals only"}},
		{"a probe with a soak", map[string]string{"load": "soak", "concurrency": "4", "duration": "1m", "probe": "true"}, []string{"-probe", "runs one session on its own", "drop -load soak"}},
		{"bad arrival seed", map[string]string{"load": "arrivals", "duration": "1m", "rate": "1", "arrival-seed": "-3"}, []string{"-arrival-seed", "integer >= 0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.over)
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	c, err := parse(map[string]string{"load": "soak", "concurrency": "6", "duration": "90s"})
	require.NoError(t, err)
	assert.Equal(t, LoadParams{Model: LoadSoak, Concurrency: 6, Duration: 90 * time.Second, ArrivalSeed: 1}, c.Load)
	assert.Equal(t, "soak/conc=6", c.Load.Name())
	assert.Equal(t, "minute 2", c.Load.roundName(6, 2), "an open model's rounds are its minutes")
	assert.Equal(t, "conc=6 round 2", LoadParams{Model: LoadRamp}.roundName(6, 2))
	assert.Equal(t, "soak: 1 session kept in flight for 1m0s", LoadParams{Model: LoadSoak, Concurrency: 1, Duration: time.Minute}.describe())
	assert.Equal(t, "arrivals: 1 session/s (Poisson, -arrival-seed 1) for 1m0s", LoadParams{Model: LoadArrivals, Rate: 1, ArrivalSeed: 1, Duration: time.Minute}.describe())
	assert.Equal(t, "90s", c.Flags["duration"], "the record's header holds the flag")
	c, err = parse(map[string]string{"load": "arrivals", "duration": "2m", "rate": "0.5", "arrival-seed": "9"})
	require.NoError(t, err)
	assert.Equal(t, LoadParams{Model: LoadArrivals, Duration: 2 * time.Minute, Rate: 0.5, ArrivalSeed: 9}, c.Load)
	assert.Equal(t, []int{0}, c.Levels, "arrivals are one level, 0")
	assert.Equal(t, "arrivals/rate=0.5", c.Load.Name())
	c, err = parse(nil)
	require.NoError(t, err)
	assert.Equal(t, LoadRamp, c.Load.Model)
	assert.Empty(t, c.Load.Name())
}

func TestLoadRunsOnceForTheBenchmark(t *testing.T) {
	t.Parallel()
	soak := Config{Load: LoadParams{Model: LoadSoak, Concurrency: 2, Duration: 30 * time.Second}}
	fs := func(bench, count, benchtime string) *flag.FlagSet {
		f := flag.NewFlagSet("t", flag.ContinueOnError)
		f.String("test.bench", bench, "")
		f.String("test.count", count, "")
		f.String("test.benchtime", benchtime, "")
		return f
	}
	assert.NoError(t, CheckLoadBench(soak, fs(".", "1", "1x")))
	assert.NoError(t, CheckLoadBench(soak, fs(".", "1", "1s")))
	assert.NoError(t, CheckLoadBench(soak, fs("", "5", "5x")), "no benchmark run: nothing to check")
	assert.NoError(t, CheckLoadBench(Config{Load: LoadParams{Model: LoadRamp}}, fs(".", "5", "5x")))
	err := CheckLoadBench(soak, fs(".", "3", "1x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-count 1")
	err = CheckLoadBench(soak, fs(".", "1", "4x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-benchtime 1x")
	err = CheckLoadBench(soak, fs(".", "1", "1m"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-benchtime 1x")

	// Nor does a run of an open model run levels.
	r := NewRun(t.Context(), soak)
	_, err = r.Level(t.Context(), 2, LevelOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-load soak")
}

func TestArrivalScheduleIsSeeded(t *testing.T) {
	t.Parallel()
	a := ArrivalSchedule(2, time.Minute, 7)
	assert.Equal(t, a, ArrivalSchedule(2, time.Minute, 7), "same seed, same schedule")
	assert.NotEqual(t, a, ArrivalSchedule(2, time.Minute, 8), "another seed, another schedule")
	assert.True(t, slices.IsSorted(a))
	for _, at := range a {
		assert.GreaterOrEqual(t, at, time.Duration(0))
		assert.Less(t, at, time.Minute)
	}
	// A longer schedule is the shorter one continued.
	assert.Equal(t, a, ArrivalSchedule(2, 2*time.Minute, 7)[:len(a)])
	// The schedule is fixed by its seed, so this is no chance: 20000
	// arrivals at 10/s have a standard deviation of about 141.
	n := len(ArrivalSchedule(10, 2000*time.Second, 1))
	assert.InDelta(t, 20000, n, 1000)
	assert.Empty(t, ArrivalSchedule(0, time.Minute, 1))
}

func TestInFlightFromSessionTimes(t *testing.T) {
	t.Parallel()
	o := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := func(from, to float64) harness.SessionResult {
		return harness.SessionResult{DialStart: o.Add(time.Duration(from * float64(time.Second))), Ended: o.Add(time.Duration(to * float64(time.Second)))}
	}
	// 0-4 and 4-10 (a replacement at the same instant), 2-6, 8-12 (past the window).
	sessions := []harness.SessionResult{s(0, 4), s(4, 10), s(2, 6), s(8, 12), {}}
	most, mean, ok := inFlight(sessions, o, o.Add(10*time.Second))
	require.True(t, ok)
	assert.Equal(t, 2, most, "an end and a start at one instant do not overlap")
	// area: 0-2:1, 2-4:2, 4-6:2, 6-8:1, 8-10:2 = 2+4+4+2+4 = 16 over 10 s
	assert.InDelta(t, 1.6, mean, 1e-9)
	most, mean, ok = inFlight(sessions, o.Add(9*time.Second), o.Add(11*time.Second))
	require.True(t, ok)
	assert.Equal(t, 2, most)
	assert.InDelta(t, 1.5, mean, 1e-9) // 9-10: 2, 10-11: 1
	_, _, ok = inFlight(sessions, o, o)
	assert.False(t, ok)
}

// The last minute of an arrivals run holds the arrivals a lagging
// launcher started after the duration ran out: it is not recorded (and the
// run not ended) while one is still to be launched or still running.
func TestTheLastMinuteWaitsForEveryScheduledArrival(t *testing.T) {
	t.Parallel()
	o := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &openLoad{origin: o, end: o.Add(90 * time.Second), minute: time.Minute, minutes: 2,
		pending: map[int]time.Time{}, scheduled: 3}
	after := l.end.Add(time.Second)
	l.launched = 2
	assert.True(t, l.ready(0, after), "an earlier minute waits for the sessions launched in it alone")
	assert.False(t, l.ready(1, after), "an arrival is still to be launched")
	l.launched, l.pending[2] = 3, l.end.Add(200*time.Millisecond) // launched late, still running
	assert.False(t, l.ready(1, after), "a late arrival still runs")
	delete(l.pending, 2)
	assert.True(t, l.ready(1, after))
	assert.False(t, l.ready(1, l.end.Add(-time.Second)), "not before the end")

	soak := &openLoad{origin: o, end: o.Add(time.Minute), minute: time.Minute, minutes: 1, pending: map[int]time.Time{}}
	soak.launched = 5
	assert.True(t, soak.ready(0, soak.end), "a soak's launches stop at the end")
}

// TestLateArrivalsAreJudgedByTheRunsFrame: the note on sessions that
// began late says "more than one frame" of the run's own -frame.
func TestLateArrivalsAreJudgedByTheRunsFrame(t *testing.T) {
	t.Parallel()
	o := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	load := LoadParams{Model: LoadArrivals, Rate: 1, Duration: time.Minute, ArrivalSeed: 1}
	report := func(frame, late time.Duration) string {
		s := harness.SessionResult{Frame: frame, Outcome: harness.OK, Scheduled: o.Add(time.Second),
			DialStart: o.Add(time.Second + late), Ended: o.Add(5 * time.Second)}
		round := Round{Level: harness.LevelResult{Sessions: []harness.SessionResult{s}, Start: o, End: o.Add(time.Minute)}}
		var out bytes.Buffer
		_, err := ReportRun(&out, load, []int{0}, map[int][]Round{0: {round}})
		require.NoError(t, err)
		return out.String()
	}
	assert.NotContains(t, report(time.Second, 300*time.Millisecond), "fell behind", "300 ms is less than a 1 s frame")
	assert.Contains(t, report(20*time.Millisecond, 50*time.Millisecond), "more than one 20ms frame")
	assert.Contains(t, report(0, 150*time.Millisecond), "more than one 100ms frame", "a record without frames sent 100 ms ones")
}

// Arrivals split over load hosts run a share of the rate each, with a seed
// of their own: their records merge into one run of the summed rate, and
// two hosts that ran one schedule are named.
func TestArrivalsFromSeveralLoadHostsMerge(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	host := func(name string, rate float64, seed uint64) *Record {
		s := harness.SessionResult{Index: 0, Reference: "a b.", Segments: []string{"a b"}, Outcome: harness.OK}
		return &Record{Header: RecordHeader{Host: name, Start: start, Levels: []int{0},
			Load: LoadParams{Model: LoadArrivals, Rate: rate, Duration: time.Minute, ArrivalSeed: seed}},
			Levels: []int{0}, ByLevel: map[int][]Round{0: {{Level: harness.LevelResult{Sessions: []harness.SessionResult{s}}}}}}
	}
	merged, err := MergeRecords([]*Record{host("a", 2, 1), host("b", 3, 2)}, MergeOptions{})
	require.NoError(t, err)
	assert.Empty(t, merged.Gaps)
	assert.Equal(t, 5.0, merged.Header.Load.Rate, "the hosts' rates add up")
	assert.Equal(t, "arrivals: 5 sessions/s from 2 load hosts (Poisson, each its own -arrival-seed) for 1m0s", merged.Header.Load.describe())
	assert.Len(t, merged.ByLevel[0][0].Level.Sessions, 2)

	merged, err = MergeRecords([]*Record{host("a", 2, 1), host("b", 2, 1)}, MergeOptions{})
	require.NoError(t, err)
	require.Len(t, merged.Gaps, 1)
	assert.Contains(t, merged.Gaps[0], "records 1 and 2 ran the same arrival schedule (-arrival-seed 1)")

	longer := host("b", 2, 2)
	longer.Header.Load.Duration = 2 * time.Minute
	_, err = MergeRecords([]*Record{host("a", 2, 1), longer}, MergeOptions{})
	require.Error(t, err, "hosts of one run arrive for one -duration")
	assert.Contains(t, err.Error(), "for 2m0s")
}

func TestRecordsOfDifferentLoadModelsDoNotMerge(t *testing.T) {
	t.Parallel()
	soak := &Record{Header: RecordHeader{Levels: []int{2}, Load: LoadParams{Model: LoadSoak, Concurrency: 2, Duration: time.Minute}}}
	ramp := &Record{Header: RecordHeader{Levels: []int{2}}}
	_, err := MergeRecords([]*Record{soak, ramp}, MergeOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "record 2 ran ramp, record 1 ran soak")
	_, err = MergeRecords([]*Record{ramp, {Header: RecordHeader{Levels: []int{2}, Load: LoadParams{Model: LoadRamp}}}}, MergeOptions{})
	assert.NoError(t, err, "a record without a load model ran the ramp")
	seeded := &Record{Header: RecordHeader{Levels: []int{2}, Load: LoadParams{Model: LoadSoak, Concurrency: 2, Duration: time.Minute, ArrivalSeed: 7}}}
	_, err = MergeRecords([]*Record{soak, seeded}, MergeOptions{})
	assert.NoError(t, err, "a soak does not use its arrival seed")
}

// loadConfig is testConfig for an open load model.
func loadConfig(t *testing.T, knobs string, texts int, p LoadParams) Config {
	t.Helper()
	cfg := testConfig(t, knobs, max(p.Concurrency, 0))
	cfg.Load = p
	// Sessions cycle through every text: a few of them keep the clips few.
	all, err := LoadTexts("")
	require.NoError(t, err)
	cfg.Texts = filepath.Join(t.TempDir(), "texts.txt")
	require.NoError(t, os.WriteFile(cfg.Texts, []byte(strings.Join(all[:texts], "\n")+"\n"), 0o644))
	if p.Model == LoadArrivals {
		cfg.Levels = []int{0}
	}
	return cfg
}

// runLoad runs cfg's open model on a fresh run with rows of the given
// length, and returns the run (finished at cleanup) and its total row.
func runLoad(t *testing.T, cfg Config, minute time.Duration) (*Run, LoadRow) {
	t.Helper()
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	r.loadMinute = minute
	t.Cleanup(func() { r.Finish(&bytes.Buffer{}) })
	total, err := r.Load(t.Context(), LevelOptions{})
	require.NoError(t, err)
	return r, total
}

// sessionsOf returns every session of an open run, by number.
func sessionsOf(r *Run, level int) []harness.SessionResult {
	var all []harness.SessionResult
	for _, rd := range r.Rounds(level) {
		all = append(all, rd.Level.Sessions...)
	}
	slices.SortFunc(all, func(a, b harness.SessionResult) int { return a.Index - b.Index })
	return all
}

// assertReReports finishes the run and checks that its record alone gives
// back the same table, notes and CSV, to the byte.
func assertReReports(t *testing.T, r *Run, cfg Config) *Record {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, r.Finish(&out))
	runCSV, err := os.ReadFile(cfg.Output)
	require.NoError(t, err)
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	assert.Empty(t, rec.Skipped)
	assert.Equal(t, cfg.Load, rec.Header.Load, "the header says which load model made the record")
	var again bytes.Buffer
	rep, err := ReportRun(&again, rec.Header.Load, rec.Levels, rec.ByLevel)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "\n"+again.String(), "the table and notes, to the byte")
	var csv bytes.Buffer
	require.NoError(t, WriteLoadCSV(&csv, rep.LoadRows))
	assert.Equal(t, string(runCSV), csv.String(), "the CSV, to the byte")
	t.Logf("report:\n%s", again.String())
	return rec
}

// TestSoakKeepsNInFlight keeps 3 sessions in flight for 10 s (rows of 4 s)
// against the reference services: after the ramp-in the in-flight count is
// 3 at every moment but the brief gaps while a session is replaced, no
// more ever, and every session that ended in time was replaced.
func TestSoakKeepsNInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	const n, d = 3, 10 * time.Second
	cfg := loadConfig(t, "", 4, LoadParams{Model: LoadSoak, Concurrency: n, Duration: d, ArrivalSeed: 1})
	r, total := runLoad(t, cfg, 4*time.Second)
	rounds := r.Rounds(n)
	require.Len(t, rounds, 3, "10 s in rows of 4 s: 4, 4 and 2 s")
	origin, end := rounds[0].Level.Start, rounds[2].Level.End
	assert.Equal(t, d, end.Sub(origin))

	require.Len(t, r.clips, 4, "a clip per text")
	sessions := sessionsOf(r, n)
	require.Greater(t, len(sessions), 4, "sessions were replaced, and the texts came round again")
	rampIn := origin
	for i, s := range sessions {
		assert.Equal(t, i, s.Index, "sessions numbered in order of starting")
		assert.Equal(t, r.clips[i%4].Text, s.Reference, "session %d speaks the next text, cycling", i)
		assert.Equal(t, harness.OK, s.Outcome, "session %d: %s", i, s.Reason)
		assert.Equal(t, wer.Normalize(s.Reference), wer.Normalize(s.Transcript()), "session %d", i)
		assert.True(t, s.DialStart.Before(end), "session %d started after the duration ran out", i)
		if i < n {
			if s.DialStart.After(rampIn) {
				rampIn = s.DialStart
			}
		}
	}
	// Every session that ended well before the duration ran out (its
	// close handshake is bounded by 1 s) was replaced; none that ended
	// after it was.
	replacedSurely, replacedAtMost := 0, 0
	for _, s := range sessions {
		if s.Ended.Before(end.Add(-1500 * time.Millisecond)) {
			replacedSurely++
		}
		if s.Ended.Before(end) {
			replacedAtMost++
		}
	}
	assert.GreaterOrEqual(t, len(sessions), n+replacedSurely)
	assert.LessOrEqual(t, len(sessions), n+replacedAtMost)

	// In flight, moment by moment after the ramp-in: never more than n,
	// fewer only in gaps of a replacement (a close handshake, at most 1 s).
	type event struct {
		at    time.Time
		delta int
	}
	var events []event
	for _, s := range sessions {
		events = append(events, event{s.DialStart, 1}, event{s.Ended, -1})
	}
	slices.SortFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	count, gapFrom, longest := 0, time.Time{}, time.Duration(0)
	for _, e := range events {
		count += e.delta
		assert.LessOrEqual(t, count, n, "more than %d in flight at %v", n, e.at.Sub(origin))
		if e.at.Before(rampIn) || !e.at.Before(end) {
			continue
		}
		switch {
		case count < n && gapFrom.IsZero():
			gapFrom = e.at
		case count == n && !gapFrom.IsZero():
			longest = max(longest, e.at.Sub(gapFrom))
			gapFrom = time.Time{}
		}
	}
	t.Logf("%d sessions, longest replacement gap %v, in flight mean %.3f, max %.0f", len(sessions), longest, float64(total.InFlightMean), float64(total.InFlightMax))
	assert.Less(t, longest, 1500*time.Millisecond, "a replacement gap is brief")
	assert.Equal(t, Float(n), total.InFlightMax)
	assert.Greater(t, float64(total.InFlightMean), n-0.5)
	assert.LessOrEqual(t, float64(total.InFlightMean), float64(n))
	assert.Equal(t, "total", total.Minute)
	assert.Equal(t, len(sessions), total.Total)
	assert.Zero(t, total.Cancelled)

	rec := assertReReports(t, r, cfg)
	assert.Equal(t, []int{n}, rec.Header.Levels)
	var table bytes.Buffer
	rep, err := ReportRun(&table, rec.Header.Load, rec.Levels, rec.ByLevel)
	require.NoError(t, err)
	require.Len(t, rep.LoadRows, 4, "three rows and the total")
	started := 0
	for m, row := range rep.LoadRows[:3] {
		assert.Equal(t, strconv.Itoa(m), row.Minute)
		started += row.Total
		for _, s := range rounds[m].Level.Sessions {
			assert.False(t, s.DialStart.Before(origin.Add(time.Duration(m)*4*time.Second)), "session %d is in the row it started in", s.Index)
		}
	}
	assert.Equal(t, len(sessions), started, "each session in one row")
	assert.Contains(t, table.String(), "soak: 3 sessions kept in flight for 10s")
	if runtime.GOOS == "linux" {
		// The load host is measured minute by minute, as a ramp's level is.
		for m, rd := range rec.ByLevel[n] {
			assert.NotNil(t, rd.Level.Host.StealPct, "minute %d: the host's steal", m)
			if assert.NotNil(t, rd.Level.Host.ProcessCPUPct, "minute %d: this process's CPU", m) {
				assert.Greater(t, *rd.Level.Host.ProcessCPUPct, 0.0, "minute %d: streaming takes CPU", m)
			}
		}
		assert.True(t, rep.LoadRows[3].ProcessCPUPct.Valid(), "the total's process_cpu_pct")
	}
}

// TestSoakStartsAtStartAt: under -start-at a soak waits for it, so that
// load hosts each running a share of the load start together.
// A soak against a service that went down records a failed session per
// second for each one it keeps in flight, each saying why, rather than
// redialing as fast as the dials fail.
func TestSoakAgainstAServiceThatIsDownPacesItsRetries(t *testing.T) {
	t.Parallel()
	srv, err := refstt.Listen("127.0.0.1:0", refstt.Config{})
	require.NoError(t, err)
	cfg := loadConfig(t, "", 1, LoadParams{Model: LoadSoak, Concurrency: 2, Duration: 3 * time.Second, ArrivalSeed: 1})
	cfg.STTURL = srv.URL()
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	r.loadMinute = 3 * time.Second
	t.Cleanup(func() { r.Finish(&bytes.Buffer{}) })
	require.NoError(t, r.Setup(), "the service is up for the preflight")
	srv.Close()
	total, err := r.Load(t.Context(), LevelOptions{})
	require.NoError(t, err)

	sessions := sessionsOf(r, 2)
	// 3 s at one start a second for each of 2 slots: 6, and a seventh or
	// eighth on a slow machine at most; unpaced, it was thousands.
	assert.GreaterOrEqual(t, len(sessions), 2)
	assert.LessOrEqual(t, len(sessions), 8, "retries are paced")
	assert.Equal(t, len(sessions), total.Total)
	for _, s := range sessions {
		assert.Equal(t, harness.Errored, s.Outcome, "session %d", s.Index)
		assert.Contains(t, s.Err, "dial", "session %d says why", s.Index)
	}
}

func TestSoakStartsAtStartAt(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	cfg := loadConfig(t, "", 1, LoadParams{Model: LoadSoak, Concurrency: 1, Duration: 2 * time.Second, ArrivalSeed: 1})
	// Far enough ahead for setup on a busy machine, as for a shard.
	cfg.StartAt = time.Now().Add(15 * time.Second).Truncate(time.Second)
	r, total := runLoad(t, cfg, 2*time.Second)
	rounds := r.Rounds(1)
	require.Len(t, rounds, 1)
	assert.False(t, rounds[0].Level.Start.Before(cfg.StartAt), "began %v before -start-at", cfg.StartAt.Sub(rounds[0].Level.Start))
	sessions := sessionsOf(r, 1)
	require.NotEmpty(t, sessions)
	assert.Equal(t, len(sessions), total.Total)
	for _, s := range sessions {
		assert.False(t, s.DialStart.Before(cfg.StartAt), "session %d dialed %v before -start-at", s.Index, cfg.StartAt.Sub(s.DialStart))
	}
}

// TestArrivalsFollowTheSeededSchedule starts sessions on a seeded Poisson
// schedule against a reference service slowed down so that it falls
// seconds behind: the sessions pile up, and still each starts at its
// scheduled arrival, within a bound far below the service's delay.
func TestArrivalsFollowTheSeededSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	const rate, d, seed = 1.0, 8 * time.Second, 5
	cfg := loadConfig(t, "?per_sec=300ms", 10, LoadParams{Model: LoadArrivals, Rate: rate, Duration: d, ArrivalSeed: seed})
	r, total := runLoad(t, cfg, 3*time.Second)
	schedule := ArrivalSchedule(rate, d, seed)
	require.NotEmpty(t, schedule)
	rounds := r.Rounds(0)
	require.Len(t, rounds, 3)
	origin := rounds[0].Level.Start
	sessions := sessionsOf(r, 0)
	require.Len(t, sessions, len(schedule), "one session per scheduled arrival")
	var worstLate, worstEOS time.Duration
	for i, s := range sessions {
		assert.True(t, s.Scheduled.Equal(origin.Add(schedule[i])), "session %d scheduled at %v, want %v", i, s.Scheduled.Sub(origin), schedule[i])
		late := s.DialStart.Sub(s.Scheduled)
		assert.GreaterOrEqual(t, late, time.Duration(0), "session %d began early", i)
		worstLate = max(worstLate, late)
		if s.HasLatency() {
			worstEOS = max(worstEOS, s.EOSLatency())
		}
	}
	t.Logf("%d arrivals, latest start %v after its arrival, slowest EOS latency %v, in flight max %.0f mean %.2f",
		len(sessions), worstLate, worstEOS, float64(total.InFlightMax), float64(total.InFlightMean))
	// The service fell seconds behind, and no session waited for it.
	assert.Greater(t, worstEOS, 3*time.Second, "the slowed service is seconds behind")
	assert.Less(t, worstLate, time.Second, "sessions start on schedule however slow the service")
	assert.InDelta(t, float64(worstLate)/1e6, float64(total.StartLateMaxMs), 1e-3)
	assert.GreaterOrEqual(t, int(total.InFlightMax), 3, "sessions pile up")

	rec := assertReReports(t, r, cfg)
	assert.Equal(t, []int{0}, rec.Header.Levels)

	// The same seed, another run: the same schedule.
	cfg2 := loadConfig(t, "", 10, LoadParams{Model: LoadArrivals, Rate: rate, Duration: 3 * time.Second, ArrivalSeed: seed})
	cfg2.CacheDir, cfg2.Texts = cfg.CacheDir, cfg.Texts
	r2 := NewRun(t.Context(), cfg2)
	r2.Warn = &bytes.Buffer{}
	defer r2.Finish(&bytes.Buffer{})
	_, err := r2.Arrivals(t.Context(), LevelOptions{})
	require.NoError(t, err)
	again := sessionsOf(r2, 0)
	origin2 := r2.Rounds(0)[0].Level.Start
	want := ArrivalSchedule(rate, 3*time.Second, seed)
	require.Len(t, again, len(want))
	for i, s := range again {
		assert.Equal(t, schedule[i], s.Scheduled.Sub(origin2), "arrival %d", i)
	}
	assert.True(t, strings.HasPrefix(rec.Header.Flags["stt-url"], "embedded"))
}
