// Package textgen generates reference texts for benchmark sessions: natural
// English of two or three sentences with names, places, dates and numbers,
// written the way transcripts are (words, some digits, ordinary
// punctuation).
//
// Each text is 12 to 36 words (MinWords, MaxWords): 5 to 15 s of speech at
// about 150 words a minute, like the built-in set. Texts are far apart in
// word edit distance, so that cross-session leak detection, which matches
// every result segment against every other session's reference, attributes
// a transcript to the text it came from: no sentence of one text matches any
// span of another with a window error rate below MinSentenceDistance (see
// wer.SubstringErrors), and no two texts share a run of NgramLen words.
//
// The generator is deterministic: the same n and seed give the same texts
// on every platform and Go release (it uses its own PRNG), so clips
// synthesized from them stay cached.
package textgen

import (
	"regexp"
	"strconv"

	"github.com/sttbench/sttbench/wer"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Length bounds of a text, in whitespace-separated words.
const (
	MinWords = 12
	MaxWords = 36
)

// MinSentenceDistance is the lowest window error rate (wer.SubstringErrors
// over the sentence's word count, after wer.Normalize) of any sentence of a
// text against any other text. Leak detection flags a segment when it is
// within wer.LeakMaxRate (0.3) of another reference and at least
// wer.LeakMinGap (0.3) closer to it than to its own. With sentences 0.5
// apart, a leaked transcript with up to 10 % word errors is still within
// 0.1 of its source and at least 0.4 from the receiving session's text, so
// it is caught; and a session's own transcript is never taken for another's
// unless it has 40 % errors. (0.6 would stretch that to 15 %, but with
// thousands of texts the generator then rejects most candidates.)
const MinSentenceDistance = 0.5

// MinTextWER is the lowest WER of any text scored against any other.
const MinTextWER = 0.6

// NgramLen is the shortest word run that no two texts share.
const NgramLen = 6

// maxAttempts bounds the candidates tried for one text. The lexicon is large
// enough that rejections are rare; this only stops an impossible request
// (far more texts than the lexicon can keep apart) from spinning forever.
const maxAttempts = 2000

// MaxTexts is the most texts Generate and Extend are known to produce far
// enough apart.
const MaxTexts = 20000

// Generate returns n distinct reference texts, determined by seed. Different
// seeds give different texts. It panics if the lexicon cannot produce n
// texts that far apart, which does not happen up to MaxTexts.
func Generate(n int, seed int64) []string {
	return Extend(nil, n, seed)
}

// Extend returns n texts that are as far from the given texts (a
// hand-written set, say) as from each other, determined by seed. The given
// texts are taken as they are, even where they are close to one another.
func Extend(given []string, n int, seed int64) []string {
	g := newGenerator(seed)
	for _, t := range given {
		var text []int32
		var sents [][]int32
		for _, s := range wer.SplitSentences(t) {
			w := g.index.words(wer.Words(s))
			sents = append(sents, w)
			text = append(text, w...)
		}
		g.index.add(text, sents)
	}
	out := make([]string, 0, max(n, 0))
	for len(out) < n {
		text, ok := g.text()
		if !ok {
			panic("textgen: cannot generate " + strconv.Itoa(n) + " texts far enough apart")
		}
		out = append(out, text)
	}
	return out
}

func newGenerator(seed int64) *generator {
	return &generator{rng: newRNG(uint64(seed)), index: newIndex()}
}

type generator struct {
	rng   *rng
	index *index
}

// text returns the next text that passes the index, or false after
// maxAttempts candidates.
func (g *generator) text() (string, bool) {
	for range maxAttempts {
		sents, words := g.sentences()
		if sents == nil {
			continue
		}
		if g.index.admit(words) {
			return strings.Join(sents, " "), true
		}
	}
	return "", false
}

// sentences draws two or three sentences whose total length is within the
// bounds, or returns nil.
// It also returns each sentence's normalized words.
func (g *generator) sentences() ([]string, [][]string) {
	k := 2 + g.rng.intn(2)
	sents := make([]string, k)
	norm := make([][]string, k)
	words := 0
	for i := range sents {
		sents[i] = g.sentence()
		norm[i] = wer.Words(sents[i])
		words += len(strings.Fields(sents[i]))
	}
	if words < MinWords || words > MaxWords {
		return nil, nil
	}
	return sents, norm
}

// sentence draws one sentence pattern from the grammar and fills it.
func (g *generator) sentence() string {
	r := g.rng
	first, second := r.pick(places), r.pick(times)
	if r.intn(2) == 0 {
		first, second = second, first
	}
	if r.intn(6) == 0 {
		return g.fill(r.pick(questionWords) + " {subj} " + r.pick(basePredicates) + " " + first + "?")
	}
	var p string
	if r.intn(4) == 0 {
		p = r.pick(openers) + " "
	}
	// A place or a time, and now and then the other one too.
	p += "{subj} " + r.pick(predicates) + " " + first
	if r.intn(4) == 0 {
		p += " " + second
	}
	if r.intn(8) == 0 {
		return g.fill(p + "!")
	}
	return g.fill(p + ".")
}

// fill replaces each {slot} of tmpl with a random filler and capitalizes
// the first letter.
func (g *generator) fill(tmpl string) string {
	s := anBeforeVowel.ReplaceAllString(g.fillSlots(tmpl), "${1}n $2")
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// anBeforeVowel finds an "a" that a filler put before a vowel ("a
// electrician"); none of the lexicon's words after "a" is a vowel letter
// sounded as a consonant ("a university").
var anBeforeVowel = regexp.MustCompile(`\b([Aa]) ([aeiouAEIOU])`)

// fillSlots replaces each {slot} of tmpl with a random filler.
func (g *generator) fillSlots(tmpl string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}') + i
		b.WriteString(tmpl[:i])
		if name := tmpl[i+1 : j]; name == "subj" {
			b.WriteString(g.fillSlots(g.rng.pick(subjects)))
		} else {
			b.WriteString(g.slot(name))
		}
		tmpl = tmpl[j+1:]
	}
	return b.String()
}

// slot returns a filler for one slot name.
func (g *generator) slot(name string) string {
	r := g.rng
	switch name {
	case "travel":
		return r.pick(travels)
	case "money":
		return r.pick(money)
	case "surname":
		return r.pick(surnames)
	case "name":
		return r.pick(firstNames)
	case "full":
		return r.pick(firstNames) + " " + r.pick(surnames)
	case "city":
		return r.pick(cities)
	case "country":
		return r.pick(countries)
	case "venue":
		return r.pick(venues)
	case "day":
		return r.pick(weekdays)
	case "month":
		return r.pick(months)
	case "thing":
		return r.pick(things)
	case "action":
		return r.pick(actions)
	case "action2":
		return r.pick(actions2)
	case "job":
		return r.pick(jobs)
	case "ride":
		return r.pick(rides)
	case "adj":
		return r.pick(adjectives)
	case "food":
		return r.pick(foods)
	case "event":
		return r.pick(events)
	case "ord":
		return r.pick(ordinals)
	case "hour":
		return r.pick(hours)
	case "year":
		return strconv.Itoa(1950 + r.intn(75))
	case "digits":
		return strconv.Itoa(100 + r.intn(9900))
	case "n":
		// Half in digits, half in words: transcripts write both.
		if r.intn(2) == 0 {
			return r.pick(numberWords)
		}
		if r.intn(5) == 0 {
			return strconv.Itoa(100 + r.intn(900))
		}
		return strconv.Itoa(2 + r.intn(98))
	}
	panic("textgen: unknown slot {" + name + "}")
}

// rng is splitmix64: tiny, fast, and fixed by this package rather than by
// a Go release, so seeds mean the same texts forever.
type rng struct{ s uint64 }

func newRNG(seed uint64) *rng { return &rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform int in [0, n) (n small: the modulo bias of a
// 64-bit draw is far below anything a text shows).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) pick(list []string) string { return list[r.intn(len(list))] }
