package harness

import (
	"time"

	"github.com/sttbench/sttbench/ttspool"
)

// Frame layout of the realtime stream: what a live microphone delivers.
const (
	// FrameSamples is the number of samples in one binary frame (100 ms).
	FrameSamples = 1600
	// FrameDuration is the audio time one frame covers.
	FrameDuration  = time.Duration(FrameSamples) * time.Second / ttspool.SampleRate
	bytesPerSample = 2
)

// frameDue returns when frame i (0-based) is due: frame i holds audio
// [i*100, (i+1)*100) ms, which exists only at start + (i+1)*100 ms.
// It is computed by multiplication from the fixed origin so that errors
// never accumulate, and a late frame does not move the ones after it.
func frameDue(start time.Time, i int) time.Time {
	return start.Add(time.Duration(i+1) * FrameDuration)
}

// frames is a clip laid out as the frames of its stream without a copy
// of the audio: whole speech frames are slices of the clip's PCM bytes,
// which every session streaming the clip shares; the last, partial speech
// frame is zero-padded once; the trailing silence frames share one zero
// frame. Nothing but a slice expression runs between paced sends, and a
// level of a thousand sessions over a few clips holds each clip's audio once.
type frames struct {
	speech  []byte // the clip as little-endian int16
	tail    []byte // the last speech frame, zero-padded; nil when speech is whole frames
	silence []byte // one zero frame
	// speechFrames counts the frames holding audio; n is all frames.
	speechFrames, n int
}

const frameBytes = FrameSamples * bytesPerSample

// newFrames lays out pcm (little-endian int16 bytes) followed by
// silenceFrames zero frames.
func newFrames(pcm []byte, silenceFrames int) frames {
	f := frames{speech: pcm, silence: make([]byte, frameBytes)}
	f.speechFrames = (len(pcm) + frameBytes - 1) / frameBytes
	f.n = f.speechFrames + silenceFrames
	if rest := len(pcm) % frameBytes; rest != 0 {
		f.tail = make([]byte, frameBytes)
		copy(f.tail, pcm[len(pcm)-rest:])
	}
	return f
}

// frame returns frame i of the stream; the caller must not modify it.
func (f frames) frame(i int) []byte {
	switch {
	case i >= f.speechFrames:
		return f.silence
	case i == f.speechFrames-1 && f.tail != nil:
		return f.tail
	}
	return f.speech[i*frameBytes : (i+1)*frameBytes]
}

// frameOf returns the index of the frame that holds the audio at offset d.
func frameOf(d time.Duration) int {
	return int(d / FrameDuration)
}
