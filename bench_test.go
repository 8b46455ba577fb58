package sttbench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/leakcheck"
)

// flags are the benchmark's own flags, beside go test's.
var flags = BindFlags(flag.CommandLine)

// run is the benchmark run this test binary performs.
var run *Run

func TestMain(m *testing.M) {
	flag.Parse()
	cfg, err := flags.Config()
	if err == nil {
		err = CheckLoadBench(cfg, flag.CommandLine)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := InterruptContext()
	run = NewRun(ctx, cfg)

	code := 0
	if cfg.Probe {
		if res, err := run.Probe(os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "sttbench: %v\n", err)
			code = 1
		} else if res.Outcome != harness.OK {
			code = 1
		}
	} else {
		if flag.Lookup("test.bench").Value.String() != "" {
			printUnits()
		}
		code = m.Run()
	}
	if err := run.Finish(os.Stdout); err != nil {
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
	if run.Interrupted() {
		if len(run.Rows()) == 0 {
			fmt.Fprintln(os.Stderr, "sttbench: interrupted before any level completed")
		} else {
			fmt.Fprintln(os.Stderr, "sttbench: interrupted; the levels above are the ones that completed")
		}
		code = max(code, 1)
	}
	stop()
	os.Exit(code)
}

// Metric units, as benchstat reads them: it passes these through unscaled,
// and the metadata lines tell it which direction is better.
const (
	unitEOSP50      = "eos-p50-sec"
	unitEOSP95      = "eos-p95-sec"
	unitEOSMean     = "eos-mean-sec"
	unitWER         = "wer-%"
	unitWERRaw      = "wer-raw-%"
	unitAudio       = "audio-sec"
	unitFailed      = "failed-sessions"
	unitLeaked      = "leaked-sessions"
	unitGPUUtilP95  = "gpu-util-p95-%"
	unitGPUUtilMean = "gpu-util-mean-%"
	unitVRAMPeak    = "vram-peak-MiB"
	unitVRAMMean    = "vram-mean-MiB"
)

func printUnits() {
	for _, u := range []string{unitEOSP50, unitEOSP95, unitEOSMean, unitWER, unitWERRaw, unitFailed, unitLeaked} {
		fmt.Printf("Unit %s better=lower\n", u)
	}
}

// BenchmarkStreaming runs every configured concurrency level as a
// sub-benchmark conc=N; each b.Loop round streams one clip per session.
func BenchmarkStreaming(b *testing.B) {
	if run.Config.SearchMax > 0 {
		b.Fatal(searchAlone)
	}
	if err := run.Setup(); err != nil {
		b.Fatal(err)
	}
	if name := run.Config.Load.Name(); name != "" { // -load soak or arrivals
		b.Run(name, func(b *testing.B) {
			row, err := run.Load(b.Context(), LevelOptions{Resume: resumeText(b)})
			if err != nil {
				b.Fatal(err)
			}
			report(b, row.BenchRow())
			ReportLoadMetrics(b, row)
		})
		return
	}
	for _, n := range run.Config.Levels {
		if run.Interrupted() {
			// Not Skip: a run cut short must not end with PASS.
			b.Fatal("interrupted: the remaining levels were not run")
		}
		b.Run("conc="+strconv.Itoa(n), func(b *testing.B) {
			row, err := run.Level(b.Context(), n, LevelOptions{More: b.Loop, Resume: resumeText(b)})
			if err != nil {
				b.Fatal(err)
			}
			report(b, row)
		})
	}
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
		{r.WER, unitWER}, {r.WERRaw, unitWERRaw}, {r.AudioDuration, unitAudio},
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

// benchRuns counts the calls of each benchmark function.
var benchRuns sync.Map

// resumeText is what go test has printed on the current line when a
// benchmark function runs: nothing on its first run (go test runs it once
// before printing its name), its name and a tab on every later run (-count,
// -cpu). The progress line puts it back after erasing itself.
func resumeText(b *testing.B) string {
	n, _ := benchRuns.LoadOrStore(b.Name(), new(int))
	*n.(*int)++
	if *n.(*int) == 1 {
		return ""
	}
	name := b.Name()
	if procs := runtime.GOMAXPROCS(0); procs != 1 {
		name += "-" + strconv.Itoa(procs)
	}
	return name + "\t"
}

// searchAlone is why the benchmark and TestGate do not run beside a
// capacity search: their levels and the probes would share one table, CSV
// and record, a level's row mixing the sessions of both.
const searchAlone = "-search runs the capacity search, whose probes would share the table, CSV and record with these levels: run the search on its own (go test -run '^TestCapacity$' ...), and the benchmark or TestGate in a go test invocation of their own"

// TestGate fails when any configured level breaches -wer-max, -leak-max,
// -fail-max or -eos-p95-max. Run it as `make gate` or
// `go test -run TestGate -stt-url ... -tts-url ...`; it is skipped unless an
// STT service is named (flag or STT_URL; `embedded` for the reference one).
func TestGate(t *testing.T) {
	if !flags.Given("stt-url") {
		t.Skip("no STT service named: pass -stt-url (or STT_URL); embedded runs the reference service")
	}
	if run.Config.SearchMax > 0 {
		t.Fatal(searchAlone)
	}
	results, err := run.Gate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range results {
		row := res.Row
		t.Run("conc="+strconv.Itoa(row.Concurrency), func(t *testing.T) {
			t.Logf("WER %s %%, %d/%d failed, %d leaked, EOS p95 %s s", row.WER.format("%.2f"), row.Cancelled, row.Total, row.Leaks, row.EOSP95.format("%.3f"))
			if len(res.Breaches) > 0 {
				t.Error("gate breached:\n" + strings.Join(res.Breaches, "\n"))
			}
		})
	}
}

// capacityResult is the answer of TestCapacity's search: go test -count N
// runs the test N times, and the search runs once, N rounds per probe.
var capacityResult *CapacityResult

// timeoutMargin is how long before go test's -timeout a search stops: time
// for the probe under way to close its sessions and for the answer, CSV and
// record to be written.
const timeoutMargin = 30 * time.Second

var errTestTimeout = errors.New("go test's -timeout came before the search ended, so it stopped early: pass -timeout 0")

// TestCapacity finds the highest concurrency in -search MIN..MAX that meets
// -slo (Run.Capacity), one subtest per probe in the order run, each logging
// its verdict. It fails when even MIN breaches or a probe did not complete;
// a breach above MIN is the answer, not a failure. Skipped without -slo
// and -search; -slo alone fails it.
func TestCapacity(t *testing.T) {
	if run.Config.SearchMax == 0 {
		// -slo alone also bounds the EOS picture; asked for by name, this
		// test says what is missing instead of passing without a search.
		if len(run.Config.SLO.Terms) > 0 {
			t.Fatal("-slo is set but -search is not: pass -search MIN..MAX (or STTBENCH_SEARCH), the range of levels to search, e.g. -search 1..64")
		}
		t.Skip("no search: pass -slo and -search (or STTBENCH_SLO and STTBENCH_SEARCH), e.g. -slo 'eos_p95<=800ms' -search 1..64")
	}
	if capacityResult == nil {
		ctx := t.Context()
		if deadline, ok := t.Deadline(); ok {
			// go test's -timeout panics at its deadline and the answer is
			// lost; the search stops a little before it, with what it knows.
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadlineCause(ctx, deadline.Add(-timeoutMargin), errTestTimeout)
			defer cancel()
		}
		repeat, _ := strconv.Atoi(flag.Lookup("test.count").Value.String())
		res, err := run.Capacity(ctx, CapacityOptions{Repeat: repeat,
			Each: func(n int, probe func() CapacityProbe) (p CapacityProbe) {
				t.Run("conc="+strconv.Itoa(n), func(t *testing.T) {
					p = probe()
					t.Log(p.String())
					if p.Verdict != VerdictOK && p.Verdict != VerdictBreach {
						t.Error("probe did not complete: " + strings.Join(p.Breaches, "; "))
					}
				})
				return p
			}})
		if errors.Is(context.Cause(ctx), errTestTimeout) {
			t.Error(errTestTimeout)
		}
		if err != nil && len(res.Probes) == 0 {
			t.Fatal(err)
		}
		capacityResult = &res
	} else {
		t.Logf("the search ran once, %d round(s) per probe", capacityResult.Repeat)
	}
	switch capacityResult.Outcome {
	case CapacityBelowMin, CapacityInterrupted:
		t.Error(capacityResult.Answer)
	default:
		t.Log(capacityResult.Answer)
	}
}
