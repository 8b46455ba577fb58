package wer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpellingList(t *testing.T) {
	pairs := spellingPairs()
	require.Greater(t, len(pairs), 1000)
	british := map[string]bool{}
	for _, p := range pairs {
		assert.False(t, british[p[0]], "%s listed twice", p[0])
		british[p[0]] = true
		assert.NotEqual(t, p[0], p[1], "identity pair %s", p[0])
		assert.Equal(t, strings.ToLower(p[0]), p[0])
		assert.Equal(t, strings.ToLower(p[1]), p[1])
	}
	for _, p := range pairs {
		assert.False(t, british[p[1]], "%s -> %s: the American form is listed as British", p[0], p[1])
		_, isNum := numberWords[p[1]]
		assert.False(t, isNum, p[1])
	}
	// Distinct American words and American spellings that must not be
	// mapped.
	for _, w := range []string{"tire", "check", "story", "meter", "program", "draft", "advertise",
		"exercise", "surprise", "compromise", "analysis", "analyses", "ton", "tonne", "disk", "disc",
		"whiskey", "whisky", "glamour", "contour", "hour", "four", "genre", "acre", "promise",
		"travel", "curb", "mold", "color", "ax", "axe", "mum", "learnt"} {
		_, ok := replacements[w]
		assert.False(t, ok, w)
	}
	// Inflected forms: listed ones, possessives and plurals derived.
	for in, want := range map[string]string{
		"neighbour's": "neighbor's", "neighbours'": "neighbors's", "colours": "colors",
		"theatre's": "theater's", "cheques": "checks", "storeys": "stories",
		"organisations": "organizations", "travellers": "travelers", "focussed": "focused",
		"programme's": "program's", "tyres": "tires", "manoeuvring": "maneuvering",
		"paediatrician's": "pediatrician's", "moulds": "molds", "jewellery's": "jewelry's",
	} {
		assert.Equal(t, want, strings.Join(Normalize(in), " "), in)
	}
}

// TestNearMissesStayErrors lists pairs that sound or look alike but are
// different words: each must still count at least one error after
// normalization.
func TestNearMissesStayErrors(t *testing.T) {
	for _, p := range []struct{ ref, hyp string }{
		{"fifteen", "50"}, {"fifty", "15"}, {"fourteen", "40"}, {"forty", "14"},
		{"thirteen", "30"}, {"nineteen", "90"}, {"sixteen", "60"},
		{"Dr. Smith", "drive Smith"}, {"Elm Dr.", "Elm Doctor"}, {"St. Louis", "street Louis"},
		{"I went to the shop", "I went two the shop"}, {"go to bed", "go 2 bed"},
		{"I said it", "1 said it"}, {"me too", "me 2"}, {"for you", "4 you"},
		{"one hundred", "one thousand"}, {"a hundred", "a thousand"},
		{"one and a half", "one and a quarter"}, {"two thirds", "two fifths"},
		{"555-1234", "555-1243"}, {"one eight hundred", "one eight thousand"},
		{"nine oh five", "nine five"}, {"room 404", "room 44"}, {"double three", "three"},
		{"six o'clock", "six"}, {"seven thirty a.m.", "seven thirty p.m."},
		{"5 km", "5 m"}, {"5 kg", "5 g"}, {"two hundred grams", "200 kg"}, {"two litres", "2 ml"},
		{"a hundred megabits per second", "100 MB"}, {"sixty-five watts", "65 kW"}, {"five grams", "5G"},
		{"seven pounds four ounces", "7 lb 14 oz"}, {"six foot one", "6'11\""}, {"six foot one", "6'1\" tall"},
		{"buzzer one one two", "buzzer 121"}, {"per second", "per 2nd"}, {"1 GB", "1 MB"}, {"30 °C", "30 °F"},
		{"$5", "£5"}, {"50p", "50 cents"}, {"¥100", "₹100"}, {"$5 bill", "$50 bill"},
		{"she's been", "she is"}, {"it's got", "it is got"}, {"James's", "Jane's"},
		{"Henry VIII", "Henry VII"}, {"World War II", "World War I"}, {"I", "one"},
		{"J. K. Rowling", "J. Rowling"}, {"CO2", "CO"}, {"Ph.D.", "M.D."},
		{"colour", "collar"}, {"metre", "meteor"}, {"email", "male"}, {"online", "on lion"},
		{"point five", "five"}, {"minus five", "five"}, {"5'10\"", "5'11\""},
		{"twenty twenty four", "twenty twenty five"}, {"the eighties", "the eighteens"},
		{"cafe", "cafes"}, {"Mr. Smith", "Mrs. Smith"}, {"Ms. Jones", "Miss Jones"},
		{"a quarter past seven", "a quarter to seven"}, {"half past seven", "half past eight"},
		{"They're going", "There going"}, {"its paw", "it's paw"}, {"you're all set", "your all set"},
		{"he isn't", "he is"}, {"I can't", "I can"}, {"we'll see", "well see"}, {"they are", "they were"},
		{"a follow-up", "a follow"}, {"health care", "health"}, {"negative four", "four"},
		{"50 m2", "50 m"}, {"50 m2", "50 m3"}, {"a 1/4 cup", "a 1/2 cup"}, {"1000s", "100s"},
		{"gate twelve", "gate 20"}, {"seat fourteen C", "seat 40C"}, {"Apt. 4B", "Apt. 4C"},
		{"the card ends in 6614", "the card ends in 6641"}, {"flight BA 283", "flight BA 284"},
		{"three point one four", "3.41"}, {"nine point five eight", "9.85"}, {"The drive to Fort Worth", "The Dr. to Fort Worth"},
		{"at ten to eight", "at 8:10"}, {"at five past eight", "at 8:50"}, {"oh six hundred", "0700"}, {"eighteen thirty", "18:40"},
		{"nine to five", "9 5"}, {"Rocky IV", "Rocky VI"}, {"Henry VIII's", "Henry VIII"}, {"Queen Elizabeth I", "Queen Elizabeth II"},
		{"point five percent", "5%"}, {"a $100 bill", "a $10 bill"}, {"100 and 5", "150"}, {"50 m", "50 km"}, {"ref K7P44", "ref K7P45"},
		{"account ending in 3391", "account ending in 3319"}, {"call 020 7946 0011", "call 020 7946 0012"},
	} {
		c := AlignReadings(Words(p.ref), Words(p.hyp))
		assert.GreaterOrEqual(t, c.Errors(), 1, "%q vs %q: %q vs %q", p.ref, p.hyp,
			Words(p.ref), Words(p.hyp))
	}
}

// TestNormalizationNeverHidesARealError checks the promise that
// normalization only removes formatting differences, never a recognition
// error. It takes every golden input (the inputs exercise every rule) and
// makes two kinds of real recognition errors out of it, counted on the
// whitespace-separated words of the text as written:
//
//   - deleting one written word: a human counts one deletion, so the
//     normalized pair must count at least one error. The exceptions are
//     the words normalization deliberately treats as formatting, each
//     listed in RULES.md as a decided ambiguity: fillers and pure
//     punctuation (nothing spoken); the connectives "and" and "a" inside a
//     number ("one hundred and five" = "one hundred five"); "one" before
//     hundred/thousand/million ("hundred" alone is 100); "zero" before
//     "point" ("point five" = "0.5"); "cents" after "dollars fifty";
//     "inches" or "inch" after "five feet ten" ("five foot ten" = 5'10"); and a
//     scale word between digit groups of a long number, which is read
//     digit by digit either way;
//   - replacing one written word by a word that is not in any table: a
//     human counts one substitution, and so must the normalized pair.
//
// A rule that merges too much (say, dropped "o'clock", or read "double"
// anywhere as a repeat) fails here.
func TestNormalizationNeverHidesARealError(t *testing.T) {
	formatting := func(words []string, k int) bool {
		w := strings.ToLower(words[k])
		if len(Normalize(w)) == 0 || fillers[strings.Trim(w, ",.!?")] {
			return true
		}
		if w == "and" || w == "a" {
			return true // a connective; decided as formatting inside numbers
		}
		next, prev := "", ""
		if k+1 < len(words) {
			next = strings.ToLower(words[k+1])
		}
		if k > 0 {
			prev = strings.ToLower(words[k-1])
		}
		switch {
		case w == "one" && (next == "hundred" || next == "thousand" || next == "million" ||
			next == "billion" || next == "hundredth" || next == "thousandth"):
			return true
		case (w == "zero" || w == "nought") && next == "point":
			return true
		case (w == "cents" || w == "pence") && k >= 2 && numberWords[prev].class != 0:
			return true
		case w == "million" && k+1 < len(words) && numberWords[next].class != 0:
			return true
		case (w == "inches" || w == "inch" || w == "in") && k >= 2 && (words[k-2] == "feet" || words[k-2] == "ft" || words[k-2] == "foot"):
			return true
		}
		return false
	}
	checked := 0
	for _, p := range readGolden(t) {
		words := strings.Fields(p.input)
		orig := Normalize(p.input)
		for k := range words {
			rest := append(append([]string{}, words[:k]...), words[k+1:]...)
			if !formatting(words, k) {
				c := AlignReadings(orig, Normalize(strings.Join(rest, " ")))
				assert.GreaterOrEqual(t, c.Errors(), 1, "line %d: deleting %q from %q hides the error", p.line, words[k], p.input)
				checked++
			}
			sub := append(append(append([]string{}, words[:k]...), "zyzzyva"), words[k+1:]...)
			if len(Normalize(words[k])) > 0 {
				c := AlignReadings(orig, Normalize(strings.Join(sub, " ")))
				assert.GreaterOrEqual(t, c.Errors(), 1, "line %d: replacing %q in %q hides the error", p.line, words[k], p.input)
				checked++
			}
		}
	}
	require.Greater(t, checked, 1000)
}

func BenchmarkNormalize(b *testing.B) {
	inputs := []string{
		"It's 2,000 pounds, and 20% off on the 21st.",
		"We're meeting at ten thirty on March third, twenty twenty four.",
		"Mr. Smith said he'd organise the programme for the next thirty six months.",
		"Call me at 555-1234 or one eight hundred five five five one two three four.",
		"The flight leaves at 10:00 AM from gate twenty-six, Dr. Jones said.",
		"In the nineteen nineties, prices rose by $2.5 million in the city centre.",
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, s := range inputs {
			Normalize(s)
		}
	}
}
