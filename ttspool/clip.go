// Package ttspool turns reference texts into benchmark audio: it asks a TTS
// service for speech, decodes and resamples the WAV to 16 kHz mono int16,
// trims silence, and caches the result on disk.
package ttspool

import (
	"encoding/binary"
	"time"
	"unsafe"
)

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
	// pcmBytes is PCM as little-endian int16, encoded once when the clip is
	// built; see PCMBytes.
	pcmBytes []byte
	// SpeechEnd is the offset from the first sample to the end of the last
	// voiced sample: the moment the speaker stopped.
	SpeechEnd time.Duration
}

// Duration is the length of the audio.
func (c Clip) Duration() time.Duration {
	return time.Duration(len(c.PCM)) * time.Second / SampleRate
}

// PCMBytes returns the samples as little-endian int16 bytes, what the STT
// service is sent. Clips from Build (and DecodeClip) carry them encoded once,
// so sessions streaming the same clip share one copy; the caller must not
// modify it. A Clip assembled by hand gets a fresh encoding each call.
func (c Clip) PCMBytes() []byte {
	if len(c.pcmBytes) == 2*len(c.PCM) {
		return c.pcmBytes
	}
	return encodePCM(c.PCM)
}

// withEncoded returns c carrying pcm, c's samples as little-endian int16
// bytes, which it keeps. On a little-endian machine (every one Go's
// benchmark hosts run on in practice) PCM becomes a view of the same
// memory, so a clip's audio is held once: a level of a thousand distinct
// clips holds a thousand clips' bytes, not twice that.
func (c Clip) withEncoded(pcm []byte) Clip {
	c.pcmBytes = pcm
	switch {
	case len(pcm) < 2:
		c.PCM = nil
	case littleEndian:
		c.PCM = unsafe.Slice((*int16)(unsafe.Pointer(unsafe.SliceData(pcm))), len(pcm)/2)
	default:
		c.PCM = make([]int16, len(pcm)/2)
		for i := range c.PCM {
			c.PCM[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
		}
	}
	return c
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func encodePCM(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}
