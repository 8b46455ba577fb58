package voice

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/voice/voicetest"
)

// longText has 60 words, every letter, digits, apostrophes and hyphens.
const longText = `The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!
Sphinx of black quartz, judge my vow? It's a well-known fact that 42 zebras can't queue in 2024.
How vexingly quick daft zebras jump. Bright vixens jump; dozy fowl quack. The five boxing wizards
jump quickly, and Jim quietly moved the exam-room equipment onto a big yellow truck.`

func texts(ws []Word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Text
	}
	return out
}

// frame encodes pcm as the benchmark sends it: messages of n little-endian
// int16 samples, the last one zero-padded, followed by silence zero messages.
func frame(pcm []int16, n, silence int) [][]byte {
	var msgs [][]byte
	for len(pcm) > 0 || silence > 0 {
		msg := make([]byte, 2*n)
		if len(pcm) > 0 {
			k := min(n, len(pcm))
			for i, v := range pcm[:k] {
				binary.LittleEndian.PutUint16(msg[2*i:], uint16(v))
			}
			pcm = pcm[k:]
		} else {
			silence--
		}
		msgs = append(msgs, msg)
	}
	return msgs
}

// unframe decodes the messages of frame back into one stream of samples.
func unframe(msgs [][]byte) []int16 {
	var pcm []int16
	for _, m := range msgs {
		for i := 0; i+1 < len(m); i += 2 {
			pcm = append(pcm, int16(binary.LittleEndian.Uint16(m[i:])))
		}
	}
	return pcm
}

func TestFrame(t *testing.T) {
	t.Parallel()
	pcm := []int16{1, -2, 3, -32768, 32767}
	msgs := frame(pcm, 2, 1)
	require.Len(t, msgs, 4, "3 speech messages, the last padded, and 1 of silence")
	assert.Equal(t, []byte{1, 0, 0xfe, 0xff}, msgs[0])
	assert.Equal(t, []byte{0xff, 0x7f, 0, 0}, msgs[2])
	assert.Equal(t, []int16{1, -2, 3, -32768, 32767, 0, 0, 0}, unframe(msgs))
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	want := Words(longText)
	require.GreaterOrEqual(t, len(want), 40)
	rng := rand.New(rand.NewPCG(1, 2))

	// at24k is the long text spoken at a TTS's rate and resampled to 16 kHz.
	at24k := voicetest.Resample(Synthesize(longText, 24000), 24000, 16000)
	copy24k := func() []int16 { return slices.Clone(at24k) }

	tests := []struct {
		name  string
		audio func() []int16 // 16 kHz
		// sameTimes: the words must keep the times of the unframed 24 kHz clip's.
		sameTimes bool
	}{
		{"clean 16 kHz", func() []int16 { return Synthesize(longText, 16000) }, false},
		{"24 kHz resampled to 16 kHz", copy24k, false},
		{"100 ms frames as sent", func() []int16 {
			// What the STT receives: little-endian int16 messages of 1600
			// samples, the last one zero-padded, then 1 s of zero frames;
			// decoded message by message.
			return unframe(frame(copy24k(), 1600, 10))
		}, true},
		{"white noise at -50 dBFS", func() []int16 { return voicetest.AddNoise(copy24k(), -50, rng) }, false},
		{"gain 0.8", func() []int16 { return voicetest.Gain(copy24k(), 0.8) }, false},
		{"gain 1.25", func() []int16 { return voicetest.Gain(copy24k(), 1.25) }, false},
		{"gain 1.25 and noise at -50 dBFS", func() []int16 { return voicetest.AddNoise(voicetest.Gain(copy24k(), 1.25), -50, rng) }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Recognize(tc.audio(), 16000)
			assert.Equal(t, want, texts(got))
			if tc.sameTimes {
				assert.Equal(t, Recognize(at24k, 16000), got, "padding and trailing silence move no word")
			}
			for _, w := range got {
				assert.Greater(t, w.Confidence, 0.8, w.Text)
				assert.Less(t, w.Start, w.End, w.Text)
			}
		})
	}
}

// TestSentencesCutAtFrames decodes each sentence on its own, cut out at the
// 100 ms frame boundaries nearest the middle of the pauses, as the STT's
// voice-activity detector does.
func TestSentencesCutAtFrames(t *testing.T) {
	t.Parallel()
	pcm := voicetest.Resample(Synthesize(longText, 24000), 24000, 16000)
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
	// 16 words of 4.7 letters on average, as in running English text.
	const sentence = "Our team will review the latest results and share a short report with everyone next Monday"
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
	noise := voicetest.AddNoise(make([]int16, 16000), -50, rng)
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
	for i := range 10 {
		text := randomText(rng, 5+rng.IntN(10))
		pcm := voicetest.Resample(Synthesize(text, 24000), 24000, 16000)
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
