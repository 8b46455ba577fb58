package ttspool

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ms = SampleRate / 1000 // samples per millisecond

// segment is a stretch of synthetic test audio.
type segment struct {
	dur   time.Duration
	kind  string  // "silence", "vowel" (harmonic tone), "noise" (uniform)
	level float64 // peak amplitude, full scale 1
}

// synth builds 16 kHz int16 audio from segments plus a uniform noise floor
// of the given peak amplitude.
func synth(seed uint64, noiseFloor float64, segs ...segment) []int16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	var x []float64
	for _, s := range segs {
		n := int(s.dur * SampleRate / time.Second)
		for i := range n {
			var v float64
			switch s.kind {
			case "vowel":
				// A 150 Hz voice with two harmonics, starting at its peak
				// so the first sample is voiced.
				ph := 2 * math.Pi * 150 * float64(i) / SampleRate
				v = s.level * (0.6*math.Cos(ph) + 0.3*math.Cos(2*ph) + 0.1*math.Cos(3*ph))
			case "noise":
				v = s.level * (2*rng.Float64() - 1)
			}
			x = append(x, v)
		}
	}
	for i := range x {
		x[i] += noiseFloor * (2*rng.Float64() - 1)
	}
	return toInt16(x)
}

func TestTrim(t *testing.T) {
	tests := []struct {
		name      string
		pcm       []int16
		first     int // index of the first voiced sample in pcm
		end       int // index after the last voiced sample in pcm
		trailKept int // samples after the speech end in the result
	}{
		{"500 ms lead, 1 s trail, digital silence",
			synth(1, 0, segment{500 * time.Millisecond, "silence", 0}, segment{time.Second, "vowel", 0.3}, segment{time.Second, "silence", 0}),
			500 * ms, 1500 * ms, 300 * ms},
		{"noise floor at -70 dBFS",
			synth(2, 0.0003*math.Sqrt(3), segment{500 * time.Millisecond, "silence", 0}, segment{time.Second, "vowel", 0.3}, segment{time.Second, "silence", 0}),
			500 * ms, 1500 * ms, 300 * ms},
		{"soft fricative ending 30 dB down is speech",
			synth(3, 0, segment{500 * time.Millisecond, "silence", 0}, segment{800 * time.Millisecond, "vowel", 0.3},
				segment{200 * time.Millisecond, "noise", 0.3 * 0.0316}, segment{time.Second, "silence", 0}),
			500 * ms, 1500 * ms, 300 * ms},
		{"short trailing silence kept whole",
			synth(4, 0, segment{500 * time.Millisecond, "silence", 0}, segment{time.Second, "vowel", 0.3}, segment{100 * time.Millisecond, "silence", 0}),
			500 * ms, 1500 * ms, 100 * ms},
		{"no leading silence",
			synth(5, 0, segment{time.Second, "vowel", 0.3}, segment{time.Second, "silence", 0}),
			0, 1000 * ms, 300 * ms},
		{"short word in long silence",
			synth(6, 0, segment{5 * time.Second, "silence", 0}, segment{200 * time.Millisecond, "vowel", 0.5}, segment{5 * time.Second, "silence", 0}),
			5000 * ms, 5200 * ms, 300 * ms},
		{"quiet speaker at -40 dBFS",
			synth(7, 0, segment{500 * time.Millisecond, "silence", 0}, segment{time.Second, "vowel", 0.01}, segment{time.Second, "silence", 0}),
			500 * ms, 1500 * ms, 300 * ms},
	}
	const tol = 2 * ms // 2 ms
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trimmed, speechEnd, err := Trim(tt.pcm)
			require.NoError(t, err)
			first := cap(tt.pcm) - cap(trimmed) // offset of trimmed in pcm
			assert.InDelta(t, tt.first, first, tol, "first voiced sample")
			endSamples := int(speechEnd * SampleRate / time.Second)
			assert.InDelta(t, tt.end, first+endSamples, tol, "end of speech")
			wantEnd := time.Duration(tt.end-tt.first) * time.Second / SampleRate
			assert.InDelta(t, wantEnd, speechEnd, float64(2*time.Millisecond), "SpeechEnd")
			assert.Equal(t, tt.trailKept, len(trimmed)-endSamples, "trailing samples kept")
		})
	}
}

func TestTrimSilent(t *testing.T) {
	tests := []struct {
		name string
		pcm  []int16
	}{
		{"empty", nil},
		{"digital silence", make([]int16, SampleRate)},
		{"noise at -70 dBFS only", synth(8, 0.0003*math.Sqrt(3), segment{time.Second, "silence", 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Trim(tt.pcm)
			assert.ErrorIs(t, err, ErrSilent)
		})
	}
}

// voicedSpan finds, independently of Trim, where a fixture's speech starts
// and ends at its own rate: the first and last samples above 1% of the peak.
func voicedSpan(t *testing.T, wav []byte) (start, end time.Duration) {
	t.Helper()
	a, err := DecodeWAV(wav)
	require.NoError(t, err)
	x := a.Mono()
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	first, last := -1, -1
	for i, v := range x {
		if math.Abs(v) >= 0.01*peak {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	toDur := func(n int) time.Duration { return time.Duration(n) * time.Second / time.Duration(a.Rate) }
	return toDur(first), toDur(last + 1)
}

func TestDecodeClipFixtures(t *testing.T) {
	espeak := readFixture(t, "espeak_22k_s16_stream.wav")
	tests := []struct {
		name string
		wav  []byte
		// trail is the silence after the speech in the source.
		wantTrail time.Duration
	}{
		// espeak-ng ends with about 190 ms of silence at this speed: all kept.
		{"espeak-ng stream", espeak, 0},
		// The same stream with one more second of silence (the placeholder
		// size makes the data run to EOF): cut to 300 ms.
		{"espeak-ng stream plus 1 s silence", append(append([]byte(nil), espeak...), make([]byte, 2*22050)...), TrailingSilence},
		{"sox 24 kHz float", readFixture(t, "sox_24k_f32.wav"), 0},
		{"sox 44.1 kHz 24-bit stereo", readFixture(t, "sox_44k_s24_stereo.wav"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end := voicedSpan(t, tt.wav)
			a, err := DecodeWAV(tt.wav)
			require.NoError(t, err)
			total := time.Duration(a.Frames()) * time.Second / time.Duration(a.Rate)

			c, err := DecodeClip("fixture", tt.wav)
			require.NoError(t, err)
			assert.Equal(t, "fixture", c.Text)
			assert.InDelta(t, end-start, c.SpeechEnd, float64(3*time.Millisecond), "SpeechEnd")
			trail := c.Duration() - c.SpeechEnd
			if tt.wantTrail > 0 {
				assert.Equal(t, tt.wantTrail, trail)
			} else {
				// Nothing to cut: the trailing silence is what the source had.
				assert.InDelta(t, total-end, trail, float64(3*time.Millisecond))
				assert.LessOrEqual(t, trail, TrailingSilence)
			}
			t.Logf("source %v, speech %v..%v; clip %v, SpeechEnd %v", total, start, end, c.Duration(), c.SpeechEnd)
		})
	}
}

func TestDecodeClipErrors(t *testing.T) {
	tests := []struct {
		name    string
		wav     []byte
		wantIs  error
		wantErr string
	}{
		{"silent", riff(fmtChunk(formatPCM, 1, 16000, 16), chunk("data", make([]byte, 32000))), ErrSilent, "silent"},
		{"malformed", []byte("nope"), ErrBadWAV, "no RIFF/WAVE header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeClip("Seven ducks in Oslo.", tt.wav)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.ErrorContains(t, err, tt.wantErr)
			assert.ErrorContains(t, err, `"Seven ducks in Oslo."`, "error names the text")
		})
	}
}
