package ttspool

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Test WAV construction helpers: a file is "RIFF" size "WAVE" + chunks.

func riff(chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+len(body)))
	out = append(out, "WAVE"...)
	return append(out, body...)
}

// chunk encodes one chunk with its pad byte.
func chunk(id string, body []byte) []byte {
	return rawChunk(id, uint32(len(body)), body, len(body)%2 == 1)
}

// rawChunk encodes a chunk with an arbitrary declared size.
func rawChunk(id string, size uint32, body []byte, pad bool) []byte {
	out := append([]byte(id), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[4:], size)
	out = append(out, body...)
	if pad {
		out = append(out, 0)
	}
	return out
}

func fmtChunk(tag uint16, channels, rate, bits int) []byte {
	b := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint16(b[0:], tag)
	le.PutUint16(b[2:], uint16(channels))
	le.PutUint32(b[4:], uint32(rate))
	le.PutUint32(b[8:], uint32(rate*channels*bits/8))
	le.PutUint16(b[12:], uint16(channels*bits/8))
	le.PutUint16(b[14:], uint16(bits))
	return chunk("fmt ", b)
}

func fmtExtChunk(sub uint16, channels, rate, bits, validBits int) []byte {
	b := fmtChunk(formatExtensible, channels, rate, bits)[8:]
	le := binary.LittleEndian
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, uint16(validBits))
	b = le.AppendUint32(b, 0x3) // front left, front right
	b = le.AppendUint16(b, sub)
	b = append(b, extensibleGUIDTail...)
	return chunk("fmt ", b)
}

func le16(v ...int16) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint16(b, uint16(x))
	}
	return b
}

func le24(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8), byte(x>>16))
	}
	return b
}

func le32(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

func f32(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

func f64(v ...float64) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestDecodeWAV(t *testing.T) {
	const q15, q23, q31 = 1 << 15, 1 << 23, 1 << 31
	pcm16 := le16(-32768, 0, 32767, 16384, -1)
	want16 := []float64{-1, 0, 32767.0 / q15, 0.5, -1.0 / q15}
	// A header the way espeak-ng writes it to a pipe, with a given size.
	streaming := func(riffSize, dataSize uint32, data []byte) []byte {
		b := riff(fmtChunk(formatPCM, 1, 22050, 16), rawChunk("data", dataSize, data, false))
		binary.LittleEndian.PutUint32(b[4:], riffSize)
		return b
	}
	tests := []struct {
		name     string
		wav      []byte
		rate     int
		channels int
		want     []float64
	}{
		{"8-bit unsigned", riff(fmtChunk(formatPCM, 1, 8000, 8), chunk("data", []byte{0, 128, 255, 64})),
			8000, 1, []float64{-1, 0, 127.0 / 128, -0.5}},
		{"16-bit", riff(fmtChunk(formatPCM, 1, 16000, 16), chunk("data", pcm16)),
			16000, 1, want16},
		{"24-bit", riff(fmtChunk(formatPCM, 1, 48000, 24), chunk("data", le24(-8388608, 8388607, 1, -1, 4194304))),
			48000, 1, []float64{-1, 8388607.0 / q23, 1.0 / q23, -1.0 / q23, 0.5}},
		{"32-bit", riff(fmtChunk(formatPCM, 1, 48000, 32), chunk("data", le32(math.MinInt32, math.MaxInt32, 1<<30, -1))),
			48000, 1, []float64{-1, float64(math.MaxInt32) / q31, 0.5, -1.0 / q31}},
		{"float32 with non-finite values", riff(fmtChunk(formatFloat, 1, 24000, 32), chunk("data", f32(0.25, -1, 1.5, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))))),
			24000, 1, []float64{0.25, -1, 1.5, 0, 1, -1}},
		{"float64", riff(fmtChunk(formatFloat, 1, 24000, 64), chunk("data", f64(0.125, -0.75))),
			24000, 1, []float64{0.125, -0.75}},
		{"stereo 16-bit", riff(fmtChunk(formatPCM, 2, 44100, 16), chunk("data", le16(16384, -16384, 32767, 0))),
			44100, 2, []float64{0.5, -0.5, 32767.0 / q15, 0}},
		{"extensible 24-bit stereo", riff(fmtExtChunk(formatPCM, 2, 44100, 24, 24), chunk("data", le24(4194304, -4194304, 1, 2))),
			44100, 2, []float64{0.5, -0.5, 1.0 / q23, 2.0 / q23}},
		{"extensible 20 valid bits in 24", riff(fmtExtChunk(formatPCM, 1, 48000, 24, 20), chunk("data", le24(-8388608, 16))),
			48000, 1, []float64{-1, 16.0 / q23}},
		{"extensible float32", riff(fmtExtChunk(formatFloat, 1, 24000, 32, 32), chunk("data", f32(0.5, -0.25))),
			24000, 1, []float64{0.5, -0.25}},
		{"three channels", riff(fmtChunk(formatPCM, 3, 16000, 16), chunk("data", le16(16384, 0, -16384))),
			16000, 3, []float64{0.5, 0, -0.5}},
		{"odd LIST chunk before fmt, fact and junk between", riff(
			chunk("LIST", []byte("INFOabc")), // 7 bytes + pad
			fmtChunk(formatPCM, 1, 16000, 16),
			chunk("fact", le32(5)),
			chunk("junk", []byte{1, 2, 3}),
			chunk("data", pcm16)),
			16000, 1, want16},
		{"chunks after data ignored", riff(fmtChunk(formatPCM, 1, 16000, 16), chunk("data", pcm16), chunk("LIST", []byte("x"))),
			16000, 1, want16},
		{"fmt after data", riff(chunk("data", pcm16), fmtChunk(formatPCM, 1, 16000, 16)),
			16000, 1, want16},
		{"odd data without final pad byte", riff(fmtChunk(formatPCM, 1, 8000, 8), rawChunk("data", 3, []byte{128, 0, 255}, false)),
			8000, 1, []float64{0, -1, 127.0 / 128}},
		{"trailing partial frame dropped", riff(fmtChunk(formatPCM, 1, 16000, 16), chunk("data", append(le16(16384, -16384), 0x7f))),
			16000, 1, []float64{0.5, -0.5}},
		{"streaming: espeak-ng placeholder 0x7FFFF000", streaming(0x7FFFF024, 0x7FFFF000, pcm16), 22050, 1, want16},
		{"streaming: 0xFFFFFFFF placeholders", streaming(0xFFFFFFFF, 0xFFFFFFFF, pcm16), 22050, 1, want16},
		{"streaming: zero sizes", streaming(0, 0, pcm16), 22050, 1, want16},
		{"streaming: cut mid-frame", streaming(0xFFFFFFFF, 0xFFFFFFFF, append(pcm16, 0x01)), 22050, 1, want16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := DecodeWAV(tt.wav)
			require.NoError(t, err)
			assert.Equal(t, tt.rate, a.Rate)
			assert.Equal(t, tt.channels, a.Channels)
			assert.Equal(t, tt.want, a.Samples)
			assert.Equal(t, len(tt.want)/tt.channels, a.Frames())
		})
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	data := chunk("data", le16(1, 2))
	fmt16 := fmtChunk(formatPCM, 1, 16000, 16)
	badGUID := fmtExtChunk(formatPCM, 1, 16000, 16, 16)
	badGUID[len(badGUID)-1] ^= 0xff
	tests := []struct {
		name    string
		wav     []byte
		wantErr string
	}{
		{"empty", nil, "no RIFF/WAVE header"},
		{"not RIFF", []byte("<html><body>oops</body></html>"), "no RIFF/WAVE header"},
		{"RIFF but not WAVE", []byte("RIFF\x04\x00\x00\x00AVI "), "no RIFF/WAVE header"},
		{"no fmt", riff(data), "no fmt chunk"},
		{"no data", riff(fmt16), "no data chunk"},
		{"no chunks at all", riff(), "no fmt chunk"},
		{"short fmt", riff(chunk("fmt ", make([]byte, 10)), data), "fmt chunk of 10 bytes"},
		{"ADPCM", riff(fmtChunk(0x0002, 1, 16000, 4), data), "unsupported format tag 0x0002"},
		{"12-bit PCM", riff(fmtChunk(formatPCM, 1, 16000, 12), data), "unsupported 12-bit PCM"},
		{"16-bit float", riff(fmtChunk(formatFloat, 1, 16000, 16), data), "unsupported 16-bit IEEE float"},
		{"zero channels", riff(fmtChunk(formatPCM, 0, 16000, 16), data), "channel count 0"},
		{"zero rate", riff(fmtChunk(formatPCM, 1, 0, 16), data), "sample rate 0 Hz"},
		{"extensible too short", riff(chunk("fmt ", fmtChunk(formatExtensible, 1, 16000, 16)[8:]), data), "WAVE_FORMAT_EXTENSIBLE fmt chunk of 16 bytes"},
		{"extensible unknown subformat", riff(badGUID, data), "unsupported WAVE_FORMAT_EXTENSIBLE subformat"},
		{"extensible A-law", riff(fmtExtChunk(0x0006, 1, 8000, 8, 8), data), "unsupported format tag 0x0006"},
		{"empty data chunk", riff(fmt16, rawChunk("data", 0, nil, false)), "zero samples"},
		{"data shorter than a frame", riff(fmt16, chunk("data", []byte{1})), "zero samples"},
		{"truncated data", riff(fmt16, rawChunk("data", 100, le16(1, 2, 3), false)), `truncated: chunk "data" declares 100 bytes, only 6 present`},
		{"truncated chunk before data", riff(rawChunk("LIST", 50, []byte("INFO"), false)), `truncated: chunk "LIST" declares 50 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWAV(tt.wav)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrBadWAV)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestAudioMono(t *testing.T) {
	tests := []struct {
		name string
		a    Audio
		want []float64
	}{
		{"mono is unchanged", Audio{Rate: 8000, Channels: 1, Samples: []float64{0.5, -1}}, []float64{0.5, -1}},
		{"stereo averages", Audio{Rate: 8000, Channels: 2, Samples: []float64{0.5, -0.5, 1, 0.5}}, []float64{0, 0.75}},
		{"three channels", Audio{Rate: 8000, Channels: 3, Samples: []float64{0.3, 0.6, 0.9}}, []float64{0.6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Mono()
			require.Len(t, got, len(tt.want))
			for i := range got {
				assert.InDelta(t, tt.want[i], got[i], 1e-12)
			}
		})
	}
}

// The fixtures are real synthesizer output: espeak-ng writing to a pipe
// (placeholder sizes) and sox conversions of it. See testdata/README.md.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestDecodeWAVFixtures(t *testing.T) {
	tests := []struct {
		file        string
		rate        int
		channels    int
		frames      int
		placeholder bool
	}{
		// espeak-ng streams 16-bit mono at 22050 Hz with placeholder sizes.
		{"espeak_22k_s16_stream.wav", 22050, 1, (48462 - 44) / 2, true},
		// Frame counts as soxi reports them.
		{"sox_24k_f32.wav", 24000, 1, 26350, false},
		{"sox_44k_s24_stereo.wav", 44100, 2, 21522, false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := readFixture(t, tt.file)
			if tt.placeholder {
				// Guard the point of the fixture: it must keep the sizes a
				// pipe writer leaves.
				require.Equal(t, uint32(0x7FFFF000), binary.LittleEndian.Uint32(b[40:44]))
			}
			a, err := DecodeWAV(b)
			require.NoError(t, err)
			assert.Equal(t, tt.rate, a.Rate)
			assert.Equal(t, tt.channels, a.Channels)
			assert.Equal(t, tt.frames, a.Frames())
			var peak float64
			for _, s := range a.Samples {
				peak = max(peak, math.Abs(s))
			}
			assert.Greater(t, peak, 0.1, "speech should be well above silence")
			assert.LessOrEqual(t, peak, 1.0)
			if a.Channels == 2 {
				// sox -c 2 duplicates the mono source.
				for i := 0; i < len(a.Samples); i += 2 {
					require.Equal(t, a.Samples[i], a.Samples[i+1], "frame %d", i/2)
				}
			}
		})
	}
}

func TestEncodeWAVRoundTrip(t *testing.T) {
	pcm := []int16{-32768, -1, 0, 1, 32767, 12345}
	a, err := DecodeWAV(encodeWAV(pcm, SampleRate, "stbm", []byte("odd")))
	require.NoError(t, err)
	assert.Equal(t, SampleRate, a.Rate)
	assert.Equal(t, 1, a.Channels)
	assert.Equal(t, pcm, toInt16(a.Samples))
}

// FuzzDecodeWAV checks that no input makes the decoder (or the clip pipeline
// behind it) panic, and that what it accepts is consistent.
func FuzzDecodeWAV(f *testing.F) {
	f.Add(riff(fmtChunk(formatPCM, 1, 16000, 16), chunk("data", le16(1000, -1000, 2000))))
	f.Add(riff(fmtChunk(formatPCM, 2, 8000, 8), chunk("LIST", []byte("abc")), chunk("data", []byte{1, 2, 3, 4})))
	f.Add(riff(fmtExtChunk(formatFloat, 1, 24000, 32, 32), chunk("data", f32(0.5, -0.5))))
	f.Add(riff(fmtExtChunk(formatPCM, 2, 44100, 24, 24), chunk("data", le24(1, 2, 3, 4))))
	f.Add(riff(fmtChunk(formatPCM, 1, 48000, 32), rawChunk("data", 0xFFFFFFFF, le32(7, 8), false)))
	f.Add(riff(chunk("data", le16(5)), fmtChunk(formatFloat, 1, 1000, 64)))
	for _, name := range []string{"espeak_22k_s16_stream.wav", "sox_24k_f32.wav", "sox_44k_s24_stereo.wav"} {
		f.Add(readFixture(f, name)[:512])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeWAV(b)
		if err != nil {
			return
		}
		if a.Channels < 1 || a.Channels > maxChannels || a.Rate < minRate || a.Rate > maxRate {
			t.Fatalf("accepted bad format: %d channels at %d Hz", a.Channels, a.Rate)
		}
		if a.Frames() == 0 || len(a.Samples) != a.Frames()*a.Channels || len(a.Mono()) != a.Frames() {
			t.Fatalf("inconsistent sizes: %d samples, %d frames, %d channels", len(a.Samples), a.Frames(), a.Channels)
		}
		for _, s := range a.Samples {
			if math.IsNaN(s) || math.IsInf(s, 0) {
				t.Fatalf("non-finite sample %v", s)
			}
		}
		c, err := DecodeClip("fuzz", b)
		if err == nil && (len(c.PCM) == 0 || c.SpeechEnd <= 0 || c.SpeechEnd > c.Duration()) {
			t.Fatalf("bad clip: %d samples, speech end %v", len(c.PCM), c.SpeechEnd)
		}
	})
}

// EncodeWAV writes the canonical 44-byte header, and DecodeWAV reads back
// the rate and the samples.
func TestEncodeWAV(t *testing.T) {
	pcm := []int16{0, 1, -1, 32767, -32768}
	b := EncodeWAV(pcm, 24000)
	require.Len(t, b, 44+2*len(pcm))
	assert.Equal(t, "RIFF", string(b[0:4]))
	assert.Equal(t, "WAVEfmt ", string(b[8:16]))
	assert.Equal(t, "data", string(b[36:40]))
	assert.Equal(t, []byte{0xff, 0x7f, 0x00, 0x80}, b[44+6:])
	a, err := DecodeWAV(b)
	require.NoError(t, err)
	assert.Equal(t, 24000, a.Rate)
	assert.Equal(t, 1, a.Channels)
}
