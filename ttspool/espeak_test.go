package ttspool

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireEspeak skips the test when espeak-ng is not installed. CI installs
// it (.ci/run), so there the espeak tests always run.
func requireEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng / brew install espeak-ng): skipping the tests of real espeak-ng speech")
	}
}

func TestEspeakVersion(t *testing.T) {
	requireEspeak(t)
	v, err := EspeakVersion(t.Context(), "")
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`^\d+\.\d+`), v)
}

// TestBuildEspeak speaks texts with the real espeak-ng and checks the
// clips: a duration that fits the words, the end of speech inside the
// clip, and every clip from the cache the second time.
func TestBuildEspeak(t *testing.T) {
	requireEspeak(t)
	texts := []string{
		"Hello.",
		"Seven quiet engineers measured the latency of forty streaming sessions on a busy afternoon.",
		"-v is spoken, not taken for an option.",
		"Hello.",
	}
	cfg := EspeakConfig{CacheDir: t.TempDir()}
	var progress bytes.Buffer
	cfg.Progress, cfg.ProgressLines = &progress, true
	clips, version, err := BuildEspeak(t.Context(), cfg, texts)
	require.NoError(t, err)
	require.Len(t, clips, 4)
	assert.NotEmpty(t, version)
	for i, c := range clips {
		words := len(strings.Fields(texts[i]))
		assert.Equal(t, texts[i], c.Text)
		// espeak-ng speaks about 175 words a minute, roughly 3 a second.
		assert.Greater(t, c.SpeechEnd.Seconds(), float64(words)/6, "clip %d: %v for %d words", i, c.SpeechEnd, words)
		assert.Less(t, c.SpeechEnd.Seconds(), float64(words)/1.5+0.5, "clip %d: %v for %d words", i, c.SpeechEnd, words)
		assert.LessOrEqual(t, c.SpeechEnd, c.Duration(), "clip %d", i)
		assert.LessOrEqual(t, c.Duration()-c.SpeechEnd, TrailingSilence, "clip %d", i)
		assert.NotZero(t, c.PCM[0], "clip %d starts at its first voiced sample", i)
	}
	assert.Equal(t, ClipSHA256(clips[0]), ClipSHA256(clips[3]), "a repeated text shares its clip")
	assert.Greater(t, clips[1].SpeechEnd, 3*time.Second)
	assert.Contains(t, progress.String(), "espeak: 3/3 clips (0 cached)")
	entries, err := os.ReadDir(cfg.CacheDir)
	require.NoError(t, err)
	assert.Len(t, entries, 3, "one cache entry per distinct text")

	progress.Reset()
	again, _, err := BuildEspeak(t.Context(), cfg, texts)
	require.NoError(t, err)
	assert.Contains(t, progress.String(), "espeak: 3/3 clips (3 cached)")
	assert.Equal(t, ClipsDigest(clips), ClipsDigest(again), "the cached clips are the spoken ones")

	// Another voice is other speech: it misses the cache.
	progress.Reset()
	cfg.Voice = "en-gb"
	gb, _, err := BuildEspeak(t.Context(), cfg, texts[:2])
	require.NoError(t, err)
	assert.Contains(t, progress.String(), "espeak: 2/2 clips (0 cached)")
	assert.NotEqual(t, ClipSHA256(clips[1]), ClipSHA256(gb[1]))
}

func TestBuildEspeakMissingBinary(t *testing.T) {
	cfg := EspeakConfig{Binary: filepath.Join(t.TempDir(), "espeak-ng"), CacheDir: t.TempDir()}
	_, _, err := BuildEspeak(t.Context(), cfg, []string{"hello"})
	require.ErrorIs(t, err, ErrNoEspeak)
	assert.Contains(t, err.Error(), "apt-get install espeak-ng")
	assert.Contains(t, err.Error(), "brew install espeak-ng")
	entries, _ := os.ReadDir(cfg.CacheDir)
	assert.Empty(t, entries)
}

func TestBuildEspeakErrors(t *testing.T) {
	requireEspeak(t)
	_, _, err := BuildEspeak(t.Context(), EspeakConfig{Voice: "xx-no-such-voice", CacheDir: t.TempDir()}, []string{"hello"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `voice "xx-no-such-voice"`)
	assert.Contains(t, err.Error(), "does not exist", "espeak-ng's own message")

	_, _, err = BuildEspeak(t.Context(), EspeakConfig{CacheDir: t.TempDir()}, []string{"a", ""})
	assert.ErrorContains(t, err, "text 1 is empty")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, _, err = BuildEspeak(ctx, EspeakConfig{CacheDir: t.TempDir()}, []string{"hello"})
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
}

// espeakPCM is text spoken by espeak-ng at 16 kHz, untrimmed.
func espeakPCM(t *testing.T, text string) []int16 {
	t.Helper()
	path, err := exec.LookPath("espeak-ng")
	require.NoError(t, err)
	wav, err := espeak(t.Context(), path, DefaultEspeakVoice, text)
	require.NoError(t, err)
	a, err := DecodeWAV(wav)
	require.NoError(t, err)
	return toInt16(Resample(a.Mono(), a.Rate, SampleRate))
}

// TestTrimRecordedSpeech is what the energy rule does with speech as
// recordings have it: padded with silence, cut off mid-word, or over a
// noise floor.
func TestTrimRecordedSpeech(t *testing.T) {
	requireEspeak(t)
	pcm := espeakPCM(t, "Seven quiet engineers measured the speech of forty sessions.")
	_, last, ok := voicedBounds(pcm)
	require.True(t, ok)
	voicedEnd := samplesToDuration(last + 1)
	pad := make([]int16, SampleRate)
	padded := append(append(append([]int16{}, pad...), pcm...), pad...)
	noisy := func(db float64) []int16 {
		rng := rand.New(rand.NewPCG(1, 2))
		amp := math.Pow(10, db/20) * math.Sqrt(3) * (1 << 15) // uniform noise of that RMS
		x := append([]int16(nil), padded...)
		for i := range x {
			x[i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(float64(x[i])+amp*(2*rng.Float64()-1)))))
		}
		return x
	}
	speechEndInFile := func(x []int16) time.Duration {
		t.Helper()
		first, _, ok := voicedBounds(x)
		require.True(t, ok)
		_, end, err := Trim(x)
		require.NoError(t, err)
		return samplesToDuration(first) + end
	}
	truth := time.Second + voicedEnd

	// Clean, or a noise floor at -65 dBFS: the end is found to the sample.
	assert.Equal(t, truth, speechEndInFile(padded))
	assert.InDelta(t, truth.Seconds(), speechEndInFile(noisy(-65)).Seconds(), 0.005)
	// A noise floor at -50 dBFS (a quiet room through a cheap microphone)
	// is within 40 dB of this speech: every frame counts as voiced, and
	// the end of speech lands on the last sample, a second late.
	loud := noisy(-50)
	assert.Equal(t, samplesToDuration(len(loud)), speechEndInFile(loud))
	// A speech_end from word timestamps puts it back.
	c, err := ClipFromAudio("x", Audio{Rate: SampleRate, Channels: 1, Samples: floats(loud)}, truth)
	require.NoError(t, err)
	assert.Equal(t, truth, c.SpeechEnd, "nothing cut before speech in a file this noisy")
	assert.Equal(t, truth+TrailingSilence, c.Duration())

	// A recording cut off mid-word ends in speech: the end of speech is the
	// last sample, and no silence follows it.
	cut := pcm[:len(pcm)*7/10]
	c, err = ClipFromAudio("x", Audio{Rate: SampleRate, Channels: 1, Samples: floats(cut)}, 0)
	require.NoError(t, err)
	assert.Equal(t, c.Duration(), c.SpeechEnd)
}

func floats(pcm []int16) []float64 {
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s) / (1 << 15)
	}
	return x
}

func TestClipFromAudioSpeechEnd(t *testing.T) {
	// 0.5 s silence, 1 s tone, 1 s silence at 8 kHz stereo.
	mono := synth(3, 0, segment{500 * time.Millisecond, "silence", 0}, segment{time.Second, "vowel", 0.3}, segment{time.Second, "silence", 0})
	a := Audio{Rate: SampleRate, Channels: 2}
	for _, s := range mono {
		a.Samples = append(a.Samples, float64(s)/(1<<15), float64(s)/(1<<15))
	}
	auto, err := ClipFromAudio("t", a, 0)
	require.NoError(t, err)
	assert.InDelta(t, 1.0, auto.SpeechEnd.Seconds(), 0.002)

	given, err := ClipFromAudio("t", a, 1700*time.Millisecond)
	require.NoError(t, err)
	assert.InDelta(t, 1.2, given.SpeechEnd.Seconds(), 0.002, "measured from the file's start, less the 0.5 s cut")
	assert.Equal(t, given.SpeechEnd+TrailingSilence, given.Duration())

	end, err := ClipFromAudio("t", a, 2505*time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, end.SpeechEnd, end.Duration(), "a speech end a rounding past the file's end is its end")
	assert.InDelta(t, 2.0, end.SpeechEnd.Seconds(), 0.002)

	_, err = ClipFromAudio("t", a, 3*time.Second)
	assert.ErrorContains(t, err, "speech end 3s is past the end of the audio (2.5s)")
	_, err = ClipFromAudio("t", a, 400*time.Millisecond)
	assert.ErrorContains(t, err, "speech end 400ms is before the first voiced sample (500ms)")
	_, err = ClipFromAudio("t", Audio{Rate: SampleRate, Channels: 1, Samples: make([]float64, 1000)}, time.Second)
	assert.ErrorIs(t, err, ErrSilent)
}
