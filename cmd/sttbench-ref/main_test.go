package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/leakcheck"
	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/internal/voice/voicetest"
)

// TestMain fails the package when a goroutine of the reference services, of
// the WebSocket library or of an HTTP server connection outlives the tests
// by more than 5 s.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leakcheck.Goroutines(5*time.Second, "sttbench/internal/ref", "coder/websocket", "net/http.(*conn).serve"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startRun runs run in the background and returns the URLs it printed, a
// cancel function and the channel of run's result.
func startRun(t *testing.T, args ...string) (sttURL, ttsURL string, stdout, stderr *syncBuffer, cancel func(), done chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done = make(chan error, 1)
	go func() { done <- run(ctx, args, stdout, stderr) }()
	require.Eventually(t, func() bool { return strings.Count(stdout.String(), "\n") >= 2 }, 20*time.Second, 10*time.Millisecond,
		"stdout %q, stderr %q", stdout, stderr)
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch f[0] {
		case "stt:":
			sttURL = f[1]
		case "tts:":
			ttsURL = f[1]
		}
	}
	return sttURL, ttsURL, stdout, stderr, cancel, done
}

func stop(t *testing.T, cancel func(), done chan error) {
	t.Helper()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("run did not return after cancel:\n%s", buf[:runtime.Stack(buf, true)])
	}
}

// TestRun speaks a text with the TTS and transcribes it with the STT.
func TestRun(t *testing.T) {
	sttURL, ttsURL, _, stderr, cancel, done := startRun(t, "-stt-addr", "127.0.0.1:0", "-tts-addr", "127.0.0.1:0", "-base", "1ms")
	assert.True(t, strings.HasPrefix(sttURL, "ws://127.0.0.1:"), sttURL)
	assert.True(t, strings.HasPrefix(ttsURL, "http://127.0.0.1:"), ttsURL)

	const text = "Hello there. General Kenobi!"
	resp, err := http.Post(ttsURL, "application/json", strings.NewReader(`{"text":"`+text+`","output_format":"wav"}`))
	require.NoError(t, err)
	wav, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	pcm := make([]int16, (len(wav)-44)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(wav[44+2*i:]))
	}
	pcm = append(voicetest.Resample(pcm, 24000, 16000), make([]int16, 16000)...)

	conn, _, err := websocket.Dial(t.Context(), sttURL, nil)
	require.NoError(t, err)
	defer conn.CloseNow()
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	for len(b) > 0 {
		n := min(3200, len(b))
		require.NoError(t, conn.Write(t.Context(), websocket.MessageBinary, b[:n]))
		b = b[n:]
	}
	var texts []string
	for len(texts) < 2 {
		_, data, err := conn.Read(t.Context())
		require.NoError(t, err)
		var m struct{ Text *string }
		require.NoError(t, json.Unmarshal(data, &m))
		if m.Text != nil {
			texts = append(texts, *m.Text)
		}
	}
	assert.Equal(t, []string{"Hello there.", "General kenobi."}, texts)
	assert.Equal(t, voice.Words(text), voice.Words(strings.Join(texts, " ")))
	conn.Close(websocket.StatusNormalClosure, "")

	stop(t, cancel, done)
	assert.Contains(t, stderr.String(), "1 connections, 2 utterances, 2 results")
}

// TestRunAPIKey: the key from the environment is required and never printed.
func TestRunAPIKey(t *testing.T) {
	const key = "top-secret-key"
	t.Setenv("STT_API_KEY", key)
	sttURL, _, stdout, stderr, cancel, done := startRun(t, "-stt-addr", "127.0.0.1:0", "-tts-addr", "127.0.0.1:0")
	assert.Contains(t, stdout.String(), "API key required")

	_, resp, err := websocket.Dial(t.Context(), sttURL, nil)
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	conn, _, err := websocket.Dial(t.Context(), sttURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	require.NoError(t, err)
	conn.CloseNow()

	stop(t, cancel, done)
	assert.NotContains(t, stdout.String(), key)
	assert.NotContains(t, stderr.String(), key)
}

func TestRunErrors(t *testing.T) {
	t.Setenv("STT_API_KEY", "top-secret-key")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"help", []string{"-h"}, flag.ErrHelp.Error()},
		{"unknown flag", []string{"-nope"}, "-nope"},
		{"bad rate", []string{"-wer", "2"}, "-wer: want a fraction between 0 and 1"},
		{"bad duration", []string{"-close", "3"}, "-close: want a duration"},
		{"bad duration, earlier spelling", []string{"-close-after", "3"}, "-close-after: want a duration"},
		{"extra argument", []string{"now"}, "unexpected arguments"},
		{"bad STT address", []string{"-stt-addr", "no-port"}, "start STT"},
		{"bad TTS address", []string{"-stt-addr", "127.0.0.1:0", "-tts-addr", "no-port"}, "start TTS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(t.Context(), tc.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Empty(t, stdout.String())
			assert.NotContains(t, stderr.String(), "top-secret-key")
		})
	}
}

// TestKnobsOneSpelling: every knob of the embedded STT URL is a flag of the
// same name, and README's knob table lists each once, under that name.
func TestKnobsOneSpelling(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(readme), "| knob | meaning | default |")
	require.True(t, ok, "README has no knob table")
	table, _, _ = strings.Cut(table, "\n\n")
	var stderr strings.Builder
	require.ErrorIs(t, run(t.Context(), []string{"-h"}, io.Discard, &stderr), flag.ErrHelp)
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)=[^`]*` \\|.*\\| ([^|]+) \\|$").FindAllStringSubmatch(table, -1)
	defaults := map[string]string{}
	for _, r := range rows {
		assert.NotContains(t, defaults, r[1], "README lists %s twice", r[1])
		defaults[r[1]] = r[2]
	}
	assert.Len(t, defaults, len(refstt.Params()), "knobs in README's table")
	for _, p := range refstt.Params() {
		assert.Contains(t, stderr.String(), "  -"+p.Name+" ", "flag -%s", p.Name)
		assert.Equal(t, p.Default, defaults[p.Name], "README's default of %s", p.Name)
	}
}

// TestEarlierSpellings: the flags' earlier names still set the same knobs.
func TestEarlierSpellings(t *testing.T) {
	for _, args := range [][]string{{"-max_batch", "0"}, {"-max-batch", "0"}} {
		err := run(t.Context(), args, io.Discard, io.Discard)
		assert.ErrorContains(t, err, "want a whole number >= 1", args)
	}
}
