package wer

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// SplitSentences splits reference text after sentence-final punctuation
// (. ? ! and runs of them, with closing quotes or brackets) that is followed
// by whitespace or the end of the text. A period is not a split point inside
// a number ("3.5"), after a single letter other than I ("J. Smith", "U.S.")
// or after a
// title (Mr. Mrs. Ms. Dr. Prof. St. vs.). Sentences are trimmed; empty ones
// are dropped.
func SplitSentences(text string) []string {
	rs := []rune(text)
	var out []string
	start := 0
	flush := func(end int) {
		if s := strings.TrimSpace(string(rs[start:end])); s != "" {
			out = append(out, s)
		}
		start = end
	}
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		j := i
		for j+1 < len(rs) && strings.ContainsRune(".?!…\"'”’)]", rs[j+1]) {
			j++
		}
		if j+1 < len(rs) && !unicode.IsSpace(rs[j+1]) {
			i = j
			continue
		}
		if c == '.' && j == i && noSentenceEnd(rs[start:i]) {
			continue
		}
		flush(j + 1)
		i = j
	}
	flush(len(rs))
	return out
}

// noSentenceEnd reports whether a period after text ends an abbreviation
// rather than a sentence.
func noSentenceEnd(text []rune) bool {
	k := len(text)
	for k > 0 && (unicode.IsLetter(text[k-1]) || text[k-1] == '.') {
		k--
	}
	last := strings.ToLower(string(text[k:]))
	if idx := strings.LastIndexByte(last, '.'); idx >= 0 {
		last = last[idx+1:]
	}
	switch last {
	case "mr", "mrs", "ms", "dr", "prof", "st", "vs":
		return true
	}
	return len([]rune(last)) == 1 && last != "i" // "... so do I." ends one
}

// ScoreSegments scores one session's results against its reference
// sentences when the results may have arrived out of order. Inputs are raw
// texts (normalized here). It scores the result segments concatenated in
// arrival order; it also matches segments to reference sentences by an
// optimal assignment (Hungarian algorithm over per-pair edit counts; an
// unmatched segment costs its words as insertions, an unmatched sentence its
// words as deletions), puts the segments in reference order (an unmatched
// segment stays right after the segment it arrived after) and re-scores the
// concatenation. The reordered score is used, with reordered=true, only when
// it has strictly fewer errors.
func ScoreSegments(refSentences []string, hypSegments []string) (counts Counts, reordered bool) {
	refs := make([][]string, len(refSentences))
	var refAll []string
	for i, s := range refSentences {
		refs[i] = Words(s)
		refAll = append(refAll, refs[i]...)
	}
	segs := make([][]string, len(hypSegments))
	var hypAll []string
	for j, s := range hypSegments {
		segs[j] = Words(s)
		hypAll = append(hypAll, segs[j]...)
	}
	inOrder := AlignReadings(refAll, hypAll)
	if len(refs) < 2 && len(segs) < 2 || inOrder.Errors() == 0 {
		return inOrder, false
	}

	assigned := assignSegments(refs, segs)
	// Sort key: the assigned sentence; an unassigned segment follows its
	// predecessor in arrival order.
	key := make([]int, len(segs))
	prev := -1
	for j := range segs {
		if assigned[j] >= 0 {
			prev = assigned[j]
		}
		key[j] = prev
	}
	order := make([]int, len(segs))
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(a, b int) bool { return key[order[a]] < key[order[b]] })
	var hypRe []string
	for _, j := range order {
		hypRe = append(hypRe, segs[j]...)
	}
	re := AlignReadings(refAll, hypRe)
	if re.Errors() < inOrder.Errors() {
		return re, true
	}
	return inOrder, false
}

// assignSegments returns, for each segment, the index of the reference
// sentence it is matched with, or -1, minimizing the total edit count.
func assignSegments(refs, segs [][]string) []int {
	n, m := len(refs), len(segs)
	size := n + m
	const forbidden = math.MaxInt32
	cost := make([][]int, size)
	for i := range cost {
		cost[i] = make([]int, size)
	}
	// Rows: sentences, then one "unmatched" row per segment.
	// Columns: segments, then one "unmatched" column per sentence.
	for i := 0; i < size; i++ {
		for j := 0; j < size; j++ {
			switch {
			case i < n && j < m:
				cost[i][j] = AlignReadings(refs[i], segs[j]).Errors()
			case i < n: // sentence i unmatched
				cost[i][j] = forbidden
				if j-m == i {
					cost[i][j] = len(refs[i])
				}
			case j < m: // segment j unmatched
				cost[i][j] = forbidden
				if i-n == j {
					cost[i][j] = len(segs[j])
				}
			default:
				cost[i][j] = 0
			}
		}
	}
	rowToCol := hungarian(cost)
	assigned := make([]int, m)
	for j := range assigned {
		assigned[j] = -1
	}
	for i := 0; i < n; i++ {
		if j := rowToCol[i]; j < m {
			assigned[j] = i
		}
	}
	return assigned
}

// hungarian solves the square assignment problem (minimum total cost)
// in O(n^3) and returns the column assigned to each row.
func hungarian(cost [][]int) []int {
	n := len(cost)
	const inf = math.MaxInt64 / 4
	// 1-based potentials u (rows), v (columns); p[j] is the row matched to
	// column j, way[j] the previous column on the augmenting path.
	u := make([]int64, n+1)
	v := make([]int64, n+1)
	p := make([]int, n+1)
	way := make([]int, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		minv := make([]int64, n+1)
		used := make([]bool, n+1)
		for j := range minv {
			minv[j] = inf
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], int64(inf), 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				cur := int64(cost[i0-1][j-1]) - u[i0] - v[j]
				if cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	rowToCol := make([]int, n)
	for j := 1; j <= n; j++ {
		if p[j] > 0 {
			rowToCol[p[j]-1] = j - 1
		}
	}
	return rowToCol
}
