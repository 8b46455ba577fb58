package wer

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type goldenPair struct {
	line  int
	input string
	want  string
}

// readGolden reads testdata/normalize_golden.tsv.
func readGolden(t *testing.T) []goldenPair {
	t.Helper()
	f, err := os.Open("testdata/normalize_golden.tsv")
	require.NoError(t, err)
	defer f.Close()
	var pairs []goldenPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" && !strings.Contains(line, "\t") {
			continue
		}
		in, want, ok := strings.Cut(line, "\t")
		require.True(t, ok, "line %d: no tab", n)
		pairs = append(pairs, goldenPair{line: n, input: in, want: want})
	}
	require.NoError(t, sc.Err())
	return pairs
}

func TestNormalizeGolden(t *testing.T) {
	pairs := readGolden(t)
	require.GreaterOrEqual(t, len(pairs), 500)
	for _, p := range pairs {
		got := strings.Join(Normalize(p.input), " ")
		assert.Equal(t, p.want, got, "line %d: %q", p.line, p.input)
	}
}

// FuzzNormalize checks that normalization never panics and is idempotent
// over arbitrary Unicode: normalizing the joined output gives the same
// words, and every word is non-empty and without spaces, except a verb
// group ("they are", "do not", groups.go) with single spaces between its
// parts.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"It's 2,000 pounds, and 20% off on the 21st.",
		"nineteen eighty four", "one oh one", "$5.50", "10:00 a.m.",
		"five dollars and fifty cents", "twenty twenty four", "three point five",
		"one second", "U.S.A.", "wouldn't've", "CO2", "a hundred and one",
		"Call 1-800-555-1234 or (555) 123-4567", "nine oh five p.m.", "one and a half",
		"1½ cups, ¾ done", "a quarter past seven", "5'10\" and 30 °C", "20 m² at 30 km/h",
		"Dr. Smith lives on Elm Dr.", "Henry VIII and World War II", "J. K. Rowling, Ph.D.",
		"C O two", "CO₂ café\u0301 co\u00adoperate", "$5 bill, a dollar fifty, 50p, ¥500",
		"she's been", "James' book", "double three triple seven", "point five", "-5",
		"john@example.com", "4x4", "No. 5", "eighteen hundreds",
		"(dollars) (o'clock)", "$500 dollars at 6:00", "oh 7 20 and 99¢",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := Normalize(s)
		for _, w := range words {
			if w == "" || strings.ContainsAny(w, "\t\n") || strings.Contains(w, " ") && !isVerbGroup(w) {
				t.Fatalf("bad word %q in %q", w, words)
			}
		}
		again := Normalize(strings.Join(words, " "))
		if strings.Join(again, " ") != strings.Join(words, " ") {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, words, again)
		}
		if c := AlignReadings(Words(s), Words(s)); c.Errors() != 0 {
			t.Fatalf("%q read against itself: %d errors", s, c.Errors())
		}
	})
}

// TestNormalizeIdempotentRandomPhrases complements the fuzz target with
// random phrases drawn from the vocabulary the number and unit rules react
// to, which byte-level mutation rarely reaches.
func TestNormalizeIdempotentRandomPhrases(t *testing.T) {
	vocab := strings.Fields(`zero oh one two three four five six seven eight nine ten
		eleven twelve thirteen fifteen nineteen twenty thirty forty ninety hundred
		thousand million billion a and point first second third twelfth twentieth
		hundredth thousandth eighties twenties dollars dollar pounds euros cents
		pence cent per percent seconds um it's can't mr u s a m p 5 21st 1990s
		2,000 3.5 10:00 10:30 $5.50 $ £ € ¢ % 20% , . ; - ' : ? 0.50 1 99 colour
		the of is a.m. & o'clock eighty-four double triple quarter half past to
		thirds quarters km kg mph ° c f x by p foot feet ft inches ' " / - 555-1234
		1-800 (555) Dr. St. Smith Elm VIII II Henry War J. K. C O Ph.D. no No. # @
		+ = ¥ ₹ she's been i'd 1/2 ½ squared m² dot minus nought room flight`)
	r := newRand(testSeed())
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("WER_PHRASES")); err == nil {
		n = v // deeper local runs
	}
	if testing.Short() {
		n = 2000
	}
	for k := 0; k < n; k++ {
		var b strings.Builder
		for m := r.Intn(8) + 1; m > 0; m-- {
			b.WriteString(vocab[r.Intn(len(vocab))])
			switch r.Intn(4) {
			case 0:
				b.WriteString("-")
			case 1:
			default:
				b.WriteString(" ")
			}
		}
		s := b.String()
		words := Normalize(s)
		again := Normalize(strings.Join(words, " "))
		require.Equal(t, words, again, "input %q", s)
	}
}

// naiveWords is the usual quick baseline: lowercase, delete punctuation
// (Unicode category P, as jiwer's RemovePunctuation does), split on spaces.
func naiveWords(s string) []string {
	return strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s))
}

// Spelled-out references against hypotheses written the way Parakeet writes
// (digits, symbols, punctuation, capitals, American spelling).
var parakeetPairs = []struct{ ref, hyp string }{
	{"It is two thousand pounds, and twenty percent off on the twenty first.",
		"It's 2,000 pounds, and 20% off on the 21st."},
	{"We're meeting at ten thirty on March third, twenty twenty four.",
		"We're meeting at 10:30 on March 3rd, 2024."},
	{"The tickets cost five dollars and fifty cents each.",
		"The tickets cost $5.50 each."},
	{"She was born in nineteen eighty four near the city centre.",
		"She was born in 1984 near the city center."},
	{"About one hundred and twenty three people travelled to the theatre.",
		"About 123 people traveled to the theater."},
	{"Um, I think the answer is three point five, not four.",
		"I think the answer is 3.5, not 4."},
	{"Our favourite colour is grey, and we can't change it.",
		"Our favorite color is gray, and we cannot change it."},
	{"Take course one oh one before the twelfth of May.",
		"Take course 101 before the 12th of May."},
	{"The flight leaves at ten a.m. from gate twenty-six.",
		"The flight leaves at 10:00 AM from gate 26."},
	{"In the nineteen nineties, prices rose by two point five million dollars.",
		"In the 1990s, prices rose by $2.5 million."},
	{"Mr. Smith said he'd organise the programme for the next thirty six months.",
		"Mr. Smith said he'd organize the program for the next 36 months."},
}

func TestParakeetStyleWER(t *testing.T) {
	var naive, norm Counts
	for _, p := range parakeetPairs {
		naive.Add(Align(naiveWords(p.ref), naiveWords(p.hyp)))
		c, ops := AlignReadingsOps(Normalize(p.ref), Normalize(p.hyp))
		norm.Add(c)
		if c.Errors() > 0 {
			t.Logf("residual:\n%s", FormatOps(ops))
		}
	}
	t.Logf("naive WER %.1f%% (%d errors / %d ref words); normalized WER %.1f%% (%d / %d)",
		100*naive.WER(), naive.Errors(), naive.RefWords(), 100*norm.WER(), norm.Errors(), norm.RefWords())
	assert.Greater(t, naive.WER(), 0.3)
	assert.Equal(t, 0, norm.Errors())
}

func TestNormalizeReplaceTableIsStable(t *testing.T) {
	require.Greater(t, len(replacements), 300)
	for from, to := range replacements {
		for _, w := range strings.Fields(to) {
			_, isKey := replacements[w]
			assert.False(t, isKey, "%s -> %s: %s is itself replaced", from, to, w)
			assert.False(t, fillers[w], "%s -> %s", from, to)
			_, isNum := numberWords[w]
			assert.False(t, isNum, "%s -> %s", from, to)
		}
	}
	for _, w := range []string{"colour", "favourite", "centre", "theatre", "organise", "organisation",
		"realise", "analyse", "travelled", "metre", "litre", "grey", "programme", "catalogue",
		"defence", "licence", "rancour", "neighbourhood", "honourable"} {
		assert.Contains(t, replacements, w)
	}
	// American words and look-alikes that must stay as they are.
	for _, w := range []string{"color", "tour", "hour", "four", "contour", "glamour", "genre",
		"acre", "advertise", "exercise", "promise", "rise", "wise", "analysis", "travel",
		"cancellation", "fire", "sure", "our", "your"} {
		assert.NotContains(t, replacements, w)
	}
}

func TestNormalizeContractions(t *testing.T) {
	cases := map[string]string{
		"isn't": "is not", "don't": "do not", "won't": "will not", "can't": "can not",
		"cannot": "can not", "i'm": "i am", "you're": "you are", "they've": "they have",
		"she'll": "she will", "we'd": "we would", "it's": "it is", "let's": "let us",
		"there's": "there is", "john's": "john's", "wouldn't've": "would not have",
		"ain't": "ain't", "o'clock": "o'clock", "n't": "n't",
	}
	for in, want := range cases {
		assert.Equal(t, want, strings.Join(expandContraction(in), " "), in)
	}
}

// newRand returns a deterministic random source for tests.
func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// testSeed returns WER_SEED when set (for deeper local runs), else 1.
func testSeed() int64 {
	if v, err := strconv.ParseInt(os.Getenv("WER_SEED"), 10, 64); err == nil {
		return v
	}
	return 1
}

// goldenDigests records, for each NormalizerVersion, the SHA-256 of the
// golden table's input and output columns (comments left out).
var goldenDigests = map[string]string{
	"1": "96a2a1542daf0c51b254781a1e613379e3c27024f5e208e1915355c5e9b78528",
	"2": "9069ba36158d444a24e6d07a80f388ebfaec3d5cb0884154039d6593e9ba0c5c",
	"3": "5f44c02955e9e05e366b348acafb8667810989b70b138ef826283f7cac589ba5",
}

// TestNormalizerVersionTracksTheGoldenTable keeps NormalizerVersion honest:
// a change to the expected outputs of the golden table is a change of
// normalization, which must come with a new version.
func TestNormalizerVersionTracksTheGoldenTable(t *testing.T) {
	h := sha256.New()
	for _, p := range readGolden(t) {
		fmt.Fprintf(h, "%s\t%s\n", p.input, p.want)
	}
	got := hex.EncodeToString(h.Sum(nil))
	want, ok := goldenDigests[NormalizerVersion]
	require.True(t, ok, "NormalizerVersion %q has no digest: add %q to goldenDigests", NormalizerVersion, got)
	assert.Equal(t, want, got, "testdata/normalize_golden.tsv changed under NormalizerVersion %q: "+
		"if an output changed, bump NormalizerVersion and record the new digest for it; "+
		"if rows were only added, record the new digest under the current version", NormalizerVersion)
}

// TestWordsSayDecimalsDigitByDigit: what WER aligns splits a decimal the
// way it is said, so each wrong digit after the point is one error.
func TestWordsSayDecimalsDigitByDigit(t *testing.T) {
	assert.Equal(t, []string{"pi", "is", "3", "point", "1", "4"}, Words("Pi is 3.14."))
	assert.Equal(t, Words("pi is three point one four"), Words("Pi is 3.14."))
	assert.Equal(t, []string{"point", "5"}, Words("point five"), "a zero whole part is not said")
	assert.Equal(t, []string{"2", "point", "5", "percent"}, Words("2.5%"))
	assert.Equal(t, []string{"3.14"}, Normalize("3.14"), "Normalize keeps a decimal one word")
	for _, tc := range []struct {
		ref, hyp string
		errors   int
	}{
		{"three point one four", "3.41", 2},
		{"nine point five eight", "9.85", 2},
		{"three point one four", "3.15", 1},
		{"three point one four", "4.14", 1},
		{"one and a half", "1.5", 0},
	} {
		assert.Equal(t, tc.errors, AlignReadings(Words(tc.ref), Words(tc.hyp)).Errors(), "%q vs %q", tc.ref, tc.hyp)
	}
}
