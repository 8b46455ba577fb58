package textgen

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/ttspool"
	"github.com/sttbench/sttbench/wer"
)

func TestGenerateDeterministic(t *testing.T) {
	a, b := Generate(200, 7), Generate(200, 7)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different texts")
	}
	c := Generate(200, 8)
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 share %d of 200 texts", same)
	}
	if got := Generate(50, 7); !slices.Equal(got, a[:50]) {
		t.Error("a shorter run is not a prefix of a longer one")
	}
	if len(Generate(0, 1)) != 0 {
		t.Error("Generate(0) returned texts")
	}
}

// TestGenerateShape checks what the reference-text rules ask of every
// text: length, sentences, characters, and the mix of names, places and
// numbers.
func TestGenerateShape(t *testing.T) {
	texts := Generate(1000, 42)
	allowed := regexp.MustCompile(`^[A-Za-z0-9 ',.?!]+$`)
	digits := regexp.MustCompile(`[0-9]`)
	numberWord := regexp.MustCompile(`\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|hundred)\b`)
	var withDigits, withNumberWords, withName, withPlace int
	names := wordSet(firstNames, surnames)
	placeSet := wordSet(cities, countries)
	for _, text := range texts {
		n := len(strings.Fields(text))
		if n < MinWords || n > MaxWords {
			t.Errorf("%d words: %q", n, text)
		}
		if !allowed.MatchString(text) {
			t.Errorf("unexpected characters: %q", text)
		}
		if s := len(wer.SplitSentences(text)); s < 2 || s > 3 {
			t.Errorf("%d sentences: %q", s, text)
		}
		if digits.MatchString(text) {
			withDigits++
		}
		if numberWord.MatchString(text) {
			withNumberWords++
		}
		if hasAny(text, names) {
			withName++
		}
		if hasAny(text, placeSet) {
			withPlace++
		}
	}
	t.Logf("of %d texts: %d with digits, %d with number words, %d with names, %d with cities or countries",
		len(texts), withDigits, withNumberWords, withName, withPlace)
	for what, n := range map[string]int{"digits": withDigits, "number words": withNumberWords, "names": withName, "places": withPlace} {
		if n < len(texts)/4 {
			t.Errorf("only %d of %d texts have %s", n, len(texts), what)
		}
	}
	if withName < len(texts)*9/10 {
		t.Errorf("only %d of %d texts name someone", withName, len(texts))
	}
}

func wordSet(lists ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, w := range l {
			m[w] = true
		}
	}
	return m
}

func hasAny(text string, set map[string]bool) bool {
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" ,.?!", r) }) {
		if set[strings.TrimSuffix(f, "'s")] {
			return true
		}
	}
	return false
}

// TestGenerateParsesAsReferenceTexts: the texts load as a -texts file.
func TestGenerateParsesAsReferenceTexts(t *testing.T) {
	texts := Generate(1000, 3)
	got, err := ttspool.ParseTexts(strings.NewReader(strings.Join(texts, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(texts) {
		t.Fatalf("parsed %d of %d texts", len(got), len(texts))
	}
}

// TestGenerateFarApart checks, independently of the generator's index and
// with scoring's own normalizer and alignment, the distances leak detection
// relies on among 1000 texts: every sentence at least MinSentenceDistance
// (window error rate) from every other text, every pair of texts at least
// MinTextWER apart, and no shared run of NgramLen words. Only pairs that
// share enough words to come close are aligned.
func TestGenerateFarApart(t *testing.T) {
	checkFarApart(t, Generate(1000, 42), 0)
}

// TestExtendKeepsAwayFromTheGivenTexts extends the benchmark's built-in
// reference texts: the new texts are as far from them as from each other.
func TestExtendKeepsAwayFromTheGivenTexts(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "testdata", "reference_texts.txt"))
	require.NoError(t, err)
	defer f.Close()
	given, err := ttspool.ParseTexts(f)
	require.NoError(t, err)
	more := Extend(given, 300, 42)
	require.Len(t, more, 300)
	assert.Equal(t, more, Extend(given, 300, 42), "deterministic")
	assert.NotEqual(t, Generate(300, 42), more, "the given texts shape what is drawn")
	checkFarApart(t, append(given, more...), len(given))
}

// checkFarApart checks every pair of texts of which at least one has an
// index of at least from.
func checkFarApart(t *testing.T, texts []string, from int) {
	t.Helper()
	norm := make([][]string, len(texts))
	bags := make([]map[string]int, len(texts))
	grams := map[string]int{}
	for i, text := range texts {
		norm[i] = wer.Normalize(text)
		bags[i] = map[string]int{}
		for _, w := range norm[i] {
			bags[i][w]++
		}
		for k := 0; k+NgramLen <= len(norm[i]); k++ {
			g := strings.Join(norm[i][k:k+NgramLen], " ")
			if j, ok := grams[g]; ok && j != i && max(i, j) >= from {
				t.Errorf("texts %d and %d share %q", j, i, g)
			}
			grams[g] = i
		}
	}
	shared := func(ws []string, k int) int {
		n, seen := 0, map[string]int{}
		for _, w := range ws {
			seen[w]++
			if seen[w] <= bags[k][w] {
				n++
			}
		}
		return n
	}
	worstSent, worstText, aligned := 1.0, 10.0, 0
	for i, text := range texts {
		for _, s := range wer.SplitSentences(text) {
			seg := wer.Normalize(s)
			if len(seg) < wer.LeakMinWords {
				continue
			}
			for k := range texts {
				if k == i || max(i, k) < from || float64(len(seg)-shared(seg, k)) >= MinSentenceDistance*float64(len(seg)) {
					continue
				}
				aligned++
				rate := float64(wer.SubstringErrors(seg, norm[k])) / float64(len(seg))
				worstSent = min(worstSent, rate)
				if rate < MinSentenceDistance {
					t.Errorf("sentence %q of text %d is %.2f from text %d: %q", s, i, rate, k, texts[k])
				}
			}
		}
		for k := max(i+1, from); k < len(texts); k++ {
			longer := max(len(norm[i]), len(norm[k]))
			if float64(longer-shared(norm[i], k)) >= MinTextWER*float64(longer) {
				continue
			}
			aligned++
			c := wer.Align(norm[i], norm[k])
			w := min(c.WER(), wer.Align(norm[k], norm[i]).WER())
			worstText = min(worstText, w)
			if w < MinTextWER {
				t.Errorf("texts %d and %d are %.2f WER apart", i, k, w)
			}
		}
	}
	t.Logf("aligned %d pairs; closest sentence %.2f, closest texts %.2f WER", aligned, worstSent, worstText)
}

func BenchmarkGenerate1000(b *testing.B) {
	for b.Loop() {
		Generate(1000, 42)
	}
}

func BenchmarkGenerate5000(b *testing.B) {
	for b.Loop() {
		Generate(5000, 42)
	}
}

// TestGeneratedTextsStayTheSame pins the texts of a seed: clips synthesized
// from them are cached by their text, and runs are compared by them, so a
// faster generator must still give exactly these.
func TestGeneratedTextsStayTheSame(t *testing.T) {
	texts := Generate(1500, 42)
	sum := sha256.Sum256([]byte(strings.Join(texts, "\n")))
	if got, want := hex.EncodeToString(sum[:]), "110370ab5186ad010ccfcfe7687573754ffcc09abc3611438bf2bffc3d56a614"; got != want {
		t.Errorf("Generate(1500, 42) changed: SHA-256 %s, was %s", got, want)
	}
}
