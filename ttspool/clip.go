// Package ttspool turns reference texts into benchmark audio: it asks a TTS
// service for speech, decodes and resamples the WAV to 16 kHz mono int16,
// trims silence, and caches the result on disk.
package ttspool

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
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
	// disk is where the audio of a clip streamed from the cache lies
	// (Config.StreamFromCache); PCM is nil then.
	disk *diskAudio
}

// diskAudio is a clip's PCM in its cache file.
type diskAudio struct {
	path   string
	file   os.FileInfo // the file as it was read, to notice a replaced entry
	offset int64       // of the first sample's byte
	size   int64       // bytes of PCM
	sha256 string      // of those bytes, in hex
}

// Samples is the number of samples of the audio.
func (c Clip) Samples() int {
	if c.disk != nil {
		return int(c.disk.size / 2)
	}
	return len(c.PCM)
}

// Duration is the length of the audio.
func (c Clip) Duration() time.Duration {
	return time.Duration(c.Samples()) * time.Second / SampleRate
}

// OnDisk reports whether the clip's audio stays in its cache file, read as
// it is streamed, instead of in memory (Config.StreamFromCache). Its path
// names the audio: copies of the clip share it.
func (c Clip) OnDisk() (path string, ok bool) {
	if c.disk == nil {
		return "", false
	}
	return c.disk.path, true
}

// ClipAudio reads a clip's PCM bytes (little-endian int16) at byte offsets.
type ClipAudio interface {
	io.ReaderAt
	io.Closer
}

// OpenAudio opens the clip's PCM bytes for reading: from memory, or from
// the cache file of a clip streamed from the cache, which must be the file
// the clip was read from (an entry replaced since is an error, not other
// audio).
func (c Clip) OpenAudio() (ClipAudio, error) {
	if c.disk == nil {
		return memoryAudio{bytes.NewReader(c.PCMBytes())}, nil
	}
	f, err := os.Open(c.disk.path)
	if err != nil {
		return nil, fmt.Errorf("open the clip's cache entry: %w", err)
	}
	offset := c.disk.offset
	fi, err := f.Stat()
	if err == nil && !sameEntry(fi, c.disk.file) {
		// Another run stored the same entry meanwhile: the same audio
		// will do, other audio never.
		offset, err = c.disk.sameAudioIn(f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return diskReader{io.NewSectionReader(f, offset, c.disk.size), f}, nil
}

// sameAudioIn returns where f, a cache entry that replaced the one the clip
// was read from, holds the clip's audio, or an error when it holds other
// audio.
func (d *diskAudio) sameAudioIn(f *os.File) (int64, error) {
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("read the clip's cache entry: %w", err)
	}
	_, data, err := parseCacheParts(b)
	if err == nil && (int64(len(data)) != d.size || hexSHA256(data) != d.sha256) {
		err = errors.New("it holds other audio")
	}
	if err != nil {
		return 0, fmt.Errorf("cache entry %s was replaced during the run (%v): keep the cache unchanged while a run streams from it", d.path, err)
	}
	return int64(cap(b) - cap(data)), nil
}

type memoryAudio struct{ *bytes.Reader }

func (memoryAudio) Close() error { return nil }

type diskReader struct {
	*io.SectionReader
	f *os.File
}

func (d diskReader) Close() error { return d.f.Close() }

// PCMBytes returns the samples as little-endian int16 bytes, what the STT
// service is sent. Clips from Build (and DecodeClip) carry them encoded once,
// so sessions streaming the same clip share one copy; the caller must not
// modify it. A Clip assembled by hand gets a fresh encoding each call. A
// clip streamed from the cache reads them from its file each call (nil if
// it cannot: OpenAudio says why).
func (c Clip) PCMBytes() []byte {
	if c.disk != nil {
		a, err := c.OpenAudio()
		if err != nil {
			return nil
		}
		defer a.Close()
		b := make([]byte, c.disk.size)
		if _, err := a.ReadAt(b, 0); err != nil {
			return nil
		}
		return b
	}
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

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sameEntry reports whether two stats are of one file unchanged: the same
// inode (which a filesystem may hand to a later file) with the same size
// and modification time.
func sameEntry(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
