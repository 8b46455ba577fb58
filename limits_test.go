//go:build unix

package sttbench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileLimitTooLowStopsBeforeAnySession runs the benchmark under a hard
// limit of 300 open files with a level of 500 sessions: it must stop at
// once, saying how many files the level needs and what to do, and stream
// nothing.
func TestFileLimitTooLowStopsBeforeAnySession(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to lower the limit with")
	}
	dir := t.TempDir()
	script := `ulimit -Sn 300 && ulimit -Hn 300 && exec "$0" "$@"`
	cmd := exec.Command("sh", "-c", script, os.Args[0], "-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x",
		"-stt-url", "embedded", "-tts-url", "embedded", "-concurrency", "500", "-level-pause", "0s",
		"-output", filepath.Join(dir, "out.csv"), "-record", "-", "-cache-dir", filepath.Join(dir, "cache"),
		"-nvidia-smi", filepath.Join(dir, "no-nvidia-smi"))
	cmd.Env = environ([]string{"STT_URL", "TTS_URL", "STT_API_KEY"})
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "%s", out)
	for _, want := range []string{"conc=500 needs about 1756 open files", "hard limit 300", "ulimit -n 1756", "-shard"} {
		assert.Contains(t, string(out), want)
	}
	assert.NotContains(t, string(out), "tts: preparing", "no audio prepared")
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries, "nothing written")
}

func TestFileLimitIsRaisedTowardTheHardLimit(t *testing.T) {
	assert.NoError(t, checkFileLimit(10, true), "a small level fits any limit")
	err := fileLimitError(5000, 10256, 1024, 4096)
	assert.EqualError(t, err, "conc=5000 needs about 10256 open files (a socket and a clip file per session, and a second socket with the embedded service), "+
		"but this process may open 1024 (hard limit 4096): raise the limit (ulimit -n 10256, or LimitNOFILE= for a service), "+
		"or split the run over load hosts with -shard")
	assert.True(t, strings.HasPrefix(err.Error(), "conc=5000"))
}
