// Package voicetest holds audio helpers for tests of the voice and of the
// services that speak it: resampling, noise and gain.
package voicetest

import (
	"math"
	"math/rand/v2"

	"github.com/sttbench/sttbench/ttspool"
)

// Resample converts mono PCM from rate from to rate to (samples per second)
// with the band-limited resampler the benchmark's client uses, so the voice
// is tested against exactly the audio a real client sends.
func Resample(pcm []int16, from, to int) []int16 {
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v)
	}
	y := ttspool.Resample(x, from, to)
	out := make([]int16, len(y))
	for i, v := range y {
		out[i] = Clip(v)
	}
	return out
}

// Clip rounds v to the nearest int16, saturating.
func Clip(v float64) int16 {
	return int16(math.Max(-32768, math.Min(32767, math.Round(v))))
}

// AddNoise adds white Gaussian noise of RMS level dbfs (relative to full
// scale, e.g. -50) to pcm in place, drawn from rng, and returns pcm.
func AddNoise(pcm []int16, dbfs float64, rng *rand.Rand) []int16 {
	sigma := 32767 * math.Pow(10, dbfs/20)
	for i := range pcm {
		pcm[i] = Clip(float64(pcm[i]) + sigma*rng.NormFloat64())
	}
	return pcm
}

// Gain multiplies pcm by g in place, saturating, and returns pcm.
func Gain(pcm []int16, g float64) []int16 {
	for i := range pcm {
		pcm[i] = Clip(float64(pcm[i]) * g)
	}
	return pcm
}
