package wer

import (
	"math"
	"strings"
)

// Counts holds the outcome of a word alignment.
type Counts struct {
	Hits, Substitutions, Deletions, Insertions int
}

// RefWords is the number of reference words (the WER denominator).
func (c Counts) RefWords() int { return c.Hits + c.Substitutions + c.Deletions }

// HypWords is the number of hypothesis words.
func (c Counts) HypWords() int { return c.Hits + c.Substitutions + c.Insertions }

// Errors is substitutions + deletions + insertions (the WER numerator).
func (c Counts) Errors() int { return c.Substitutions + c.Deletions + c.Insertions }

// Add accumulates o into c (corpus WER sums counts, not per-utterance rates).
func (c *Counts) Add(o Counts) {
	c.Hits += o.Hits
	c.Substitutions += o.Substitutions
	c.Deletions += o.Deletions
	c.Insertions += o.Insertions
}

// WER is Errors/RefWords. With no reference words it is 0 when there are no
// errors and +Inf otherwise.
func (c Counts) WER() float64 {
	if c.RefWords() == 0 {
		if c.Errors() == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(c.Errors()) / float64(c.RefWords())
}

// OpKind is the kind of one alignment step.
type OpKind uint8

// Alignment step kinds.
const (
	Hit OpKind = iota
	Substitution
	Deletion  // reference word missing from the hypothesis
	Insertion // hypothesis word not in the reference
)

// Op is one step of a word alignment. Ref is empty for insertions, Hyp
// for deletions.
type Op struct {
	Kind     OpKind
	Ref, Hyp string
}

// Align aligns hyp against ref by word-level Levenshtein distance with
// unit costs, so Errors() is the minimum number of word edits (as jiwer and
// Kaldi's compute-wer count). Among the minimum-edit alignments the one with
// the most substitutions (fewest insertion+deletion pairs) is chosen; this
// fixes S, D and I uniquely, whatever the order of the words.
func Align(ref, hyp []string) Counts {
	n, m := len(ref), len(hyp)
	// cost = errors*k + (deletions+insertions): lexicographic (errors, D+I).
	k := int64(n + m + 1)
	prev := make([]int64, m+1)
	cur := make([]int64, m+1)
	for j := 0; j <= m; j++ {
		prev[j] = int64(j) * (k + 1)
	}
	for i := 1; i <= n; i++ {
		cur[0] = int64(i) * (k + 1)
		for j := 1; j <= m; j++ {
			diag := prev[j-1]
			if ref[i-1] != hyp[j-1] {
				diag += k
			}
			cur[j] = min(diag, prev[j]+k+1, cur[j-1]+k+1)
		}
		prev, cur = cur, prev
	}
	return countsFromCost(prev[m], k, n, m)
}

// countsFromCost recovers S, D, I from the lexicographic cost: with E
// errors and x = D+I, D-I = n-m.
func countsFromCost(cost, k int64, n, m int) Counts {
	e, x := int(cost/k), int(cost%k)
	d := (x + n - m) / 2
	ins := x - d
	s := e - x
	return Counts{Hits: n - s - d, Substitutions: s, Deletions: d, Insertions: ins}
}

// AlignOps is Align that also returns the alignment steps in order.
// Among equal-cost steps the backtrace prefers hit/substitution, then
// deletion, then insertion.
func AlignOps(ref, hyp []string) (Counts, []Op) {
	n, m := len(ref), len(hyp)
	k := int64(n + m + 1)
	w := m + 1
	cost := make([]int64, (n+1)*w)
	for j := 0; j <= m; j++ {
		cost[j] = int64(j) * (k + 1)
	}
	for i := 1; i <= n; i++ {
		cost[i*w] = int64(i) * (k + 1)
		for j := 1; j <= m; j++ {
			diag := cost[(i-1)*w+j-1]
			if ref[i-1] != hyp[j-1] {
				diag += k
			}
			cost[i*w+j] = min(diag, cost[(i-1)*w+j]+k+1, cost[i*w+j-1]+k+1)
		}
	}
	ops := make([]Op, 0, max(n, m))
	i, j := n, m
	for i > 0 || j > 0 {
		c := cost[i*w+j]
		switch {
		case i > 0 && j > 0 && ref[i-1] == hyp[j-1] && c == cost[(i-1)*w+j-1]:
			ops = append(ops, Op{Kind: Hit, Ref: ref[i-1], Hyp: hyp[j-1]})
			i, j = i-1, j-1
		case i > 0 && j > 0 && ref[i-1] != hyp[j-1] && c == cost[(i-1)*w+j-1]+k:
			ops = append(ops, Op{Kind: Substitution, Ref: ref[i-1], Hyp: hyp[j-1]})
			i, j = i-1, j-1
		case i > 0 && c == cost[(i-1)*w+j]+k+1:
			ops = append(ops, Op{Kind: Deletion, Ref: ref[i-1]})
			i--
		default:
			ops = append(ops, Op{Kind: Insertion, Hyp: hyp[j-1]})
			j--
		}
	}
	for a, b := 0, len(ops)-1; a < b; a, b = a+1, b-1 {
		ops[a], ops[b] = ops[b], ops[a]
	}
	return countsFromCost(cost[n*w+m], k, n, m), ops
}

// FormatOps renders an alignment the way sclite's pra report does:
// REF and HYP lines with errors uppercased, "*" for gaps, and an Eval line.
func FormatOps(ops []Op) string {
	var ref, hyp, eval strings.Builder
	for _, op := range ops {
		r, h, e := op.Ref, op.Hyp, ""
		switch op.Kind {
		case Substitution:
			r, h, e = strings.ToUpper(r), strings.ToUpper(h), "S"
		case Deletion:
			r, e = strings.ToUpper(r), "D"
			h = strings.Repeat("*", len([]rune(r)))
		case Insertion:
			h, e = strings.ToUpper(h), "I"
			r = strings.Repeat("*", len([]rune(h)))
		}
		width := max(len([]rune(r)), len([]rune(h)), 1)
		pad := func(b *strings.Builder, s string) {
			b.WriteString(s)
			b.WriteString(strings.Repeat(" ", width-len([]rune(s))+1))
		}
		pad(&ref, r)
		pad(&hyp, h)
		pad(&eval, e)
	}
	return "REF:  " + strings.TrimRight(ref.String(), " ") + "\n" +
		"HYP:  " + strings.TrimRight(hyp.String(), " ") + "\n" +
		"Eval: " + strings.TrimRight(eval.String(), " ") + "\n"
}
