// Package voicetest holds audio helpers for tests of the voice and of the
// services that speak it: a band-limited resampler, noise and gain.
package voicetest

import (
	"math"
	"math/rand/v2"
)

// Resample converts mono PCM from rate from to rate to (samples per second)
// with a Hann-windowed sinc filter, 16 zero crossings each side, cut off at
// 90% of the lower Nyquist frequency: the band-limited conversion a careful
// client does, and independent of the one the benchmark's client uses. The
// taps depend only on an output sample's fractional position, which repeats
// for rational rate ratios, so each phase's taps are computed once.
func Resample(pcm []int16, from, to int) []int16 {
	if from == to || from <= 0 || to <= 0 {
		return append([]int16(nil), pcm...)
	}
	const zeros = 16
	ratio := float64(from) / float64(to)
	cutoff := 0.9 * math.Min(1, 1/ratio) // as a fraction of the input Nyquist frequency
	half := int(math.Ceil(zeros / cutoff))
	phases := map[int64][]float64{}
	taps := func(frac float64) []float64 {
		key := int64(math.Round(frac * 1e9))
		if h, ok := phases[key]; ok {
			return h
		}
		h := make([]float64, 2*half)
		for j := range h {
			d := frac + float64(half-1-j) // distance to input sample c-half+1+j
			if math.Abs(d) >= float64(half) {
				continue
			}
			x := math.Pi * cutoff * d
			sinc := 1.0
			if x != 0 {
				sinc = math.Sin(x) / x
			}
			h[j] = cutoff * sinc * (0.5 + 0.5*math.Cos(math.Pi*d/float64(half)))
		}
		phases[key] = h
		return h
	}
	out := make([]int16, int(float64(len(pcm))/ratio))
	for n := range out {
		t := float64(n) * ratio
		c := int(math.Floor(t))
		h := taps(t - float64(c))
		var acc float64
		for j, k := 0, c-half+1; j < len(h); j, k = j+1, k+1 {
			if k >= 0 && k < len(pcm) {
				acc += float64(pcm[k]) * h[j]
			}
		}
		out[n] = Clip(acc)
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
