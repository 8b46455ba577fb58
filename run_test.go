package sttbench

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLevelInterruptedKeepsItsCompletedRounds streams three rounds of a
// level and interrupts the third: the first two are kept, in the run and
// in its record, with the level pause between them, and the level says it
// was cut short.
func TestLevelInterruptedKeepsItsCompletedRounds(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := testConfig(t, "", 1)
	cfg.LevelPause = 700 * time.Millisecond
	r := NewRun(ctx, cfg)
	r.Warn = &bytes.Buffer{}
	calls := 0
	row, err := r.Level(t.Context(), 1, LevelOptions{More: func() bool {
		if calls++; calls == 3 {
			time.AfterFunc(time.Second, cancel) // while the third round streams
		}
		return true
	}})
	require.ErrorContains(t, err, "interrupted during conc=1 after 2 round(s); the round under way is left out")
	assert.True(t, r.Interrupted())
	assert.Equal(t, 2, row.Rounds)
	rounds := r.Rounds(1)
	require.Len(t, rounds, 2)
	gap := rounds[1].Level.Start.Sub(rounds[0].Level.End)
	assert.GreaterOrEqual(t, gap, cfg.LevelPause, "the level pause separates the rounds")
	rows := r.Rows()
	require.Len(t, rows, 1)
	assert.Equal(t, 2, rows[0].Total)

	// Once interrupted, a level ends at once without a round.
	_, err = r.Level(t.Context(), 2, LevelOptions{})
	assert.ErrorContains(t, err, "interrupted during conc=2 before a round completed")

	var out bytes.Buffer
	require.NoError(t, r.Finish(&out))
	assert.Contains(t, out.String(), "run record written to "+cfg.Record)
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, rec.Levels)
	assert.Len(t, rec.ByLevel[1], 2, "both completed rounds are in the record")
}

// TestSetupFailureStillLeavesAnOpenedRecordReadable checks the alias
// notice and that a record begun before a failed setup is a valid, empty
// record rather than a torn file.
func TestSetupFailureStillLeavesAnOpenedRecordReadable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "ws://" + ln.Addr().String() + "/ws"
	ln.Close()
	cfg := testConfig(t, "", 1)
	cfg.STTURL = dead
	cfg.SessionsOutAlias = true
	r := NewRun(t.Context(), cfg)
	var warn bytes.Buffer
	r.Warn = &warn
	_, err = r.Level(t.Context(), 1, LevelOptions{})
	require.ErrorContains(t, err, "cannot reach the STT service at "+dead)
	assert.Equal(t, err, r.Setup(), "setup runs once")
	assert.Contains(t, warn.String(), "-sessions-out is now -record: writing the run record to "+cfg.Record)
	var out bytes.Buffer
	require.NoError(t, r.Finish(&out))
	assert.Empty(t, out.String(), "no level, no table")
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	assert.Empty(t, rec.Levels)
	assert.Equal(t, []int{1}, rec.Header.Levels)
}

// TestInterruptContextStops checks that stop ends the watch and the
// context. The signals themselves are tested on a real run in a
// subprocess (TestInterruptKeepsWhatWasMeasured): a SIGINT sent to this
// process would interrupt the test binary's own run too.
func TestInterruptContextStops(t *testing.T) {
	ctx, stop := InterruptContext()
	require.NoError(t, ctx.Err())
	stop()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
}

func TestFlagsBindEveryOption(t *testing.T) {
	for _, o := range Options {
		t.Setenv(o.Env, "")
		os.Unsetenv(o.Env)
	}
	t.Setenv("STTBENCH_SEED", "7")
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := BindFlags(fs)
	require.NoError(t, fs.Parse([]string{"-concurrency", "2,4", "-api-key", "k3y"}))
	cfg, err := f.Config()
	require.NoError(t, err)
	assert.Equal(t, []int{2, 4}, cfg.Levels)
	assert.Equal(t, 7, cfg.Seed, "the environment supplies a default")
	assert.Equal(t, "k3y", cfg.APIKey)
	assert.True(t, f.Given("concurrency"))
	assert.True(t, f.Given("seed"), "set through its environment variable")
	assert.False(t, f.Given("stt-url"))
	var help strings.Builder
	fs.SetOutput(&help)
	fs.PrintDefaults()
	assert.NotContains(t, help.String(), "k3y")
	for _, o := range Options {
		assert.NotNil(t, fs.Lookup(o.Name), o.Name)
	}
}

// TestEmbeddedTTSClipsAreCachedAcrossRuns prepares the same clips in two
// runs: the built-in TTS gets a new port each time, and the second run
// finds every clip in the cache instead of adding copies under a new key.
func TestEmbeddedTTSClipsAreCachedAcrossRuns(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "", 3)
	files := func() int {
		entries, err := os.ReadDir(cfg.CacheDir)
		require.NoError(t, err)
		return len(entries)
	}
	var counts []int
	for range 2 {
		r := NewRun(t.Context(), cfg)
		var warn bytes.Buffer
		r.Warn = &warn
		require.NoError(t, r.Setup())
		require.NoError(t, r.Finish(io.Discard))
		counts = append(counts, files())
		if len(counts) == 2 {
			assert.Contains(t, warn.String(), "3/3 clips (3 cached)")
		}
	}
	assert.Positive(t, counts[0])
	assert.Equal(t, counts[0], counts[1], "no new cache files on the second run")
}

// TestLevelsPastTheBuiltinTextsGetTextsOfTheirOwn prepares a level larger
// than the hand-written set: every session still speaks a text of its own.
func TestLevelsPastTheBuiltinTextsGetTextsOfTheirOwn(t *testing.T) {
	t.Parallel()
	builtin, err := LoadTexts("")
	require.NoError(t, err)
	n := len(builtin) + 25
	cfg := testConfig(t, "", n)
	r := NewRun(t.Context(), cfg)
	var warn bytes.Buffer
	r.Warn = &warn
	require.NoError(t, r.Setup())
	defer r.Finish(io.Discard)
	require.Len(t, r.clips, n)
	seen := map[string]bool{}
	for i, c := range r.clips {
		assert.False(t, seen[c.Text], "clip %d repeats %q", i, c.Text)
		seen[c.Text] = true
		if i < len(builtin) {
			assert.Equal(t, builtin[i], c.Text, "the hand-written texts come first")
		}
	}
	assert.NotContains(t, warn.String(), "texts repeat")
}
