//go:build unix

package sttbench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileLimitTooLowStopsBeforeAnySession runs the benchmark under a hard
// limit of 300 open files with a level of 500 sessions, and with arrivals
// that may reach 200 sessions at once: each must stop before any session,
// saying how many files it needs and what to do.
func TestFileLimitTooLowStopsBeforeAnySession(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to lower the limit with")
	}
	for _, tt := range []struct {
		name      string
		args      []string
		want      []string
		unwanted  []string
		preparing bool
	}{
		{"a level", []string{"-concurrency", "500"},
			[]string{"conc=500 needs about 1756 open files", "hard limit 300", "ulimit -n 1756", "-shard"}, []string{"tts: preparing"}, false},
		// 20 arrivals a second for 10 s, each lasting up to 10 s of dial,
		// its clip, 3 s and the 30 s result wait: all 200 or so at once.
		{"arrivals", []string{"-load", "arrivals", "-rate", "20", "-duration", "10s"},
			[]string{"-load arrivals -rate 20 may have 2", "sessions in flight at once (the most arrivals of its schedule within", "which needs about", "hard limit 300",
				"run several load hosts, each at a share of the rate"}, []string{"-shard", "conc=72"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			script := `ulimit -Sn 300 && ulimit -Hn 300 && exec "$0" "$@"`
			args := append([]string{"-c", script, os.Args[0], "-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x",
				"-stt-url", "embedded", "-tts-url", "embedded", "-level-pause", "0s",
				"-output", filepath.Join(dir, "out.csv"), "-record", "-", "-cache-dir", filepath.Join(t.TempDir(), "cache"),
				"-nvidia-smi", filepath.Join(dir, "no-nvidia-smi")}, tt.args...)
			cmd := exec.Command("sh", args...)
			cmd.Env = environ([]string{"STT_URL", "TTS_URL", "STT_API_KEY"})
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "%s", out)
			for _, want := range tt.want {
				assert.Contains(t, string(out), want)
			}
			for _, not := range tt.unwanted {
				assert.NotContains(t, string(out), not)
			}
			assert.NotContains(t, string(out), "ok sessions", "no session streamed")
			entries, _ := os.ReadDir(dir)
			assert.Empty(t, entries, "nothing written")
		})
	}
}

func TestFileLimitIsRaisedTowardTheHardLimit(t *testing.T) {
	r := &Run{Config: Config{Levels: []int{10}}}
	assert.NoError(t, checkFileLimit(r.peakOf(10), true), "a small level fits any limit")
	err := fileLimitError(r.peakOf(5000), false, 1024, 4096)
	assert.EqualError(t, err, "conc=5000 needs about 10256 open files (a socket and a clip file per session), "+
		"but this process may open 1024 (hard limit 4096): raise the limit (ulimit -n 10256, or LimitNOFILE= for a service), "+
		"or split the run over load hosts with -shard")
	assert.Contains(t, fileLimitError(r.peakOf(5000), true, 1024, 4096).Error(),
		"needs about 15256 open files (a socket and a clip file per session, and the embedded service's end of each socket)")

	r.Config.ShardIndex, r.Config.ShardCount = 1, 4
	assert.Contains(t, fileLimitError(r.peakOf(5000), false, 1024, 4096).Error(),
		"shard 1/4's share of conc=5000 (1250 sessions) needs about 2756 open files")
	r.Config.ShardCount = 0
	r.Config.Load = LoadParams{Model: LoadSoak, Concurrency: 800}
	err = fileLimitError(r.peakOf(72), false, 1024, 1024)
	assert.Contains(t, err.Error(), "-load soak -concurrency 800 needs about 1856 open files", "the soak's sessions, not its clips")
	assert.Contains(t, err.Error(), "run several load hosts, each with a share of the sessions")
	assert.NotContains(t, err.Error(), "-shard", "a soak cannot be sharded")
	r.Config.Load = LoadParams{Model: LoadArrivals, Rate: 2}
	assert.Zero(t, r.peakOf(72).sessions, "arrivals are checked against their schedule")
}

func TestArrivalsPeakIsTheBusiestSpanOfTheSchedule(t *testing.T) {
	s := func(secs ...float64) []time.Duration {
		var out []time.Duration
		for _, v := range secs {
			out = append(out, time.Duration(v*float64(time.Second)))
		}
		return out
	}
	schedule := s(0, 1, 2, 10, 10.5)
	assert.Equal(t, 3, arrivalsPeak(1, schedule, 3*time.Second).sessions, "0, 1 and 2 s within 3 s")
	assert.Equal(t, 2, arrivalsPeak(1, schedule, time.Second).sessions, "10 and 10.5 s; 0 and 1 s are a whole second apart")
	assert.Equal(t, 5, arrivalsPeak(1, schedule, time.Minute).sessions)
	assert.Zero(t, arrivalsPeak(1, nil, time.Minute).sessions)
	assert.Equal(t, "-load arrivals -rate 1 may have 5 sessions in flight at once (the most arrivals of its schedule within 1m0s, the longest a session may last), which",
		arrivalsPeak(1, schedule, time.Minute).name)
}
