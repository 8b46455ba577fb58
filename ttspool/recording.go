package ttspool

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// ClipFromAudio turns decoded audio of any rate and channel count into a
// Clip, the way DecodeClip does for a TTS answer: mixed down to mono,
// resampled to SampleRate, converted to int16 with clipping, and trimmed.
//
// speechEnd, when positive, is where the speaker stopped, measured from the
// start of a (as word timestamps of a recording are): it replaces the
// energy rule's end of speech, and the clip keeps at most TrailingSilence
// after it. Leading silence is still cut by the energy rule, and speechEnd
// is shifted by what was cut. A speechEnd past the end of the audio, or
// before its first voiced sample, is an error. Zero means the energy rule
// (Trim) decides.
//
// Errors name the text and wrap ErrSilent for audio with no voiced sample.
// ClipFromAudio is safe for concurrent use.
func ClipFromAudio(text string, a Audio, speechEnd time.Duration) (Clip, error) {
	if a.Rate <= 0 || a.Frames() == 0 {
		return Clip{}, fmt.Errorf("audio for %q: no samples", abbrev.String(text, 40))
	}
	pcm := toInt16(Resample(a.Mono(), a.Rate, SampleRate))
	if speechEnd <= 0 {
		trimmed, end, err := Trim(pcm)
		if err != nil {
			return Clip{}, fmt.Errorf("audio for %q: %w", abbrev.String(text, 40), err)
		}
		return Clip{Text: text, SpeechEnd: end}.withEncoded(encodePCM(trimmed)), nil
	}
	first, _, ok := voicedBounds(pcm)
	if !ok {
		return Clip{}, fmt.Errorf("audio for %q: trim %d samples: %w", abbrev.String(text, 40), len(pcm), ErrSilent)
	}
	endSample := int(speechEnd * SampleRate / time.Second)
	// A timestamp rounded up to the next 10 ms may sit a sample or two
	// past the end of the file; more than that is a wrong timestamp.
	const slack = SampleRate / 100
	switch {
	case endSample > len(pcm)+slack:
		return Clip{}, fmt.Errorf("audio for %q: speech end %v is past the end of the audio (%v)",
			abbrev.String(text, 40), speechEnd, samplesToDuration(len(pcm)))
	case endSample <= first:
		return Clip{}, fmt.Errorf("audio for %q: speech end %v is before the first voiced sample (%v)",
			abbrev.String(text, 40), speechEnd, samplesToDuration(first))
	}
	endSample = min(endSample, len(pcm))
	cut := min(len(pcm), endSample+int(TrailingSilence*SampleRate/time.Second))
	return Clip{Text: text, SpeechEnd: samplesToDuration(endSample - first)}.withEncoded(encodePCM(pcm[first:cut])), nil
}

// ClipSHA256 is the SHA-256 of the clip's PCM as it is streamed, in hex:
// the audio_sha256 of every session line that streamed it.
func ClipSHA256(c Clip) string {
	if c.disk != nil {
		return c.disk.sha256
	}
	return hexSHA256(c.PCMBytes())
}

// ClipsDigest is the SHA-256, in hex, of the clips' ClipSHA256 values, each
// followed by a newline, in order: one figure that says two runs streamed
// the same audio to the same sessions. It can be recomputed from a run
// record's session lines (audio_sha256 of sessions 0, 1, ... of the
// largest level).
func ClipsDigest(clips []Clip) string {
	h := sha256.New()
	for _, c := range clips {
		h.Write([]byte(ClipSHA256(c) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}
