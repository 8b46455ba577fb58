package sttbench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/refstt"
)

func TestShardFlags(t *testing.T) {
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	for _, tt := range []struct {
		name string
		over map[string]string
		want string // error substring; "" means valid
	}{
		{"off by default", nil, ""},
		{"a shard", map[string]string{"shard": "2/4"}, ""},
		{"aligned shards", map[string]string{"shard": "0/4", "start-at": at.Format(time.RFC3339), "slot": "90s"}, ""},
		{"no slash", map[string]string{"shard": "2"}, "invalid -shard \"2\" (or STTBENCH_SHARD): write I/N"},
		{"index past the count", map[string]string{"shard": "4/4"}, "0 <= I < N (0 to 3 for N = 4)"},
		{"negative index", map[string]string{"shard": "-1/4"}, "0 <= I < N"},
		{"no shards", map[string]string{"shard": "0/0"}, "N must be at least 1"},
		{"not numbers", map[string]string{"shard": "a/b"}, "two integers"},
		{"probe", map[string]string{"shard": "0/2", "probe": "true"}, "-probe runs one session"},
		{"soak", map[string]string{"shard": "0/2", "load": "soak", "concurrency": "4", "duration": "1m"}, "shards split the levels of -load ramp; for -load soak"},
		{"bad time", map[string]string{"start-at": "tomorrow"}, "invalid -start-at \"tomorrow\" (or STTBENCH_START_AT): not an RFC 3339 time"},
		{"bad slot", map[string]string{"start-at": at.Format(time.RFC3339), "slot": "-1s"}, "invalid -slot \"-1s\" (or STTBENCH_SLOT): must be positive"},
		{"slot alone", map[string]string{"slot": "60s"}, "has no effect without -start-at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(values(tt.over))
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			if tt.over["shard"] == "2/4" {
				assert.Equal(t, [2]int{2, 4}, [2]int{c.ShardIndex, c.ShardCount})
				assert.Equal(t, []int{2, 6}, c.shardOf(10))
				assert.Empty(t, c.shardOf(2), "fewer sessions than shards: none for shard 2")
			}
			if tt.over["slot"] != "" {
				assert.True(t, c.StartAt.Equal(at))
				assert.Equal(t, 90*time.Second, c.Slot)
			}
			if tt.over == nil {
				assert.Zero(t, c.ShardCount)
				assert.Len(t, c.shardOf(3), 3)
			}
		})
	}
}

func TestDerivedSlotBoundsARound(t *testing.T) {
	cfg, err := ParseConfig(values(nil))
	require.NoError(t, err)
	r := &Run{Config: cfg}
	all := []string{"short.", strings.Repeat("x", 100), "mid text."}
	// The level's longest text decides, whichever shard streams it.
	assert.Equal(t, 10*time.Second+(2*time.Second+100*150*time.Millisecond)+3*time.Second+30*time.Second+2500*time.Millisecond, r.slotFor(all, 2))
	assert.Equal(t, r.slotFor(all, 2), r.slotFor(all, 3))
	assert.Less(t, r.slotFor(all, 1), r.slotFor(all, 2))
	r.Config.Slot = time.Minute
	assert.Equal(t, time.Minute, r.slotFor(all, 1), "-slot overrides")
}

// shardRecord writes a record of shard (nil: not a shard) holding rounds
// and reads it back.
func shardRecord(t *testing.T, shard *RecordShard, flags map[string]string, levels []int, rounds map[int][]Round) *Record {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if flags == nil {
		flags = map[string]string{"result-timeout": "30s"}
	}
	rw, err := CreateRecord(path, RecordHeader{Normalizer: NormalizerVersion, Levels: levels, Flags: flags, Shard: shard})
	require.NoError(t, err)
	for _, n := range levels {
		for _, r := range rounds[n] {
			require.NoError(t, rw.WriteRound(n, r))
		}
	}
	require.NoError(t, rw.Close())
	rec, err := ReadRecord(path)
	require.NoError(t, err)
	return rec
}

// pick is the sessions of round with the given indices.
func pick(round Round, idx ...int) Round {
	out := round
	out.Level.Sessions = nil
	for _, i := range idx {
		out.Level.Sessions = append(out.Level.Sessions, round.Level.Sessions[i])
	}
	return out
}

func TestShardRecordsMergeIntoOneRun(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	whole4, whole1 := syntheticRound(4, start, 0), syntheticRound(1, start.Add(time.Minute), 0)
	empty := Round{Level: harness.LevelResult{Sessions: []harness.SessionResult{}, Start: start.Add(time.Minute), End: start.Add(time.Minute)}}
	levels := []int{4, 1}
	shard := func(i int) *RecordShard { return &RecordShard{Index: i, Count: 2, StartAt: &start, Slot: "60s"} }
	s0 := shardRecord(t, shard(0), nil, levels, map[int][]Round{4: {pick(whole4, 0, 2)}, 1: {whole1}})
	s1 := shardRecord(t, shard(1), nil, levels, map[int][]Round{4: {pick(whole4, 1, 3)}, 1: {empty}})
	one := shardRecord(t, nil, nil, levels, map[int][]Round{4: {whole4}, 1: {whole1}})
	assert.Equal(t, "1/2", s1.Header.Shard.String())
	assert.True(t, s1.Header.Shard.StartAt.Equal(start), "the header keeps -start-at")
	require.Len(t, s1.ByLevel[1], 1, "an empty round reads back")
	assert.Empty(t, s1.ByLevel[1][0].Level.Sessions)

	merged, err := MergeRecords([]*Record{s1, s0}, MergeOptions{})
	require.NoError(t, err)
	var idx []int
	for _, s := range merged.ByLevel[4][0].Level.Sessions {
		idx = append(idx, s.Index)
	}
	assert.Equal(t, []int{0, 1, 2, 3}, idx, "sessions in the order of their index in the level")
	assert.Equal(t, one.ByLevel[4][0].Level.Sessions, merged.ByLevel[4][0].Level.Sessions)
	assert.Equal(t, reportOf(t, one), reportOf(t, merged), "the merged shards report as the unsharded run")
	assert.Empty(t, MissingShards([]*Record{s0, s1}))
	assert.Equal(t, []int{1}, MissingShards([]*Record{s0}))
	assert.Nil(t, MissingShards([]*Record{one}))

	later := start.Add(time.Hour)
	for _, tt := range []struct {
		name string
		recs []*Record
		want string
	}{
		{"one shard twice", []*Record{s0, s1, s0}, "merge records: records 1 and 3 are both shard 0/2: give each shard's record once"},
		{"a shard and an unsharded run", []*Record{s0, one}, "record 2 is not a shard, record 1 is shard 0/2"},
		{"different shard counts", []*Record{s0, shardRecord(t, &RecordShard{Index: 1, Count: 3, StartAt: &start}, nil, levels, nil)},
			"record 2 is shard 1/3, record 1 is shard 0/2: shards of different runs (a different shard count)"},
		{"different start times", []*Record{s0, shardRecord(t, &RecordShard{Index: 1, Count: 2, StartAt: &later}, nil, levels, nil)},
			"shards of different runs (-start-at differs)"},
		{"no start time", []*Record{s0, shardRecord(t, &RecordShard{Index: 1, Count: 2}, nil, levels, nil)},
			"record 2 (shard 1/2) started at (no -start-at)"},
		{"different flags", []*Record{s0, shardRecord(t, shard(1), map[string]string{"result-timeout": "10s"}, levels, nil)},
			`record 2 (shard 1/2) ran with -result-timeout "10s", record 1 (shard 0/2) with "30s": shards of different runs`},
		{"overlapping shards", []*Record{s0, shardRecord(t, shard(1), nil, levels, map[int][]Round{4: {pick(whole4, 1, 2)}})},
			"conc=4 round 0 holds session 2 twice: the shards overlap"},
		{"different frames", []*Record{s0, shardRecord(t, shard(1), map[string]string{"result-timeout": "30s", "frame": "20ms"}, levels, nil)},
			`record 2 ran with -frame "20ms", record 1 with "": only records of one run merge`},
		{"different phases", []*Record{s0, shardRecord(t, shard(1), map[string]string{"result-timeout": "30s", "phase": "aligned"}, levels, nil)},
			`ran with -phase "aligned"`},
		{"different audio", []*Record{s0, withAudio(s1, "espeak en-us")},
			`record 2 (shard 1/2) streamed "espeak en-us", record 1 (shard 0/2) "": shards of different runs`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergeRecords(tt.recs, MergeOptions{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// withAudio is a copy of rec that streamed source.
func withAudio(rec *Record, source string) *Record {
	c := *rec
	c.Header.AudioSource = source
	return &c
}

// TestAShardCutShortIsNamedAndItsRoundsLeftOut: a shard whose record ends
// early (killed, or it missed -start-at) or was not given at all would
// drop its sessions from the merged figures; its rounds are left out and
// named, or with -partial kept and named.
func TestAShardCutShortIsNamedAndItsRoundsLeftOut(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	whole4, whole2 := syntheticRound(4, start, 0), syntheticRound(2, start.Add(time.Minute), 0)
	levels := []int{4, 2}
	shard := func(i int) *RecordShard { return &RecordShard{Index: i, Count: 2, StartAt: &start} }
	s0 := shardRecord(t, shard(0), nil, levels, map[int][]Round{4: {pick(whole4, 0, 2)}, 2: {pick(whole2, 0)}})
	cut := shardRecord(t, shard(1), nil, levels, map[int][]Round{4: {pick(whole4, 1, 3)}})
	headerOnly := shardRecord(t, shard(1), nil, levels, nil)

	merged, err := MergeRecords([]*Record{s0, cut}, MergeOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int{4}, merged.Levels, "conc=2 lacks shard 1's session: left out")
	assert.Len(t, merged.ByLevel[4][0].Level.Sessions, 4)
	require.Len(t, merged.Gaps, 1)
	assert.Contains(t, merged.Gaps[0], cut.Path+" (shard 1/2) lacks rounds the others hold (conc=2)")
	assert.Contains(t, merged.Gaps[0], "left out of the report")
	assert.Contains(t, merged.Gaps[0], "pass -partial")

	partial, err := MergeRecords([]*Record{s0, cut}, MergeOptions{Partial: true})
	require.NoError(t, err)
	assert.Equal(t, []int{4, 2}, partial.Levels)
	assert.Len(t, partial.ByLevel[2][0].Level.Sessions, 1, "-partial keeps shard 0's session of conc=2")
	require.Len(t, partial.Gaps, 1)
	assert.Contains(t, partial.Gaps[0], "hold only the sessions of the records that have them")

	merged, err = MergeRecords([]*Record{s0, headerOnly}, MergeOptions{})
	require.NoError(t, err)
	assert.Empty(t, merged.Levels, "a shard that recorded nothing leaves every round incomplete")
	require.Len(t, merged.Gaps, 1)
	assert.Contains(t, merged.Gaps[0], "(shard 1/2) lacks rounds the others hold (conc=4, conc=2)")

	merged, err = MergeRecords([]*Record{s0}, MergeOptions{})
	require.NoError(t, err)
	assert.Empty(t, merged.Levels, "a shard not given leaves every round incomplete")
	assert.Equal(t, []string{"shard(s) [1] of 2 not given: every round lacks their sessions, so nothing is reported; " +
		"give every shard's record (or pass -partial to report the shards given)"}, merged.Gaps)
	partial, err = MergeRecords([]*Record{s0}, MergeOptions{Partial: true})
	require.NoError(t, err)
	assert.Equal(t, levels, partial.Levels)
	assert.Equal(t, []string{"shard(s) [1] of 2 not given: the report covers only the sessions of the shards given"}, partial.Gaps)

	full, err := MergeRecords([]*Record{s0, shardRecord(t, shard(1), nil, levels, map[int][]Round{4: {pick(whole4, 1, 3)}, 2: {pick(whole2, 1)}})}, MergeOptions{})
	require.NoError(t, err)
	assert.Equal(t, levels, full.Levels)
	assert.Empty(t, full.Gaps)
}

// TestARecordGivenTwiceIsAnError: the same record twice would double every
// count of an unsharded merge.
func TestARecordGivenTwiceIsAnError(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rec := shardRecord(t, nil, nil, []int{2}, map[int][]Round{2: {syntheticRound(2, start, 0)}})
	rec.Header.Start, rec.Header.Host = start, "load-1"
	other := *rec
	other.Header.Host = "load-2"
	_, err := MergeRecords([]*Record{rec, &other, rec}, MergeOptions{})
	assert.EqualError(t, err, `merge records: records 1 and 3 are the same run (host "load-1", started 2026-12-01T10:00:00Z): give each record once`)
	merged, err := MergeRecords([]*Record{rec, &other}, MergeOptions{})
	require.NoError(t, err, "two hosts' records of one moment merge")
	assert.Len(t, merged.ByLevel[2][0].Level.Sessions, 4)

	aligned := other
	aligned.Header.Flags = map[string]string{"phase": "aligned"}
	_, err = MergeRecords([]*Record{rec, &aligned}, MergeOptions{})
	assert.EqualError(t, err, `merge records: record 2 ran with -phase "aligned", record 1 with "": only records of one run merge`)
}

// TestStartAtAlreadyPassedIsAnError: a start time behind the clock stops
// the run before any service is contacted or any audio prepared.
func TestStartAtAlreadyPassedIsAnError(t *testing.T) {
	cfg := testConfig(t, "", 2)
	cfg.ShardIndex, cfg.ShardCount = 0, 2
	cfg.StartAt = time.Now().Add(-time.Minute).Truncate(time.Second)
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	defer r.Finish(&bytes.Buffer{})
	err := r.Setup()
	require.Error(t, err)
	for _, want := range []string{"invalid -start-at " + cfg.StartAt.Format(time.RFC3339), "STTBENCH_START_AT", "passed 1m0", "far enough ahead"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, r.clips, "no audio prepared")
	_, statErr := os.Stat(cfg.Record)
	assert.True(t, os.IsNotExist(statErr), "no record begun")
}

func TestSlotShorterThanAClipIsAnError(t *testing.T) {
	cfg := testConfig(t, "", 2)
	cfg.StartAt, cfg.Slot = time.Now().Add(time.Minute), 4*time.Second
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	defer r.Finish(&bytes.Buffer{})
	err := r.Setup()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid -slot 4s (or STTBENCH_SLOT): conc=2 streams a clip of")
	assert.Contains(t, err.Error(), "give a longer slot to every shard")

	// A slot that holds the clips but not the wait after them: every
	// session waits the idle timeout after its last frame.
	cfg = testConfig(t, "", 2)
	cfg.StartAt, cfg.Slot = time.Now().Add(time.Minute), 2*time.Minute
	cfg.IdleTimeout, cfg.ResultTimeout = 3*time.Minute, 4*time.Minute
	r2 := NewRun(t.Context(), cfg)
	r2.Warn = &bytes.Buffer{}
	defer r2.Finish(&bytes.Buffer{})
	err = r2.Setup()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid -slot 2m0s (or STTBENCH_SLOT): conc=2 streams a clip of")
	assert.Contains(t, err.Error(), "the 3m0s a session waits after its last frame (-idle-timeout)")
}

// TestStartAtStartsTheRunOnTime runs one shard of a level under a derived
// slot: the round starts no earlier than -start-at, session numbers are the
// level's, and the header records the shard and its slot.
func TestStartAtStartsTheRunOnTime(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	cfg := testConfig(t, "", 5)
	cfg.ShardIndex, cfg.ShardCount = 1, 2
	// Far enough ahead for setup on a busy machine (under -race, beside
	// other tests, it has taken 9 s).
	cfg.StartAt = time.Now().Add(15 * time.Second)
	r, rows := runLevels(t, cfg)
	require.Len(t, rows, 1)
	assert.Equal(t, 2, rows[0].Total, "shard 1/2 of 5 sessions streams 2")
	assert.Zero(t, rows[0].Cancelled)
	round := r.Rounds(5)[0].Level
	assert.False(t, round.Start.Before(cfg.StartAt), "started %v before -start-at", cfg.StartAt.Sub(round.Start))
	all, err := LoadTexts("")
	require.NoError(t, err)
	for j, s := range round.Sessions {
		assert.Equal(t, 1+2*j, s.Index)
		assert.Equal(t, all[s.Index], s.Reference, "session i speaks text i")
	}
	require.NoError(t, r.Finish(&bytes.Buffer{}))
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	require.NotNil(t, rec.Header.Shard)
	assert.Equal(t, "1/2", rec.Header.Shard.String())
	assert.True(t, rec.Header.Shard.StartAt.Equal(cfg.StartAt))
	assert.Equal(t, r.slotFor(all, 5), rec.Header.Shard.Slots[5], "the derived slot is recorded")
	assert.Greater(t, rec.Header.Shard.Slots[5], cfg.ResultTimeout)
}

// TestRoundOverrunningItsSlotIsAnError: a service slower than the slot
// allows makes the first round end after the second one's slot began; the
// run stops there, keeping the first round, rather than run out of step.
func TestRoundOverrunningItsSlotIsAnError(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	// Every batch takes 8 s: a round lasts its clip (about 5 s), the
	// trailing second and 8 s more, well past a 12 s slot, which the
	// check before the run accepts (clip, 3 s, the 2 s idle timeout).
	cfg := testConfig(t, "?base=8s", 1, 2)
	cfg.ResultTimeout = 15 * time.Second
	cfg.StartAt, cfg.Slot = time.Now().Add(15*time.Second), 12*time.Second
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	defer r.Finish(&bytes.Buffer{})
	rows, err := r.Ramp(t.Context())
	require.Error(t, err)
	assert.Len(t, rows, 1, "the first level completed")
	for _, want := range []string{"conc=2: round 2 of the run was due at", "took longer than its slot of 12s", "pass a longer -slot"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, r.Rounds(2), "the late round was not run")
}

// TestShardsMergeIntoTheUnshardedRun runs four shards of the compiled test
// binary at once against one reference service, aligned by -start-at, and
// checks that their merged records hold every session of each level once,
// numbered as in the level, with the outcomes of the same levels run
// unsharded.
func TestShardsMergeIntoTheUnshardedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	const shards = 4
	levels := []int{4, 8}
	srv, err := refstt.Listen("127.0.0.1:0", refstt.Config{})
	require.NoError(t, err)
	defer srv.Close()

	// The unsharded run, meanwhile, against a service of its own.
	cfg := testConfig(t, "", levels...)
	cfg.ResultTimeout = 10 * time.Second
	unsharded := make(chan []Row, 1)
	done := make(chan struct{})
	t.Cleanup(func() { <-done }) // the test's context is cancelled by then
	go func() {
		defer close(done)
		r := NewRun(t.Context(), cfg)
		r.Warn = &bytes.Buffer{}
		defer r.Finish(&bytes.Buffer{})
		rows, err := r.Ramp(t.Context())
		assert.NoError(t, err)
		unsharded <- rows
	}()

	dir := t.TempDir()
	// Far enough ahead for four processes to start and prepare their audio
	// on a busy machine.
	startAt := time.Now().Add(15 * time.Second).UTC().Truncate(time.Second)
	const slot = 20 * time.Second
	cmds := make([]*exec.Cmd, shards)
	outs := make([]*syncBuffer, shards)
	for i := range shards {
		rec := filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i))
		cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x", "-test.timeout", "3m",
			"-stt-url", srv.URL(), "-tts-url", "embedded", "-concurrency", "4,8", "-level-pause", "0s",
			"-idle-timeout", "2s", "-result-timeout", "10s",
			"-shard", fmt.Sprintf("%d/%d", i, shards), "-start-at", startAt.Format(time.RFC3339), "-slot", slot.String(),
			"-output", filepath.Join(dir, fmt.Sprintf("shard-%d.csv", i)), "-record", rec,
			"-nvidia-smi", filepath.Join(dir, "no-nvidia-smi"), "-cache-dir", filepath.Join(dir, fmt.Sprintf("cache-%d", i)))
		outs[i] = &syncBuffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		cmds[i] = cmd
	}
	var recs []*Record
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait(), "shard %d:\n%s", i, outs[i])
		assert.Contains(t, outs[i].String(), "BenchmarkStreaming/conc=8")
		rec, err := ReadRecord(filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i)))
		require.NoError(t, err)
		assert.Empty(t, rec.Skipped)
		require.NotNil(t, rec.Header.Shard)
		assert.Equal(t, fmt.Sprintf("%d/%d", i, shards), rec.Header.Shard.String())
		// Each round started in its slot: level k at start-at + k slots.
		for k, n := range levels {
			require.Len(t, rec.ByLevel[n], 1)
			due := startAt.Add(time.Duration(k) * slot)
			assert.False(t, rec.ByLevel[n][0].Level.Start.Before(due), "shard %d conc=%d started before its slot", i, n)
			assert.Len(t, rec.ByLevel[n][0].Level.Sessions, n/shards)
		}
		recs = append(recs, rec)
	}
	// Shuffled on purpose: the merge orders sessions by their index.
	merged, err := MergeRecords([]*Record{recs[2], recs[0], recs[3], recs[1]}, MergeOptions{})
	require.NoError(t, err)
	assert.Empty(t, MissingShards(recs))
	all, err := LoadTexts("")
	require.NoError(t, err)
	for _, n := range levels {
		require.Len(t, merged.ByLevel[n], 1)
		sessions := merged.ByLevel[n][0].Level.Sessions
		require.Len(t, sessions, n)
		for i, s := range sessions {
			assert.Equal(t, i, s.Index, "conc=%d: every session once, in order", n)
			assert.Equal(t, all[i], s.Reference, "conc=%d: session %d speaks text %d", n, i, i)
		}
	}
	var table bytes.Buffer
	rows, err := Report(&table, merged.Levels, merged.ByLevel)
	require.NoError(t, err)
	t.Logf("merged report of %d shards:\n%s", shards, &table)
	want := <-unsharded
	require.Len(t, want, len(levels))
	require.Len(t, rows, len(levels))
	for i := range rows {
		got, w := rows[i], want[i]
		assert.Equal(t, w.Concurrency, got.Concurrency)
		assert.Equal(t, w.Total, got.Total, "conc=%d total", w.Concurrency)
		assert.Equal(t, w.EOSN, got.EOSN, "conc=%d ok sessions", w.Concurrency)
		assert.Equal(t, w.Incomplete, got.Incomplete, "conc=%d incomplete", w.Concurrency)
		assert.Equal(t, w.Cancelled, got.Cancelled, "conc=%d failed", w.Concurrency)
		assert.Equal(t, w.Leaks, got.Leaks, "conc=%d leaks", w.Concurrency)
		assert.Equal(t, w.RefWords, got.RefWords, "conc=%d: the same texts", w.Concurrency)
		assert.Equal(t, w.WER, got.WER, "conc=%d WER", w.Concurrency)
	}
	// The one service saw every session of both levels.
	assert.Equal(t, int64(4+8+shards), srv.Stats().Connections, "sessions of both levels and each shard's preflight")
}

// TestKubernetesManifestsParse checks the deploy/kubernetes manifests are
// valid YAML and that the Job runs N indexed shards of the test binary.
func TestKubernetesManifestsParse(t *testing.T) {
	files, err := filepath.Glob("deploy/kubernetes/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	kinds := map[string]map[string]any{}
	claims := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				require.ErrorContains(t, err, "EOF", "%s", f)
				break
			}
			require.NotEmpty(t, doc["apiVersion"], "%s", f)
			kinds[doc["kind"].(string)] = doc
			if doc["kind"] == "PersistentVolumeClaim" {
				claims[doc["metadata"].(map[string]any)["name"].(string)] = true
			}
		}
	}
	job := kinds["Job"]
	require.NotNil(t, job, "a Job")
	assert.Equal(t, "batch/v1", job["apiVersion"])
	spec := job["spec"].(map[string]any)
	assert.Equal(t, "Indexed", spec["completionMode"])
	assert.Equal(t, spec["completions"], spec["parallelism"], "every shard at once")
	n := spec["completions"].(int)
	pod := spec["template"].(map[string]any)["spec"].(map[string]any)
	assert.Equal(t, "Never", pod["restartPolicy"], "a failed shard is not rerun out of step")
	c := pod["containers"].([]any)[0].(map[string]any)
	env := map[string]string{}
	var order []string
	for _, e := range c["env"].([]any) {
		e := e.(map[string]any)
		v, _ := e["value"].(string)
		env[e["name"].(string)] = v
		order = append(order, e["name"].(string))
	}
	assert.Equal(t, fmt.Sprintf("$(SHARD_INDEX)/%d", n), env["STTBENCH_SHARD"], "the shard count matches completions")
	assert.Less(t, indexOf(order, "SHARD_INDEX"), indexOf(order, "STTBENCH_SHARD"), "$(SHARD_INDEX) expands only if defined first")
	assert.Contains(t, env["STTBENCH_RECORD"], "$(SHARD_INDEX)", "a record per shard")
	assert.Contains(t, env, "STTBENCH_START_AT")
	args := fmt.Sprint(c["args"])
	assert.Contains(t, args, "-test.bench")
	// Each run's records in a directory of its own, which the report merges.
	assert.Contains(t, env["RECORDS"], "START_AT_RFC3339", "a directory per run")
	assert.True(t, strings.HasPrefix(env["STTBENCH_RECORD"], "$(RECORDS)/"))
	assert.Less(t, indexOf(order, "RECORDS"), indexOf(order, "STTBENCH_RECORD"))
	assert.Contains(t, fmt.Sprint(c["command"]), `mkdir -p "$RECORDS"`, "the record's directory exists before the run")
	report := kinds["Pod"]["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	assert.Contains(t, fmt.Sprint(report["command"]), env["RECORDS"]+"/shard-*.jsonl", "the report merges this run's records only")
	volumes := map[string]string{}
	for _, v := range pod["volumes"].([]any) {
		v := v.(map[string]any)
		if pvc, ok := v["persistentVolumeClaim"].(map[string]any); ok {
			volumes[v["name"].(string)] = pvc["claimName"].(string)
		}
	}
	for _, name := range []string{"records", "cache"} {
		assert.True(t, claims[volumes[name]], "the %s volume is a claim pvc.yaml makes", name)
	}
	docker, err := os.ReadFile("deploy/kubernetes/Dockerfile")
	require.NoError(t, err)
	assert.Contains(t, string(docker), "go test -c -o")
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// TestDerivedSlotCoversTheGeneratedTexts: a level past the built-in texts
// speaks generated ones too, some longer than any built-in text; its slot
// is derived from them, as its clips are prepared from them.
func TestDerivedSlotCoversTheGeneratedTexts(t *testing.T) {
	cfg, err := ParseConfig(values(map[string]string{"concurrency": "10,1500", "shard": "0/2",
		"start-at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}))
	require.NoError(t, err)
	r := &Run{Config: cfg}
	require.NoError(t, r.planShard())
	all, err := r.referenceTexts(1500)
	require.NoError(t, err)
	require.Len(t, all, 1500)
	longest := 0
	for _, text := range all {
		longest = max(longest, len([]rune(text)))
	}
	require.Greater(t, longest, 237, "a generated text longer than the longest built-in one")
	assert.Equal(t, slotDialBudget+clipBound(strings.Repeat("x", longest))+slotTrailing+cfg.ResultTimeout+cfg.LevelPause, r.sched.slots[1500])
	assert.Greater(t, r.sched.slots[1500], 83050*time.Millisecond, "longer than the built-in texts' slot")
}

func TestDerivedSlotOfTheBuiltInTexts(t *testing.T) {
	cfg, err := ParseConfig(values(nil))
	require.NoError(t, err)
	all, err := LoadTexts("")
	require.NoError(t, err)
	r := &Run{Config: cfg}
	// As the README says: the longest built-in text (237 characters) is
	// session 48's, so every level from 49 sessions up gets the same slot.
	assert.Equal(t, 83050*time.Millisecond, r.slotFor(all, 49))
	assert.Equal(t, r.slotFor(all, 49), r.slotFor(all, 10000))
	assert.Less(t, r.slotFor(all, 48), r.slotFor(all, 49))
	t.Logf("conc=10: %v", r.slotFor(all, 10))
}

// TestLeakAcrossShardsShowsOnceMerged: session 0 (shard 0) received the
// text of session 1 (shard 1). Neither shard alone holds both references;
// the merged round does, and counts the leak.
func TestLeakAcrossShardsShowsOnceMerged(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	all, err := LoadTexts("")
	require.NoError(t, err)
	round := syntheticRound(4, start, 0)
	for i := range round.Level.Sessions {
		s := &round.Level.Sessions[i]
		s.Reference, s.Segments = all[i], []string{all[i]}
	}
	round.Level.Sessions[0].Segments = []string{all[1]}
	shard := func(i int) *RecordShard { return &RecordShard{Index: i, Count: 2, StartAt: &start} }
	s0 := shardRecord(t, shard(0), nil, []int{4}, map[int][]Round{4: {pick(round, 0, 2)}})
	s1 := shardRecord(t, shard(1), nil, []int{4}, map[int][]Round{4: {pick(round, 1, 3)}})
	leaks := func(rec *Record) int { return LevelRow(4, rec.ByLevel[4]).Leaks }
	assert.Zero(t, leaks(s0), "shard 0 alone cannot tell")
	merged, err := MergeRecords([]*Record{s0, s1}, MergeOptions{})
	require.NoError(t, err)
	assert.Equal(t, 1, leaks(merged))
	var out bytes.Buffer
	_, err = Report(&out, merged.Levels, merged.ByLevel)
	require.NoError(t, err)
	assert.Contains(t, out.String(), "session 0 received text of session 1", "named by their numbers in the level")
}
