package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench"
	"github.com/sttbench/sttbench/harness"
)

// writeRecord writes a record of one round of level n whose sessions got
// the hypotheses given, at 100 ms, 200 ms, ... after the end of speech.
func writeRecord(t *testing.T, path, normalizer string, n int, hyps ...string) {
	t.Helper()
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var sessions []harness.SessionResult
	for i, h := range hyps {
		eos := start.Add(2 * time.Second)
		sessions = append(sessions, harness.SessionResult{
			Index: i, Reference: "Twenty-five apples, please.", Outcome: harness.OK, Start: start, EOS: eos,
			FinalResult: eos.Add(time.Duration(i+1) * 100 * time.Millisecond), Queued: 1, Results: 1,
			Segments: []string{h}, AudioDuration: 3 * time.Second,
		})
	}
	rw, err := sttbench.CreateRecord(path, sttbench.RecordHeader{Normalizer: normalizer, Levels: []int{n}})
	require.NoError(t, err)
	require.NoError(t, rw.WriteRound(n, sttbench.Round{Level: harness.LevelResult{Concurrency: n, Sessions: sessions, Start: start, End: start.Add(5 * time.Second)}}))
	require.NoError(t, rw.Close())
}

func TestReportPrintsTheTableAndWritesTheCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.jsonl")
	writeRecord(t, path, sttbench.NormalizerVersion, 2, "25 apples please", "twenty five apples")
	csv := filepath.Join(dir, "out.csv")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", "-output", csv, path}, &stdout, &stderr))
	assert.Empty(t, stderr.String())

	rec, err := sttbench.ReadRecord(path)
	require.NoError(t, err)
	var want bytes.Buffer
	rows, err := sttbench.Report(&want, rec.Levels, rec.ByLevel)
	require.NoError(t, err)
	assert.Equal(t, "\n"+want.String()+"results written to "+csv+"\n", stdout.String())
	// The normalizer scores "25" and "twenty five" alike: one deletion in 6 words.
	assert.Contains(t, stdout.String(), "16.67")
	data, err := os.ReadFile(csv)
	require.NoError(t, err)
	var wantCSV bytes.Buffer
	require.NoError(t, sttbench.WriteCSV(&wantCSV, rows))
	assert.Equal(t, wantCSV.String(), string(data))
}

func TestReportMergesShardsAndRescoresOldRecords(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	writeRecord(t, a, "0", 2, "25 apples please")
	writeRecord(t, b, sttbench.NormalizerVersion, 2, "twenty five apples please")
	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", a, b}, &stdout, &stderr))
	assert.Equal(t, "sttbench: "+a+` was scored with normalizer "0"; this report re-scores it with "`+sttbench.NormalizerVersion+"\"\n", stderr.String())
	// One level of both shards' sessions (0/2), both exact once normalized.
	assert.Regexp(t, `(?m)^\s+2\s+0\.100s\s+0\.100s\s+0\.100s\s+3\.00s\s+0\.00\s.*\s0/2\s+-\s+-$`, stdout.String())
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	writeRecord(t, good, sttbench.NormalizerVersion, 2, "x")
	other := filepath.Join(dir, "other.jsonl")
	writeRecord(t, other, sttbench.NormalizerVersion, 3, "x")
	torn := filepath.Join(dir, "torn.jsonl")
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(torn, data[:len(data)-10], 0o644))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no record", []string{"report"}, "usage: sttbench report"},
		{"missing file", []string{"report", filepath.Join(dir, "nope.jsonl")}, "no such file or directory"},
		{"different runs", []string{"report", good, other}, "only shards of one run merge"},
		{"nothing complete", []string{"report", torn}, "no complete level to report"},
		{"bad output", []string{"report", "-output", filepath.Join(dir, "no", "x.csv"), good}, "create the directory"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+stderr.String(), tt.want)
		})
	}
	var stdout, stderr bytes.Buffer
	_ = run([]string{"report", torn}, &stdout, &stderr)
	assert.True(t, strings.HasPrefix(stderr.String(), "sttbench: "+torn+": line 3 is not a complete JSON line"), stderr.String())
}
