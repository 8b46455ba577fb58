package sttbench

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
)

// syntheticRound is a round of n sessions with known latencies and texts.
func syntheticRound(n int, start time.Time, from int) Round {
	var sessions []harness.SessionResult
	for i := range n {
		eos := start.Add(2 * time.Second)
		sessions = append(sessions, harness.SessionResult{
			Index: from + i, Reference: "one two three.", Outcome: harness.OK, Start: start, EOS: eos,
			FinalResult: eos.Add(time.Duration(100*(from+i+1)) * time.Millisecond),
			Queued:      1, Results: 1, Segments: []string{"one two three"},
			AudioDuration: 3 * time.Second, SendLags: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		})
	}
	sm, fb := 50.0, 1024.0
	host := harness.HostLoad{StealPct: ptr(1.0), ProcessCPUPct: ptr(20.0)}
	return Round{Level: harness.LevelResult{Concurrency: n, Sessions: sessions, Start: start, End: start.Add(5 * time.Second), Host: host},
		GPU: []RecordedGPU{{At: start.Add(time.Second), SM: &sm, FBMiB: &fb}, {At: start.Add(2 * time.Second)}}}
}

func writeRecord(t *testing.T, path string, levels []int, rounds map[int][]Round) {
	t.Helper()
	rw, err := CreateRecord(path, RecordHeader{Normalizer: NormalizerVersion, Levels: levels, Flags: map[string]string{"concurrency": "2,4"}})
	require.NoError(t, err)
	for _, n := range levels {
		for _, r := range rounds[n] {
			require.NoError(t, rw.WriteRound(n, r))
		}
	}
	require.NoError(t, rw.Close())
}

func reportOf(t *testing.T, rec *Record) string {
	t.Helper()
	var buf bytes.Buffer
	_, err := Report(&buf, rec.Levels, rec.ByLevel)
	require.NoError(t, err)
	return buf.String()
}

func TestRecordRoundTrip(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	rounds := map[int][]Round{2: {syntheticRound(2, start, 0)}, 4: {syntheticRound(4, start.Add(time.Minute), 0)}}
	writeRecord(t, path, []int{2, 4}, rounds)
	rec, err := ReadRecord(path)
	require.NoError(t, err)
	assert.Empty(t, rec.Skipped)
	assert.Equal(t, []int{2, 4}, rec.Levels)
	assert.Equal(t, "2,4", rec.Header.Flags["concurrency"])
	require.Len(t, rec.ByLevel[4], 1)
	row := LevelRow(4, rec.ByLevel[4])
	assert.Equal(t, LevelRow(4, rounds[4]), row, "the row from the record is the row of the run")
	assert.InDelta(t, 0.25, float64(row.EOSP50), 1e-9)
	assert.Equal(t, Float(50), row.GPUUtilMean, "a sample without SM is left out, not counted as 0")
	assert.Equal(t, Float(1), row.HostStealPct, "the load host's figures come back from the record")
	assert.Equal(t, Float(20), row.ProcessCPUPct)
}

func TestTornRecordReportsItsCompleteRounds(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	writeRecord(t, path, []int{2, 4}, map[int][]Round{2: {syntheticRound(2, start, 0)}, 4: {syntheticRound(4, start, 0)}})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// Cut the file in the middle of level 4's closing line: that round
	// never completed.
	cut := bytes.LastIndex(data[:len(data)-1], []byte("\n")) + 40
	require.NoError(t, os.WriteFile(path, data[:cut], 0o644))

	rec, err := ReadRecord(path)
	require.NoError(t, err)
	assert.Equal(t, []int{2}, rec.Levels)
	assert.Equal(t, []string{
		"line 9 is not a complete JSON line (a run cut short?): skipped",
		"conc=4 round 0 never completed (4 sessions recorded): skipped",
	}, rec.Skipped)
	assert.Contains(t, reportOf(t, rec), "\n     2 ")
}

func TestRecordsOfTwoShardsMergeIntoOneRun(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	whole := syntheticRound(4, start, 0)
	half1, half2 := whole, whole
	half1.Level.Sessions, half2.Level.Sessions = whole.Level.Sessions[:2], whole.Level.Sessions[2:]
	half2.GPU = nil
	// The second shard's host lost more time to its hypervisor and did not
	// measure its own CPU.
	half2.Level.Host = harness.HostLoad{StealPct: ptr(1.5)}
	writeRecord(t, filepath.Join(dir, "a.jsonl"), []int{4}, map[int][]Round{4: {half1}})
	writeRecord(t, filepath.Join(dir, "b.jsonl"), []int{4}, map[int][]Round{4: {half2}})
	writeRecord(t, filepath.Join(dir, "one.jsonl"), []int{4}, map[int][]Round{4: {whole}})
	var shards []*Record
	for _, name := range []string{"a.jsonl", "b.jsonl"} {
		r, err := ReadRecord(filepath.Join(dir, name))
		require.NoError(t, err)
		shards = append(shards, r)
	}
	merged, err := MergeRecords(shards, MergeOptions{})
	require.NoError(t, err)
	one, err := ReadRecord(filepath.Join(dir, "one.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, one.ByLevel[4][0].Level.Sessions, merged.ByLevel[4][0].Level.Sessions)
	assert.Equal(t, reportOf(t, one), reportOf(t, merged), "percentiles from the merged sessions")
	assert.Equal(t, harness.HostLoad{StealPct: ptr(1.5), ProcessCPUPct: ptr(20.0)}, merged.ByLevel[4][0].Level.Host,
		"the merged round keeps the busiest shard host's figures")

	other := filepath.Join(dir, "other.jsonl")
	writeRecord(t, other, []int{2}, map[int][]Round{2: {syntheticRound(2, start, 0)}})
	o, err := ReadRecord(other)
	require.NoError(t, err)
	_, err = MergeRecords([]*Record{shards[0], o}, MergeOptions{})
	assert.EqualError(t, err, "merge records: record 2 was set to levels [2] (-concurrency), record 1 to [4]: only records of one run merge")
}

func TestRecordReadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, content, want string }{
		{"empty", "", "empty file"},
		{"not a record", `{"kind":"session"}` + "\n", "line 1 is not a record header"},
		{"newer schema", `{"kind":"header","schema":99}` + "\n", "record schema 99, this sttbench reads schema 1"},
		{"unknown kind", `{"kind":"header","schema":1}` + "\n" + `{"kind":"weather"}` + "\n", `line 2: unknown kind "weather"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".jsonl")
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			_, err := ReadRecord(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := ReadRecord(filepath.Join(dir, "missing.jsonl"))
	assert.ErrorContains(t, err, "no such file")
}

func ptr(v float64) *float64 { return &v }
