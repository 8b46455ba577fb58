package voicetest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func tone(hz float64, rate, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = Clip(10000 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return out
}

func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(pcm)))
}

func TestResample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		hz       float64
		from, to int
		wantRMS  float64 // of the middle of the output
	}{
		{"1 kHz passes 24k to 16k", 1000, 24000, 16000, 10000 / math.Sqrt2},
		{"3 kHz passes 44.1k to 16k", 3000, 44100, 16000, 10000 / math.Sqrt2},
		{"1 kHz passes 16k to 24k", 1000, 16000, 24000, 10000 / math.Sqrt2},
		{"10 kHz is removed 24k to 16k", 10000, 24000, 16000, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := Resample(tone(tc.hz, tc.from, tc.from), tc.from, tc.to)
			assert.InDelta(t, tc.to, len(out), 1)
			mid := out[len(out)/4 : 3*len(out)/4]
			assert.InDelta(t, tc.wantRMS, rms(mid), 100)
			if tc.wantRMS > 0 {
				// Same frequency: compare with a tone generated at the new rate.
				want := tone(tc.hz, tc.to, len(out))
				var diff []int16
				for i := len(out) / 4; i < 3*len(out)/4; i++ {
					diff = append(diff, out[i]-want[i])
				}
				assert.Less(t, rms(diff), 100.0)
			}
		})
	}
}

func TestGainClips(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []int16{32767, -32768, 2}, Gain([]int16{20000, -20000, 1}, 2))
}
