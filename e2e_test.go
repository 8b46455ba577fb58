package sttbench

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
)

// testConfig is the configuration of a run against the embedded services
// with the given STT fault knobs, isolated from the user's flags.
func testConfig(t *testing.T, knobs string, levels ...int) Config {
	t.Helper()
	cfg, err := ParseConfig(values(map[string]string{
		"stt-url": "embedded" + knobs, "tts-url": "embedded", "level-pause": "0s",
		"nvidia-smi": filepath.Join(t.TempDir(), "no-nvidia-smi"),
	}))
	require.NoError(t, err)
	cfg.Levels = levels
	cfg.CacheDir = t.TempDir()
	return cfg
}

// runLevels runs each level once on a fresh suite and returns the suite
// (finished) and its rows.
func runLevels(t *testing.T, cfg Config) (*suite, []Row) {
	t.Helper()
	s := newSuite(t.Context(), cfg)
	var warnings bytes.Buffer
	s.warn = &warnings
	t.Cleanup(func() { s.finish(&bytes.Buffer{}) })
	require.NoError(t, s.setup())
	var rows []Row
	for _, n := range cfg.Levels {
		r, err := s.level(t.Context(), n, "")
		require.NoError(t, err)
		rows = append(rows, s.record(n, []round{r}))
	}
	return s, rows
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
	for _, r := range s.byLevel[8][0].level.Sessions {
		assert.Equal(t, harness.NormalizeText(r.Reference), harness.NormalizeText(r.Transcript()), "session %d", r.Index)
	}
	warnings := s.warn.(*bytes.Buffer).String()
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
	s := newSuite(t.Context(), cfg)
	start := time.Now()
	err = s.setup()
	require.Error(t, err)
	assert.Less(t, time.Since(start), 6*time.Second)
	for _, want := range []string{url, "refused", "Start the service", "-stt-url", "embedded"} {
		assert.Contains(t, err.Error(), want)
	}
}

var buildFakeSMI = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "sttbench-fakesmi-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nvidia-smi")
	out, err := exec.Command("go", "build", "-o", bin, "./gpumon/internal/fakesmi").CombinedOutput()
	if err != nil {
		return "", &exec.Error{Name: "go build fakesmi: " + string(out), Err: err}
	}
	return bin, nil
})

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
	warn := s.warn.(*bytes.Buffer).String()
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
			s := newSuite(t.Context(), testConfig(t, tt.knobs, 3))
			s.warn = &bytes.Buffer{}
			s.cfg.ResultTimeout = 3 * time.Second
			s.cfg.IdleTimeout = time.Second
			defer s.finish(&bytes.Buffer{})
			rows, breaches, err := s.gate(t.Context())
			require.NoError(t, err)
			require.Len(t, rows, 1)
			if tt.breach == "" {
				assert.Empty(t, breaches[0], "WER %v", rows[0].WER)
				return
			}
			require.NotEmpty(t, breaches[0])
			assert.Contains(t, strings.Join(breaches[0], "\n"), tt.breach)
			assert.Contains(t, breaches[0][0], "exceeds the bound")
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
