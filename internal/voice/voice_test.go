package voice

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// longText has 60 words, every letter, digits, apostrophes and hyphens.
const longText = `The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!
Sphinx of black quartz, judge my vow? It's a well-known fact that 42 zebras can't queue in 2024.
How vexingly quick daft zebras jump. Bright vixens jump; dozy fowl quack. The five boxing wizards
jump quickly, and Jim quietly moved the exam-room equipment onto a big yellow truck.`

// resample converts pcm from rate `from` to rate `to` with a Hann-windowed
// sinc filter (32 zero crossings each side), cut off at 90% of the lower
// Nyquist frequency: the band-limited conversion a careful client does.
func resample(pcm []int16, from, to int) []int16 {
	if from == to {
		return append([]int16(nil), pcm...)
	}
	const zeros = 32
	ratio := float64(from) / float64(to)
	cutoff := 0.9 * math.Min(1, 1/ratio) // in cycles per input sample, times 2
	half := int(math.Ceil(zeros / cutoff))
	out := make([]int16, int(float64(len(pcm))/ratio))
	for n := range out {
		t := float64(n) * ratio
		c := int(math.Floor(t))
		var acc float64
		for k := c - half + 1; k <= c+half; k++ {
			if k < 0 || k >= len(pcm) {
				continue
			}
			d := t - float64(k)
			if math.Abs(d) >= float64(half) {
				continue
			}
			x := math.Pi * cutoff * d
			sinc := 1.0
			if x != 0 {
				sinc = math.Sin(x) / x
			}
			win := 0.5 + 0.5*math.Cos(math.Pi*d/float64(half))
			acc += float64(pcm[k]) * cutoff * sinc * win
		}
		out[n] = clip(acc)
	}
	return out
}

func clip(v float64) int16 {
	return int16(math.Max(-32768, math.Min(32767, math.Round(v))))
}

func texts(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	want := Words(longText)
	require.GreaterOrEqual(t, len(want), 40)
	rng := rand.New(rand.NewPCG(1, 2))

	tests := []struct {
		name  string
		audio func() []int16 // 16 kHz
	}{
		{"clean 16 kHz", func() []int16 { return Synthesize(longText, 16000) }},
		{"24 kHz resampled to 16 kHz", func() []int16 { return resample(Synthesize(longText, 24000), 24000, 16000) }},
		{"44.1 kHz resampled to 16 kHz", func() []int16 { return resample(Synthesize(longText, 44100), 44100, 16000) }},
		{"100 ms frames re-joined", func() []int16 {
			// The STT receives 1600-sample messages; the last one may be short.
			pcm := resample(Synthesize(longText, 24000), 24000, 16000)
			var frames [][]int16
			for len(pcm) > 0 {
				n := min(1600, len(pcm))
				frames = append(frames, pcm[:n:n])
				pcm = pcm[n:]
			}
			var joined []int16
			for _, f := range frames {
				joined = append(joined, f...)
			}
			return joined
		}},
		{"white noise at -50 dBFS", func() []int16 {
			pcm := resample(Synthesize(longText, 24000), 24000, 16000)
			sigma := 32767 * math.Pow(10, -50.0/20)
			for i := range pcm {
				pcm[i] = clip(float64(pcm[i]) + sigma*rng.NormFloat64())
			}
			return pcm
		}},
		{"gain 0.8", func() []int16 { return gain(resample(Synthesize(longText, 24000), 24000, 16000), 0.8) }},
		{"gain 1.25", func() []int16 { return gain(resample(Synthesize(longText, 24000), 24000, 16000), 1.25) }},
		{"gain 1.25 and noise", func() []int16 {
			pcm := gain(resample(Synthesize(longText, 24000), 24000, 16000), 1.25)
			sigma := 32767 * math.Pow(10, -50.0/20)
			for i := range pcm {
				pcm[i] = clip(float64(pcm[i]) + sigma*rng.NormFloat64())
			}
			return pcm
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Recognize(tc.audio(), 16000)
			assert.Equal(t, want, texts(got))
			for _, w := range got {
				assert.Greater(t, w.Confidence, 0.8, w.Text)
				assert.Less(t, w.Start, w.End, w.Text)
			}
		})
	}
}

func gain(pcm []int16, g float64) []int16 {
	for i := range pcm {
		pcm[i] = clip(float64(pcm[i]) * g)
	}
	return pcm
}

// TestSentencesCutAtFrames decodes each sentence on its own, cut out at the
// 100 ms frame boundaries nearest the middle of the pauses, as the STT's
// voice-activity detector does.
func TestSentencesCutAtFrames(t *testing.T) {
	t.Parallel()
	pcm := resample(Synthesize(longText, 24000), 24000, 16000)
	sents := Sentences(longText)
	// Find the pauses: runs of >= 400 ms of exact-enough silence.
	var cuts []int
	quiet := 0
	for i, v := range pcm {
		if v > -50 && v < 50 {
			quiet++
			continue
		}
		if quiet >= 6400 {
			mid := i - quiet/2
			cuts = append(cuts, mid/1600*1600)
		}
		quiet = 0
	}
	require.Len(t, cuts, len(sents)-1)
	cuts = append([]int{0}, append(cuts, len(pcm))...)
	for i, s := range sents {
		got := Recognize(pcm[cuts[i]:cuts[i+1]], 16000)
		assert.Equal(t, s, texts(got), "sentence %d", i)
	}
}

func TestTiming(t *testing.T) {
	t.Parallel()
	const sentence = "Speech recognition systems should be measured under realistic streaming conditions"
	pcm := Synthesize(sentence, 16000)
	words := Recognize(pcm, 16000)
	require.Equal(t, Words(sentence), texts(words))
	speech := words[len(words)-1].End - words[0].Start
	rate := float64(len(words)) / speech
	t.Logf("%d words in %.2f s of speech: %.2f words/s", len(words), speech, rate)
	assert.InDelta(t, 2.5, rate, 0.5)

	// Lead and trail silence, word gaps and sentence pauses as documented.
	assert.InDelta(t, leadMs/1000, words[0].Start, 0.005)
	assert.InDelta(t, trailMs/1000, float64(len(pcm))/16000-words[len(words)-1].End, 0.005)
	for i := 1; i < len(words); i++ {
		gap := words[i].Start - words[i-1].End
		assert.InDelta(t, wordGapMs/1000, gap, 0.01)
		assert.Less(t, gap, 0.25, "word gaps must not cut an utterance")
	}
	two := Recognize(Synthesize("One two. Three", 16000), 16000)
	require.Len(t, two, 3)
	assert.GreaterOrEqual(t, two[2].Start-two[1].End, 0.45, "sentence pause")
}

func TestLevel(t *testing.T) {
	t.Parallel()
	pcm := Synthesize("hello", 16000)
	peak := 0
	for _, v := range pcm {
		peak = max(peak, int(math.Abs(float64(v))))
	}
	assert.InDelta(t, -12, 20*math.Log10(float64(peak)/32767), 0.1)
}

func TestNothingSpoken(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]int16, 16000)
	sigma := 32767 * math.Pow(10, -50.0/20)
	for i := range noise {
		noise[i] = clip(sigma * rng.NormFloat64())
	}
	tests := []struct {
		name string
		pcm  []int16
		rate int
	}{
		{"empty", nil, 16000},
		{"zeros", make([]int16, 16000), 16000},
		{"noise at -50 dBFS", noise, 16000},
		{"punctuation only", Synthesize(" , . ? ! ", 16000), 16000},
		{"bad rate", Synthesize("hello", 16000), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Empty(t, Recognize(tc.pcm, tc.rate))
		})
	}
}

func TestWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want [][]string
	}{
		{"Hello, World!", [][]string{{"hello", "world"}}},
		{"It's well-known. Isn't it? 42!", [][]string{{"it's", "well-known"}, {"isn't", "it"}, {"42"}}},
		{"  ...  ", nil},
		{"a — b", [][]string{{"a", "b"}}},
		{"Über café", [][]string{{"ber", "caf"}}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, Sentences(tc.in))
		})
	}
}

// randomText builds a text of random ASCII words, mixed case, with commas
// and sentence ends.
func randomText(rng *rand.Rand, nwords int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'-"
	var b strings.Builder
	for i := range nwords {
		n := 1 + rng.IntN(12)
		for range n {
			b.WriteByte(chars[rng.IntN(len(chars))])
		}
		switch {
		case i == nwords-1 || rng.IntN(6) == 0:
			b.WriteString(string(".?!"[rng.IntN(3)]) + " ")
		case rng.IntN(8) == 0:
			b.WriteString(", ")
		default:
			b.WriteString(" ")
		}
	}
	return b.String()
}

func TestRandomTextsRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20 {
		text := randomText(rng, 5+rng.IntN(20))
		pcm := resample(Synthesize(text, 24000), 24000, 16000)
		require.Equal(t, Words(text), texts(Recognize(pcm, 16000)), "text %d: %q", i, text)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("Hello world. It's a well-known fact!")
	f.Add("a")
	f.Add("---''' 0123456789")
	f.Add("\x00\xff, . ?")
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 300 {
			text = text[:300]
		}
		pcm := Synthesize(text, 16000)
		got := texts(Recognize(pcm, 16000))
		want := Words(text)
		if len(want) == 0 {
			want = []string{}
		}
		assert.Equal(t, want, got)
	})
}
