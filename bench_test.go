package sttbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/sttbench/sttbench/internal/leakcheck"
)

// flagValue is a string flag that can also act as a boolean flag (-probe).
// A secret one (-api-key) shows as empty, so -help never prints a key
// taken from the environment as its default.
type flagValue struct {
	value          string
	isBool, secret bool
}

func (f *flagValue) String() string {
	if f.secret {
		return ""
	}
	return f.value
}

func (f *flagValue) Set(s string) error { f.value = s; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }

var flags = map[string]*flagValue{}

func init() {
	for _, o := range Options {
		v := &flagValue{value: o.DefaultValue(), isBool: o.Bool, secret: o.Secret}
		flags[o.Name] = v
		flag.Var(v, o.Name, fmt.Sprintf("%s (env %s)", o.Usage, o.Env))
	}
}

// run is the benchmark run this test binary performs.
var run *suite

func TestMain(m *testing.M) {
	flag.Parse()
	cfg, err := ParseConfig(func(name string) string { return flags[name].value })
	if err != nil {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
		os.Exit(2)
	}
	// The first Ctrl-C ends the running level and keeps what was measured;
	// a second one kills nvidia-smi (which may ignore interrupts) and any
	// other child, and exits at once.
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		cancel(errors.New("interrupted"))
		if _, ok := <-sigs; !ok {
			return
		}
		killChildren()
		fmt.Fprintln(os.Stderr, "sttbench: interrupted again: child processes killed, exiting now")
		os.Exit(130)
	}()
	run = newSuite(ctx, cfg)

	code := 0
	if cfg.Probe {
		code = run.probe(os.Stdout)
	} else {
		if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" {
			printUnits()
		}
		code = m.Run()
	}
	if err := run.finish(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
		code = max(code, 1)
	}
	removeFakeSMI() // os.Exit below skips deferred calls
	// Whatever this run started (nvidia-smi above all) must be gone by now.
	if kids := leakcheck.ChildProcesses(); len(kids) > 0 {
		fmt.Fprintf(os.Stderr, "sttbench: child processes still running at exit: %v\n", kids)
		code = max(code, 1)
	}
	if err := leakcheck.Goroutines(5*time.Second, "sttbench/harness.", "sttbench/gpumon.",
		"sttbench/internal/", "coder/websocket"); err != nil && code == 0 {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
		code = 1
	}
	if ctx.Err() != nil {
		if len(run.rows()) == 0 {
			fmt.Fprintln(os.Stderr, "sttbench: interrupted before any level completed")
		} else {
			fmt.Fprintln(os.Stderr, "sttbench: interrupted; the levels above are the ones that completed")
		}
		code = max(code, 1)
	}
	signal.Stop(sigs)
	os.Exit(code)
}

// Metric units, as benchstat reads them: it passes these through unscaled,
// and the metadata lines tell it which direction is better.
const (
	unitEOSP50      = "eos-p50-sec"
	unitEOSP95      = "eos-p95-sec"
	unitEOSMean     = "eos-mean-sec"
	unitWER         = "wer-%"
	unitAudio       = "audio-sec"
	unitFailed      = "failed-sessions"
	unitLeaked      = "leaked-sessions"
	unitGPUUtilP95  = "gpu-util-p95-%"
	unitGPUUtilMean = "gpu-util-mean-%"
	unitVRAMPeak    = "vram-peak-MiB"
	unitVRAMMean    = "vram-mean-MiB"
)

func printUnits() {
	for _, u := range []string{unitEOSP50, unitEOSP95, unitEOSMean, unitWER, unitFailed, unitLeaked} {
		fmt.Printf("Unit %s better=lower\n", u)
	}
}

// BenchmarkStreaming runs every configured concurrency level as a
// sub-benchmark conc=N; each b.Loop round streams one clip per session.
func BenchmarkStreaming(b *testing.B) {
	if err := run.setup(); err != nil {
		b.Fatal(err)
	}
	for _, n := range run.cfg.Levels {
		if run.ctx.Err() != nil {
			// Not Skip: a run cut short must not end with PASS.
			b.Fatal("interrupted: the remaining levels were not run")
		}
		b.Run("conc="+strconv.Itoa(n), func(b *testing.B) { benchLevel(b, n) })
	}
}

func benchLevel(b *testing.B, n int) {
	defer func() {
		// A panic ends the test binary without TestMain's teardown: stop
		// the GPU monitor first, so no nvidia-smi outlives the run.
		if p := recover(); p != nil {
			run.gpu.stop()
			panic(p)
		}
	}()
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	defer context.AfterFunc(run.ctx, cancel)()

	var rounds []Round
	for b.Loop() {
		run.pause(ctx)
		r, err := run.level(ctx, n, resumeText(b))
		if err != nil {
			b.Fatal(err)
		}
		if run.ctx.Err() != nil {
			break
		}
		rounds = append(rounds, r)
	}
	// An interrupted level fails rather than skips: a run cut short must not
	// end with PASS. Its completed rounds, if any, are still recorded.
	if len(rounds) == 0 {
		b.Fatalf("interrupted during conc=%d before a round completed; the level is left out", n)
	}
	row := run.record(n, rounds)
	if run.ctx.Err() != nil {
		b.Errorf("interrupted during conc=%d after %d round(s); the round under way is left out", n, len(rounds))
		return
	}
	report(b, row)
}

// report publishes a level's figures as benchmark metrics. Missing figures
// (no transcript, no GPU samples) are left out rather than reported as 0.
func report(b *testing.B, r Row) {
	b.ReportMetric(0, "ns/op") // the time of a round is just the clip length
	for _, m := range []struct {
		v    Float
		unit string
	}{
		{r.EOSP50, unitEOSP50}, {r.EOSP95, unitEOSP95}, {r.EOSMean, unitEOSMean},
		{r.WER, unitWER}, {r.AudioDuration, unitAudio},
		{Float(float64(r.Cancelled) / float64(r.Rounds)), unitFailed},
		{Float(float64(r.Leaks) / float64(r.Rounds)), unitLeaked},
		{r.GPUUtilP95, unitGPUUtilP95}, {r.GPUUtilMean, unitGPUUtilMean},
		{r.VRAMPeak, unitVRAMPeak}, {r.VRAMMean, unitVRAMMean},
	} {
		if m.v.Valid() {
			b.ReportMetric(float64(m.v), m.unit)
		}
	}
}

// resumeText is what go test has printed on the current line when a
// benchmark function runs: nothing on its first run (go test runs it once
// before printing its name), its name and a tab on every later run (-count,
// -cpu). The progress line puts it back after erasing itself.
func resumeText(b *testing.B) string {
	name := b.Name()
	if procs := runtime.GOMAXPROCS(0); procs != 1 {
		name += "-" + strconv.Itoa(procs)
	}
	if runs := run.countRun(b.Name()); runs == 1 {
		return ""
	}
	return name + "\t"
}
