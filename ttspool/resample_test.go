package ttspool

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tone(freq float64, rate int, seconds, amp float64) []float64 {
	x := make([]float64, int(seconds*float64(rate)))
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return x
}

func rms(x []float64) float64 {
	var e float64
	for _, v := range x {
		e += v * v
	}
	return math.Sqrt(e / float64(len(x)))
}

// middle drops the first and last 10% of x, where the filter runs off the
// ends of the input.
func middle(x []float64) []float64 {
	return x[len(x)/10 : len(x)-len(x)/10]
}

// zeroCrossingFreq estimates a tone's frequency from rising zero crossings,
// interpolating each crossing between samples.
func zeroCrossingFreq(x []float64, rate int) float64 {
	var first, last float64
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			t := float64(i-1) + x[i-1]/(x[i-1]-x[i])
			if n == 0 {
				first = t
			}
			last = t
			n++
		}
	}
	return float64(n-1) * float64(rate) / (last - first)
}

func TestResampleTone(t *testing.T) {
	tests := []struct {
		name string
		from int
	}{
		{"Chatterbox 24 kHz", 24000},
		{"CD 44.1 kHz", 44100},
		{"espeak-ng 22.05 kHz", 22050},
		{"48 kHz", 48000},
		{"upsample 8 kHz", 8000},
		{"coprime 44.1 kHz + 1", 44101},
	}
	const amp = 0.5
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tone(1000, tt.from, 1, amp)
			out := Resample(in, tt.from, SampleRate)
			require.Len(t, out, SampleRate)
			mid := middle(out)
			assert.InDelta(t, 1000, zeroCrossingFreq(mid, SampleRate), 0.5, "frequency in Hz")
			levelDB := 20 * math.Log10(rms(mid)/(amp/math.Sqrt2))
			t.Logf("level change %.4f dB", levelDB)
			assert.InDelta(t, 0, levelDB, 0.2, "level change in dB")
		})
	}
}

func TestResampleAntiAliasing(t *testing.T) {
	// Resample promises about 90 dB of stopband attenuation; these tones
	// measured 103.2, 108.5, 94.4 and 103.5 dB. The bound sits just under
	// the promise, so a filter that loses its stopband fails.
	const minAtten = 85.0 // dB
	tests := []struct {
		name string
		freq float64
		from int
	}{
		// 10 kHz would alias to 6 kHz at 16 kHz.
		{"10 kHz at 24 kHz", 10000, 24000},
		{"12 kHz at 44.1 kHz", 12000, 44100},
		{"8.5 kHz at 22.05 kHz", 8500, 22050},
		{"10 kHz at 44.101 kHz (interpolated taps)", 10000, 44101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tone(tt.freq, tt.from, 1, 0.5)
			out := Resample(in, tt.from, SampleRate)
			atten := 20 * math.Log10(rms(in)/rms(middle(out)))
			t.Logf("attenuation %.1f dB", atten)
			assert.GreaterOrEqual(t, atten, minAtten, "attenuation in dB")
		})
	}
}

func TestResampleEdges(t *testing.T) {
	t.Run("equal rates copy", func(t *testing.T) {
		in := []float64{0.1, 0.2}
		out := Resample(in, 16000, 16000)
		assert.Equal(t, in, out)
		out[0] = 9
		assert.Equal(t, 0.1, in[0], "must not alias the input")
	})
	t.Run("empty and invalid", func(t *testing.T) {
		assert.Nil(t, Resample(nil, 24000, 16000))
		assert.Nil(t, Resample([]float64{1}, 0, 16000))
		assert.Nil(t, Resample([]float64{1}, 24000, -1))
	})
	t.Run("lengths round", func(t *testing.T) {
		for _, tt := range []struct{ n, from, want int }{
			{3, 24000, 2}, {36000, 24000, 24000}, {441, 44100, 160}, {1, 44100, 0}, {1, 8000, 2},
		} {
			assert.Len(t, Resample(make([]float64, tt.n), tt.from, SampleRate), tt.want, "%d samples at %d Hz", tt.n, tt.from)
		}
	})
	t.Run("DC keeps its level", func(t *testing.T) {
		in := make([]float64, 4410)
		for i := range in {
			in[i] = 0.25
		}
		for _, v := range middle(Resample(in, 44100, SampleRate)) {
			require.InDelta(t, 0.25, v, 1e-12)
		}
	})
}

func TestToInt16(t *testing.T) {
	got := toInt16([]float64{0, 0.5, -1, 1, 1.5, -2, 1.0 / 65536 * 1.01, -0.000001, math.NaN()})
	assert.Equal(t, []int16{0, 16384, -32768, 32767, 32767, -32768, 1, 0, 0}, got)
}
