package sttbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/internal/reftts"
	"github.com/sttbench/sttbench/internal/textgen"
	"github.com/sttbench/sttbench/ttspool"
)

// Run is one benchmark run: the services it started, the clips, the GPU
// monitor, the run record and every level's rounds. The benchmark, the
// gate and the end-to-end tests all drive it the same way:
//
//	r := NewRun(ctx, cfg)
//	defer r.Finish(os.Stdout)   // stops what it started, prints the table
//	row, err := r.Level(ctx, 10, LevelOptions{})
//
// Setup happens on first use. A Run is safe for use by one level at a time.
type Run struct {
	// Config is the run's configuration; change it only before first use.
	Config Config
	// Warn receives warnings and setup messages (default os.Stderr).
	Warn io.Writer
	// Progress receives the live, redrawn progress line; nil for none. It
	// defaults to stderr when stdout and stderr are both a terminal: go
	// test merges stderr into stdout in a log or a pipe to benchstat, and a
	// progress line there would split the benchmark result lines.
	Progress io.Writer

	ctx       context.Context
	setupOnce sync.Once
	setupErr  error
	sttURL    string
	ttsURL    string
	closers   []func() error
	clips     []ttspool.Clip
	// texts is referenceTexts' last answer, for textsFor sessions:
	// generating thousands of texts takes seconds.
	texts    []string
	textsFor int
	gpu      *gpuMonitor
	// rec receives each level's rounds as they end; nil when off or after
	// a write failed. recStarted says a record was begun.
	rec        *RecordWriter
	recStarted bool
	loadRan    bool          // an open load model has run (it runs once)
	loadMinute time.Duration // the length of a row of an open model; zero: a minute

	// audioSource describes the clips' source once they are prepared,
	// when preparing learnt more than the flags say (espeak-ng's version).
	audioSource string

	mu      sync.Mutex
	lastEnd time.Time
	sched   schedule        // shards and -start-at (shard.go)
	levels  []int           // in the order first run
	byLevel map[int][]Round // every round of every level, across calls
	// capacity holds the answers of Capacity, printed before the table.
	capacity []CapacityResult
}

// NewRun prepares a run; nothing starts until its first level. Cancelling
// ctx interrupts the run: the level under way ends, and Finish still
// reports every level completed.
func NewRun(ctx context.Context, cfg Config) *Run {
	r := &Run{Config: cfg, Warn: os.Stderr, ctx: ctx, byLevel: map[int][]Round{}}
	if isTerminal(os.Stdout) && isTerminal(os.Stderr) {
		r.Progress = os.Stderr
	}
	return r
}

// Interrupted reports whether the run's context has ended.
func (r *Run) Interrupted() bool { return r.ctx.Err() != nil }

func (r *Run) sessionConfig() harness.SessionConfig {
	return harness.SessionConfig{
		URL: r.sttURL, APIKey: r.Config.APIKey, Frame: r.Config.Frame,
		ResultTimeout: r.Config.ResultTimeout, IdleTimeout: r.Config.IdleTimeout, WriteTimeout: r.Config.WriteTimeout,
	}
}

// Setup checks the output paths are writable, begins the run record,
// starts embedded services, checks the STT service is reachable, prepares
// the clips for the largest level and starts the GPU monitor. It runs once;
// later calls return its first result.
func (r *Run) Setup() error {
	r.setupOnce.Do(func() {
		if r.setupErr = CheckOutputs(r.Config); r.setupErr == nil {
			r.setupErr = r.planShard()
		}
		if r.setupErr == nil {
			r.setupErr = r.startRecord()
		}
		if r.setupErr == nil {
			r.setupErr = r.setup(r.clipsNeeded(), r.clipsNeeded())
		}
		if r.setupErr == nil {
			r.setupErr = r.checkClipsFit()
		}
	})
	return r.setupErr
}

// startRecord begins the run record with its header, before anything is
// measured.
func (r *Run) startRecord() error {
	if r.Config.Record == "" {
		return nil
	}
	if r.Config.SessionsOutAlias {
		fmt.Fprintf(r.Warn, "sttbench: -sessions-out is now -record: writing the run record to %s\n", r.Config.Record)
	}
	host, _ := os.Hostname()
	rec, err := CreateRecord(r.Config.Record, RecordHeader{
		Tool: toolVersion(), Normalizer: NormalizerVersion, Start: time.Now(), Host: host,
		Flags: r.Config.Flags, Levels: r.Config.Levels, Shard: r.recordShard(), Load: r.Config.Load,
		AudioSource: audioSource(r.Config),
	})
	if err != nil {
		return fmt.Errorf("-record %s: %w", r.Config.Record, err)
	}
	r.rec, r.recStarted = rec, true
	return nil
}

// setup starts the services and prepares clips for a level of sessions
// sessions; the open files are checked for a level of largest sessions.
func (r *Run) setup(largest, sessions int) error {
	if peak := r.peakOf(largest); peak.sessions > 0 {
		if err := checkFileLimit(peak, isEmbedded(r.Config.STTURL)); err != nil {
			return err
		}
	}
	var err error
	if r.sttURL, err = r.startSTT(); err != nil {
		return err
	}
	if r.ttsURL, err = r.startTTS(); err != nil {
		return err
	}
	// The handshake is bounded as every session's is (10 s): a shorter
	// bound would call a busy but healthy service unreachable.
	if err := harness.Preflight(r.ctx, r.sessionConfig()); err != nil {
		if r.ctx.Err() != nil {
			return fmt.Errorf("interrupted while connecting to the STT service at %s; no level was run", r.sttURL)
		}
		return fmt.Errorf("cannot reach the STT service at %s: %w\n"+
			"Start the service, point -stt-url (or STT_URL) at it, or pass -stt-url embedded to use the built-in reference service", r.sttURL, err)
	}
	r.clips, err = r.prepareClips(sessions)
	// Hand what preparation freed (every cache entry read, every decoded
	// WAV) back to the OS before any session streams, so that the run's
	// resident size is what it holds.
	debug.FreeOSMemory()
	if err != nil {
		return err
	}
	r.recordAudio()
	r.gpu = startGPUMonitor(r.ctx, r.Config, r.Warn)
	return nil
}

// referenceTexts is the texts of a run whose largest level has sessions
// sessions: -texts, or the built-in set followed, past its end, by
// generated texts, which keep every session's text its own so that leak
// detection still tells sessions apart. Every shard gets the same ones.
func (r *Run) referenceTexts(sessions int) ([]string, error) {
	if r.texts != nil && r.textsFor == sessions {
		return r.texts, nil
	}
	all, err := LoadTexts(r.Config.Texts)
	if err != nil {
		return nil, fmt.Errorf("reference texts: %w", err)
	}
	if r.Config.Texts == "" && sessions > len(all) {
		all = append(all, textgen.Extend(all, min(sessions, textgen.MaxTexts)-len(all), int64(r.Config.Seed))...)
	}
	r.texts, r.textsFor = all, sessions
	return all, nil
}

// prepareClips synthesizes (or takes from the cache) one clip per session.
func (r *Run) prepareClips(sessions int) ([]ttspool.Clip, error) {
	if r.Config.Audio != "" || r.Config.Manifest != "" {
		return r.prepareRecordings(sessions)
	}
	all, err := r.referenceTexts(sessions)
	if err != nil {
		return nil, err
	}
	texts, warning := ttspool.Texts(all, sessions)
	if warning != "" {
		fmt.Fprintf(r.Warn, "sttbench: warning: %s\n", warning)
	}
	texts = r.shardTexts(texts)
	if isEspeak(r.Config.TTSURL) {
		return r.espeakClips(texts)
	}
	// A redrawn progress line suits a terminal; a log gets whole lines,
	// one per tenth of the clips, all before the first benchmark line.
	tcfg := ttspool.Config{
		URL: r.ttsURL, Voice: r.Config.Voice, Seed: r.Config.Seed, CacheDir: r.Config.CacheDir,
		HTTPTimeout: r.Config.TTSTimeout, Progress: r.Progress,
		// Each session reads its clip from the cache as it streams: a
		// level of a thousand distinct clips holds none of their audio.
		StreamFromCache: true,
	}
	if isEmbedded(r.Config.TTSURL) {
		// The built-in TTS listens on a new port each run; its audio
		// depends only on the text, so its clips are cached under its name.
		tcfg.CacheID = "embedded-reftts"
	}
	if r.Progress == nil {
		tcfg.Progress, tcfg.ProgressLines = r.Warn, true
		fmt.Fprintf(r.Warn, "tts: preparing %d %s (cache: %s)\n", len(texts), plural(len(texts), "clip"), r.Config.CacheDir)
	}
	began := time.Now()
	clips, err := ttspool.Build(r.ctx, tcfg, texts)
	switch {
	case err != nil && r.ctx.Err() != nil:
		return nil, errors.New("interrupted while preparing audio; no level was run")
	case errors.Is(err, ttspool.ErrTimeout):
		return nil, fmt.Errorf("the TTS service at %s gave no answer within %v: %w\n"+
			"Raise -tts-timeout (or STTBENCH_TTS_TIMEOUT), or check the service", r.ttsURL, r.Config.TTSTimeout, err)
	case err != nil:
		return nil, fmt.Errorf("preparing audio with the TTS service at %s: %w\n"+
			"Start it, point -tts-url (or TTS_URL) at it, or pass -tts-url embedded", r.ttsURL, err)
	}
	if r.Progress == nil {
		fmt.Fprintf(r.Warn, "tts: %d %s ready in %.1fs\n", len(clips), plural(len(clips), "clip"), time.Since(began).Seconds())
	}
	return clips, nil
}

func (r *Run) startSTT() (string, error) {
	if !isEmbedded(r.Config.STTURL) {
		return r.Config.STTURL, nil
	}
	_, query, _ := strings.Cut(r.Config.STTURL, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("-stt-url %q: %w", r.Config.STTURL, err)
	}
	rcfg, err := refstt.ParseConfig(q)
	if err != nil {
		return "", fmt.Errorf("-stt-url %q: %w", r.Config.STTURL, err)
	}
	if rcfg.APIKey == "" {
		rcfg.APIKey = r.Config.APIKey
	}
	srv, err := refstt.Listen("127.0.0.1:0", rcfg)
	if err != nil {
		return "", fmt.Errorf("start the embedded reference STT: %w", err)
	}
	r.closers = append(r.closers, srv.Close)
	return srv.URL(), nil
}

func (r *Run) startTTS() (string, error) {
	if !isEmbedded(r.Config.TTSURL) {
		return r.Config.TTSURL, nil
	}
	srv, err := reftts.Listen("127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("start the embedded reference TTS: %w", err)
	}
	r.closers = append(r.closers, srv.Close)
	return srv.URL(), nil
}

// LevelOptions says how Level runs a level.
type LevelOptions struct {
	// More says whether to stream another round; it is called before each
	// one (testing.B's Loop). Nil means one round.
	More func() bool
	// Resume is the text the live progress line puts back when it erases
	// itself: what was on the terminal's line before the level began.
	Resume string
}

// Level streams rounds of an n-session level, records them, and returns
// the level's row over this call's rounds. Each round waits out the level
// pause after the one before. An interrupted level keeps the rounds it
// completed, in the run and its record, and returns an error: a run cut
// short must not read as a success.
func (r *Run) Level(ctx context.Context, n int, opt LevelOptions) (Row, error) {
	defer func() {
		// A panic can end a program without its teardown: stop the GPU
		// monitor first, so no nvidia-smi outlives the run.
		if p := recover(); p != nil {
			r.gpu.stop()
			panic(p)
		}
	}()
	if err := r.rampOnly(); err != nil {
		return Row{}, err
	}
	if err := r.Setup(); err != nil {
		return Row{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.ctx, cancel)()

	more := opt.More
	if more == nil {
		calls := 0
		more = func() bool { calls++; return calls == 1 }
	}
	var rounds []Round
	for ctx.Err() == nil && more() {
		if err := r.waitTurn(ctx, n); err != nil {
			if len(rounds) > 0 {
				r.keep(n, rounds)
			}
			return Row{}, err
		}
		round, err := r.round(ctx, n, opt.Resume)
		if err != nil {
			if len(rounds) > 0 {
				r.keep(n, rounds)
			}
			return Row{}, err
		}
		if ctx.Err() != nil {
			break
		}
		rounds = append(rounds, round)
	}
	if len(rounds) == 0 {
		return Row{}, fmt.Errorf("interrupted during conc=%d before a round completed; the level is left out", n)
	}
	row := r.keep(n, rounds)
	if ctx.Err() != nil {
		return row, fmt.Errorf("interrupted during conc=%d after %d round(s); the round under way is left out", n, len(rounds))
	}
	return row, nil
}

// Ramp runs every configured level once, in order, and returns their rows.
func (r *Run) Ramp(ctx context.Context) ([]Row, error) {
	var rows []Row
	for _, n := range r.Config.Levels {
		row, err := r.Level(ctx, n, LevelOptions{})
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// pause keeps the configured gap after the previous round, so one level's
// tail does not load the next.
func (r *Run) pause(ctx context.Context) {
	r.mu.Lock()
	last := r.lastEnd
	r.mu.Unlock()
	if !last.IsZero() {
		sleepUntil(ctx, last.Add(r.Config.LevelPause))
	}
}

// round streams one round of an n-session level: session i speaks clip i.
// On a terminal it draws live progress over the current line and then
// writes resume, the text it covered.
func (r *Run) round(ctx context.Context, n int, resume string) (Round, error) {
	var prog harness.Progress
	rctx, stopRender := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r.Progress != nil {
			prog.Render(rctx, r.Progress, fmt.Sprintf("conc=%d:", n), resume, 250*time.Millisecond)
		}
	}()
	mark := r.gpu.mark()
	lr, err := r.runShardLevel(ctx, harness.LevelConfig{Session: r.sessionConfig(), Progress: &prog, Aligned: r.Config.Aligned}, n)
	window := r.gpu.window(mark)
	stopRender()
	<-done
	r.mu.Lock()
	r.lastEnd = time.Now()
	r.mu.Unlock()
	// Keep the sessions as the record will give them back, so that a report
	// from the record matches this run's to the byte.
	for i := range lr.Sessions {
		lr.Sessions[i] = canonical(lr.Sessions[i])
	}
	return Round{Level: lr, GPU: window}, err
}

// keep stores a level's rounds, appends them to the run record, and
// returns the row of these rounds.
func (r *Run) keep(n int, rounds []Round) Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byLevel[n]; !ok {
		r.levels = append(r.levels, n)
	}
	r.byLevel[n] = append(r.byLevel[n], rounds...)
	for _, round := range rounds {
		if r.rec == nil {
			break
		}
		if err := r.rec.WriteRound(n, round); err != nil {
			fmt.Fprintf(r.Warn, "sttbench: warning: the run record stopped: %v; the table and CSV still cover every level\n", err)
			r.rec.Close()
			r.rec = nil
		}
	}
	return LevelRow(n, rounds)
}

// Rows is one row per level run so far, each over every round of its level.
func (r *Run) Rows() []Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := make([]Row, 0, len(r.levels))
	for _, n := range r.levels {
		rows = append(rows, LevelRow(n, r.byLevel[n]))
	}
	return rows
}

// Rounds returns the rounds of the n-session level run so far.
func (r *Run) Rounds(n int) []Round {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Round(nil), r.byLevel[n]...)
}

// Probe streams the single verbose session of -probe, writing its timeline
// and verdict to w.
func (r *Run) Probe(w io.Writer) (harness.SessionResult, error) {
	r.setupOnce.Do(func() { r.setupErr = r.setup(1, 1) })
	if r.setupErr != nil {
		return harness.SessionResult{}, r.setupErr
	}
	return harness.Probe(r.ctx, r.sessionConfig(), r.clips[0], probeWER, w)
}

// Finish stops what the run started, then prints the table and writes the
// outputs of every level measured, also after a failure or interruption.
func (r *Run) Finish(w io.Writer) error {
	var errs []error
	r.gpu.stop()
	r.gpu = nil
	for _, c := range r.closers {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	r.closers = nil
	if r.rec != nil {
		if err := r.rec.Close(); err != nil {
			errs = append(errs, err)
		}
		r.rec = nil
	}
	r.writeCapacity(w) // the answer first, then the table of the levels probed
	r.mu.Lock()
	levels, byLevel := r.levels, r.byLevel
	r.mu.Unlock()
	if len(levels) == 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintln(w)
	rep, err := ReportRun(w, r.Config.Load, levels, byLevel)
	if err != nil {
		errs = append(errs, err)
	}
	rep.Rows = MarkSLO(rep.Rows, r.capacity)
	if out := r.Config.Output; out != "" && out != "-" {
		if err := rep.WriteCSVFile(out); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(w, "results written to %s\n", out)
		}
	}
	switch {
	case r.Config.Plots != "" && r.Config.Load.open():
		fmt.Fprintf(r.Warn, "sttbench: warning: -plots draws figures against concurrency, which a -load %s run does not vary: no pictures\n", r.Config.Load.Model)
	case r.Config.Plots != "":
		errs = append(errs, r.writePlots(w, levels, byLevel, rep.Rows))
	}
	if r.Config.Record != "" && r.recStarted {
		fmt.Fprintf(w, "run record written to %s (re-report it: go run ./cmd/sttbench report %s)\n", r.Config.Record, r.Config.Record)
	}
	return errors.Join(errs...)
}

func maxLevel(levels []int) int {
	m := 1
	for _, n := range levels {
		m = max(m, n)
	}
	return m
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
