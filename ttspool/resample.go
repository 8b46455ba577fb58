package ttspool

import (
	"math"
)

// Resampler design. A windowed-sinc low-pass evaluated at the exact output
// instants (band-limited interpolation): unlike linear interpolation it
// neither dulls the top of the speech band nor folds energy above the new
// Nyquist frequency back into it.
const (
	// resampleZeros is the number of zero crossings of the sinc kept on
	// each side of the centre. More zeros narrow the transition band at the
	// cost of taps; 32 gives a band of about 18% of the cutoff.
	resampleZeros = 32
	// resampleAttenDB is the Kaiser window's stopband attenuation in dB:
	// far below int16 quantization noise relative to speech levels.
	resampleAttenDB = 90.0
	// maxPhaseTable bounds the precomputed polyphase table (phases). Rate
	// pairs with more phases (odd rates such as 44101 Hz) interpolate their
	// taps from a dense kernel table instead.
	maxPhaseTable = 4096
	// kernelDensity is the dense kernel's points per sinc zero crossing.
	// Linear interpolation between them errs by under 1e-5 of the peak tap,
	// well below the stopband.
	kernelDensity = 512
)

var (
	// kaiserBeta follows Kaiser's empirical formula for resampleAttenDB.
	kaiserBeta = 0.1102 * (resampleAttenDB - 8.7)
	// transitionFrac is the transition band width as a fraction of the
	// cutoff, from Kaiser's length estimate N = (A-7.95)/(14.36·Δf/fs) with
	// N = 2·resampleZeros·fs/(2·cutoff).
	transitionFrac = (resampleAttenDB - 7.95) / (14.36 * resampleZeros)
)

// Resample converts x from rate from to rate to (Hz) with a Kaiser-windowed
// sinc low-pass. The cutoff is placed so that the stopband starts exactly at
// the lower of the two Nyquist frequencies: every component the output rate
// cannot represent is attenuated by about 90 dB instead of aliasing, while
// the passband stays flat up to about 91% of that Nyquist frequency (beyond
// 7 kHz at 16 kHz, where speech has little energy left). Each polyphase
// filter is normalized to unit DC gain so levels are preserved.
//
// The output has round(len(x)·to/from) samples; sample n is the input's
// band-limited value at time n/to, with zeros assumed outside the input.
// Resample returns a copy when the rates are equal, and nil for empty input
// or non-positive rates. It keeps no state and is safe for concurrent use.
func Resample(x []float64, from, to int) []float64 {
	if len(x) == 0 || from <= 0 || to <= 0 {
		return nil
	}
	if from == to {
		return append([]float64(nil), x...)
	}
	g := gcd(from, to)
	up, down := to/g, from/g // output n sits at input position n·down/up

	// Cutoff in cycles per input sample.
	nyq := 0.5 * float64(min(from, to)) / float64(from)
	cutoff := nyq / (1 + transitionFrac/2)
	halfLen := resampleZeros / (2 * cutoff) // half width in input samples
	half := int(math.Ceil(halfLen))
	taps := 2*half + 1
	i0Beta := besselI0(kaiserBeta)

	// kernel is the windowed sinc at distance t input samples.
	kernel := func(t float64) float64 {
		if math.Abs(t) >= halfLen {
			return 0
		}
		r := t / halfLen
		w := besselI0(kaiserBeta*math.Sqrt(1-r*r)) / i0Beta
		return 2 * cutoff * sinc(2*cutoff*t) * w
	}
	// fill computes the taps for fractional offset frac in [0,1), scaled
	// to unit sum: tap j weights input sample q-half+j for output position
	// q+frac, at distance frac+half-j.
	fill := func(dst []float64, frac float64, k func(float64) float64) {
		var sum float64
		for j := range dst {
			dst[j] = k(frac + float64(half-j))
			sum += dst[j]
		}
		if sum != 0 {
			for j := range dst {
				dst[j] /= sum
			}
		}
	}

	var table []float64
	dense := kernel
	if up <= maxPhaseTable {
		table = make([]float64, up*taps)
		for p := range up {
			fill(table[p*taps:(p+1)*taps], float64(p)/float64(up), kernel)
		}
	} else {
		// Too many phases to tabulate: sample the kernel densely once and
		// interpolate, instead of evaluating Bessel functions per tap.
		step := 1 / (2 * cutoff) / kernelDensity // input samples per point
		pts := make([]float64, int(halfLen/step)+2)
		for i := range pts {
			pts[i] = kernel(float64(i) * step)
		}
		dense = func(t float64) float64 {
			x := math.Abs(t) / step
			i := int(x)
			if i+1 >= len(pts) {
				return 0
			}
			f := x - float64(i)
			return pts[i]*(1-f) + pts[i+1]*f
		}
	}
	scratch := make([]float64, taps)

	n := int((int64(len(x))*int64(up) + int64(down)/2) / int64(down))
	out := make([]float64, n)
	for i := range out {
		pos := int64(i) * int64(down)
		q := int(pos / int64(up))
		phase := int(pos % int64(up))
		var h []float64
		if table != nil {
			h = table[phase*taps : (phase+1)*taps]
		} else {
			fill(scratch, float64(phase)/float64(up), dense)
			h = scratch
		}
		start := q - half
		j0, j1 := 0, taps
		if start < 0 {
			j0 = -start
		}
		if start+taps > len(x) {
			j1 = len(x) - start
		}
		var acc float64
		for j := j0; j < j1; j++ {
			acc += h[j] * x[start+j]
		}
		out[i] = acc
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	px := math.Pi * x
	return math.Sin(px) / px
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges fast for the arguments a Kaiser window uses).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 200; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// toInt16 converts floats with full scale ±1 to int16, rounding to nearest
// and clipping: resampling can overshoot full scale slightly (Gibbs), and
// wrapping around would turn that into loud clicks.
func toInt16(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		s := math.Round(v * (1 << 15))
		switch {
		case s > math.MaxInt16:
			s = math.MaxInt16
		case s < math.MinInt16:
			s = math.MinInt16
		case s != s: // NaN
			s = 0
		}
		out[i] = int16(s)
	}
	return out
}
