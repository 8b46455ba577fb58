package ttspool

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrBadWAV is wrapped by every error DecodeWAV returns, so callers can tell
// a bad response body from a network failure with errors.Is.
var ErrBadWAV = errors.New("bad WAV")

// WAV format tags from the fmt chunk (mmreg.h).
const (
	formatPCM        = 0x0001
	formatFloat      = 0x0003
	formatExtensible = 0xFFFE
)

// Limits on what DecodeWAV accepts. They keep a hostile or broken header from
// asking the resampler for absurd work: speech never needs more.
const (
	minRate     = 1000
	maxRate     = 768000
	maxChannels = 64
)

// placeholderSize is the smallest declared data-chunk size taken as a
// streaming placeholder rather than a real length. Writers that cannot seek
// back to fix the header leave a huge value (espeak-ng and sox write
// 0x7FFFF000 to a pipe, others 0xFFFFFFFF) or 0; nothing ttspool handles
// comes near 2 GiB, so a size this large cannot be real.
const placeholderSize = 0x7FFF0000

// extensibleGUIDTail is the fixed part of the KSDATAFORMAT_SUBTYPE GUIDs of
// WAVE_FORMAT_EXTENSIBLE; the first two bytes carry the plain format tag.
var extensibleGUIDTail = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// Audio is decoded audio: Channels interleaved samples per frame, as floats
// with full scale at ±1, at Rate frames per second (Hz).
// An Audio is a plain value; it is safe to read from several goroutines.
type Audio struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Channels is the number of interleaved channels, at least 1.
	Channels int
	// Samples holds len/Channels frames, channel by channel within a frame.
	Samples []float64
}

// Frames is the number of sample frames (samples per channel).
func (a Audio) Frames() int {
	if a.Channels <= 0 {
		return 0
	}
	return len(a.Samples) / a.Channels
}

// Mono returns one channel: the average of all channels of each frame.
// Averaging rather than summing keeps full scale at ±1. For mono audio it
// returns Samples itself, not a copy.
func (a Audio) Mono() []float64 {
	if a.Channels <= 1 {
		return a.Samples
	}
	n := a.Frames()
	out := make([]float64, n)
	for i := range n {
		var sum float64
		for _, s := range a.Samples[i*a.Channels : (i+1)*a.Channels] {
			sum += s
		}
		out[i] = sum / float64(a.Channels)
	}
	return out
}

// wavFormat is the part of a fmt chunk that decoding needs.
type wavFormat struct {
	tag      uint16 // formatPCM or formatFloat, after unwrapping extensible
	channels int
	rate     int
	bits     int // container bits per sample
}

// DecodeWAV decodes a RIFF/WAVE file: PCM of 8 (unsigned), 16, 24 or 32
// bits, IEEE float of 32 or 64 bits, plainly or as WAVE_FORMAT_EXTENSIBLE,
// any number of channels up to 64, at 1 kHz to 768 kHz.
//
// Chunks other than fmt and data (LIST, fact, ...) are skipped, honoring the
// pad byte after odd-sized chunks. A data chunk whose size is a streaming
// placeholder (0, or 2 GiB and up, as espeak-ng writes to a pipe) extends to
// the end of the input; a real size larger than the input means the file was
// truncated and is an error. A trailing partial frame is dropped. Non-finite
// float samples become 0 (NaN) or ±1 (±Inf) so they cannot poison filters.
//
// Every error wraps ErrBadWAV and names the problem. DecodeWAV keeps no
// state and is safe for concurrent use.
func DecodeWAV(b []byte) (Audio, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Audio{}, fmt.Errorf("%w: no RIFF/WAVE header (starts with %q)", ErrBadWAV, head(b, 16))
	}
	var (
		f      *wavFormat
		data   []byte
		gotDat bool
	)
	err := walkChunks(b[12:], func(id string, body []byte, placeholder bool) (bool, error) {
		switch id {
		case "fmt ":
			if f != nil {
				return false, nil // the first fmt chunk rules
			}
			pf, err := parseFormat(body)
			if err != nil {
				return false, err
			}
			f = &pf
		case "data":
			if gotDat {
				return false, nil
			}
			data, gotDat = body, true
			// A placeholder-sized data chunk swallowed the rest of the
			// input; otherwise keep looking only if fmt is still missing
			// (it may legally follow data).
			return placeholder || f != nil, nil
		}
		return false, nil
	})
	if err != nil {
		return Audio{}, err
	}
	if f == nil {
		return Audio{}, fmt.Errorf("%w: no fmt chunk", ErrBadWAV)
	}
	if !gotDat {
		return Audio{}, fmt.Errorf("%w: no data chunk", ErrBadWAV)
	}
	frameBytes := f.channels * f.bits / 8
	frames := len(data) / frameBytes
	if frames == 0 {
		return Audio{}, fmt.Errorf("%w: zero samples (data chunk of %d bytes)", ErrBadWAV, len(data))
	}
	n := frames * f.channels
	out := make([]float64, n)
	decodeSamples(out, data[:n*(f.bits/8)], f)
	return Audio{Rate: f.rate, Channels: f.channels, Samples: out}, nil
}

// walkChunks calls fn for each chunk of a RIFF body until fn says stop or the
// input ends. placeholder reports that the chunk's declared size was a
// streaming placeholder and body runs to the end of the input.
func walkChunks(b []byte, fn func(id string, body []byte, placeholder bool) (stop bool, err error)) error {
	for len(b) > 0 {
		if len(b) < 8 {
			// Trailing junk shorter than a chunk header: some writers pad
			// files; it cannot hold anything we need.
			return nil
		}
		id := string(b[0:4])
		size := uint64(binary.LittleEndian.Uint32(b[4:8]))
		rest := b[8:]
		placeholder := false
		switch {
		case id == "data" && (size == 0 || size >= placeholderSize):
			size, placeholder = uint64(len(rest)), true
		case size > uint64(len(rest)):
			return fmt.Errorf("%w: truncated: chunk %q declares %d bytes, only %d present", ErrBadWAV, id, size, len(rest))
		}
		stop, err := fn(id, rest[:size], placeholder)
		if err != nil || stop || placeholder {
			return err
		}
		// Chunks are word aligned: an odd size is followed by a pad byte.
		next := size + size%2
		if next > uint64(len(rest)) {
			next = uint64(len(rest)) // a missing final pad byte is harmless
		}
		b = rest[next:]
	}
	return nil
}

// parseFormat reads a fmt chunk (WAVEFORMATEX or WAVEFORMATEXTENSIBLE).
func parseFormat(p []byte) (wavFormat, error) {
	if len(p) < 16 {
		return wavFormat{}, fmt.Errorf("%w: fmt chunk of %d bytes, need 16", ErrBadWAV, len(p))
	}
	f := wavFormat{
		tag:      binary.LittleEndian.Uint16(p[0:2]),
		channels: int(binary.LittleEndian.Uint16(p[2:4])),
		rate:     int(binary.LittleEndian.Uint32(p[4:8])),
		bits:     int(binary.LittleEndian.Uint16(p[14:16])),
	}
	if f.tag == formatExtensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
		if len(p) < 40 {
			return wavFormat{}, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, need 40", ErrBadWAV, len(p))
		}
		guid := p[24:40]
		if !bytes.Equal(guid[2:], extensibleGUIDTail) {
			return wavFormat{}, fmt.Errorf("%w: unsupported WAVE_FORMAT_EXTENSIBLE subformat %x", ErrBadWAV, guid)
		}
		// Valid bits below the container size are left justified, so
		// decoding by container size is exact.
		f.tag = binary.LittleEndian.Uint16(guid[0:2])
	}
	switch {
	case f.tag == formatPCM && (f.bits == 8 || f.bits == 16 || f.bits == 24 || f.bits == 32):
	case f.tag == formatFloat && (f.bits == 32 || f.bits == 64):
	case f.tag == formatPCM || f.tag == formatFloat:
		return wavFormat{}, fmt.Errorf("%w: unsupported %d-bit %s", ErrBadWAV, f.bits, tagName(f.tag))
	default:
		return wavFormat{}, fmt.Errorf("%w: unsupported format tag %#04x (want PCM or IEEE float)", ErrBadWAV, f.tag)
	}
	if f.channels < 1 || f.channels > maxChannels {
		return wavFormat{}, fmt.Errorf("%w: unsupported channel count %d (want 1 to %d)", ErrBadWAV, f.channels, maxChannels)
	}
	if f.rate < minRate || f.rate > maxRate {
		return wavFormat{}, fmt.Errorf("%w: unsupported sample rate %d Hz (want %d to %d)", ErrBadWAV, f.rate, minRate, maxRate)
	}
	return f, nil
}

func tagName(tag uint16) string {
	if tag == formatFloat {
		return "IEEE float"
	}
	return "PCM"
}

// decodeSamples converts little-endian samples in p to floats in out.
// Integer PCM is scaled by 2^(bits-1) so that the most negative code maps to
// exactly -1 and int16 round trips are lossless.
func decodeSamples(out []float64, p []byte, f *wavFormat) {
	le := binary.LittleEndian
	switch {
	case f.tag == formatFloat && f.bits == 32:
		for i := range out {
			out[i] = finite(float64(math.Float32frombits(le.Uint32(p[4*i:]))))
		}
	case f.tag == formatFloat:
		for i := range out {
			out[i] = finite(math.Float64frombits(le.Uint64(p[8*i:])))
		}
	case f.bits == 8:
		// 8-bit WAV is unsigned with 128 as zero.
		for i := range out {
			out[i] = (float64(p[i]) - 128) / 128
		}
	case f.bits == 16:
		for i := range out {
			out[i] = float64(int16(le.Uint16(p[2*i:]))) / (1 << 15)
		}
	case f.bits == 24:
		for i := range out {
			v := int32(uint32(p[3*i])<<8|uint32(p[3*i+1])<<16|uint32(p[3*i+2])<<24) >> 8
			out[i] = float64(v) / (1 << 23)
		}
	default: // 32-bit PCM
		for i := range out {
			out[i] = float64(int32(le.Uint32(p[4*i:]))) / (1 << 31)
		}
	}
}

func finite(v float64) float64 {
	switch {
	case math.IsNaN(v):
		return 0
	case math.IsInf(v, 1):
		return 1
	case math.IsInf(v, -1):
		return -1
	}
	return v
}

// head returns at most n leading bytes of b, for error messages.
func head(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// EncodeWAV encodes mono int16 samples at rate (Hz) as a canonical
// RIFF/WAVE file: 16-bit PCM, a 44-byte header, then the samples
// little-endian. It is the one WAV writer of the suite: the clip cache and
// the reference TTS use it.
func EncodeWAV(pcm []int16, rate int) []byte { return encodeWAV(pcm, rate, "", nil) }

// encodeWAV writes 16-bit mono PCM at rate as a canonical WAV, with an
// optional extra chunk (metaID, meta) placed before the data chunk.
func encodeWAV(pcm []int16, rate int, metaID string, meta []byte) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	chunk := func(id string, body []byte) {
		buf.WriteString(id)
		_ = binary.Write(&buf, le, uint32(len(body)))
		buf.Write(body)
		if len(body)%2 == 1 {
			buf.WriteByte(0)
		}
	}
	buf.WriteString("RIFF")
	buf.Write([]byte{0, 0, 0, 0}) // patched below
	buf.WriteString("WAVE")
	fmtBody := make([]byte, 16)
	le.PutUint16(fmtBody[0:], formatPCM)
	le.PutUint16(fmtBody[2:], 1)
	le.PutUint32(fmtBody[4:], uint32(rate))
	le.PutUint32(fmtBody[8:], uint32(rate)*2)
	le.PutUint16(fmtBody[12:], 2)
	le.PutUint16(fmtBody[14:], 16)
	chunk("fmt ", fmtBody)
	if metaID != "" {
		chunk(metaID, meta)
	}
	data := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		le.PutUint16(data[2*i:], uint16(s))
	}
	chunk("data", data)
	out := buf.Bytes()
	le.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}
