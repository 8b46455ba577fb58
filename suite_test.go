package sttbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/internal/reftts"
	"github.com/sttbench/sttbench/ttspool"
)

// suite is one benchmark run: the services, the clips, the GPU monitor and
// every level's rounds. setup runs once, on first use; finish reports.
type suite struct {
	ctx  context.Context
	cfg  Config
	warn io.Writer // warnings: stderr
	// progress receives the live progress line: stderr when it and stdout
	// are a terminal. Otherwise (a log, a pipe to benchstat) there is none:
	// go test merges stderr into stdout, and a progress line would split
	// the benchmark result lines.
	progress io.Writer

	setupOnce sync.Once
	setupErr  error
	sttURL    string
	ttsURL    string
	closers   []func() error
	clips     []ttspool.Clip
	gpu       *gpuMonitor
	// rec receives each level's rounds as they end; nil when off or
	// after a write failed. recStarted says a record was begun.
	rec        *RecordWriter
	recStarted bool

	mu      sync.Mutex
	lastEnd time.Time
	levels  []int           // in the order first run
	byLevel map[int][]Round // every round of every level, across -count
	runs    map[string]int  // calls of each benchmark function
}

func newSuite(ctx context.Context, cfg Config) *suite {
	s := &suite{ctx: ctx, cfg: cfg, warn: os.Stderr, byLevel: map[int][]Round{}, runs: map[string]int{}}
	if isTerminal(os.Stdout) && isTerminal(os.Stderr) {
		s.progress = os.Stderr
	}
	return s
}

func (s *suite) sessionConfig() harness.SessionConfig {
	return harness.SessionConfig{
		URL: s.sttURL, APIKey: s.cfg.APIKey,
		ResultTimeout: s.cfg.ResultTimeout, IdleTimeout: s.cfg.IdleTimeout, WriteTimeout: s.cfg.WriteTimeout,
	}
}

// setup checks the output paths are writable, starts embedded services,
// checks the STT service is reachable, prepares the clips for the largest
// level and starts the GPU monitor.
func (s *suite) setup() error {
	s.setupOnce.Do(func() {
		if s.setupErr = CheckOutputs(s.cfg); s.setupErr == nil {
			s.setupErr = s.startRecord()
		}
		if s.setupErr == nil {
			s.setupErr = s.doSetup(maxLevel(s.cfg.Levels))
		}
	})
	return s.setupErr
}

// startRecord begins the run record with its header, before anything is
// measured.
func (s *suite) startRecord() error {
	if s.cfg.Record == "" {
		return nil
	}
	if s.cfg.SessionsOutAlias {
		fmt.Fprintf(s.warn, "sttbench: -sessions-out is now -record: writing the run record to %s\n", s.cfg.Record)
	}
	host, _ := os.Hostname()
	rec, err := CreateRecord(s.cfg.Record, RecordHeader{
		Tool: toolVersion(), Normalizer: NormalizerVersion, Start: time.Now(), Host: host,
		Flags: s.cfg.Flags, Levels: s.cfg.Levels,
	})
	if err != nil {
		return fmt.Errorf("-record %s: %w", s.cfg.Record, err)
	}
	s.rec, s.recStarted = rec, true
	return nil
}

func (s *suite) doSetup(sessions int) error {
	var err error
	if s.sttURL, err = s.startSTT(); err != nil {
		return err
	}
	if s.ttsURL, err = s.startTTS(); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if err := harness.Preflight(pctx, s.sessionConfig()); err != nil {
		if s.ctx.Err() != nil {
			return fmt.Errorf("interrupted while connecting to the STT service at %s; no level was run", s.sttURL)
		}
		return fmt.Errorf("cannot reach the STT service at %s: %w\n"+
			"Start the service, point -stt-url (or STT_URL) at it, or pass -stt-url embedded to use the built-in reference service", s.sttURL, err)
	}
	all, err := LoadTexts(s.cfg.Texts)
	if err != nil {
		return fmt.Errorf("reference texts: %w", err)
	}
	texts, warning := ttspool.Texts(all, sessions)
	if warning != "" {
		fmt.Fprintf(s.warn, "sttbench: warning: %s\n", warning)
	}
	// A redrawn progress line suits a terminal; a log gets whole lines,
	// one per tenth of the clips, all before the first benchmark line.
	tcfg := ttspool.Config{
		URL: s.ttsURL, Voice: s.cfg.Voice, Seed: s.cfg.Seed, CacheDir: s.cfg.CacheDir,
		HTTPTimeout: s.cfg.TTSTimeout, Progress: s.progress,
	}
	if s.progress == nil {
		tcfg.Progress, tcfg.ProgressLines = s.warn, true
		fmt.Fprintf(s.warn, "tts: preparing %d clips (cache: %s)\n", len(texts), s.cfg.CacheDir)
	}
	began := time.Now()
	s.clips, err = ttspool.Build(s.ctx, tcfg, texts)
	if err == nil && s.progress == nil {
		fmt.Fprintf(s.warn, "tts: %d clips ready in %.1fs\n", len(s.clips), time.Since(began).Seconds())
	}
	if err != nil && s.ctx.Err() != nil {
		return errors.New("interrupted while preparing audio; no level was run")
	}
	if errors.Is(err, ttspool.ErrTimeout) {
		return fmt.Errorf("the TTS service at %s gave no answer within %v: %w\n"+
			"Raise -tts-timeout (or STTBENCH_TTS_TIMEOUT), or check the service", s.ttsURL, s.cfg.TTSTimeout, err)
	}
	if err != nil {
		return fmt.Errorf("preparing audio with the TTS service at %s: %w\n"+
			"Start it, point -tts-url (or TTS_URL) at it, or pass -tts-url embedded", s.ttsURL, err)
	}
	s.gpu = startGPUMonitor(s.ctx, s.cfg, s.warn)
	return nil
}

func (s *suite) startSTT() (string, error) {
	if !isEmbedded(s.cfg.STTURL) {
		return s.cfg.STTURL, nil
	}
	_, query, _ := strings.Cut(s.cfg.STTURL, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("-stt-url %q: %w", s.cfg.STTURL, err)
	}
	rcfg, err := refstt.ParseConfig(q)
	if err != nil {
		return "", fmt.Errorf("-stt-url %q: %w", s.cfg.STTURL, err)
	}
	if rcfg.APIKey == "" {
		rcfg.APIKey = s.cfg.APIKey
	}
	srv, err := refstt.Listen("127.0.0.1:0", rcfg)
	if err != nil {
		return "", fmt.Errorf("start the embedded reference STT: %w", err)
	}
	s.closers = append(s.closers, srv.Close)
	return srv.URL(), nil
}

func (s *suite) startTTS() (string, error) {
	if !isEmbedded(s.cfg.TTSURL) {
		return s.cfg.TTSURL, nil
	}
	srv, err := reftts.Listen("127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("start the embedded reference TTS: %w", err)
	}
	s.closers = append(s.closers, srv.Close)
	return srv.URL(), nil
}

// clipsFor returns the clips of an n-session level: session i speaks clip i.
func (s *suite) clipsFor(n int) []ttspool.Clip {
	out := make([]ttspool.Clip, n)
	for i := range out {
		out[i] = s.clips[i%len(s.clips)]
	}
	return out
}

// pause keeps the configured gap after the previous round, so one level's
// tail does not load the next.
func (s *suite) pause(ctx context.Context) {
	s.mu.Lock()
	wait := time.Until(s.lastEnd.Add(s.cfg.LevelPause))
	s.mu.Unlock()
	if s.lastEnd.IsZero() || wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// level runs one round of an n-session level. On a terminal it draws live
// progress over the current line and then writes resume, the text it
// covered (go test has already printed the benchmark's name there).
func (s *suite) level(ctx context.Context, n int, resume string) (Round, error) {
	var prog harness.Progress
	rctx, stopRender := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if s.progress != nil {
			prog.Render(rctx, s.progress, fmt.Sprintf("conc=%d:", n), resume, 250*time.Millisecond)
		}
	}()
	mark := s.gpu.mark()
	lr, err := harness.RunLevel(ctx, harness.LevelConfig{Session: s.sessionConfig(), Progress: &prog}, s.clipsFor(n))
	window := s.gpu.window(mark)
	stopRender()
	<-done
	s.mu.Lock()
	s.lastEnd = time.Now()
	s.mu.Unlock()
	// Keep the sessions as the record will give them back, so that a report
	// from the record matches this run's to the byte.
	for i := range lr.Sessions {
		lr.Sessions[i] = canonical(lr.Sessions[i])
	}
	return Round{Level: lr, GPU: window}, err
}

// record stores a level's rounds, appends them to the run record, and
// returns the row of this call's rounds.
func (s *suite) record(n int, rounds []Round) Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byLevel[n]; !ok {
		s.levels = append(s.levels, n)
	}
	s.byLevel[n] = append(s.byLevel[n], rounds...)
	for _, r := range rounds {
		if s.rec == nil {
			break
		}
		if err := s.rec.WriteRound(n, r); err != nil {
			fmt.Fprintf(s.warn, "sttbench: warning: the run record stopped: %v; the table and CSV still cover every level\n", err)
			s.rec.Close()
			s.rec = nil
		}
	}
	return LevelRow(n, rounds)
}

// rows is one row per level, aggregating every round of the level.
func (s *suite) rows() []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := make([]Row, 0, len(s.levels))
	for _, n := range s.levels {
		rows = append(rows, LevelRow(n, s.byLevel[n]))
	}
	return rows
}

// probe runs the single verbose session of -probe and returns the exit code.
func (s *suite) probe(w io.Writer) int {
	s.setupOnce.Do(func() { s.setupErr = s.doSetup(1) })
	if s.setupErr != nil {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", s.setupErr)
		return 1
	}
	res, err := harness.Probe(s.ctx, s.sessionConfig(), s.clips[0], probeWER, w)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
		return 1
	}
	if res.Outcome != harness.OK {
		return 1
	}
	return 0
}

// finish stops what setup started, then prints the table and writes the
// outputs of every level measured, also after a failure or interruption.
func (s *suite) finish(w io.Writer) error {
	var errs []error
	if s.gpu != nil {
		s.gpu.stop()
	}
	for _, c := range s.closers {
		if err := c(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.rec != nil {
		if err := s.rec.Close(); err != nil {
			errs = append(errs, err)
		}
		s.rec = nil
	}
	s.mu.Lock()
	levels, byLevel := s.levels, s.byLevel
	s.mu.Unlock()
	if len(levels) == 0 {
		return errors.Join(errs...)
	}
	fmt.Fprintln(w)
	rows, err := Report(w, levels, byLevel)
	if err != nil {
		errs = append(errs, err)
	}
	if out := s.cfg.Output; out != "" && out != "-" {
		if err := WriteCSVFile(out, rows); err != nil {
			errs = append(errs, err)
		} else {
			fmt.Fprintf(w, "results written to %s\n", out)
		}
	}
	if s.cfg.Record != "" && s.recStarted {
		fmt.Fprintf(w, "run record written to %s (re-report it: go run ./cmd/sttbench report %s)\n", s.cfg.Record, s.cfg.Record)
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

// countRun counts the calls of the benchmark named name, this one included.
func (s *suite) countRun(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[name]++
	return s.runs[name]
}
