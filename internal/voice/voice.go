// Package voice is a synthetic "voice" for the reference services: Synthesize
// turns text into a sequence of tone bursts, one per character, and Recognize
// recovers the words from the audio alone. It lets the reference TTS and STT
// exchange real audio whose words are known exactly, so the benchmark's WER
// and latency measurements can be checked end to end without a model.
//
// The sound is built to survive what the benchmark does to real speech:
// resampling from the TTS rate to 16 kHz, int16 quantization, framing into
// 100 ms messages, a little noise and a gain change. And it is timed like
// speech, so a voice-activity detector cuts it into one utterance per sentence.
//
// All functions are pure and safe for concurrent use.
package voice

import (
	"math"
	"strings"
)

// Alphabet lists the characters the voice can speak, in the order of their
// tone frequencies. Letters are spoken in lower case; other characters
// (commas, quotes, sentence punctuation) are not encoded.
const Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789'-"

// Timing and level of the voice. The durations are chosen against the
// reference STT's voice-activity detector, which cuts an utterance after
// 250 ms of silence: gaps inside a sentence stay well under that, pauses
// between sentences well over it.
const (
	// baseHz and stepHz place symbol i at baseHz + i*stepHz, 500..2720 Hz.
	// 500 Hz is far above mains hum and gives at least two cycles in the
	// 4 ms energy window, so the energy envelope is steady; 2.7 kHz is well
	// inside the pass band of any resampler down to 16 kHz (or even 8 kHz).
	// 60 Hz spacing is more than two frequency bins of the ~36 ms analysis
	// window, so neighbouring symbols do not blur into each other.
	baseHz = 500.0
	stepHz = 60.0

	toneMs     = 55.0  // one character
	rampMs     = 5.0   // raised-cosine attack and release: no clicks, and an end of speech any threshold puts within 1 ms
	charGapMs  = 12.0  // silence between characters: long enough to see, short enough to stay one word
	wordGapMs  = 100.0 // silence between words: twice the recognizer's word-break limit
	pauseMs    = 500.0 // silence between sentences: twice the STT's 250 ms cut
	leadMs     = 100.0 // silence before the first sentence
	trailMs    = 300.0 // silence after the last sentence
	amplitude  = 0.25  // peak level, -12 dBFS
	fullScale  = 32767.0
	windowMs   = 4.0  // energy window of the recognizer
	wordBreak  = 0.05 // seconds of silence that separate words (chars are ~15 ms apart, words ~100 ms)
	minSymbol  = 0.02 // seconds: shorter bursts are clicks or noise, not characters
	relThresh  = 0.3  // a symbol is where the energy exceeds 30% of the loudest symbol's
	floorLevel = 0.01 // ... and -40 dBFS RMS, so that pure noise decodes to nothing
)

// Word is one recognized word.
type Word struct {
	Text       string  // lower case, as spelled in Alphabet
	Start, End float64 // seconds from the first sample of the audio
	Confidence float64 // 0..1: the share of the symbols' energy at their detected tones (the lowest symbol's)
}

// Words returns the words of text as the voice speaks them: lower case, with
// characters outside Alphabet removed and words left empty by that dropped.
// It is the normal form to compare Recognize's output against.
func Words(text string) []string {
	var out []string
	for _, s := range Sentences(text) {
		out = append(out, s...)
	}
	return out
}

// Sentences splits text into sentences at '.', '?' and '!' and each sentence
// into its speakable words (see Words). Sentences with no speakable words are
// omitted.
func Sentences(text string) [][]string {
	var out [][]string
	for _, sent := range strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '?' || r == '!' }) {
		var words []string
		for _, f := range strings.Fields(sent) {
			var b strings.Builder
			for _, r := range strings.ToLower(f) {
				if r < 128 && strings.IndexByte(Alphabet, byte(r)) >= 0 {
					b.WriteRune(r)
				}
			}
			if b.Len() > 0 {
				words = append(words, b.String())
			}
		}
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	return out
}

// symbolHz returns the tone frequency of Alphabet[i].
func symbolHz(i int) float64 { return baseHz + float64(i)*stepHz }

// samples converts milliseconds to a whole number of samples at rate.
func samples(ms float64, rate int) int { return int(math.Round(ms * float64(rate) / 1000)) }

// Synthesize speaks text as mono int16 PCM at sampleRate samples per second
// (16 kHz or more is sensible; below ~6 kHz the top tones alias). Each
// character is a 55 ms tone with 12 ms gaps, words are 100 ms apart,
// sentences 500 ms, with 100 ms of silence before and 300 ms after: about
// 2.5 words per second on ordinary English. Text with nothing speakable gives
// just the silences.
func Synthesize(text string, sampleRate int) []int16 {
	if sampleRate <= 0 {
		return nil
	}
	tone := synthTones(sampleRate)
	out := make([]int16, samples(leadMs, sampleRate))
	for si, sent := range Sentences(text) {
		if si > 0 {
			out = append(out, make([]int16, samples(pauseMs, sampleRate))...)
		}
		for wi, w := range sent {
			if wi > 0 {
				out = append(out, make([]int16, samples(wordGapMs, sampleRate))...)
			}
			for ci := 0; ci < len(w); ci++ {
				if ci > 0 {
					out = append(out, make([]int16, samples(charGapMs, sampleRate))...)
				}
				out = append(out, tone[strings.IndexByte(Alphabet, w[ci])]...)
			}
		}
	}
	return append(out, make([]int16, samples(trailMs, sampleRate))...)
}

// synthTones renders the tone burst of every symbol once.
func synthTones(rate int) [][]int16 {
	n := samples(toneMs, rate)
	ramp := samples(rampMs, rate)
	tones := make([][]int16, len(Alphabet))
	for i := range tones {
		w := 2 * math.Pi * symbolHz(i) / float64(rate)
		t := make([]int16, n)
		for k := range t {
			env := 1.0
			if d := min(k, n-1-k); d < ramp {
				env = 0.5 * (1 - math.Cos(math.Pi*float64(d)/float64(ramp)))
			}
			t[k] = int16(math.Round(amplitude * fullScale * env * math.Sin(w*float64(k))))
		}
		tones[i] = t
	}
	return tones
}

// Recognize decodes the words spoken by Synthesize in pcm, mono at
// sampleRate. It finds the tone bursts from the short-time energy (4 ms
// windows), reads each burst's frequency with Goertzel filters over its
// middle 70%, and groups bursts into words wherever the silence between two
// exceeds 50 ms. Levels are relative to the loudest burst, so gain does not
// matter; audio quieter than -40 dBFS is silence. It returns nil when
// nothing is spoken.
func Recognize(pcm []int16, sampleRate int) []Word {
	if sampleRate <= 0 || len(pcm) == 0 {
		return nil
	}
	rate := float64(sampleRate)
	segs := segment(pcm, sampleRate)
	var words []Word
	var text []byte
	var cur Word
	for i, s := range segs {
		if i == 0 || float64(s.start-segs[i-1].end)/rate > wordBreak {
			if len(text) > 0 {
				cur.Text = string(text)
				words = append(words, cur)
			}
			text = text[:0]
			cur = Word{Start: float64(s.start) / rate, Confidence: 1}
		}
		sym, conf := classify(pcm[s.start:s.end], sampleRate)
		text = append(text, Alphabet[sym])
		cur.End = float64(s.end) / rate
		cur.Confidence = min(cur.Confidence, conf)
	}
	if len(text) > 0 {
		cur.Text = string(text)
		words = append(words, cur)
	}
	return words
}

// span is a half-open range of sample indexes.
type span struct{ start, end int }

// segment returns the tone bursts of pcm: the runs where the RMS over a
// centred 4 ms window exceeds the threshold, dropping runs shorter than
// minSymbol.
func segment(pcm []int16, rate int) []span {
	win := max(samples(windowMs, rate), 2)
	// prefix[i] is the sum of squares of pcm[:i], so any window's energy is
	// one subtraction.
	prefix := make([]float64, len(pcm)+1)
	for i, v := range pcm {
		x := float64(v) / fullScale
		prefix[i+1] = prefix[i] + x*x
	}
	rms := make([]float64, len(pcm))
	peak := 0.0
	for i := range pcm {
		lo, hi := max(i-win/2, 0), min(i+win-win/2, len(pcm))
		rms[i] = math.Sqrt((prefix[hi] - prefix[lo]) / float64(hi-lo))
		peak = max(peak, rms[i])
	}
	thresh := max(relThresh*peak, floorLevel)
	minLen := int(minSymbol * float64(rate))
	var segs []span
	start := -1
	for i := 0; i <= len(pcm); i++ {
		on := i < len(pcm) && rms[i] > thresh
		switch {
		case on && start < 0:
			start = i
		case !on && start >= 0:
			if i-start >= minLen {
				segs = append(segs, span{start, i})
			}
			start = -1
		}
	}
	return segs
}

// classify returns the index in Alphabet of the tone in burst, and a
// confidence: the fraction of the analysed samples' energy that the winning
// tone explains (1 for a clean tone, lower with noise or a mixture).
func classify(burst []int16, rate int) (int, float64) {
	// Skip the ramps: 15% off each end keeps the analysis on the flat part.
	trim := len(burst) * 15 / 100
	x := burst[trim : len(burst)-trim]
	n := len(x)
	// Hann weights keep the leakage of each filter into its neighbours low.
	w := make([]float64, n)
	var wsum, energy float64
	for k := range w {
		w[k] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(k)/float64(n))
		wsum += w[k]
		v := float64(x[k]) / fullScale
		energy += w[k] * v * v
	}
	best, bestPow := 0, -1.0
	for i := range len(Alphabet) {
		if p := goertzel(x, w, symbolHz(i)/float64(rate)); p > bestPow {
			best, bestPow = i, p
		}
	}
	if energy == 0 {
		return best, 0
	}
	// A tone of amplitude A gives |X| = A*wsum/2 and weighted energy
	// A^2*wsum/2, so this ratio is 1 for a pure tone.
	amp := 2 * math.Sqrt(bestPow) / wsum
	return best, min(amp*amp*wsum/2/energy, 1)
}

// goertzel returns |X(f)|^2 of the weighted samples x*w at f cycles per
// sample: one DFT bin at an arbitrary frequency, in O(n).
func goertzel(x []int16, w []float64, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f)
	var s1, s2 float64
	for k, v := range x {
		s0 := w[k]*float64(v)/fullScale + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}
