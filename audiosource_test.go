package sttbench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/ttspool"
)

func TestParseConfigAudioSource(t *testing.T) {
	parse := func(over map[string]string) (Config, error) { return ParseConfig(values(over)) }
	c, err := parse(map[string]string{"tts-url": "espeak"})
	require.NoError(t, err)
	assert.Equal(t, "espeak en-us", audioSource(c), "the Chatterbox default voice means en-us")
	c, err = parse(map[string]string{"tts-url": "espeak", "voice": "de"})
	require.NoError(t, err)
	assert.Equal(t, "espeak de", audioSource(c))
	c, err = parse(map[string]string{"manifest": "m.json", "shuffle-seed": "7"})
	require.NoError(t, err)
	assert.True(t, c.Shuffle)
	assert.Equal(t, uint64(7), c.ShuffleSeed)
	assert.Equal(t, "manifest m.json (shuffled, seed 7)", audioSource(c))
	c, err = parse(map[string]string{"audio": "clips"})
	require.NoError(t, err)
	assert.False(t, c.Shuffle)
	assert.Equal(t, "audio clips", audioSource(c))
	c, err = parse(nil)
	require.NoError(t, err)
	assert.Equal(t, "tts http://localhost:8004/tts (voice Emily.wav, seed 42)", audioSource(c))

	for _, tt := range []struct {
		over map[string]string
		want string
	}{
		{map[string]string{"audio": "d", "manifest": "m"}, `invalid -manifest "m" (or STTBENCH_MANIFEST): give -audio or -manifest, not both`},
		{map[string]string{"audio": "d", "texts": "t.txt"}, "invalid -texts \"t.txt\" (or STTBENCH_TEXTS): recordings bring their own reference texts"},
		{map[string]string{"shuffle-seed": "3"}, "invalid -shuffle-seed \"3\" (or STTBENCH_SHUFFLE_SEED): shuffles recordings: give -audio or -manifest too"},
		{map[string]string{"audio": "d", "shuffle-seed": "-1"}, "must be a non-negative integer"},
		{map[string]string{"tts-url": "espeak-ng"}, "must start with http:// or https://, or be embedded or espeak"},
	} {
		_, err := parse(tt.over)
		require.Error(t, err, "%v", tt.over)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// voiceRecording is a recording of text in the reference voice, which the
// embedded reference STT transcribes, as a 24 kHz WAV file.
func voiceRecording(text string) []byte {
	return ttspool.EncodeWAV(voice.Synthesize(text, 24000), 24000)
}

// recordLines returns the record's audio line and its sessions of level n.
func recordLines(t *testing.T, path string, n int) (audio RecordAudio, header map[string]any, sessions []harness.SessionResult) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var kind struct {
			Kind  string `json:"kind"`
			Level int    `json:"level"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &kind))
		switch kind.Kind {
		case "header":
			require.NoError(t, json.Unmarshal(sc.Bytes(), &header))
		case "audio":
			require.NoError(t, json.Unmarshal(sc.Bytes(), &audio))
		case "session":
			if kind.Level == n {
				var s harness.SessionResult
				require.NoError(t, json.Unmarshal(sc.Bytes(), &s))
				sessions = append(sessions, s)
			}
		}
	}
	slices.SortFunc(sessions, func(a, b harness.SessionResult) int { return a.Index - b.Index })
	return audio, header, sessions
}

// digestOf recomputes the audio line's digest from session lines, as the
// README says to.
func digestOf(sessions []harness.SessionResult) string {
	h := sha256.New()
	for _, s := range sessions {
		fmt.Fprintf(h, "%s\n", s.AudioSHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestRecordingsEndToEnd streams a directory of recordings and then a
// manifest of the same files to the reference STT: every recording is
// transcribed, the fourth session of a 4-session level repeats the first
// recording with the texts' warning, and the record's audio digest,
// recomputed from the session lines, is the same for both runs.
func TestRecordingsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	dir := t.TempDir()
	texts := []string{"alpha bravo charlie delta", "echo foxtrot golf hotel", "india juliet kilo lima"}
	var manifest bytes.Buffer
	for i, text := range texts {
		name := fmt.Sprintf("utt%d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".wav"), voiceRecording(text), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text+"\n"), 0o644))
		fmt.Fprintf(&manifest, `{"audio_filepath": %q, "text": %q}`+"\n", name+".wav", text)
	}
	manifestPath := filepath.Join(dir, "manifest.json")
	require.NoError(t, os.WriteFile(manifestPath, manifest.Bytes(), 0o644))

	run := func(over func(*Config)) (string, []Row, RecordAudio, map[string]any, []harness.SessionResult) {
		cfg := testConfig(t, "", 2, 4)
		over(&cfg)
		r := NewRun(t.Context(), cfg)
		var warnings bytes.Buffer
		r.Warn = &warnings
		rows, err := r.Ramp(t.Context())
		require.NoError(t, err)
		require.NoError(t, r.Finish(&bytes.Buffer{}))
		audio, header, sessions := recordLines(t, cfg.Record, 4)
		rec, err := ReadRecord(cfg.Record)
		require.NoError(t, err)
		require.NotNil(t, rec.Audio, "ReadRecord gives the audio line back")
		assert.Equal(t, audio, *rec.Audio)
		return warnings.String(), rows, audio, header, sessions
	}
	warnings, rows, audio, header, sessions := run(func(c *Config) { c.Audio = dir })
	require.Len(t, rows, 2)
	for _, row := range rows {
		assert.Equal(t, Float(0), row.WER, "conc=%d: recordings in the reference voice are transcribed", row.Concurrency)
		assert.Zero(t, row.Cancelled)
	}
	assert.Contains(t, warnings, "4 sessions but only 3 reference texts: texts repeat (session 3 speaks the text of session 0)")
	assert.Contains(t, warnings, "audio: preparing 3 of 3 recordings (-audio "+dir+")")
	assert.Equal(t, "audio "+dir, header["audio_source"])
	assert.Equal(t, "audio "+dir, audio.Source)
	assert.Equal(t, 4, audio.Clips)
	require.Len(t, sessions, 4)
	for i, s := range sessions {
		assert.Equal(t, texts[i%3], s.Reference)
	}
	assert.Equal(t, sessions[0].AudioSHA256, sessions[3].AudioSHA256)
	assert.Equal(t, digestOf(sessions), audio.SHA256, "the digest is recomputable from the session lines")

	// The same files through a manifest: the same audio, the same digest.
	_, _, audio2, header2, _ := run(func(c *Config) { c.Manifest = manifestPath })
	assert.Equal(t, "manifest "+manifestPath, header2["audio_source"])
	assert.Equal(t, audio.SHA256, audio2.SHA256)
}

// TestOpenLoadCyclesThroughEveryRecording: a soak or arrivals run over
// recordings prepares each recording once, however many there are beside
// the built-in texts, so that its sessions cycle through all of them.
func TestOpenLoadCyclesThroughEveryRecording(t *testing.T) {
	t.Parallel()
	builtin, err := LoadTexts("")
	require.NoError(t, err)
	dir := t.TempDir()
	var texts []string
	for i := range len(builtin) + 2 {
		text := fmt.Sprintf("recording number %d", i)
		texts = append(texts, text)
		name := fmt.Sprintf("utt%03d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".wav"), voiceRecording(text), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text+"\n"), 0o644))
	}
	for _, tt := range []struct {
		name  string
		files int
		load  LoadParams
	}{
		{"more recordings than built-in texts", len(texts), LoadParams{Model: LoadArrivals, Rate: 1, Duration: time.Minute, ArrivalSeed: 1}},
		{"fewer recordings than built-in texts", 3, LoadParams{Model: LoadSoak, Concurrency: 2, Duration: time.Minute, ArrivalSeed: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub := t.TempDir()
			for i := range tt.files {
				for _, ext := range []string{".wav", ".txt"} {
					data, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("utt%03d", i)+ext))
					require.NoError(t, err)
					require.NoError(t, os.WriteFile(filepath.Join(sub, fmt.Sprintf("utt%03d", i)+ext), data, 0o644))
				}
			}
			cfg := testConfig(t, "", max(tt.load.Concurrency, 1))
			cfg.Audio, cfg.Load = sub, tt.load
			if tt.load.Model == LoadArrivals {
				cfg.Levels = []int{0}
			}
			r := NewRun(t.Context(), cfg)
			var warnings bytes.Buffer
			r.Warn = &warnings
			defer r.Finish(&bytes.Buffer{})
			require.NoError(t, r.Setup())
			require.Len(t, r.clips, tt.files, "one clip per recording")
			for i, c := range r.clips {
				assert.Equal(t, texts[i], c.Text)
			}
			assert.NotContains(t, warnings.String(), "texts repeat")
		})
	}
}

// TestRecordingsErrorsBeforeStreaming: a bad manifest line or a missing
// file stops the run before any session, naming the file and line.
func TestRecordingsErrorsBeforeStreaming(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.wav"), voiceRecording("alpha"), 0o644))
	for _, tt := range []struct{ body, want string }{
		{`{"audio_filepath": "a.wav", "text": "alpha"}` + "\n" + `{"audio_filepath": "a.wav", "text": }` + "\n", "line 2: not a JSON object"},
		{`{"audio_filepath": "a.wav", "text": "alpha"}` + "\n" + `{"audio_filepath": "b.wav", "text": "bravo"}` + "\n", "line 2: audio_filepath: stat " + filepath.Join(dir, "b.wav")},
	} {
		manifest := filepath.Join(dir, "m.json")
		require.NoError(t, os.WriteFile(manifest, []byte(tt.body), 0o644))
		cfg := testConfig(t, "", 1)
		cfg.Manifest = manifest
		r := NewRun(t.Context(), cfg)
		r.Warn = &bytes.Buffer{}
		_, err := r.Level(t.Context(), 1, LevelOptions{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "-manifest "+manifest+": manifest "+manifest+" "+tt.want)
		require.NoError(t, r.Finish(&bytes.Buffer{}))
		rec, err := ReadRecord(cfg.Record)
		require.NoError(t, err)
		assert.Empty(t, rec.Levels, "nothing streamed")
		assert.Nil(t, rec.Audio)
	}
}

// TestEspeakMissingStopsBeforeStreaming runs with a PATH that has no
// espeak-ng: the run stops before any session and says how to install it.
func TestEspeakMissingStopsBeforeStreaming(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cfg := testConfig(t, "", 1)
	cfg.TTSURL = "espeak"
	r := NewRun(t.Context(), cfg)
	r.Warn = &bytes.Buffer{}
	_, err := r.Level(t.Context(), 1, LevelOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-tts-url espeak: espeak build: espeak-ng is not installed")
	assert.Contains(t, err.Error(), "apt-get install espeak-ng")
	require.NoError(t, r.Finish(&bytes.Buffer{}))
	rec, err := ReadRecord(cfg.Record)
	require.NoError(t, err)
	assert.Empty(t, rec.Levels)
}

// TestEspeakEndToEnd speaks the reference texts with espeak-ng and
// streams them to the reference STT. Its recognizer decodes only the
// reference voice's tones, so espeak-ng speech does not transcribe; what
// this checks is the audio path: clips spoken, cached, streamed, named
// and digested in the record.
func TestEspeakEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng is not installed (apt-get install espeak-ng / brew install espeak-ng): skipping")
	}
	t.Parallel()
	cfg := testConfig(t, "", 2)
	cfg.TTSURL = "espeak"
	r := NewRun(t.Context(), cfg)
	var warnings bytes.Buffer
	r.Warn = &warnings
	rows, err := r.Ramp(t.Context())
	require.NoError(t, err)
	require.NoError(t, r.Finish(&bytes.Buffer{}))
	require.Len(t, rows, 1)
	assert.Contains(t, warnings.String(), "espeak: 2/2 clips (0 cached)")
	audio, header, sessions := recordLines(t, cfg.Record, 2)
	assert.Equal(t, "espeak en-us", header["audio_source"])
	assert.Regexp(t, `^espeak en-us \(espeak-ng \d+\.\d+`, audio.Source)
	require.Len(t, sessions, 2)
	assert.Equal(t, digestOf(sessions), audio.SHA256)
	for _, s := range sessions {
		// Spoken at about 3 words a second.
		words := len(strings.Fields(s.Reference))
		assert.InDelta(t, float64(words)/3, s.AudioDuration.Seconds(), float64(words)/3*0.6+0.5, "session %d: %q", s.Index, s.Reference)
		assert.NotEqual(t, harness.Errored, s.Outcome, "session %d streamed: %s", s.Index, s.Err)
	}
	t.Logf("espeak-ng speech against the reference STT: WER %.1f %%, %d of 2 sessions without a transcript", float64(rows[0].WER), rows[0].Cancelled)

	// A second run takes every clip from the cache.
	r2 := NewRun(t.Context(), cfg)
	var warnings2 bytes.Buffer
	r2.Warn = &warnings2
	require.NoError(t, r2.Setup())
	require.NoError(t, r2.Finish(&bytes.Buffer{}))
	assert.Contains(t, warnings2.String(), "espeak: 2/2 clips (2 cached)")
}

// TestManifestSpeechEndSetsEOS streams two recordings in the reference
// voice, one with a speech_end: each session's EOS is its stream start plus
// the end of speech, from the energy rule for the first and from
// speech_end (less the leading silence cut) for the second.
func TestManifestSpeechEndSetsEOS(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	dir := t.TempDir()
	const rate = 24000
	texts := []string{"mike november oscar", "papa quebec romeo"}
	var manifest bytes.Buffer
	var spoken [2]float64 // seconds of speech after the voice's 100 ms lead
	for i, text := range texts {
		pcm := voice.Synthesize(text, rate)
		// The voice leaves 100 ms before its first tone and 300 ms after its last.
		spoken[i] = float64(len(pcm))/rate - 0.4
		pcm = append(pcm, make([]int16, rate)...) // a second more of silence
		name := fmt.Sprintf("r%d.wav", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), ttspool.EncodeWAV(pcm, rate), 0o644))
		line := fmt.Sprintf(`{"audio_filepath": %q, "text": %q`, name, text)
		if i == 1 {
			// An aligner that put the end of the last word 250 ms late.
			line += fmt.Sprintf(`, "speech_end": %.4f`, 0.1+spoken[i]+0.25)
		}
		fmt.Fprintln(&manifest, line+"}")
	}
	path := filepath.Join(dir, "m.json")
	require.NoError(t, os.WriteFile(path, manifest.Bytes(), 0o644))
	cfg := testConfig(t, "", 2)
	cfg.Manifest = path
	_, rows := runLevels(t, cfg)
	require.Len(t, rows, 1)
	assert.Equal(t, Float(0), rows[0].WER)
	_, _, sessions := recordLines(t, cfg.Record, 2)
	require.Len(t, sessions, 2)
	eos := func(s harness.SessionResult) float64 { return s.EOS.Sub(s.Start).Seconds() }
	assert.InDelta(t, spoken[0], eos(sessions[0]), 0.005, "the energy rule: the end of the last tone")
	assert.InDelta(t, spoken[1]+0.25, eos(sessions[1]), 0.005, "speech_end, less the 100 ms lead cut")
	assert.InDelta(t, spoken[1]+0.25+ttspool.TrailingSilence.Seconds(), sessions[1].AudioDuration.Seconds(), 0.005)
}
