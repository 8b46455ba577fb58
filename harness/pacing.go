package harness

import (
	"time"

	"github.com/sttbench/sttbench/ttspool"
)

// Frame layout of the realtime stream: what a live microphone delivers.
const (
	// DefaultFrameSamples is the number of samples in one binary frame
	// unless SessionConfig.Frame says otherwise (100 ms).
	DefaultFrameSamples = 1600
	// DefaultFrame is the audio time one frame covers by default.
	DefaultFrame = time.Duration(DefaultFrameSamples) * time.Second / ttspool.SampleRate
	// MinFrame and MaxFrame bound SessionConfig.Frame.
	MinFrame, MaxFrame = 10 * time.Millisecond, time.Second
	bytesPerSample     = 2
)

// FrameSamples is the number of samples in a frame of duration d, and
// whether d is a whole number of samples at ttspool.SampleRate.
func FrameSamples(d time.Duration) (int, bool) {
	n := int64(d) * ttspool.SampleRate
	return int(n / int64(time.Second)), n%int64(time.Second) == 0
}

// frameDue returns when frame i (0-based) of frame duration frame is due:
// frame i holds audio [i, i+1) frames in, which exists only at start +
// (i+1) frames. It is computed by multiplication from the fixed origin so
// that errors never accumulate, and a late frame does not move the ones
// after it.
func frameDue(start time.Time, i int, frame time.Duration) time.Time {
	return start.Add(time.Duration(i+1) * frame)
}

// frames is a clip laid out as the frames of its stream without a copy
// of the audio: whole speech frames are slices of the clip's PCM bytes,
// which every session streaming the clip shares; the last, partial speech
// frame is zero-padded once; the trailing silence frames share one zero
// frame. Nothing but a slice expression runs between paced sends, and a
// level of a thousand sessions over a few clips holds each clip's audio once.
type frames struct {
	size    int    // bytes per frame
	speech  []byte // the clip as little-endian int16
	tail    []byte // the last speech frame, zero-padded; nil when speech is whole frames
	silence []byte // one zero frame
	// speechFrames counts the frames holding audio; n is all frames.
	speechFrames, n int
}

// newFrames lays out pcm (little-endian int16 bytes) as frames of size
// bytes, followed by silenceFrames zero frames.
func newFrames(pcm []byte, silenceFrames, size int) frames {
	f := frames{size: size, speech: pcm, silence: make([]byte, size)}
	f.speechFrames = (len(pcm) + size - 1) / size
	f.n = f.speechFrames + silenceFrames
	if rest := len(pcm) % size; rest != 0 {
		f.tail = make([]byte, size)
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
	return f.speech[i*f.size : (i+1)*f.size]
}

// frameOf returns the index of the frame that holds the audio at offset d.
func frameOf(d, frame time.Duration) int {
	return int(d / frame)
}
