package harness

import (
	"fmt"
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
//
// A clip streamed from the cache (ttspool.Config.StreamFromCache) holds no
// audio in memory: each session reads its frames from the clip's cache file
// half a second at a time, a frame period before the first of them is due
// (frameSource), so a thousand distinct clips cost a thousand small buffers.
type frames struct {
	size    int    // bytes per frame
	speech  []byte // the clip as little-endian int16; nil when on disk
	tail    []byte // the last speech frame, zero-padded; nil when speech is whole frames or on disk
	silence []byte // one zero frame
	// speechFrames counts the frames holding audio; n is all frames.
	speechFrames, n int
	// disk is the clip when its audio is read from its cache file;
	// speechBytes is the length of that audio.
	disk        *ttspool.Clip
	speechBytes int
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

// newDiskFrames lays out a clip streamed from its cache file.
func newDiskFrames(clip ttspool.Clip, silenceFrames, size int) frames {
	bytes := 2 * clip.Samples()
	f := frames{size: size, silence: make([]byte, size), disk: &clip, speechBytes: bytes}
	f.speechFrames = (bytes + size - 1) / size
	f.n = f.speechFrames + silenceFrames
	return f
}

// frame returns frame i of an in-memory stream; the caller must not
// modify it.
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

// readAheadBytes is about how much audio a session streaming from disk
// holds: half a second of 100 ms frames.
const readAheadBytes = 16000

// frameSource hands one session the frames of its stream in order. In
// memory it hands out the shared frames; from disk it reads them into a
// buffer of its own, a chunk at a time.
type frameSource struct {
	f       frames
	audio   ttspool.ClipAudio // nil in memory
	buf     []byte
	first   int // index of the first frame in buf
	count   int // frames in buf
	stagger int // frames the first chunk falls short of a whole one
}

// open returns a source for one session's stream. Close it when done.
//
// Session i's first chunk falls short of a whole one by i modulo the frames
// in a chunk: sessions started within one frame period then read at
// different frames, a fifth of them at each chunk boundary, rather than all
// of them in the same period (5000 reads in 100 ms every half second stalled
// a one-core client for up to 100 ms).
func (f frames) open(session int) (*frameSource, error) {
	src := &frameSource{f: f}
	if f.disk == nil {
		return src, nil
	}
	a, err := f.disk.OpenAudio()
	if err != nil {
		return nil, err
	}
	src.audio = a
	chunk := max(1, readAheadBytes/f.size)
	src.buf = make([]byte, chunk*f.size)
	src.stagger = session % chunk
	return src, nil
}

// ready makes frame i available to frame, reading the chunk from i on when
// the audio is on disk and the buffer does not hold it. Call it a frame
// period ahead of frame i's due time, so that no read runs between a due
// time and its write.
func (s *frameSource) ready(i int) error {
	if s.audio == nil || i >= s.f.speechFrames || i >= s.first && i < s.first+s.count {
		return nil
	}
	size := s.f.size
	chunk := len(s.buf) / size
	if i == 0 {
		chunk -= s.stagger
	}
	n := min(chunk, s.f.speechFrames-i)
	want := min(n*size, s.f.speechBytes-i*size)
	got, err := s.audio.ReadAt(s.buf[:want], int64(i*size))
	if got < want {
		return fmt.Errorf("read frames %d to %d of the clip's audio: %w", i+1, i+n, err)
	}
	clear(s.buf[want : n*size]) // the last speech frame is zero-padded
	s.first, s.count = i, n
	return nil
}

// frame returns frame i, made ready before; the caller must not modify it.
func (s *frameSource) frame(i int) []byte {
	if s.audio == nil {
		return s.f.frame(i)
	}
	if i >= s.f.speechFrames {
		return s.f.silence
	}
	k := (i - s.first) * s.f.size
	return s.buf[k : k+s.f.size]
}

func (s *frameSource) close() {
	if s.audio != nil {
		s.audio.Close()
	}
}
