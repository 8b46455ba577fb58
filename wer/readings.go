package wer

import "strings"

// A word list from Normalize can be read aloud in more than one way, and a
// careful judge compares the reading closest to the other side:
//
//   - A number the hypothesis writes as one word is also its digits in any
//     grouping, as it may be read: "81" is also "8 1", so "8 0 1" (eight oh
//     one) lost one word, the "oh"; "263" is also "2 63" (two sixty-three).
//     Digits said one by one stay one word each, so two swapped digits are
//     still two errors. The reference is what was said, and Normalize has
//     merged its spoken numbers ("one hundred twenty three" is "123", not
//     "1 23"), so there only a four-digit number is also read as two pairs,
//     the way "nineteen ninety-nine" and "eighteen thirty" are said.
//   - "oh" next to a number is also the digit 0.
//   - A word with "'s" is also the word and "is" or "has": "the doctor's
//     running late" = "the doctor is running late" ("doctors" for "doctor's"
//     is still an error).
//   - A word Normalize writes in parentheses, "(dollars)", is one the
//     written form implies but a speaker may leave unsaid (the currency of
//     "$19.99" said "nineteen ninety-nine", the "o'clock" of "6:00"): it
//     matches the word, or nothing at no cost. Only one side's implied
//     words may go unsaid, as a judge reads one side as written: "$5" and
//     "£5" are still "five dollars" against "five pounds".
//
// AlignReadings counts the errors between the best pair of readings;
// Align counts between the words as they are.

// maxGroupDigits bounds a regrouped piece of a number: enough for a year or
// a PIN, and it keeps the reading graph linear in the number's length.
const maxGroupDigits = 4

// OptionalWord reports whether w is a word a speaker may leave unsaid
// ("(dollars)"), and returns it without the parentheses.
func OptionalWord(w string) (string, bool) {
	if len(w) > 2 && w[0] == '(' && w[len(w)-1] == ')' {
		return w[1 : len(w)-1], true
	}
	return w, false
}

// readingEdge is one word of a reading; an empty word is a word left
// unsaid.
type readingEdge struct {
	to   int
	word string
}

// readingGraph is a directed acyclic graph whose paths from node 0 to the
// last node are the readings of a word list. Every edge goes to a higher
// node, so node order is a topological order.
type readingGraph struct {
	out [][]readingEdge
}

func (g *readingGraph) node() int {
	g.out = append(g.out, nil)
	return len(g.out) - 1
}

func (g *readingGraph) edge(from, to int, word string) {
	g.out[from] = append(g.out[from], readingEdge{to: to, word: word})
}

func (g *readingGraph) last() int { return len(g.out) - 1 }

func isOptional(w string) bool {
	_, ok := OptionalWord(w)
	return ok
}

// ohAt reports whether words[i] is an "oh" next to a number.
func ohAt(words []string, i int) bool {
	return words[i] == "oh" && (i > 0 && allDigits(words[i-1]) || i+1 < len(words) && allDigits(words[i+1]))
}

// buildReadings returns the reading graph of a normalized word list.
// Optional words may go unsaid when unsaid is true; numbers are read in
// any grouping when hypothesis is true, else only as two pairs.
func buildReadings(words []string, unsaid, hypothesis bool) *readingGraph {
	g := &readingGraph{}
	cur := g.node()
	for i, w := range words {
		if !allDigits(w) || len(w) == 1 || !hypothesis && len(w) != 4 {
			word, opt := OptionalWord(w)
			if stem, ok := strings.CutSuffix(word, "'s"); ok && stem != "" && !opt {
				// "the doctor's late" = "the doctor is late"
				mid := g.node()
				next := g.node()
				g.edge(cur, next, word)
				g.edge(cur, mid, stem)
				g.edge(mid, next, "is")
				g.edge(mid, next, "has")
				cur = next
				continue
			}
			next := g.node()
			g.edge(cur, next, word)
			switch {
			case opt && unsaid:
				g.edge(cur, next, "")
			case ohAt(words, i):
				g.edge(cur, next, "0")
			}
			cur = next
			continue
		}
		// One node per digit boundary; the number's end node comes last so
		// that every edge points forward.
		nodes := make([]int, len(w)+1)
		nodes[0] = cur
		for p := 1; p <= len(w); p++ {
			nodes[p] = g.node()
		}
		g.edge(cur, nodes[len(w)], w)
		if !hypothesis {
			g.edge(nodes[0], nodes[2], w[:2])
			g.edge(nodes[2], nodes[4], w[2:])
			cur = nodes[4]
			continue
		}
		for a := range len(w) {
			for b := a + 1; b <= len(w) && b-a <= maxGroupDigits; b++ {
				if b-a < len(w) {
					g.edge(nodes[a], nodes[b], w[a:b])
				}
			}
		}
		cur = nodes[len(w)]
	}
	return g
}

// AlignReadings is Align between the readings of ref and hyp (normalized
// word lists) closest to each other; see the comment at the top of this
// file. Counts are those of the chosen readings, so RefWords is the length
// of the reference as it was read.
func AlignReadings(ref, hyp []string) Counts {
	r, h := bestReadings(ref, hyp)
	return Align(r, h)
}

// AlignReadingsOps is AlignReadings with the alignment steps of the chosen
// readings.
func AlignReadingsOps(ref, hyp []string) (Counts, []Op) {
	r, h := bestReadings(ref, hyp)
	return AlignOps(r, h)
}

// maxReadingCells bounds the memory of bestReadings (about 10 bytes a
// cell): past it, about 2000 words a side, the words are compared as they
// are.
const maxReadingCells = 1 << 22

// bestReadings returns the pair of readings with the fewest errors between
// them (ties: fewest insertions plus deletions), letting the implied words
// of the hypothesis, or else of the reference, go unsaid.
func bestReadings(ref, hyp []string) ([]string, []string) {
	if plainWords(ref) && plainWords(hyp) {
		return ref, hyp
	}
	r1, h1, c1 := closestReadings(buildReadings(ref, false, false), buildReadings(hyp, true, true), ref, hyp)
	r2, h2, c2 := closestReadings(buildReadings(ref, true, false), buildReadings(hyp, false, true), ref, hyp)
	if c2 < c1 {
		return r2, h2
	}
	return r1, h1
}

// closestReadings returns the paths of gr and gh with the least edit cost
// between them, by edit distance over the product of the two graphs, and
// that cost (errors*k + insertions+deletions).
func closestReadings(gr, gh *readingGraph, ref, hyp []string) ([]string, []string, int64) {
	nr, nh := len(gr.out), len(gh.out)
	if nr*nh > maxReadingCells {
		r, h := stripOptional(ref), stripOptional(hyp)
		c := Align(r, h)
		return r, h, int64(c.Errors())*int64(len(r)+len(h)+1) + int64(c.Deletions+c.Insertions)
	}
	inR, inH := gr.incoming(), gh.incoming()
	// Cost is errors*k + (deletions+insertions), as in Align; k exceeds
	// any path's length (no reading has more words than characters).
	k := int64(1)
	for _, w := range ref {
		k += int64(len(w))
	}
	for _, w := range hyp {
		k += int64(len(w))
	}
	const inf = int64(1) << 62
	cost := make([]int64, nr*nh)
	// back holds, per cell, the incoming edges taken: on the reference side
	// and the hypothesis side, 0 when that side did not move, else the
	// edge's index in incoming plus 1.
	back := make([][2]uint8, nr*nh)
	for r := range nr {
		for h := range nh {
			if r == 0 && h == 0 {
				continue
			}
			best := inf
			var how [2]uint8
			try := func(c int64, er, eh int) {
				if c < best {
					best, how = c, [2]uint8{uint8(er), uint8(eh)}
				}
			}
			for ei, e := range inR[r] {
				d := k + 1
				if e.word == "" {
					d = 0
				}
				if c := cost[e.to*nh+h]; c < inf {
					try(c+d, ei+1, 0)
				}
			}
			for fi, f := range inH[h] {
				d := k + 1
				if f.word == "" {
					d = 0
				}
				if c := cost[r*nh+f.to]; c < inf {
					try(c+d, 0, fi+1)
				}
			}
			for ei, e := range inR[r] {
				if e.word == "" {
					continue
				}
				for fi, f := range inH[h] {
					if f.word == "" {
						continue
					}
					d := int64(0)
					if e.word != f.word {
						d = k
					}
					if c := cost[e.to*nh+f.to]; c < inf {
						try(c+d, ei+1, fi+1)
					}
				}
			}
			cost[r*nh+h], back[r*nh+h] = best, how
		}
	}
	var rw, hw []string
	for r, h := nr-1, nh-1; r > 0 || h > 0; {
		how := back[r*nh+h]
		if how[0] > 0 {
			e := inR[r][how[0]-1]
			if e.word != "" {
				rw = append(rw, e.word)
			}
			r = e.to
		}
		if how[1] > 0 {
			f := inH[h][how[1]-1]
			if f.word != "" {
				hw = append(hw, f.word)
			}
			h = f.to
		}
	}
	reverse(rw)
	reverse(hw)
	return rw, hw, cost[nr*nh-1]
}

// incoming returns, per node, its incoming edges with to set to the edge's
// source.
func (g *readingGraph) incoming() [][]readingEdge {
	in := make([][]readingEdge, len(g.out))
	for from, edges := range g.out {
		for _, e := range edges {
			in[e.to] = append(in[e.to], readingEdge{to: from, word: e.word})
		}
	}
	return in
}

// stripOptional is words with each optional word as the word itself.
func stripOptional(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i], _ = OptionalWord(w)
	}
	return out
}

// plainWords reports whether a word list has one reading only.
func plainWords(words []string) bool {
	for i, w := range words {
		if isOptional(w) || len(w) > 1 && allDigits(w) || ohAt(words, i) || strings.HasSuffix(w, "'s") {
			return false
		}
	}
	return true
}

func reverse(s []string) {
	for a, b := 0, len(s)-1; a < b; a, b = a+1, b-1 {
		s[a], s[b] = s[b], s[a]
	}
}
