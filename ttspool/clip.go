// Package ttspool turns reference texts into benchmark audio: it asks a TTS
// service for speech, decodes and resamples the WAV to 16 kHz mono int16,
// trims silence, and caches the result on disk.
package ttspool

import "time"

// SampleRate is the sample rate of every Clip, in Hz: what the STT service expects.
const SampleRate = 16000

// Clip is one reference utterance ready to stream: 16 kHz mono int16 PCM
// whose leading silence is trimmed and whose trailing silence is at most 300 ms.
// A Clip is immutable once built and safe to share between goroutines.
type Clip struct {
	// Text is the reference text the audio speaks.
	Text string
	// PCM holds the samples at SampleRate.
	PCM []int16
	// SpeechEnd is the offset from the first sample to the end of the last
	// voiced sample: the moment the speaker stopped.
	SpeechEnd time.Duration
}

// Duration is the length of the audio.
func (c Clip) Duration() time.Duration {
	return time.Duration(len(c.PCM)) * time.Second / SampleRate
}
