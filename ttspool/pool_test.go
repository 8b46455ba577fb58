package ttspool

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTTS is a loopback Chatterbox: it checks each request body field by
// field and answers with fixture WAV bytes, counting requests and the most
// in flight at once.
type fakeTTS struct {
	t *testing.T
	// mu guards the expected voice and seed, which tests change between
	// builds while the server runs.
	mu    sync.Mutex
	voice string
	seed  int
	// wav picks the answer for a text; nil answers the 24 kHz float fixture,
	// which is what Chatterbox sends.
	wav func(text string) []byte
	// float24 is that fixture, read before the server starts.
	float24 []byte
	// hold keeps each request in flight until holdFor requests are in
	// flight together (or a second passes), to measure the bound.
	holdFor int

	requests, inflight, maxInflight atomic.Int64
	reached                         chan struct{}
	reachedOnce                     sync.Once
}

func newFakeTTS(t *testing.T) *fakeTTS {
	return &fakeTTS{t: t, voice: DefaultVoice, seed: DefaultSeed, float24: readFixture(t, "sox_24k_f32.wav"), reached: make(chan struct{})}
}

// expect sets the voice and seed the next requests must carry.
func (f *fakeTTS) expect(voice string, seed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.voice, f.seed = voice, seed
}

// start serves f on a loopback server closed at the end of the test.
func (f *fakeTTS) start() *httptest.Server {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return srv
}

func (f *fakeTTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	n := f.inflight.Add(1)
	defer f.inflight.Add(-1)
	for m := f.maxInflight.Load(); n > m && !f.maxInflight.CompareAndSwap(m, n); m = f.maxInflight.Load() {
	}
	// The body must be exactly Chatterbox's predefined-voice request.
	f.mu.Lock()
	voice, seed := f.voice, f.seed
	f.mu.Unlock()
	ok := assert.Equal(f.t, http.MethodPost, r.Method) &&
		assert.Equal(f.t, "application/json", r.Header.Get("Content-Type"))
	var body map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	ok = ok && assert.NoError(f.t, dec.Decode(&body))
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	ok = ok && assert.Equal(f.t, []string{"output_format", "predefined_voice_id", "seed", "text", "voice_mode"}, keys) &&
		assert.Equal(f.t, "predefined", body["voice_mode"]) &&
		assert.Equal(f.t, voice, body["predefined_voice_id"]) &&
		assert.Equal(f.t, "wav", body["output_format"]) &&
		assert.Equal(f.t, json.Number(fmt.Sprint(seed)), body["seed"])
	_, _ = io.Copy(io.Discard, r.Body)
	if f.holdFor > 0 {
		if n >= int64(f.holdFor) {
			f.reachedOnce.Do(func() { close(f.reached) })
		}
		select {
		case <-f.reached:
		case <-time.After(time.Second):
		case <-r.Context().Done():
		}
	}
	text, isString := body["text"].(string)
	ok = ok && assert.True(f.t, isString && text != "", "text field")
	if !ok {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	wav := f.float24
	if f.wav != nil {
		wav = f.wav(text)
	}
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(wav)
}

// fixtureFor gives each test text its own audio, so a clip in the wrong
// slot would show.
func fixtureFor(t *testing.T) func(string) []byte {
	byText := map[string][]byte{
		"Seven ducks in Oslo.": readFixture(t, "espeak_22k_s16_stream.wav"),
		"Oslo.":                readFixture(t, "sox_44k_s24_stereo.wav"),
	}
	float24 := readFixture(t, "sox_24k_f32.wav")
	return func(text string) []byte {
		if b, ok := byText[text]; ok {
			return b
		}
		return float24
	}
}

// hang blocks a handler until its client gives up (or, as a backstop that
// keeps a broken test from hanging the suite, ten seconds pass).
func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func testConfig(t *testing.T, url string) Config {
	return Config{URL: url, CacheDir: t.TempDir()}
}

func TestBuild(t *testing.T) {
	fake := newFakeTTS(t)
	fake.wav = fixtureFor(t)
	srv := fake.start()
	var progress bytes.Buffer
	cfg := testConfig(t, srv.URL+"/tts")
	cfg.Progress = &progress
	texts := []string{"Seven ducks in Oslo.", "Oslo.", "Chatterbox speaks at twenty four kilohertz.", "Seven ducks in Oslo."}

	clips, err := Build(t.Context(), cfg, texts)
	require.NoError(t, err)
	require.Len(t, clips, len(texts))
	assert.Equal(t, int64(3), fake.requests.Load(), "a repeated text is synthesized once")
	for i, c := range clips {
		assert.Equal(t, texts[i], c.Text, "clip %d", i)
		want, err := DecodeClip(texts[i], fake.wav(texts[i]))
		require.NoError(t, err)
		assert.Equal(t, want, c, "clip %d holds its own text's audio", i)
	}
	assert.True(t, strings.HasPrefix(progress.String(), "\rtts: 0/3 clips (0 cached)"), "%q", progress.String())
	assert.True(t, strings.HasSuffix(progress.String(), "\rtts: 3/3 clips (0 cached)\n"), "%q", progress.String())
	assertCacheClean(t, cfg.CacheDir, 3)
}

// TestBuildProgressLines checks the log form of progress: one whole line
// each time another tenth of the clips is ready, in order, and nothing else.
func TestBuildProgressLines(t *testing.T) {
	fake := newFakeTTS(t)
	srv := fake.start()
	tests := []struct {
		clips int
		want  []int // the clip counts that get a line
	}{
		{1, []int{1}},
		{3, []int{1, 2, 3}},
		{10, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{25, []int{3, 5, 8, 10, 13, 15, 18, 20, 23, 25}},
		{40, []int{4, 8, 12, 16, 20, 24, 28, 32, 36, 40}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.clips), func(t *testing.T) {
			texts := make([]string, tt.clips)
			for i := range texts {
				texts[i] = fmt.Sprintf("Sentence number %d of %d.", i, tt.clips)
			}
			cfg := testConfig(t, srv.URL+"/tts")
			cfg.Concurrency = 4
			cfg.ProgressLines = true
			for _, cached := range []int{0, tt.clips} { // a cold build, then all from the cache
				var progress bytes.Buffer
				cfg.Progress = &progress
				_, err := Build(t.Context(), cfg, texts)
				require.NoError(t, err)
				var want strings.Builder
				for _, n := range tt.want {
					fmt.Fprintf(&want, "tts: %d/%d clips (%d cached)\n", n, tt.clips, min(n, cached))
				}
				assert.Equal(t, want.String(), progress.String())
			}
		})
	}
}

// TestBuildCacheFileMode compares a cache entry's mode with that of a file
// created 0644 beside it: equal under any umask.
func TestBuildCacheFileMode(t *testing.T) {
	srv := newFakeTTS(t).start()
	cfg := testConfig(t, srv.URL+"/tts")
	_, err := Build(t.Context(), cfg, []string{"Seven ducks in Oslo."})
	require.NoError(t, err)
	ref := filepath.Join(cfg.CacheDir, "reference")
	require.NoError(t, os.WriteFile(ref, nil, 0o644))
	want, err := os.Stat(ref)
	require.NoError(t, err)
	entries, err := os.ReadDir(cfg.CacheDir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "the entry and the reference file")
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, want.Mode().Perm(), fi.Mode().Perm(), "%s", e.Name())
	}
}

// TestBuildCallerDeadlineIsNotTheHTTPTimeout: the caller's own deadline is
// reported as such, not as ErrTimeout, which points at Config.HTTPTimeout.
func TestBuildCallerDeadlineIsNotTheHTTPTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hang(r)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Build(ctx, testConfig(t, srv.URL), []string{"Never spoken."})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrTimeout)
}

func TestBuildNoTexts(t *testing.T) {
	var progress bytes.Buffer
	cfg := Config{URL: "http://127.0.0.1:1/tts", CacheDir: t.TempDir(), Progress: &progress}
	clips, err := Build(t.Context(), cfg, nil)
	require.NoError(t, err)
	assert.Empty(t, clips)
	assert.Empty(t, progress.String())
}

// assertCacheClean checks that the cache holds n entries and no temp files.
func assertCacheClean(t *testing.T, dir string, n int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		assert.True(t, strings.HasSuffix(e.Name(), ".wav") && !strings.HasPrefix(e.Name(), "."), "stray file %s", e.Name())
	}
	assert.Len(t, names, n)
}

func TestBuildCache(t *testing.T) {
	fake := newFakeTTS(t)
	srv := fake.start()
	other := newFakeTTS(t)
	otherSrv := other.start()
	texts := []string{"First cached text.", "Second cached text.", "Third cached text."}
	base := testConfig(t, srv.URL+"/tts")

	warm, err := Build(t.Context(), base, texts)
	require.NoError(t, err)
	require.Equal(t, int64(3), fake.requests.Load())

	tests := []struct {
		name        string
		change      func(*Config)
		server      *fakeTTS
		newRequests int64
		cached      int
	}{
		{"same config hits", func(*Config) {}, fake, 0, 3},
		{"explicit defaults hit", func(c *Config) { c.Voice, c.Seed = DefaultVoice, DefaultSeed }, fake, 0, 3},
		{"other seed misses", func(c *Config) { c.Seed = 7 }, fake, 3, 0},
		{"other voice misses", func(c *Config) { c.Voice = "Olivia.wav" }, fake, 3, 0},
		{"other URL misses", func(c *Config) { c.URL = otherSrv.URL + "/tts" }, other, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.change(&cfg)
			tt.server.expect(cfg.withDefaults().Voice, cfg.withDefaults().Seed)
			before := tt.server.requests.Load()
			var progress bytes.Buffer
			cfg.Progress = &progress

			clips, err := Build(t.Context(), cfg, texts)
			require.NoError(t, err)
			assert.Equal(t, tt.newRequests, tt.server.requests.Load()-before, "requests")
			assert.True(t, strings.HasSuffix(progress.String(), fmt.Sprintf("\rtts: 3/3 clips (%d cached)\n", tt.cached)), "%q", progress.String())
			// The fake answers the same audio whatever the voice, so a
			// clip from the cache must equal the one first synthesized.
			assert.Equal(t, warm, clips)
		})
	}
}

func TestBuildCorruptCache(t *testing.T) {
	const text = "A text whose cache entry breaks."
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string, good []byte) []byte
	}{
		{"garbage", func(*testing.T, string, []byte) []byte { return []byte("not a wav at all") }},
		{"empty file", func(*testing.T, string, []byte) []byte { return nil }},
		{"truncated", func(_ *testing.T, _ string, good []byte) []byte { return good[:len(good)/2] }},
		{"other text in metadata", func(t *testing.T, _ string, good []byte) []byte {
			c, err := parseCacheEntry(good)
			require.NoError(t, err)
			meta, _ := json.Marshal(clipMeta{Text: "Someone else's text.", SpeechEndSamples: 100})
			return encodeWAV(c.PCM, SampleRate, metaChunkID, meta)
		}},
		{"speech end beyond the audio", func(t *testing.T, _ string, good []byte) []byte {
			c, err := parseCacheEntry(good)
			require.NoError(t, err)
			meta, _ := json.Marshal(clipMeta{Text: text, SpeechEndSamples: len(c.PCM) + 1})
			return encodeWAV(c.PCM, SampleRate, metaChunkID, meta)
		}},
		{"no metadata", func(t *testing.T, _ string, good []byte) []byte {
			c, err := parseCacheEntry(good)
			require.NoError(t, err)
			return encodeWAV(c.PCM, SampleRate, "", nil)
		}},
		{"wrong rate", func(_ *testing.T, _ string, good []byte) []byte {
			b := slices.Clone(good)
			b[24] = 0x22 // sample rate 16000 → 15906 Hz
			return b
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeTTS(t)
			srv := fake.start()
			cfg := testConfig(t, srv.URL+"/tts")
			want, err := Build(t.Context(), cfg, []string{text})
			require.NoError(t, err)
			path := filepath.Join(cfg.CacheDir, cacheKey(cfg.URL, DefaultVoice, DefaultSeed, text)+".wav")
			good, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(path, tt.corrupt(t, path, good), 0o644))

			var progress bytes.Buffer
			cfg.Progress = &progress
			got, err := Build(t.Context(), cfg, []string{text})
			require.NoError(t, err, "a corrupt entry is regenerated, not fatal")
			assert.True(t, strings.HasSuffix(progress.String(), "\rtts: 1/1 clips (0 cached, 1 corrupt rebuilt)\n"), "%q", progress.String())
			assert.Equal(t, int64(2), fake.requests.Load())
			assert.Equal(t, want, got)
			rebuilt, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, good, rebuilt, "entry rewritten")
			assertCacheClean(t, cfg.CacheDir, 1)
		})
	}
}

func TestBuildConcurrencyBound(t *testing.T) {
	tests := []struct {
		name        string
		concurrency int
		want        int64
	}{
		{"default is five", 0, DefaultConcurrency},
		{"two", 2, 2},
		{"one", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeTTS(t)
			fake.holdFor = int(tt.want)
			srv := fake.start()
			cfg := testConfig(t, srv.URL+"/tts")
			cfg.Concurrency = tt.concurrency
			texts := make([]string, 12)
			for i := range texts {
				texts[i] = fmt.Sprintf("Concurrent text number %c.", 'a'+i)
			}
			clips, err := Build(t.Context(), cfg, texts)
			require.NoError(t, err)
			assert.Len(t, clips, len(texts))
			assert.Equal(t, int64(len(texts)), fake.requests.Load())
			assert.Equal(t, tt.want, fake.maxInflight.Load(), "most requests in flight")
		})
	}
}

func TestBuildErrors(t *testing.T) {
	const text = "The quick brown fox named Bartholomew jumped over the lazy dog in Reykjavik."
	float24 := readFixture(t, "sox_24k_f32.wav")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		wantIs  error
		wantErr []string
	}{
		{"HTTP 500", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "CUDA out of memory", http.StatusInternalServerError)
		}, 0, ErrTTS, []string{"HTTP 500 Internal Server Error", "CUDA out of memory"}},
		{"HTML instead of audio", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>Welcome to the proxy</body></html>")
		}, 0, ErrTTS, []string{"not a WAV", `Content-Type "text/html; charset=utf-8"`, "<html><body>Welcome"}},
		{"truncated WAV", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "audio/wav")
			_, _ = w.Write(float24[:len(float24)/2])
		}, 0, ErrBadWAV, []string{"decode audio", `truncated: chunk "data"`}},
		{"silent WAV", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(riff(fmtChunk(formatFloat, 1, 24000, 32), chunk("data", make([]byte, 96000))))
		}, 0, ErrSilent, []string{"decode audio", "silent"}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			// Read the body first: the server notices a client that hung
			// up only once the body is consumed.
			_, _ = io.Copy(io.Discard, r.Body)
			hang(r)
		}, 100 * time.Millisecond, ErrTimeout, []string{"timed out", "no answer within 100ms", "clip 1 of 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			cfg := testConfig(t, srv.URL+"/tts")
			cfg.HTTPTimeout = tt.timeout
			start := time.Now()
			_, err := Build(t.Context(), cfg, []string{text})
			require.Error(t, err)
			assert.Less(t, time.Since(start), 4*time.Second)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.ErrorContains(t, err, srv.URL+"/tts", "names the URL")
			assert.ErrorContains(t, err, `"The quick brown fox named Bartholomew j…"`, "names the text, abbreviated")
			for _, want := range tt.wantErr {
				assert.ErrorContains(t, err, want)
			}
			assertCacheClean(t, cfg.CacheDir, 0)
		})
	}
}

// TestBuildStopsOnFirstError checks that one failing text ends the build
// without waiting for the others.
func TestBuildStopsOnFirstError(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		var req ttsRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		_, _ = io.Copy(io.Discard, r.Body)
		if req.Text == "Bad text." {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		hang(r) // the others hang until canceled
	}))
	t.Cleanup(srv.Close)
	cfg := testConfig(t, srv.URL)
	cfg.Concurrency = 3
	texts := []string{"Slow one.", "Bad text.", "Slow two.", "Slow three.", "Slow four.", "Slow five."}
	_, err := Build(t.Context(), cfg, texts)
	assert.ErrorContains(t, err, "HTTP 400")
	assert.ErrorContains(t, err, `"Bad text."`)
	assert.LessOrEqual(t, requests.Load(), int64(3), "no new requests after the failure")
}

func TestBuildCanceled(t *testing.T) {
	started := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		started <- struct{}{}
		hang(r)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name   string
		cancel func(cancel context.CancelFunc)
	}{
		{"before the build", func(cancel context.CancelFunc) { cancel() }},
		{"during a request", func(cancel context.CancelFunc) {
			go func() {
				<-started
				cancel()
			}()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			tt.cancel(cancel)
			_, err := Build(ctx, testConfig(t, srv.URL), []string{"Never spoken.", "Also never spoken."})
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestBuildInvalid(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		texts   []string
		wantErr string
	}{
		{"no URL", Config{}, []string{"x"}, "URL is required"},
		{"empty text", Config{URL: "http://localhost/tts"}, []string{"fine", ""}, "text 1 is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.CacheDir = t.TempDir()
			_, err := Build(t.Context(), tt.cfg, tt.texts)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"minimal", Config{URL: "http://localhost:8004/tts"}, ""},
		{"everything set", Config{URL: "https://tts.example/tts", Voice: "Olivia.wav", Seed: 1, CacheDir: "c", Concurrency: 2, HTTPTimeout: time.Second}, ""},
		{"missing URL", Config{}, "URL is required"},
		{"relative URL", Config{URL: "localhost:8004/tts"}, "not an absolute http(s) URL"},
		{"other scheme", Config{URL: "ws://localhost/tts"}, "not an absolute http(s) URL"},
		{"bad URL", Config{URL: "http://[::1"}, "URL"},
		{"negative seed", Config{URL: "http://h/tts", Seed: -1}, "Seed -1 is negative"},
		{"negative concurrency", Config{URL: "http://h/tts", Concurrency: -1}, "Concurrency -1 is negative"},
		{"negative timeout", Config{URL: "http://h/tts", HTTPTimeout: -time.Second}, "HTTPTimeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{URL: "http://h/tts"}.withDefaults()
	assert.Equal(t, DefaultVoice, c.Voice)
	assert.Equal(t, DefaultSeed, c.Seed)
	assert.Equal(t, DefaultCacheDir, c.CacheDir)
	assert.Equal(t, DefaultConcurrency, c.Concurrency)
	assert.Equal(t, DefaultHTTPTimeout, c.HTTPTimeout)
	assert.NotNil(t, c.Progress)
}

func TestCacheKey(t *testing.T) {
	base := cacheKey("http://h/tts", "Emily.wav", 42, "Hello.")
	assert.Len(t, base, 64)
	assert.Equal(t, base, cacheKey("http://h/tts", "Emily.wav", 42, "Hello."))
	for _, other := range []string{
		cacheKey("http://h/tts2", "Emily.wav", 42, "Hello."),
		cacheKey("http://h/tts", "Olivia.wav", 42, "Hello."),
		cacheKey("http://h/tts", "Emily.wav", 43, "Hello."),
		cacheKey("http://h/tts", "Emily.wav", 42, "Hello!"),
		// Length prefixes keep shifted boundaries apart.
		cacheKey("http://h/ttsE", "mily.wav", 42, "Hello."),
	} {
		assert.NotEqual(t, base, other)
	}
}
