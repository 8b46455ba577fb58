package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench"
	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/plots"
)

// writeRun writes a record of levels 1 and 2 started at start, its
// sessions' results latency after the end of speech, with flags in its
// header.
func writeRun(t *testing.T, path string, start time.Time, latency time.Duration, flags map[string]string) {
	t.Helper()
	rw, err := sttbench.CreateRecord(path, sttbench.RecordHeader{Normalizer: sttbench.NormalizerVersion, Start: start, Levels: []int{1, 2}, Flags: flags})
	require.NoError(t, err)
	for _, n := range []int{1, 2} {
		var sessions []harness.SessionResult
		for i := range n {
			eos := start.Add(2 * time.Second)
			sessions = append(sessions, harness.SessionResult{
				Index: i, Reference: "one two three", Outcome: harness.OK, Start: start, EOS: eos,
				FinalResult: eos.Add(latency + time.Duration(i)*time.Millisecond), Queued: 1, Results: 1,
				Segments: []string{"one two three"}, AudioDuration: 3 * time.Second,
			})
		}
		require.NoError(t, rw.WriteRound(n, sttbench.Round{Level: harness.LevelResult{Concurrency: n, Sessions: sessions, Start: start, End: start.Add(5 * time.Second)}}))
	}
	require.NoError(t, rw.Close())
}

func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err, path)
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestReportDrawsPictures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.jsonl")
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	writeRun(t, path, start, 300*time.Millisecond, map[string]string{"stt-url": "ws://stt.example:8000/ws", "eos-p95-max": "800ms"})
	out := filepath.Join(dir, "plots")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", "-plots", out, path}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	// No GPU samples, no send lag recorded: those two are not drawn.
	assert.Contains(t, stdout.String(), "pictures written to "+out+": eos.png, wer.png, eos_distribution.png\n")
	for _, f := range []string{plots.FileEOS, plots.FileWER, plots.FileDistribution} {
		w, h := pngSize(t, filepath.Join(out, f))
		assert.Equal(t, [2]int{plots.WidthPx, plots.HeightPx}, [2]int{w, h}, f)
	}
	assert.NoFileExists(t, filepath.Join(out, plots.FileGPU))
}

func TestReportCompareDrawsBothRuns(t *testing.T) {
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.jsonl"), filepath.Join(dir, "after.jsonl")
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	writeRun(t, before, day, 300*time.Millisecond, nil)
	writeRun(t, after, day.Add(24*time.Hour), 500*time.Millisecond, nil)
	out := filepath.Join(dir, "plots")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", "-compare", "-plots", out, before, after}, &stdout, &stderr))
	assert.Empty(t, stderr.String())
	// Each run's own table, under its name: 0.300 s before, 0.500 s after.
	text := stdout.String()
	i, j := strings.Index(text, "before.jsonl ("), strings.Index(text, "after.jsonl (")
	require.True(t, i >= 0 && j > i, text)
	assert.Regexp(t, `(?m)^\s+1\s+0\.300s`, text[i:j])
	assert.Regexp(t, `(?m)^\s+1\s+0\.500s`, text[j:])
	w, h := pngSize(t, filepath.Join(out, plots.FileEOS))
	assert.Equal(t, [2]int{plots.WidthPx, plots.HeightPx}, [2]int{w, h})

	// Without -compare the same records merge, with a hint: they started
	// a day apart.
	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run([]string{"report", before, after}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "starts are 24h0m0s apart")
	assert.Contains(t, stderr.String(), "pass -compare")
}

func TestReportPlotErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	writeRun(t, good, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), 300*time.Millisecond, nil)
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	soak := filepath.Join(dir, "soak.jsonl")
	writeSoak(t, soak, time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"plots dir is a file", []string{"report", "-plots", file, good}, "name a directory"},
		{"plots parent missing", []string{"report", "-plots", filepath.Join(dir, "no", "plots"), good}, "create its parent directory"},
		{"compare one record", []string{"report", "-compare", good}, "-compare needs two or more records"},
		{"compare with a CSV", []string{"report", "-compare", "-output", filepath.Join(dir, "x.csv"), good, good}, "-output with -compare"},
		{"bad bound", []string{"report", "-eos-p95-max", "fast", good}, "invalid -eos-p95-max"},
		{"plots of a soak", []string{"report", "-plots", filepath.Join(dir, "p"), soak}, "-load soak record " + soak + " does not vary"},
		{"compare with a soak second", []string{"report", "-compare", "-plots", filepath.Join(dir, "p"), good, soak}, "-load soak record " + soak + " does not vary"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, stdout.String(), "checked before anything is reported")
		})
	}
}

// writeSoak writes the record of a one-minute soak of one session.
func writeSoak(t *testing.T, path string, start time.Time) {
	t.Helper()
	rw, err := sttbench.CreateRecord(path, sttbench.RecordHeader{Normalizer: sttbench.NormalizerVersion, Start: start, Levels: []int{1},
		Load: sttbench.LoadParams{Model: sttbench.LoadSoak, Concurrency: 1, Duration: time.Minute}})
	require.NoError(t, err)
	eos := start.Add(2 * time.Second)
	s := harness.SessionResult{Reference: "one two three", Outcome: harness.OK, DialStart: start, Start: start, EOS: eos, Ended: eos.Add(time.Second),
		FinalResult: eos.Add(300 * time.Millisecond), Queued: 1, Results: 1, Segments: []string{"one two three"}, AudioDuration: 3 * time.Second}
	require.NoError(t, rw.WriteRound(1, sttbench.Round{Level: harness.LevelResult{Concurrency: 1, Sessions: []harness.SessionResult{s}, Start: start, End: start.Add(time.Minute)}}))
	require.NoError(t, rw.Close())
}

// writeSearch writes the record of a capacity search: writeRun's levels,
// each an ok probe, and the answer line.
func writeSearch(t *testing.T, path string, start time.Time, latency time.Duration) sttbench.CapacityResult {
	t.Helper()
	writeRun(t, path, start, latency, map[string]string{"slo": "wer<=5", "search": "1..2"})
	res := sttbench.CapacityResult{Kind: "capacity", SLO: "wer<=5", Min: 1, Max: 2, Repeat: 1, Outcome: sttbench.CapacityAtLeastMax, Capacity: 2,
		Probes: []sttbench.CapacityProbe{{Level: 1, Verdict: sttbench.VerdictOK, Rounds: 1}, {Level: 2, Verdict: sttbench.VerdictOK, Rounds: 1}}}
	res.Answer = res.AnswerLine()
	line, err := json.Marshal(res)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(append(line, '\n'))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return res
}

// Two capacity searches compare, each under its answer; they never merge,
// since a search's probes are chosen from its own verdicts.
func TestReportComparesCapacitySearches(t *testing.T) {
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.jsonl"), filepath.Join(dir, "after.jsonl")
	day := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	answer := writeSearch(t, before, day, 300*time.Millisecond).Answer
	writeSearch(t, after, day.Add(time.Minute), 500*time.Millisecond)

	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", "-compare", before, after}, &stdout, &stderr))
	text := stdout.String()
	i, j := strings.Index(text, "before.jsonl ("), strings.Index(text, "after.jsonl (")
	require.True(t, i >= 0 && j > i, text)
	assert.Contains(t, text[i:j], answer+"\n")
	assert.Contains(t, text[j:], answer+"\n")

	stdout.Reset()
	err := run([]string{"report", before, after}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "record 1 is a capacity search (-search 1..2), which runs from one load host and merges with no other record")
	assert.Empty(t, stdout.String())

	// On its own a search reports, its answer first.
	require.NoError(t, run([]string{"report", before}, &stdout, &stderr))
	assert.True(t, strings.HasPrefix(strings.TrimSpace(stdout.String()), answer), stdout.String())

	// A search whose levels never completed still says its answer.
	lost := filepath.Join(dir, "lost.jsonl")
	rw, err := sttbench.CreateRecord(lost, sttbench.RecordHeader{Normalizer: sttbench.NormalizerVersion, Start: day, Levels: []int{1}, Flags: map[string]string{"search": "1..2"}})
	require.NoError(t, err)
	require.NoError(t, rw.Close())
	f, err := os.OpenFile(lost, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"kind":"capacity","slo":"wer<=5","min":1,"max":2,"outcome":"interrupted","probes":[{"level":1,"verdict":"interrupted"}]}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	stdout.Reset()
	err = run([]string{"report", lost}, &stdout, &stderr)
	require.ErrorContains(t, err, "no complete level to report")
	assert.Contains(t, stdout.String(), "capacity: unknown within wer<=5: search stopped: conc=1 interrupted before any level passed")
}
