package sttbench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/ttspool"
)

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.csv")
	require.NoError(t, os.WriteFile(existing, []byte("earlier results"), 0o644))
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, nil, 0o644))
	tests := []struct {
		name           string
		output, record string
		want           []string // "" means no error
	}{
		{"new file in an existing directory", filepath.Join(dir, "new.csv"), filepath.Join(dir, "new.jsonl"), nil},
		{"existing file", existing, existing, nil},
		{"no outputs", "-", "", nil},
		{"CSV in a missing directory", filepath.Join(dir, "typo", "out.csv"), "",
			[]string{`-output "` + filepath.Join(dir, "typo", "out.csv") + `"`, "no such file or directory", "create the directory", "pass -output -"}},
		{"record in a missing directory", "-", filepath.Join(dir, "typo", "s.jsonl"),
			[]string{"-record", "no such file or directory", "create the directory", "pass -record -"}},
		{"CSV path is a directory", dir, "", []string{"-output", "is a directory", "name a file"}},
		{"parent is a file", filepath.Join(notDir, "out.csv"), "", []string{"-output", "not a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := os.ReadDir(dir)
			require.NoError(t, err)
			err = CheckOutputs(Config{Output: tt.output, Record: tt.record})
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				for _, w := range tt.want {
					assert.Contains(t, err.Error(), w)
				}
			}
			after, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Equal(t, names(before), names(after), "the check creates and leaves nothing")
			data, err := os.ReadFile(existing)
			require.NoError(t, err)
			assert.Equal(t, "earlier results", string(data), "the check truncates nothing")
		})
	}
}

func TestCheckOutputsReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o555))
	err := CheckOutputs(Config{Output: filepath.Join(dir, "out.csv")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "permission denied")
	assert.Contains(t, err.Error(), "make the directory writable")
}

func names(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// countingTTS is a TTS service that counts its requests and never answers
// (until the client gives up).
func countingTTS(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestBadOutputFailsBeforeAnyAudio(t *testing.T) {
	t.Parallel()
	tts, requests := countingTTS(t)
	for _, flag := range []string{"output", "record"} {
		t.Run(flag, func(t *testing.T) {
			cfg := testConfig(t, "", 1)
			cfg.TTSURL = tts.URL + "/tts"
			missing := filepath.Join(t.TempDir(), "no-such-dir", "out")
			if flag == "output" {
				cfg.Output = missing
			} else {
				cfg.Record = missing
			}
			s := NewRun(t.Context(), cfg)
			s.Warn = &bytes.Buffer{}
			defer s.Finish(&bytes.Buffer{})
			err := s.Setup()
			require.Error(t, err)
			for _, want := range []string{"-" + flag, missing, "no such file or directory", "create the directory"} {
				assert.Contains(t, err.Error(), want)
			}
			assert.Zero(t, requests.Load(), "no TTS request before the outputs are checked")
			assert.Empty(t, s.closers, "no service started either")
		})
	}
}

func TestTTSTimeoutSaysWhatToDo(t *testing.T) {
	t.Parallel()
	tts, requests := countingTTS(t)
	cfg := testConfig(t, "", 1)
	cfg.TTSURL = tts.URL + "/tts"
	cfg.TTSTimeout = 300 * time.Millisecond
	s := NewRun(t.Context(), cfg)
	var warn bytes.Buffer
	s.Warn = &warn
	defer s.Finish(&bytes.Buffer{})
	err := s.Setup()
	require.Error(t, err)
	assert.ErrorIs(t, err, ttspool.ErrTimeout)
	for _, want := range []string{"the TTS service at " + cfg.TTSURL + " gave no answer within 300ms",
		"clip 1 of 1", "-tts-timeout", "STTBENCH_TTS_TIMEOUT", "check the service"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, int64(1), requests.Load())
	assert.Contains(t, warn.String(), "tts: preparing 1 clip (cache: ")
}

// TestOutputFilesHaveOrdinaryPermissions compares each output's mode with
// that of a file created 0644 in the same directory: equal under any umask.
func TestOutputFilesHaveOrdinaryPermissions(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "reference")
	f, err := os.OpenFile(ref, os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	want := mode(t, ref)

	csv := filepath.Join(dir, "out.csv")
	require.NoError(t, WriteCSVFile(csv, sampleRows()))
	record := filepath.Join(dir, "run.jsonl")
	rw, err := CreateRecord(record, RecordHeader{Levels: []int{1}})
	require.NoError(t, err)
	require.NoError(t, rw.WriteRound(1, Round{Level: harness.LevelResult{Sessions: []harness.SessionResult{{Reference: "a b.", Outcome: harness.Failed}}}}))
	require.NoError(t, rw.Close())
	for _, p := range []string{csv, record} {
		assert.Equal(t, want, mode(t, p), "%s", filepath.Base(p))
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "no temporary files left: %v", names(entries))
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

func TestBuiltinTextsAreTheTestdataFile(t *testing.T) {
	builtin, err := LoadTexts("")
	require.NoError(t, err)
	file, err := ttspool.LoadTexts(filepath.Join("testdata", "reference_texts.txt"))
	require.NoError(t, err)
	assert.Equal(t, file, builtin)
	assert.GreaterOrEqual(t, len(builtin), 40, "enough for the default ramp's unique sessions")
}
