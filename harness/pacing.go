package harness

import (
	"encoding/binary"
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

// encodeStream lays out the whole stream ahead of time, so that nothing but
// a slice expression runs between paced sends: the clip as little-endian
// int16, zero-padded to whole frames, followed by silenceFrames zero frames.
// It returns the bytes and the number of speech (clip) frames.
func encodeStream(pcm []int16, silenceFrames int) (stream []byte, speechFrames int) {
	speechFrames = (len(pcm) + FrameSamples - 1) / FrameSamples
	total := (speechFrames + silenceFrames) * FrameSamples * bytesPerSample
	stream = make([]byte, total)
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(stream[i*bytesPerSample:], uint16(s))
	}
	return stream, speechFrames
}

// frameBytes returns frame i of an encoded stream.
func frameBytes(stream []byte, i int) []byte {
	const size = FrameSamples * bytesPerSample
	return stream[i*size : (i+1)*size]
}

// frameOf returns the index of the frame that holds the audio at offset d.
func frameOf(d time.Duration) int {
	return int(d / FrameDuration)
}
