package textgen

import (
	"slices"

	"github.com/sttbench/sttbench/wer"
)

// index holds the accepted texts in the form the distance checks need, so
// that each candidate is compared with all earlier texts without aligning it
// against every one: an alignment has at most as many hits as the two word
// lists share words, so only texts sharing enough words (found through
// posting lists) are aligned at all.
type index struct {
	ids   map[string]int32 // normalized word -> id
	texts [][]int32        // accepted texts, as word ids
	sents [][]int32        // accepted sentences, as word ids
	// shortest is the fewest words of an indexed sentence.
	shortest int
	byText   [][]posting               // word id -> texts holding it
	bySent   [][]posting               // word id -> sentences holding it
	grams    map[[NgramLen]int32]int32 // word run -> its text
	// textCounts and sentCounts hold, for a word in more than denseFrom
	// texts (sentences), its count in each by id (0 past the end), so that
	// far counts a frequent word in an entry at once.
	textCounts, sentCounts [][]uint8
	// acc, touched and skipped are scratch for overlap counting, reused across
	// candidates.
	acc     []int32
	touched []int32
	skipped []posting // frequent words not looked up: word id, count
}

// posting says that a text (or sentence) holds a word count times.
type posting struct{ id, count int32 }

func newIndex() *index {
	return &index{
		ids:   map[string]int32{},
		grams: map[[NgramLen]int32]int32{},
	}
}

// words returns the ids of normalized words.
func (x *index) words(ws []string) []int32 {
	out := make([]int32, len(ws))
	for i, w := range ws {
		id, ok := x.ids[w]
		if !ok {
			id = int32(len(x.ids))
			x.ids[w] = id
			x.byText = append(x.byText, nil)
			x.bySent = append(x.bySent, nil)
			x.textCounts = append(x.textCounts, nil)
			x.sentCounts = append(x.sentCounts, nil)
		}
		out[i] = id
	}
	return out
}

// admit adds the text made of sentences (normalized words) if it is far
// enough from every text already in the index, and reports whether it did.
func (x *index) admit(sents [][]string) bool {
	sw := make([][]int32, len(sents))
	var text []int32
	for i, s := range sents {
		sw[i] = x.words(s)
		text = append(text, sw[i]...)
	}
	for k := 0; k+NgramLen <= len(text); k++ {
		if _, ok := x.grams[gram(text[k:])]; ok {
			return false
		}
	}
	// Whole texts: WER either way at least MinTextWER. The WER with the
	// longer text as reference is the smaller one.
	enough := func(edits, longer int) bool { return float64(edits) >= MinTextWER*float64(longer) }
	if !x.far(text, x.byText, x.textCounts, len(x.texts), func(t int32) bool {
		return enough(levenshtein(text, x.texts[t]), max(len(text), len(x.texts[t])))
	}, func(overlap, t int32) bool {
		longer := max(len(text), len(x.texts[t]))
		return enough(longer-int(overlap), longer)
	}, func(overlap int32) bool {
		return enough(len(text)-int(overlap), len(text))
	}) {
		return false
	}
	// Each new sentence against each old text, and each old sentence
	// against the new text: a window error rate of MinSentenceDistance.
	apart := func(edits, words int) bool { return float64(edits) >= MinSentenceDistance*float64(words) }
	for _, s := range sw {
		if len(s) < wer.LeakMinWords {
			continue
		}
		if !x.far(s, x.byText, x.textCounts, len(x.texts), func(t int32) bool {
			return apart(substringErrors(s, x.texts[t]), len(s))
		}, func(overlap, _ int32) bool {
			return apart(len(s)-int(overlap), len(s))
		}, func(overlap int32) bool {
			return apart(len(s)-int(overlap), len(s))
		}) {
			return false
		}
	}
	return x.far(text, x.bySent, x.sentCounts, len(x.sents), func(s int32) bool {
		old := x.sents[s]
		return apart(substringErrors(old, text), len(old))
	}, func(overlap, s int32) bool {
		old := x.sents[s]
		return apart(len(old)-int(overlap), len(old))
	}, func(overlap int32) bool {
		return x.shortest == 0 || apart(x.shortest-int(overlap), x.shortest)
	}) && x.add(text, sw)
}

// far reports whether words is far from every entry of postings (n
// entries; counts as textCounts): bound decides from the number of words an entry shares with
// words (an upper bound on alignment hits) when it can, exact by alignment
// when it cannot; boundAll(k) says whether k shared words are few enough for
// every entry. Words in more than an eighth of the entries are not looked up
// but counted as shared with all of them: scanning their long posting lists
// is what would make generation quadratic, and a sentence rarely leans on
// them enough to matter.
func (x *index) far(words []int32, postings [][]posting, counts [][]uint8, n int, exact func(id int32) bool, bound func(overlap, id int32) bool, boundAll func(overlap int32) bool) bool {
	limit := max(denseFrom, n/8)
	var freq int32
	x.skipped = x.skipped[:0]
	for k, w := range words {
		if slices.Contains(words[:k], w) {
			continue // counted with its first occurrence
		}
		c := int32(0)
		for _, v := range words[k:] {
			if v == w {
				c++
			}
		}
		if int(w) < len(postings) && len(postings[w]) > limit && boundAll(freq+c) {
			freq += c
			x.skipped = append(x.skipped, posting{w, c})
			continue
		}
		if int(w) >= len(postings) {
			continue
		}
		for _, p := range postings[w] {
			if int(p.id) >= len(x.acc) {
				x.acc = append(x.acc, make([]int32, int(p.id)+1-len(x.acc))...)
			}
			if x.acc[p.id] == 0 {
				x.touched = append(x.touched, p.id)
			}
			x.acc[p.id] += min(c, p.count)
		}
	}
	ok := true
	for _, id := range x.touched {
		// What an entry shares of the skipped words is cheap to count for
		// the few entries that share a rarer word.
		shared := x.acc[id]
		for _, p := range x.skipped {
			shared += min(p.count, countIn(counts[p.id], id))
		}
		if ok && !bound(shared, id) && !exact(id) {
			ok = false
		}
		x.acc[id] = 0
	}
	x.touched = x.touched[:0]
	return ok
}

// add records an admitted text and its sentences, and returns true.
// Sentences shorter than wer.LeakMinWords are not indexed: leak detection
// ignores segments that short.
func (x *index) add(text []int32, sents [][]int32) bool {
	t := int32(len(x.texts))
	x.texts = append(x.texts, text)
	for w, c := range countWords(text) {
		x.byText[w] = append(x.byText[w], posting{t, c})
		x.textCounts[w] = addCount(x.textCounts[w], x.byText[w])
	}
	for k := 0; k+NgramLen <= len(text); k++ {
		x.grams[gram(text[k:])] = t
	}
	for _, s := range sents {
		if len(s) < wer.LeakMinWords {
			continue
		}
		if x.shortest == 0 || len(s) < x.shortest {
			x.shortest = len(s)
		}
		id := int32(len(x.sents))
		x.sents = append(x.sents, s)
		for w, c := range countWords(s) {
			x.bySent[w] = append(x.bySent[w], posting{id, c})
			x.sentCounts[w] = addCount(x.sentCounts[w], x.bySent[w])
		}
	}
	return true
}

// denseFrom is the posting-list length past which a word's counts are
// also kept by entry id; far skips only words past it.
const denseFrom = 32

// addCount keeps counts, a word's counts by entry id, in step with its
// posting list, whose last posting was just added: from denseFrom
// postings on (built from the whole list when it first gets there).
func addCount(counts []uint8, list []posting) []uint8 {
	if len(list) <= denseFrom {
		return nil
	}
	from := len(list) - 1
	if counts == nil {
		from = 0
	}
	for _, p := range list[from:] {
		for len(counts) <= int(p.id) {
			counts = append(counts, 0)
		}
		counts[p.id] = uint8(p.count)
	}
	return counts
}

// countIn is a word's count in entry id, from its counts by id.
func countIn(counts []uint8, id int32) int32 {
	if int(id) >= len(counts) {
		return 0
	}
	return int32(counts[id])
}

func countWords(ws []int32) map[int32]int32 {
	m := make(map[int32]int32, len(ws))
	for _, w := range ws {
		m[w]++
	}
	return m
}

func gram(ws []int32) (g [NgramLen]int32) {
	copy(g[:], ws)
	return g
}

// substringErrors is wer.SubstringErrors on word ids: the fewest edits that
// turn some contiguous span of ref into seg.
func substringErrors(seg, ref []int32) int { return editDistance(seg, ref, true) }

// levenshtein is the word edit distance between a and b.
func levenshtein(a, b []int32) int { return editDistance(a, b, false) }

// editDistance aligns a with b, or with any contiguous span of b when
// anySpan (b's words before and after the span then cost nothing).
func editDistance(a, b []int32, anySpan bool) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	if !anySpan {
		for j := range prev {
			prev[j] = j
		}
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			d := prev[j-1]
			if a[i-1] != b[j-1] {
				d++
			}
			cur[j] = min(d, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	if anySpan {
		return minInt(prev)
	}
	return prev[len(b)]
}

func minInt(v []int) int {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}
