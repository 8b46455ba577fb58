package sttbench

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/wer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), string(got))
}

func sampleRows() []Row {
	full := NewRow(LevelSummary{
		Concurrency: 1, Rounds: 1, Sessions: 1, LatencyN: 1,
		EOSP50: 0.31234, EOSP95: 0.3402, EOSMean: 0.3189, AudioDuration: 9.2412,
		Words: wer.Counts{Hits: 30}, WordsRaw: wer.Counts{Hits: 28, Substitutions: 2}, WERRaw: 6.6667, MaxLag: 1200 * time.Microsecond, P99Lag: 900 * time.Microsecond,
		HostStealPct: ptr(3.25), ProcessCPUPct: ptr(27.5),
	}, []float64{10, 20, 30, 40, 95}, []float64{3029, 3029, 9449})
	partial := NewRow(LevelSummary{
		Concurrency: 40, Rounds: 2, Sessions: 80, LatencyN: 78, NegativeLatencies: 1,
		EOSP50: 1.5, EOSP95: 2.25, EOSMean: 1.6, AudioDuration: 9.0, WER: 1.25,
		Words:    wer.Counts{Hits: 790, Substitutions: 6, Deletions: 3, Insertions: 1},
		Failures: 2, Incomplete: 1, OutOfOrder: 3, Leaks: 1,
		MaxLag: 130 * time.Millisecond, P99Lag: 20 * time.Millisecond, Saturated: true,
	}, nil, nil)
	return []Row{full, partial}
}

func TestTableGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteTable(&buf, sampleRows()))
	golden(t, "table.golden", buf.Bytes())
}

func TestCSVGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, sampleRows()))
	golden(t, "results.csv.golden", buf.Bytes())
	header, _, _ := strings.Cut(buf.String(), "\n")
	assert.True(t, strings.HasPrefix(header,
		"concurrency,eos_p50,eos_p95,eos_mean,audio_duration_s,wer_pct,cancelled,total,gpu_util_p95,gpu_util_mean,vram_peak_mib,vram_mean_mib,"),
		"the first twelve columns keep the names of the tool this replaces")
}

func TestRowLeavesMissingFiguresEmpty(t *testing.T) {
	r := NewRow(Summarize(3, []harness.LevelResult{{Sessions: []harness.SessionResult{
		{Reference: "a b.", Outcome: harness.Failed}}}}), nil, nil)
	for _, f := range []Float{r.EOSP50, r.EOSP95, r.EOSMean, r.GPUUtilP95, r.GPUUtilMean, r.VRAMPeak, r.VRAMMean} {
		assert.False(t, f.Valid())
	}
	assert.Equal(t, Float(100), r.WER)
	assert.Equal(t, 1, r.Cancelled)
}

func TestWriteCSVFileReplacesAtomically(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	require.NoError(t, WriteCSVFile(path, sampleRows()))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(got), "concurrency,"))
	err = WriteCSVFile(filepath.Join(t.TempDir(), "missing", "out.csv"), sampleRows())
	assert.ErrorContains(t, err, "missing")
}

func TestNotesGolden(t *testing.T) {
	levels := []LevelSummary{
		{Concurrency: 10, Sessions: 10, LatencyN: 10, MaxClientLag: 140 * time.Millisecond, Saturated: true},
		{Concurrency: 20, Sessions: 20, LatencyN: 20, P99Lag: 7200 * time.Microsecond, MaxLag: 12 * time.Millisecond,
			HostStealPct: ptr(9.14), ProcessCPUPct: ptr(31)},
		{Concurrency: 40, Sessions: 40, LatencyN: 36, Incomplete: 2, Failures: 2, ServiceErrors: 2,
			MaxWrite:     2300 * time.Millisecond,
			LeakExamples: []string{`session 3 received text of session 7: "seven eight nine"`},
			Reasons: []ReasonCount{
				{Outcome: harness.Incomplete, Reason: "incomplete: fewer results than queued utterances (result timeout 30s after the last frame, results owed)", Count: 2, FirstAt: 37200 * time.Millisecond},
				{Outcome: harness.Errored, Reason: `service error "CUDA out of memory"`, Count: 1, FirstAt: 3200 * time.Millisecond},
				{Outcome: harness.Errored, Reason: "the service stopped reading audio: a frame write blocked for 5s", Count: 1, FirstAt: 4100 * time.Millisecond,
					Example: "session 17: the service stopped reading audio: frame 23 of 70 blocked for 5s"},
			}},
		{Concurrency: 200, Sessions: 200, LatencyN: 20, Incomplete: 180, HostStealPct: ptr(StealWarning - 0.01)},
	}
	var buf bytes.Buffer
	WriteNotes(&buf, levels)
	golden(t, "notes.golden", buf.Bytes())
	buf.Reset()
	// Half incomplete, half failed: no session to time.
	WriteNotes(&buf, []LevelSummary{{Concurrency: 4, Sessions: 4, Incomplete: 2, Failures: 2}})
	assert.Contains(t, buf.String(), "conc=4: 2 of 4 sessions did not get every result, and no session had a result to time: there is no EOS figure\n")
	assert.NotContains(t, buf.String(), "over the 0 ok sessions")
	buf.Reset()
	WriteNotes(&buf, levels)
	assert.Contains(t, buf.String(), "conc=200: 180 of 200 sessions did not get every result: the service is overloaded or dropping results\n")
	assert.NotContains(t, buf.String(), "conc=10: frames left late", "a saturated client has its own, stronger note")
	assert.Contains(t, buf.String(), "conc=20: frames left late: send lag p99 7.2 ms, max 12.0 ms")
	assert.Contains(t, buf.String(), "conc=20: this machine's hypervisor took 9.1 % of its CPU time while the level streamed (steal)")
	assert.NotContains(t, buf.String(), "conc=200: this machine's hypervisor", "steal under StealWarning is left to the CSV")
	assert.Contains(t, buf.String(), `conc=40: 1 session: service error "CUDA out of memory" (first at 3.2 s)`+"\n")
}
