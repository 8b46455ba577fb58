package wer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAlignReadings pins each reading rule of readings.go, with the pairs
// that must stay errors next to the ones it makes equal.
func TestAlignReadings(t *testing.T) {
	for _, tc := range []struct {
		ref, hyp string
		errors   int
	}{
		// A number the hypothesis writes is read in any grouping.
		{"Flight eight oh one", "Flight 81", 1},                 // the "oh" lost
		{"Take the two sixty-three bus", "Take the 263 bus", 0}, // two sixty-three
		{"the two sixty-three bus", "the 236 bus", 1},
		{"She was born in nineteen ninety-nine", "She was born in 1999", 0},
		// Digits said one by one stay one word each.
		{"The PIN is four seven seven two", "The PIN is 4727", 2},
		{"three point one four", "3.41", 2},
		// The reference's spoken numbers are not regrouped, except a
		// four-digit one into its two pairs.
		// (An over-count: a judge sees one word, "hundred", dropped.)
		{"one hundred twenty three", "one twenty three", 2},
		{"eighteen thirty", "8:30", 1},
		// "oh" next to a number is also 0.
		{"We land at oh seven twenty", "We land at 07 20", 0},
		{"Oh, seven people", "0 7 people", 0}, // both are said "oh seven people"
		{"Oh, seven people", "7 people", 1},
		// A word with 's is also the word and "is" or "has".
		{"The doctor's running late", "The doctor is running late", 0},
		{"Battery is at eighty percent", "Battery's at 80%", 0},
		{"The doctor's office", "The doctors office", 1},
		// Implied words may go unsaid, one side's at a time.
		{"It's nineteen ninety-nine for the plan", "It's $19.99 for the plan", 0},
		{"It came to forty-two ninety-nine", "It came to $42.90", 1},
		{"It costs twelve dollars", "It costs $12", 0},
		{"It costs twelve dollars", "It costs 12", 1},                             // a said word dropped
		{"It costs five pounds", "It costs $5", 1},                                // another currency
		{"It costs $5", "It costs £5", 1},                                         // both implied, still different
		{"The deposit is five hundred dollars", "The deposit is $500 dollars", 1}, // the symbol is read too
		{"I get off work at six", "I get off work at 6:00", 0},
		{"I get off work at six o'clock", "I get off work at 6:00", 0},
		{"Stamps are ninety-nine", "Stamps are 99¢", 0},
		{"five dollars fifty", "$5.50", 0},
		{"five dollars fifty", "$5.15", 1},
	} {
		ref, hyp := Words(tc.ref), Words(tc.hyp)
		c := AlignReadings(ref, hyp)
		r, h := bestReadings(ref, hyp)
		assert.Equal(t, tc.errors, c.Errors(), "%q vs %q: %q vs %q, read as %q vs %q", tc.ref, tc.hyp, ref, hyp, r, h)
		assert.Equal(t, len(r), c.RefWords(), "%q: the counts are those of the readings", tc.ref)
	}
}

// TestAlignReadingsPlainWordsAreAlign: words with a single reading (no
// number, "oh" or optional word) align exactly as Align does.
func TestAlignReadingsPlainWordsAreAlign(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	vocab := strings.Fields("a b c d e oh 7 the is")
	words := func() []string {
		n := rng.IntN(9)
		out := make([]string, n)
		for i := range out {
			out[i] = vocab[rng.IntN(len(vocab))]
		}
		return out
	}
	for range 2000 {
		ref, hyp := words(), words()
		plain := Align(ref, hyp)
		read := AlignReadings(ref, hyp)
		if plainWords(ref) && plainWords(hyp) {
			require.Equal(t, plain, read, "%q vs %q", ref, hyp)
		}
		// Another reading can only help, never add an error.
		require.LessOrEqual(t, read.Errors(), plain.Errors(), "%q vs %q", ref, hyp)
		_, ops := AlignReadingsOps(ref, hyp)
		errs := 0
		for _, op := range ops {
			if op.Kind != Hit {
				errs++
			}
		}
		require.Equal(t, read.Errors(), errs, "%q vs %q: the steps add up to the counts", ref, hyp)
	}
}

// TestAlignReadingsZeroOnlyForTheSameWords: with random numbers and implied
// words on both sides, the counts are those of the chosen readings, and no
// error is counted only when both sides say the same words with the same
// digits.
func TestAlignReadingsZeroOnlyForTheSameWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	vocab := strings.Fields("12 1 2 0 oh 120 (dollars) dollars (o'clock) at 99 9")
	words := func() []string {
		n := 1 + rng.IntN(5)
		out := make([]string, n)
		for i := range out {
			out[i] = vocab[rng.IntN(len(vocab))]
		}
		return out
	}
	for range 5000 {
		ref, hyp := words(), words()
		c := AlignReadings(ref, hyp)
		r, h := bestReadings(ref, hyp)
		require.Equal(t, Align(r, h), c, "%q vs %q", ref, hyp)
		if c.Errors() == 0 {
			require.Equal(t, r, h, "%q vs %q", ref, hyp)
			// The digits said are the digits written.
			digits := func(ws []string) string {
				var b strings.Builder
				for _, w := range ws {
					if w == "oh" {
						w = "0"
					}
					if allDigits(w) {
						b.WriteString(w)
					}
				}
				return b.String()
			}
			require.Equal(t, digits(ref), digits(hyp), "%q vs %q", ref, hyp)
		}
	}
}

// TestAlignReadingsBoundsItsMemory: past maxReadingCells the words are
// compared as they are, with implied words counted as said.
func TestAlignReadingsBoundsItsMemory(t *testing.T) {
	long := strings.Fields(strings.Repeat("the 81 (dollars) ", 1500))
	shortened := strings.Fields(strings.Repeat("the 8 1 ", 1500))
	c := AlignReadings(long, shortened)
	assert.Equal(t, Align(stripOptional(long), shortened), c)
}

func BenchmarkAlignReadings(b *testing.B) {
	ref := Words(strings.Repeat("Call me on three one two, five five five, oh one eight seven at six. It came to nineteen ninety-nine. ", 4))
	hyp := Words(strings.Repeat("Call me on 312-555-0187 at 6:00. It came to $19.99. ", 4))
	b.ReportAllocs()
	for b.Loop() {
		AlignReadings(ref, hyp)
	}
}
