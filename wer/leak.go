package wer

// Leak is a result segment delivered to one session that belongs to another
// session's audio.
type Leak struct {
	Session int    // the session that received the segment
	From    int    // the session whose reference the segment matches
	Text    string // the segment as received
}

// Leak detection thresholds. A segment (normalized) is leaked from session
// k to session i when
//
//   - it has at least LeakMinWords words (shorter ones, "yes.", "thank
//     you.", occur in many texts and prove nothing),
//   - its window error rate against reference k is at most LeakMaxRate,
//   - its rate against its own reference is at least LeakMinGap higher, and
//   - that is also at least LeakMinEditGap more edits (so a single word
//     error in a short segment is never enough on its own).
//
// The window error rate is SubstringErrors(segment, reference) divided by
// the segment's word count.
const (
	LeakMinWords   = 3
	LeakMaxRate    = 0.3
	LeakMinGap     = 0.3
	LeakMinEditGap = 2
)

// FindLeaks looks for result segments that match another session's
// reference clearly better than their own. refs[i] is session i's full
// reference text and segments[i] its result texts (raw; normalized here,
// with implied words counted as said: "(dollars)" is "dollars").
// Leaks are reported in session, then segment order; when several other
// sessions match equally well the lowest index is reported.
func FindLeaks(refs []string, segments [][]string) []Leak {
	normRefs := make([][]string, len(refs))
	vocab := make([]map[string]bool, len(refs))
	for i, r := range refs {
		normRefs[i] = stripOptional(Words(r))
		vocab[i] = make(map[string]bool, len(normRefs[i]))
		for _, w := range normRefs[i] {
			vocab[i][w] = true
		}
	}
	var leaks []Leak
	for i, segs := range segments {
		if i >= len(refs) {
			break
		}
		for _, text := range segs {
			seg := stripOptional(Words(text))
			if len(seg) < LeakMinWords {
				continue
			}
			own := SubstringErrors(seg, normRefs[i])
			best, from := own, -1
			for k := range normRefs {
				if k == i {
					continue
				}
				// Every segment word absent from reference k costs an edit;
				// skip references that cannot qualify or beat the best.
				absent := 0
				for _, w := range seg {
					if !vocab[k][w] {
						absent++
					}
				}
				if absent >= best || float64(absent) > LeakMaxRate*float64(len(seg)) {
					continue
				}
				if e := SubstringErrors(seg, normRefs[k]); e < best {
					best, from = e, k
				}
			}
			if from < 0 {
				continue
			}
			n := float64(len(seg))
			otherRate, ownRate := float64(best)/n, float64(own)/n
			if otherRate <= LeakMaxRate && ownRate-otherRate >= LeakMinGap && own-best >= LeakMinEditGap {
				leaks = append(leaks, Leak{Session: i, From: from, Text: text})
			}
		}
	}
	return leaks
}

// SubstringErrors is the minimum number of word edits that turn some
// contiguous span of ref (possibly empty) into seg: a Levenshtein alignment
// in which reference words before and after the span are free.
func SubstringErrors(seg, ref []string) int {
	// Rows: segment words; columns: reference positions. Row 0 is all zero
	// (the span may start anywhere); the answer is the row minimum at the
	// end (it may stop anywhere).
	prev := make([]int, len(ref)+1)
	cur := make([]int, len(ref)+1)
	for i := 1; i <= len(seg); i++ {
		cur[0] = i
		for j := 1; j <= len(ref); j++ {
			diag := prev[j-1]
			if seg[i-1] != ref[j-1] {
				diag++
			}
			cur[j] = min(diag, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	best := prev[0]
	for _, v := range prev {
		best = min(best, v)
	}
	return best
}
