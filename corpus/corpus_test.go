package corpus

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sttbench/sttbench/ttspool"
)

const speechFixture = "testdata/speech-22k-stereo.flac"

// TestDecodeFLACFixtures decodes FLAC files made by the reference encoder
// and checks them sample for sample against what sox decoded.
func TestDecodeFLACFixtures(t *testing.T) {
	a, err := DecodeFile(speechFixture)
	require.NoError(t, err)
	assert.Equal(t, 22050, a.Rate)
	assert.Equal(t, 2, a.Channels)
	assert.Equal(t, 77130, a.Frames())
	raw := make([]byte, 2*len(a.Samples))
	for i, s := range a.Samples {
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(int16(math.Round(s*(1<<15)))))
	}
	sum := sha256.Sum256(raw)
	assert.Equal(t, "4b3d51c9144b09d520eb22e9a0d46924656b4b89402422149688fc58d6ceb5af", hex.EncodeToString(sum[:]),
		"the decoded samples are sox's (testdata/README.md)")

	tone, err := DecodeFile("testdata/tone-440hz-8k-24bit.flac")
	require.NoError(t, err)
	assert.Equal(t, 8000, tone.Rate)
	assert.Equal(t, 1, tone.Channels)
	assert.Equal(t, 4000, tone.Frames())
	var peak, energy float64
	for _, s := range tone.Samples {
		peak = max(peak, math.Abs(s))
		energy += s * s
	}
	assert.InDelta(t, 0.5, peak, 1e-4, "24-bit samples are scaled to full scale ±1")
	assert.InDelta(t, 0.5/math.Sqrt2, math.Sqrt(energy/float64(len(tone.Samples))), 1e-3)
}

func TestDecodeFileErrors(t *testing.T) {
	dir := t.TempDir()
	notAudio := filepath.Join(dir, "a.wav")
	require.NoError(t, os.WriteFile(notAudio, []byte("ID3 this is an mp3, really"), 0o644))
	_, err := DecodeFile(notAudio)
	assert.ErrorIs(t, err, errNotAudio)

	fixture, err := os.ReadFile(speechFixture)
	require.NoError(t, err)
	cut := filepath.Join(dir, "cut.flac")
	require.NoError(t, os.WriteFile(cut, fixture[:len(fixture)/2], 0o644))
	_, err = DecodeFile(cut)
	assert.ErrorContains(t, err, "bad FLAC", "a truncated FLAC file is an error, not half a clip")

	_, err = DecodeFile(filepath.Join(dir, "missing.flac"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// speech16k is the fixture's espeak-ng speech at 16 kHz mono int16.
func speech16k(t *testing.T) []int16 {
	t.Helper()
	a, err := DecodeFile(speechFixture)
	require.NoError(t, err)
	x := ttspool.Resample(a.Mono(), a.Rate, ttspool.SampleRate)
	pcm := make([]int16, len(x))
	for i, v := range x {
		pcm[i] = int16(max(-32768, min(32767, math.Round(v*(1<<15)))))
	}
	return pcm
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	speech := speech16k(t)
	// b is 44.1 kHz WAV, a is the FLAC fixture, c 8 kHz WAV: read in name
	// order whatever their formats.
	write(t, filepath.Join(dir, "b.wav"), ttspool.EncodeWAV(resample16(speech, 44100), 44100))
	write(t, filepath.Join(dir, "b.txt"), []byte("  second\nclip  \n"))
	fixture, err := os.ReadFile(speechFixture)
	require.NoError(t, err)
	write(t, filepath.Join(dir, "a.flac"), fixture)
	write(t, filepath.Join(dir, "a.txt"), []byte("Seven quiet engineers measured the speech.\n"))
	write(t, filepath.Join(dir, "c.wav"), ttspool.EncodeWAV(resample16(speech, 8000), 8000))
	write(t, filepath.Join(dir, "c.txt"), []byte("third"))
	write(t, filepath.Join(dir, "notes.md"), []byte("ignored"))
	write(t, filepath.Join(dir, "._a.flac"), []byte("resource fork, ignored"))

	utts, err := LoadDir(dir)
	require.NoError(t, err)
	require.Len(t, utts, 3)
	assert.Equal(t, filepath.Join(dir, "a.flac"), utts[0].Path)
	assert.Equal(t, "Seven quiet engineers measured the speech.", utts[0].Text)
	assert.Equal(t, "second clip", utts[1].Text, "whitespace and line breaks fold to single spaces")
	assert.Equal(t, filepath.Join(dir, "c.wav"), utts[2].Path)

	clips, warnings, err := Build(t.Context(), utts)
	require.NoError(t, err)
	assert.Empty(t, warnings)
	require.Len(t, clips, 3)
	for i, c := range clips {
		assert.Equal(t, utts[i].Text, c.Text)
		// The espeak utterance speaks for about 2.4 s, whatever the file's
		// rate, channels and padding.
		assert.InDelta(t, 2.4, c.SpeechEnd.Seconds(), 0.25, "clip %d", i)
		assert.LessOrEqual(t, c.Duration()-c.SpeechEnd, ttspool.TrailingSilence, "clip %d", i)
	}
	// Trimming took the fixture's 0.4 s of leading silence away: its clip
	// is no longer than the 16 kHz copies of the unpadded speech.
	assert.InDelta(t, clips[1].Duration().Seconds(), clips[0].Duration().Seconds(), 0.05)
}

// resample16 is 16 kHz pcm at rate.
func resample16(pcm []int16, rate int) []int16 {
	x := make([]float64, len(pcm))
	for i, s := range pcm {
		x[i] = float64(s) / (1 << 15)
	}
	y := ttspool.Resample(x, ttspool.SampleRate, rate)
	out := make([]int16, len(y))
	for i, v := range y {
		out[i] = int16(max(-32768, min(32767, math.Round(v*(1<<15)))))
	}
	return out
}

func TestLoadDirErrors(t *testing.T) {
	wav := ttspool.EncodeWAV(make([]int16, 1600), ttspool.SampleRate)
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"audio without text", map[string]string{"a.wav": string(wav), "a.txt": "x", "b.wav": string(wav)}, "b.wav has no reference text: write it to "},
		{"text without audio", map[string]string{"a.wav": string(wav), "a.txt": "x", "z.txt": "y"}, "z.txt has no audio beside it"},
		{"wav and flac", map[string]string{"a.wav": string(wav), "a.flac": "x", "a.txt": "x"}, "a.flac and a.wav are both there"},
		{"empty text", map[string]string{"a.wav": string(wav), "a.txt": " \n"}, "a.txt is empty"},
		{"nothing", map[string]string{"readme.md": "x"}, "no NAME.wav or NAME.flac files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				write(t, filepath.Join(dir, name), []byte(body))
			}
			_, err := LoadDir(dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := LoadDir(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestManifest reads a NeMo manifest with a relative and an absolute
// path, a speech_end and a duration, and builds its clips.
func TestManifest(t *testing.T) {
	root := t.TempDir()
	speech := speech16k(t)
	// 1 s more silence before and after the fixture's own 0.4 s and 0.6 s:
	// speech from about 1.4 to 3.8 s.
	padded := append(append(make([]int16, ttspool.SampleRate), speech...), make([]int16, ttspool.SampleRate)...)
	write(t, filepath.Join(root, "data", "audio", "one.wav"), ttspool.EncodeWAV(resample16(padded, 24000), 24000))
	fixture, err := os.ReadFile(speechFixture)
	require.NoError(t, err)
	abs := filepath.Join(root, "elsewhere", "two.flac")
	write(t, abs, fixture)
	total := float64(len(padded)) / ttspool.SampleRate
	manifest := filepath.Join(root, "data", "train.json")
	write(t, manifest, []byte(fmt.Sprintf(
		`{"audio_filepath": "audio/one.wav", "text": "seven quiet engineers", "duration": %.4f, "speech_end": 3.6, "lang": "en"}`+"\n"+
			"\n"+
			`{"audio_filepath": %q, "text": "measured the speech", "duration": 9.0}`+"\n",
		total, abs)))

	utts, err := LoadManifest(manifest)
	require.NoError(t, err)
	require.Len(t, utts, 2)
	assert.Equal(t, filepath.Join(root, "data", "audio", "one.wav"), utts[0].Path, "relative to the manifest's directory")
	assert.Equal(t, abs, utts[1].Path)
	assert.Equal(t, 3600*time.Millisecond, utts[0].SpeechEnd)
	assert.Equal(t, "manifest "+manifest+" line 3", utts[1].Origin, "blank lines count as lines")

	clips, warnings, err := Build(t.Context(), utts)
	require.NoError(t, err)
	// speech_end is from the start of the file; the clip starts at the
	// first voiced sample (about 1.4 s in), so the end moves with it.
	lead := 3600*time.Millisecond - clips[0].SpeechEnd
	assert.InDelta(t, 1.4, lead.Seconds(), 0.1)
	assert.Equal(t, clips[0].SpeechEnd+ttspool.TrailingSilence, clips[0].Duration(), "300 ms kept after the given speech end")
	// Without speech_end the energy rule finds the end, near 2.4 s.
	assert.InDelta(t, 2.4, clips[1].SpeechEnd.Seconds(), 0.25)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "line 3: duration 9.000 s, but "+abs+" holds 3.498 s of audio")
}

func TestManifestErrors(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.wav"), ttspool.EncodeWAV(make([]int16, 1600), ttspool.SampleRate))
	good := `{"audio_filepath": "a.wav", "text": "x"}` + "\n"
	tests := []struct{ name, body, want string }{
		{"not JSON", good + "audio_filepath=a.wav\n", "line 2: not a JSON object"},
		{"two values", good + good[:len(good)-1] + good, "line 2: more than one JSON value"},
		{"no path", good + `{"text": "x"}` + "\n", "line 2: no audio_filepath"},
		{"no text", `{"audio_filepath": "a.wav"}` + "\n", "line 1: no text"},
		{"empty text", `{"audio_filepath": "a.wav", "text": " "}` + "\n", "line 1: text is empty"},
		{"missing file", good + good + `{"audio_filepath": "gone.wav", "text": "y"}` + "\n", "line 3: audio_filepath: stat " + filepath.Join(root, "gone.wav")},
		{"not audio", `{"audio_filepath": "a.mp3", "text": "y"}` + "\n", "line 1: audio_filepath a.mp3 is not a .wav or .flac file"},
		{"negative speech_end", `{"audio_filepath": "a.wav", "text": "y", "speech_end": -1}` + "\n", "line 1: speech_end -1 must be a positive number"},
		{"speech_end past duration", `{"audio_filepath": "a.wav", "text": "y", "duration": 1, "speech_end": 2}` + "\n", "line 1: speech_end 2s is past the duration 1s"},
		{"text not a string", `{"audio_filepath": "a.wav", "text": 7}` + "\n", "line 1: not a JSON object"},
		{"empty", "\n\n", "no utterances"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(root, strings.ReplaceAll(tt.name, " ", "-")+".json")
			write(t, path, []byte(tt.body))
			_, err := LoadManifest(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "manifest "+path)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestBuildErrors: a file that decodes to nothing usable stops the build
// with the file and the manifest line named.
func TestBuildErrors(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "silent.wav"), ttspool.EncodeWAV(make([]int16, 16000), ttspool.SampleRate))
	write(t, filepath.Join(root, "junk.wav"), []byte("RIFF but not really"))
	write(t, filepath.Join(root, "short.wav"), ttspool.EncodeWAV(speech16k(t), ttspool.SampleRate))
	manifest := filepath.Join(root, "m.json")
	for _, tt := range []struct{ line, want string }{
		{`{"audio_filepath": "silent.wav", "text": "x"}`, "silent.wav (manifest " + manifest + " line 1): audio for \"x\": trim 16000 samples: no speech"},
		{`{"audio_filepath": "junk.wav", "text": "x"}`, "junk.wav (manifest " + manifest + " line 1): bad WAV"},
		{`{"audio_filepath": "short.wav", "text": "x", "speech_end": 9.5}`, "speech end 9.5s is past the end of the audio"},
	} {
		write(t, manifest, []byte(tt.line+"\n"))
		utts, err := LoadManifest(manifest)
		require.NoError(t, err)
		_, _, err = Build(t.Context(), utts)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// TestBuildWarnsOfRecordingsWithoutTrailingSilence: a recording that ends
// in speech gets its end of speech at the last sample, and a warning says
// so and what to do; one with speech_end given does not.
func TestBuildWarnsOfRecordingsWithoutTrailingSilence(t *testing.T) {
	root := t.TempDir()
	speech := speech16k(t)
	cut := speech[:len(speech)*6/10] // mid-sentence
	write(t, filepath.Join(root, "cut.wav"), ttspool.EncodeWAV(cut, ttspool.SampleRate))
	write(t, filepath.Join(root, "whole.wav"), ttspool.EncodeWAV(speech, ttspool.SampleRate))
	manifest := filepath.Join(root, "m.json")
	write(t, manifest, []byte(`{"audio_filepath": "cut.wav", "text": "a"}`+"\n"+
		`{"audio_filepath": "whole.wav", "text": "b"}`+"\n"+
		`{"audio_filepath": "cut.wav", "text": "c", "speech_end": 1.5}`+"\n"))
	utts, err := LoadManifest(manifest)
	require.NoError(t, err)
	clips, warnings, err := Build(t.Context(), utts)
	require.NoError(t, err)
	assert.InDelta(t, clips[0].Duration().Seconds(), clips[0].SpeechEnd.Seconds(), 0.01)
	assert.Less(t, clips[1].SpeechEnd, clips[1].Duration()-100*time.Millisecond)
	require.Len(t, warnings, 1)
	assert.Contains(t, warnings[0], "1 of 3 recordings have no trailing silence by the energy rule ("+filepath.Join(root, "cut.wav")+")")
	assert.Contains(t, warnings[0], "give speech_end")
}

func TestDuplicates(t *testing.T) {
	utts := []Utterance{
		{Path: "a.wav", Text: "Hello, world."},
		{Path: "b.wav", Text: "something else"},
		{Path: "c.flac", Text: "hello world"},
		{Path: "d.wav", Text: "HELLO  WORLD!"},
	}
	w := Duplicates(utts)
	require.Len(t, w, 1)
	assert.Contains(t, w[0], "3 recordings speak the same reference text \"Hello, world.\" (a.wav, c.flac, d.wav)")
	assert.Contains(t, w[0], "leak detection cannot tell their sessions apart")
	assert.Empty(t, Duplicates(utts[:2]))
}

func TestShuffle(t *testing.T) {
	var utts []Utterance
	for i := range 20 {
		utts = append(utts, Utterance{Path: fmt.Sprint(i)})
	}
	a, b, c := Shuffle(utts, 1), Shuffle(utts, 1), Shuffle(utts, 2)
	assert.Equal(t, a, b, "the same seed gives the same order")
	assert.NotEqual(t, a, c)
	assert.NotEqual(t, utts, a)
	assert.ElementsMatch(t, utts, a)
	assert.Equal(t, "0", utts[0].Path, "the input is left as it was")
}
