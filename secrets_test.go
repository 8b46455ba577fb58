package sttbench

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plantedKey is an API key that must appear in no output.
func plantedKey(t *testing.T) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "sk-planted-" + hex.EncodeToString(b)
}

// environ is os.Environ without the named variables (and without what a
// calling make passes its children), plus extra.
func environ(drop []string, extra ...string) []string {
	drop = append(drop, "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// The run's own settings come from the test, not the caller's
		// environment.
		if !contains(drop, name) && !strings.HasPrefix(name, "STTBENCH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// assertNoKeyInFiles reads every file under dir and checks none holds key.
func assertNoKeyInFiles(t *testing.T, dir, key string) (files int) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		assert.NotContains(t, string(data), key, "%s", path)
		return nil
	}))
	return files
}

// TestNoSecretInAnyOutput runs the benchmark as a real process against the
// embedded STT service, which refuses any handshake without the planted
// key, and looks for the key in everything the run printed and wrote; then
// the same for a failing probe (the service wants another key) and -help.
func TestNoSecretInAnyOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	key := plantedKey(t)
	dir := t.TempDir()
	csvPath, sessions := filepath.Join(dir, "out.csv"), filepath.Join(dir, "sessions.jsonl")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Dir = dir
		cmd.Env = environ([]string{"STT_API_KEY"}, "STT_API_KEY="+key)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	common := []string{"-tts-url", "embedded", "-concurrency", "1", "-level-pause", "0s",
		"-cache-dir", filepath.Join(dir, "cache"), "-nvidia-smi", filepath.Join(dir, "no-nvidia-smi")}

	out, err := run(append([]string{"-test.run", "^$", "-test.bench", "BenchmarkStreaming", "-test.benchtime", "1x",
		"-stt-url", "embedded", "-output", csvPath, "-sessions-out", sessions}, common...)...)
	require.NoError(t, err, "%s", out)
	assert.NotContains(t, out, key)
	assert.Contains(t, out, "-sessions-out is now -record: writing the run record to "+sessions)
	// The session succeeded, so the key was sent: the service demands it.
	f, err := os.Open(csvPath)
	require.NoError(t, err)
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Len(t, records, 2, "header and conc=1")
	assert.Equal(t, []string{"concurrency", "1", "cancelled", "0"},
		[]string{records[0][0], records[1][0], records[0][6], records[1][6]})
	// Log-style TTS progress, whole lines, before the first benchmark line.
	progress := strings.Index(out, "\ntts: 1/1 clips (0 cached)\n")
	bench := strings.Index(out, "BenchmarkStreaming/conc=1")
	assert.True(t, progress >= 0 && bench > progress, "tts progress line before the benchmark lines:\n%s", out)
	assert.NotContains(t, out, "\r")

	out, err = run(append([]string{"-stt-url", "embedded?api_key=another-key", "-probe"}, common...)...)
	require.Error(t, err, "the service wants another key: %s", out)
	assert.Contains(t, out, "cannot reach the STT service")
	assert.NotContains(t, out, key)

	out, _ = run("-help")
	assert.Contains(t, out, "-api-key")
	assert.NotContains(t, out, key)

	assert.GreaterOrEqual(t, assertNoKeyInFiles(t, dir, key), 3, "CSV, run record and cached clips")
}

// TestMakeKeepsTheKeyOffItsCommandLines runs the Makefile's targets with
// a stand-in for go that records the STT_API_KEY it was given: the key must
// arrive, in the environment, and never show in what make prints.
func TestMakeKeepsTheKeyOffItsCommandLines(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	t.Parallel()
	key := plantedKey(t)
	dir := t.TempDir()
	fakeGo, got := filepath.Join(dir, "go"), filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(fakeGo, []byte("#!/bin/sh\nprintf %s \"$STT_API_KEY\" > \"$FAKEGO_KEY_FILE\"\n"), 0o755))
	tests := []struct {
		name string
		env  []string // besides FAKEGO_KEY_FILE
		args []string // besides the target and GO
	}{
		{"STT_API_KEY in the environment", []string{"STT_API_KEY=" + key}, nil},
		{"STT_API_KEY on make's command line", nil, []string{"STT_API_KEY=" + key}},
		{"API_KEY on make's command line", nil, []string{"API_KEY=" + key}},
	}
	for _, target := range []string{"bench", "gate", "demo"} {
		for _, tt := range tests {
			t.Run(target+"/"+tt.name, func(t *testing.T) {
				require.NoError(t, os.WriteFile(got, nil, 0o644))
				for _, dry := range []bool{false, true} {
					args := append([]string{target, "GO=" + fakeGo, "FAKE_GPU="}, tt.args...)
					if dry {
						args = append([]string{"-n"}, args...)
					}
					cmd := exec.Command("make", args...)
					cmd.Env = environ([]string{"STT_API_KEY", "API_KEY"}, append(tt.env, "FAKEGO_KEY_FILE="+got)...)
					out, err := cmd.CombinedOutput()
					require.NoError(t, err, "%s", out)
					assert.Contains(t, string(out), fakeGo+" test .", "make printed its recipe")
					assert.NotContains(t, string(out), key)
				}
				received, err := os.ReadFile(got)
				require.NoError(t, err)
				assert.Equal(t, key, string(received), "the key reached go test through the environment")
			})
		}
	}
}

// TestCompiledBinaryRunsFromAnyDirectory builds the test binary as one
// would for a GPU host without Go, and runs a short benchmark with it from
// an empty directory, with the default texts, cache and output.
func TestCompiledBinaryRunsFromAnyDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the test binary and streams speech in real time")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "sttbench.test")
	out, err := exec.Command("go", "test", "-c", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go test -c: %s", out)

	elsewhere := t.TempDir()
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", ".", "-test.benchtime", "1x", "-test.timeout", "0",
		"-stt-url", "embedded", "-tts-url", "embedded", "-concurrency", "1",
		"-nvidia-smi", filepath.Join(elsewhere, "no-nvidia-smi"))
	cmd.Dir = elsewhere
	cmd.Env = environ([]string{"STTBENCH_OUTPUT", "STTBENCH_CACHE_DIR", "STTBENCH_TEXTS", "STTBENCH_SESSIONS_OUT"})
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Regexp(t, `BenchmarkStreaming/conc=1\S*\s+1\s+`, string(out))
	data, err := os.ReadFile(filepath.Join(elsewhere, "benchmark_results.csv"))
	require.NoError(t, err, "the default -output lands in the working directory")
	assert.True(t, strings.HasPrefix(string(data), "concurrency,"))
	assert.DirExists(t, filepath.Join(elsewhere, ".sttbench-cache"))
}
