package sttbench

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/wer"
)

// testConfig is the configuration of a run against the embedded services
// with the given STT fault knobs, isolated from the user's flags.
func testConfig(t *testing.T, knobs string, levels ...int) Config {
	t.Helper()
	cfg, err := ParseConfig(values(map[string]string{
		"stt-url": "embedded" + knobs, "tts-url": "embedded", "level-pause": "0s",
		"nvidia-smi": filepath.Join(t.TempDir(), "no-nvidia-smi"),
		// The reference service queues the last utterance within half a
		// second of the speech ending; 2 s of quiet after that is plenty.
		"idle-timeout": "2s",
	}))
	require.NoError(t, err)
	cfg.Levels = levels
	// Nothing of a test run lands outside its temporary directories.
	dir := t.TempDir()
	cfg.CacheDir = filepath.Join(dir, "cache")
	cfg.Output = filepath.Join(dir, "results.csv")
	cfg.Record = filepath.Join(dir, "results.jsonl")
	return cfg
}

// runLevels runs each level once on a fresh run, the way the benchmark
// does, and returns the run (finished at cleanup) and its rows.
func runLevels(t *testing.T, cfg Config) (*Run, []Row) {
	t.Helper()
	r := NewRun(t.Context(), cfg)
	var warnings bytes.Buffer
	r.Warn = &warnings
	t.Cleanup(func() { r.Finish(&bytes.Buffer{}) })
	rows, err := r.Ramp(t.Context())
	require.NoError(t, err)
	return r, rows
}

func TestEndToEndAgainstTheReferenceServices(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	s, rows := runLevels(t, testConfig(t, "", 1, 8))
	require.Len(t, rows, 2)
	for _, row := range rows {
		assert.Equal(t, Float(0), row.WER, "conc=%d", row.Concurrency)
		assert.Zero(t, row.Cancelled)
		assert.Zero(t, row.Leaks)
		assert.Equal(t, row.Concurrency, row.EOSN)
		assert.Positive(t, float64(row.EOSP50))
		assert.Less(t, float64(row.EOSP95), 2.0)
		assert.False(t, row.GPUUtilP95.Valid(), "no nvidia-smi: GPU columns stay empty")
	}
	// Every session got its own text back, word for word.
	for _, r := range s.Rounds(8)[0].Level.Sessions {
		assert.Equal(t, wer.Normalize(r.Reference), wer.Normalize(r.Transcript()), "session %d", r.Index)
	}
	warnings := s.Warn.(*bytes.Buffer).String()
	assert.Equal(t, 1, strings.Count(warnings, "warning:"), "one warning: %s", warnings)
	assert.Contains(t, warnings, "nvidia-smi not found")
}

func TestInjectedWordErrorsAreMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	_, rows := runLevels(t, testConfig(t, "?wer=0.2", 6))
	// The reference service substitutes floor(n*0.2) of each session's n words.
	assert.InDelta(t, 20, float64(rows[0].WER), 3, "measured WER")
	// Substituting one word of a spelled number ("forty two" -> "blue two")
	// scores as a substitution plus an insertion after normalization, so a
	// few errors of other kinds are expected.
	errors := rows[0].Substitutions + rows[0].Deletions + rows[0].Insertions
	assert.GreaterOrEqual(t, float64(rows[0].Substitutions), 0.8*float64(errors), "mostly substitutions")
	assert.Zero(t, rows[0].Cancelled)
}

func TestDeadServiceFailsFastWithAClearError(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "ws://" + ln.Addr().String() + "/ws"
	ln.Close()

	cfg := testConfig(t, "")
	cfg.STTURL = url
	s := NewRun(t.Context(), cfg)
	defer s.Finish(&bytes.Buffer{})
	start := time.Now()
	err = s.Setup()
	require.Error(t, err)
	assert.Less(t, time.Since(start), 6*time.Second)
	for _, want := range []string{url, "refused", "Start the service", "-stt-url", "embedded"} {
		assert.Contains(t, err.Error(), want)
	}
}

// fakeSMIDir holds the fake nvidia-smi once built; TestMain removes it.
var fakeSMIDir string

var buildFakeSMI = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sttbench-fakesmi-")
	if err != nil {
		return "", err
	}
	fakeSMIDir = dir
	bin := filepath.Join(dir, "nvidia-smi")
	out, err := exec.Command("go", "build", "-o", bin, "./gpumon/internal/fakesmi/nvidia-smi").CombinedOutput()
	if err != nil {
		return "", &exec.Error{Name: "go build fakesmi: " + string(out), Err: err}
	}
	return bin, nil
})

func removeFakeSMI() {
	if fakeSMIDir != "" {
		os.RemoveAll(fakeSMIDir)
	}
}

// TestGPUColumnsFromAFakeNvidiaSMI runs the benchmark path with a fake
// nvidia-smi (a real subprocess) replaying a capture of constant load, so
// the figures the GPU columns must show are known exactly.
func TestGPUColumnsFromAFakeNvidiaSMI(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	bin, err := buildFakeSMI()
	require.NoError(t, err)
	capture := filepath.Join(t.TempDir(), "dmon.txt")
	require.NoError(t, os.WriteFile(capture, []byte(
		"# gpu     sm    mem    enc    dec    jpg    ofa     fb   bar1   ccpm \n"+
			"# Idx      %      %      %      %      %      %     MB     MB     MB \n"+
			"    0     73     20      0      0      0      0   5120      1      0 \n"), 0o644))
	t.Setenv("FAKESMI_CAPTURE", capture)
	t.Setenv("FAKESMI_INTERVAL", "100ms")

	cfg := testConfig(t, "", 2)
	cfg.NvidiaSMI = bin
	s, rows := runLevels(t, cfg)
	row := rows[0]
	assert.Equal(t, Float(73), row.GPUUtilP95)
	assert.Equal(t, Float(73), row.GPUUtilMean)
	assert.Equal(t, Float(5120), row.VRAMPeak)
	assert.Equal(t, Float(5120), row.VRAMMean)
	assert.Greater(t, row.GPUSamples, 20, "a sample every 100 ms over a level of several seconds")
	warn := s.Warn.(*bytes.Buffer).String()
	assert.Contains(t, warn, "GPU 0")
	assert.NotContains(t, warn, "warning")

	var table bytes.Buffer
	require.NoError(t, WriteTable(&table, rows))
	assert.Contains(t, table.String(), "5120 MiB")
}

func TestGateVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	tests := []struct {
		name   string
		knobs  string
		breach string // "" means the gate passes
	}{
		{"word errors below the bound pass", "?wer=0.03", ""},
		{"word errors above the bound fail", "?wer=0.12", "conc=3: WER"},
		{"leaks fail", "?leak=0.5", "conc=3: leaked sessions"},
		{"dropped results fail", "?drop=1", "conc=3: failed sessions 3 of 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewRun(t.Context(), testConfig(t, tt.knobs, 3))
			s.Warn = &bytes.Buffer{}
			s.Config.ResultTimeout = 3 * time.Second
			s.Config.IdleTimeout = time.Second
			defer s.Finish(&bytes.Buffer{})
			results, err := s.Gate(t.Context())
			require.NoError(t, err)
			require.Len(t, results, 1)
			breaches := results[0].Breaches
			if tt.breach == "" {
				assert.Empty(t, breaches, "WER %v", results[0].Row.WER)
				return
			}
			require.NotEmpty(t, breaches)
			assert.Contains(t, strings.Join(breaches, "\n"), tt.breach)
			assert.Contains(t, breaches[0], "exceeds the bound")
		})
	}
}

func TestGateViolationLines(t *testing.T) {
	cfg := Config{WERMax: 5, LeakMax: 0, FailMax: 1, EOSP95Max: 800 * time.Millisecond}
	row := Row{Concurrency: 10, WER: 7.314, Leaks: 2, Cancelled: 2, Total: 10, EOSP95: 0.95}
	assert.Equal(t, []string{
		"conc=10: WER 7.31 % exceeds the bound 5.00 % (-wer-max)",
		"conc=10: leaked sessions 2 exceeds the bound 0 (-leak-max)",
		"conc=10: failed sessions 2 of 10 exceeds the bound 1 (-fail-max)",
		"conc=10: EOS p95 0.950s exceeds the bound 800ms (-eos-p95-max)",
	}, gateViolations(row, cfg))
	assert.Empty(t, gateViolations(Row{Concurrency: 1, WER: 5, EOSP95: 0.8, Total: 1}, cfg))
	none := Row{Concurrency: 1, WER: None, EOSP95: None}
	assert.Equal(t, []string{"conc=1: EOS p95 (no transcript to time) exceeds the bound 800ms (-eos-p95-max)"}, gateViolations(none, cfg))
}

// TestInterruptKeepsWhatWasMeasured runs the benchmark as a real process,
// interrupts it during the second level, and checks that the first level's
// figures were still printed and written, the run says it was cut short,
// and no nvidia-smi is left behind.
func TestInterruptKeepsWhatWasMeasured(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	bin, err := buildFakeSMI()
	require.NoError(t, err)
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "out.csv")
	cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x",
		"-stt-url", "embedded", "-tts-url", "embedded", "-concurrency", "1,2", "-level-pause", "0s",
		"-output", csvPath, "-nvidia-smi", bin, "-cache-dir", filepath.Join(dir, "cache"))
	cmd.Env = append(os.Environ(), "FAKESMI_INTERVAL=100ms")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill() })

	require.Eventually(t, func() bool { return strings.Contains(out.String(), "BenchmarkStreaming/conc=1") },
		60*time.Second, 50*time.Millisecond, "the first level never finished:\n%s", &out)
	time.Sleep(1500 * time.Millisecond) // the second level is streaming now
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	require.Error(t, err, "an interrupted run must not exit 0")

	got := out.String()
	assert.Contains(t, got, "interrupted")
	assert.Contains(t, got, "--- FAIL: BenchmarkStreaming/conc=2")
	assert.Contains(t, got, "interrupted during conc=2 before a round completed")
	assert.NotRegexp(t, `(?m)^PASS$`, got, "an interrupted run must not say PASS")
	assert.NotContains(t, got, "GPU monitor stopped")
	assert.NotContains(t, got, "warning:")
	table := got[strings.Index(got, "Conc  EOS p50"):]
	assert.Regexp(t, `(?m)^\s+1\s+\d\.\d{3}s`, table, "level 1 is in the table")
	assert.NotRegexp(t, `(?m)^\s+2\s+\d\.\d{3}s`, table, "the interrupted level is not")
	data, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, 2, "header and level 1")
	assert.True(t, strings.HasPrefix(lines[1], "1,"))
	assert.Empty(t, processesRunning(bin), "no nvidia-smi left behind")
}

// TestSecondInterruptKillsNvidiaSMI interrupts a real run twice, the second
// time while teardown waits for a dmon that ignores signals (SIGPIPE too, so
// it would outlive the run): the run exits at once and takes dmon with it.
func TestSecondInterruptKillsNvidiaSMI(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	bin, err := buildFakeSMI()
	require.NoError(t, err)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x",
		"-stt-url", "embedded", "-tts-url", "embedded", "-concurrency", "1", "-level-pause", "0s",
		"-output", filepath.Join(dir, "out.csv"), "-nvidia-smi", bin, "-cache-dir", filepath.Join(dir, "cache"))
	cmd.Env = append(os.Environ(), "FAKESMI_INTERVAL=100ms", "FAKESMI_MODE=ignore-signals")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		for _, pid := range processesRunning(bin) {
			if n, err := strconv.Atoi(pid); err == nil {
				syscall.Kill(n, syscall.SIGKILL)
			}
		}
	})

	require.Eventually(t, func() bool {
		return strings.Contains(out.String(), "sttbench: GPU 0") && len(processesRunning(bin)) > 0
	},
		60*time.Second, 50*time.Millisecond, "dmon never started:\n%s", &out)
	time.Sleep(500 * time.Millisecond) // the level is streaming
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	// The level fails; teardown then waits up to 2 s for dmon to exit.
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "--- FAIL") },
		30*time.Second, 20*time.Millisecond, "the interrupted level did not end:\n%s", &out)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "%s", &out)
	assert.Equal(t, 130, exitErr.ExitCode(), "%s", &out)
	assert.Contains(t, out.String(), "sttbench: interrupted again: child processes killed, exiting now")
	assert.Empty(t, processesRunning(bin), "nvidia-smi left behind")
}

// processesRunning lists the PIDs whose command line starts with path.
func processesRunning(path string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.HasPrefix(string(cmdline), path+"\x00") {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// syncBuffer is a bytes.Buffer safe for a subprocess's writers and a reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRecordReReportsTheRun checks that the run record, written as the run
// goes, holds everything the run's table and CSV came from: reported again
// from the record alone, they are the same to the byte.
func TestRecordReReportsTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	cfg := testConfig(t, "?wer=0.2", 2, 3)
	cfg.APIKey = "planted-record-key"
	s, _ := runLevels(t, cfg)
	var out bytes.Buffer
	require.NoError(t, s.Finish(&out))
	runCSV, err := os.ReadFile(cfg.Output)
	require.NoError(t, err)

	raw, err := os.ReadFile(cfg.Record)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), cfg.APIKey, "no secret in the record")
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	assert.Empty(t, rec.Skipped)
	assert.Equal(t, RecordSchema, rec.Header.Schema)
	assert.Equal(t, NormalizerVersion, rec.Header.Normalizer)
	assert.Equal(t, []int{2, 3}, rec.Header.Levels)
	assert.Equal(t, "embedded?wer=0.2", rec.Header.Flags["stt-url"])
	assert.NotContains(t, rec.Header.Flags, "api-key")
	require.Equal(t, []int{2, 3}, rec.Levels)
	for _, r := range rec.ByLevel[3][0].Level.Sessions {
		assert.Len(t, r.AudioSHA256, 64)
		assert.NotEmpty(t, r.Messages)
		assert.Len(t, r.SendLags, r.FramesSent)
	}

	var again bytes.Buffer
	rows, err := Report(&again, rec.Levels, rec.ByLevel)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "\n"+again.String(), "the table and notes, to the byte")
	var csv bytes.Buffer
	require.NoError(t, WriteCSV(&csv, rows))
	assert.Equal(t, string(runCSV), csv.String(), "the CSV, to the byte")
}

func TestProbeAgainstTheReferenceService(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	s := NewRun(t.Context(), testConfig(t, "", 1))
	s.Warn = &bytes.Buffer{}
	defer s.Finish(&bytes.Buffer{})
	var out bytes.Buffer
	res, err := s.Probe(&out)
	require.NoError(t, err)
	assert.Equal(t, harness.OK, res.Outcome)
	for _, want := range []string{"probe: streaming", "first frame sent", "end of speech (EOS)",
		`received {"status":"queued"}`, "EOS latency:", "WER:         0.00 %", "verdict:     ok"} {
		assert.Contains(t, out.String(), want)
	}
}

// TestSaturatedReferenceServiceLooksWorseNotBetter pushes the reference
// service past its capacity (every second of audio costs 0.3 s of the
// single worker, so 8 streams need 2.4 s of work a second) and checks that
// the saturated level reads worse than the unsaturated one, and that every
// session is accounted for with a reason.
func TestSaturatedReferenceServiceLooksWorseNotBetter(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	s, rows := runLevels(t, testConfig(t, "?per_sec=300ms", 1, 8))
	require.Len(t, rows, 2)
	calm, saturated := rows[0], rows[1]
	t.Logf("EOS p50: conc=1 %.3fs, conc=8 %.3fs (%d of 8 ok)", float64(calm.EOSP50), float64(saturated.EOSP50), saturated.EOSN)
	require.True(t, calm.EOSP50.Valid() && saturated.EOSP50.Valid(), "both levels have ok sessions to time")
	assert.Greater(t, float64(saturated.EOSP50), float64(calm.EOSP50)+1, "a backlog of seconds shows in EOS p50")
	assert.Zero(t, saturated.EOSNegative)
	for _, n := range []int{1, 8} {
		sessions := s.Rounds(n)[0].Level.Sessions
		require.Len(t, sessions, n)
		outcomes := map[harness.Outcome]int{}
		for _, r := range sessions {
			outcomes[r.Outcome]++
			assert.Contains(t, []harness.Outcome{harness.OK, harness.Incomplete, harness.Failed, harness.Errored}, r.Outcome)
			if r.Outcome != harness.OK {
				assert.NotEmpty(t, r.Reason, "session %d (%s) has a reason", r.Index, r.Outcome)
			} else {
				assert.GreaterOrEqual(t, r.Results, r.Queued)
				assert.Positive(t, r.EOSLatency())
			}
		}
		row := rows[0]
		if n == 8 {
			row = rows[1]
		}
		assert.Equal(t, outcomes[harness.OK], row.EOSN, "conc=%d: only ok sessions are timed", n)
		assert.Equal(t, outcomes[harness.Incomplete], row.Incomplete)
		assert.Equal(t, outcomes[harness.Failed]+outcomes[harness.Errored], row.Cancelled)
	}
}
