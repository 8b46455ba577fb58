package reftts

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/leakcheck"
	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/internal/voice/voicetest"
	"github.com/sttbench/sttbench/ttspool"
)

// TestMain fails the package when an HTTP server goroutine outlives the
// tests by more than 5 s.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leakcheck.Goroutines(5*time.Second, "net/http.(*Server).Serve", "net/http.(*conn).serve"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// parseWAV decodes a canonical PCM WAV: its format fields and samples.
func parseWAV(t *testing.T, b []byte) (channels, rate, bits int, pcm []int16) {
	t.Helper()
	require.GreaterOrEqual(t, len(b), 44)
	require.Equal(t, "RIFF", string(b[0:4]))
	require.Equal(t, uint32(len(b)-8), binary.LittleEndian.Uint32(b[4:]))
	require.Equal(t, "WAVE", string(b[8:12]))
	require.Equal(t, "fmt ", string(b[12:16]))
	require.Equal(t, uint16(1), binary.LittleEndian.Uint16(b[20:]), "PCM")
	channels = int(binary.LittleEndian.Uint16(b[22:]))
	rate = int(binary.LittleEndian.Uint32(b[24:]))
	bits = int(binary.LittleEndian.Uint16(b[34:]))
	require.Equal(t, uint32(rate*channels*bits/8), binary.LittleEndian.Uint32(b[28:]), "byte rate")
	require.Equal(t, "data", string(b[36:40]))
	n := int(binary.LittleEndian.Uint32(b[40:]))
	require.Equal(t, len(b)-44, n)
	pcm = make([]int16, n/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[44+2*i:]))
	}
	return channels, rate, bits, pcm
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	r, err := Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer func() {
		require.NoError(t, r.Close())
		require.NoError(t, r.Close(), "a second Close")
	}()
	require.True(t, strings.HasPrefix(r.URL(), "http://127.0.0.1:"), r.URL())
	require.True(t, strings.HasSuffix(r.URL(), "/tts"), r.URL())

	const text = "Welcome to the benchmark. It's a well-known test, isn't it?"
	body := `{"text":` + mustJSON(text) + `,"voice_mode":"predefined","predefined_voice_id":"Emily.wav","output_format":"wav","seed":42}`
	resp, err := http.Post(r.URL(), "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "audio/wav", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	channels, rate, bits, pcm := parseWAV(t, b)
	assert.Equal(t, 1, channels)
	assert.Equal(t, 24000, rate)
	assert.Equal(t, 16, bits)
	got := voice.Recognize(voicetest.Resample(pcm, rate, 16000), 16000)
	var words []string
	for _, w := range got {
		words = append(words, w.Text)
	}
	assert.Equal(t, voice.Words(text), words)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	h := New()
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantDetail string
	}{
		{"minimal request", http.MethodPost, "/tts", `{"text":"hi"}`, http.StatusOK, ""},
		{"extra fields ignored", http.MethodPost, "/tts", `{"text":"hi","exaggeration":0.5,"split_text":true}`, http.StatusOK, ""},
		{"upper-case format", http.MethodPost, "/tts", `{"text":"hi","output_format":"WAV"}`, http.StatusOK, ""},
		{"GET", http.MethodGet, "/tts", "", http.StatusMethodNotAllowed, "POST"},
		{"PUT", http.MethodPut, "/tts", `{"text":"hi"}`, http.StatusMethodNotAllowed, "POST"},
		{"not JSON", http.MethodPost, "/tts", `text=hi`, http.StatusBadRequest, "invalid JSON"},
		{"empty body", http.MethodPost, "/tts", ``, http.StatusBadRequest, "invalid JSON"},
		{"two objects", http.MethodPost, "/tts", `{"text":"hi"}{}`, http.StatusBadRequest, "after the object"},
		{"wrong type", http.MethodPost, "/tts", `{"text":5}`, http.StatusBadRequest, "invalid JSON"},
		{"no text", http.MethodPost, "/tts", `{"voice_mode":"predefined"}`, http.StatusBadRequest, "text is empty"},
		{"blank text", http.MethodPost, "/tts", `{"text":"  "}`, http.StatusBadRequest, "text is empty"},
		{"mp3", http.MethodPost, "/tts", `{"text":"hi","output_format":"mp3"}`, http.StatusBadRequest, "output_format"},
		{"too large", http.MethodPost, "/tts", `{"text":"` + strings.Repeat("a", maxBody) + `"}`, http.StatusBadRequest, "invalid JSON"},
		{"other path", http.MethodPost, "/speak", `{"text":"hi"}`, http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			assert.Equal(t, tc.wantStatus, rec.Code)
			if tc.wantDetail == "" {
				return
			}
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var e struct{ Detail string }
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
			assert.Contains(t, e.Detail, tc.wantDetail)
		})
	}
}

func TestWAV(t *testing.T) {
	t.Parallel()
	pcm := []int16{0, 1, -1, 32767, -32768}
	channels, rate, bits, got := parseWAV(t, ttspool.EncodeWAV(pcm, 8000))
	assert.Equal(t, []int{1, 8000, 16}, []int{channels, rate, bits})
	assert.Equal(t, pcm, got)
}

func TestListenError(t *testing.T) {
	t.Parallel()
	_, err := Listen("no-port")
	assert.ErrorContains(t, err, "reftts: listen")
}

func FuzzTTS(f *testing.F) {
	f.Add(`{"text":"Hello world.","output_format":"wav","seed":1}`)
	f.Add(`{"text":""}`)
	f.Add(`[]`)
	h := New()
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/tts", bytes.NewBufferString(body)))
		switch rec.Code {
		case http.StatusOK:
			_, rate, _, _ := parseWAV(t, rec.Body.Bytes())
			assert.Equal(t, SampleRate, rate)
		case http.StatusBadRequest:
			assert.True(t, json.Valid(rec.Body.Bytes()))
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
