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
		{"different runs", []string{"report", good, other}, "only records of one run merge"},
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

// writeShard writes shard i/2 of a run of levels 2 and 4, with the rounds
// of the first `rounds` levels: each shard streams every other session.
func writeShard(t *testing.T, path string, i, rounds int) {
	t.Helper()
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	levels := []int{2, 4}
	rw, err := sttbench.CreateRecord(path, sttbench.RecordHeader{Normalizer: sttbench.NormalizerVersion, Levels: levels,
		Start: start, Host: "load-" + path, Shard: &sttbench.RecordShard{Index: i, Count: 2, StartAt: &start}})
	require.NoError(t, err)
	for _, n := range levels[:rounds] {
		var sessions []harness.SessionResult
		for k := i; k < n; k += 2 {
			eos := start.Add(2 * time.Second)
			sessions = append(sessions, harness.SessionResult{Index: k, Reference: "one two", Outcome: harness.OK, Start: start, EOS: eos,
				FinalResult: eos.Add(100 * time.Millisecond), Queued: 1, Results: 1, Segments: []string{"one two"}, AudioDuration: 3 * time.Second})
		}
		require.NoError(t, rw.WriteRound(n, sttbench.Round{Level: harness.LevelResult{Concurrency: n, Sessions: sessions, Start: start, End: start.Add(5 * time.Second)}}))
	}
	require.NoError(t, rw.Close())
}

// TestReportNamesAShardCutShort: the rounds a shard's record lacks are
// left out, with a warning naming the file and -partial; a shard not
// given leaves nothing to report unless -partial.
func TestReportNamesAShardCutShort(t *testing.T) {
	dir := t.TempDir()
	s0, cut := filepath.Join(dir, "shard-0.jsonl"), filepath.Join(dir, "shard-1.jsonl")
	writeShard(t, s0, 0, 2)
	writeShard(t, cut, 1, 1)

	var stdout, stderr bytes.Buffer
	require.NoError(t, run([]string{"report", s0, cut}, &stdout, &stderr))
	assert.Equal(t, "sttbench: warning: "+cut+" (shard 1/2) lacks rounds the others hold (conc=4): its run was cut short, or ended early; "+
		"those rounds are left out of the report, the other records' sessions of them too (pass -partial to report them from the records that hold them)\n",
		stderr.String())
	assert.Regexp(t, `(?m)^\s+2\s+0\.100s`, stdout.String())
	assert.NotRegexp(t, `(?m)^\s+4\s+0\.100s`, stdout.String(), "conc=4 holds only half its sessions")

	stdout.Reset()
	stderr.Reset()
	require.NoError(t, run([]string{"report", "-partial", s0, cut}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "the report's rounds of them hold only the sessions of the records that have them")
	assert.Regexp(t, `(?m)^\s+4\s+0\.100s`, stdout.String())

	stderr.Reset()
	err := run([]string{"report", s0}, &stdout, &stderr)
	require.ErrorContains(t, err, "no complete level to report")
	assert.Contains(t, stderr.String(), "sttbench: warning: shard(s) [1] of 2 not given: every round lacks their sessions")

	err = run([]string{"report", "-partial", "-compare", s0, cut}, &stdout, &stderr)
	assert.ErrorContains(t, err, "-partial with -compare")
}
