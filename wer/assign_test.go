package wer

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"One sentence without a stop", []string{"One sentence without a stop"}},
		{"First one. Second one? Third one! Fourth", []string{"First one.", "Second one?", "Third one!", "Fourth"}},
		{"Wait... what?! Really.", []string{"Wait...", "what?!", "Really."}},
		{"He said \"stop.\" Then he left.", []string{"He said \"stop.\"", "Then he left."}},
		{"It costs 3.5 dollars. Cheap.", []string{"It costs 3.5 dollars.", "Cheap."}},
		{"Mr. Smith met Dr. Jones. They talked.", []string{"Mr. Smith met Dr. Jones.", "They talked."}},
		{"The U.S. economy grew. J. Smith agreed.", []string{"The U.S. economy grew.", "J. Smith agreed."}},
		{"So do I. Then we left.", []string{"So do I.", "Then we left."}},
		{"Line one.\nLine two.", []string{"Line one.", "Line two."}},
		{"example.com is a site. Yes.", []string{"example.com is a site.", "Yes."}},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, SplitSentences(c.in), "%q", c.in)
	}
}

var storySentences = []string{
	"The storm reached the coast on Tuesday night.",
	"More than two thousand homes lost power for several hours.",
	"Crews worked through the morning to clear fallen trees.",
	"Schools in the area will reopen on Thursday.",
	"Officials asked residents to stay off the roads until noon.",
}

func TestScoreSegmentsInOrder(t *testing.T) {
	hyp := []string{
		"The storm reached the coast on Tuesday night.",
		"More than 2,000 homes lost power for several hours.",
		"Crews worked through the morning to clear fallen trees.",
		"Schools in the area will reopen on Thursday.",
		"Officials asked residents to stay off the roads until noon.",
	}
	c, re := ScoreSegments(storySentences, hyp)
	assert.False(t, re)
	assert.Equal(t, 0, c.Errors())
	assert.Equal(t, len(Normalize(strings.Join(storySentences, " "))), c.RefWords())
}

func TestScoreSegmentsOutOfOrder(t *testing.T) {
	hyp := []string{
		"Schools in the area will reopen on Thursday.",
		"The storm reached the coast on Tuesday night.",
		"Officials asked residents to stay off the roads until noon.",
		"More than 2,000 homes lost power for several hours.",
		"Crews worked through the morning to clear fallen trees.",
	}
	inOrder := AlignReadings(Normalize(strings.Join(storySentences, " ")), Normalize(strings.Join(hyp, " ")))
	require.Greater(t, inOrder.Errors(), 10)
	c, re := ScoreSegments(storySentences, hyp)
	assert.True(t, re)
	assert.Equal(t, Counts{Hits: inOrder.RefWords()}, c)
}

func TestScoreSegmentsOutOfOrderWithErrors(t *testing.T) {
	hyp := []string{
		"Crews worked through the morning to clear the fallen trees.", // +1 ins
		"The storm reached the coast on Tuesday.",                     // +1 del
		"More than 2,000 homes lost power for several hours.",
		"Officials asked residents to stay of the roads until noon.", // +1 sub
		"Schools in the area will reopen on Thursday.",
	}
	c, re := ScoreSegments(storySentences, hyp)
	assert.True(t, re)
	assert.Equal(t, 3, c.Errors())
	assert.Equal(t, Counts{Hits: 42, Substitutions: 1, Deletions: 1, Insertions: 1}, c)
}

func TestScoreSegmentsExtraSegment(t *testing.T) {
	// A hallucinated segment has no sentence left to match; it stays right
	// after the segment it arrived after ("noon" ends the reference).
	hyp := []string{
		"Officials asked residents to stay off the roads until noon.",
		"Thank you for watching.",
		"More than 2,000 homes lost power for several hours.",
		"The storm reached the coast on Tuesday night.",
		"Crews worked through the morning to clear fallen trees.",
		"Schools in the area will reopen on Thursday.",
	}
	c, re := ScoreSegments(storySentences, hyp)
	assert.True(t, re)
	assert.Equal(t, Counts{Hits: 44, Insertions: 4}, c)
}

func TestScoreSegmentsMissingSentence(t *testing.T) {
	hyp := []string{
		"Officials asked residents to stay off the roads until noon.",
		"More than 2,000 homes lost power for several hours.",
		"The storm reached the coast on Tuesday night.",
		"Schools in the area will reopen on Thursday.",
	}
	c, re := ScoreSegments(storySentences, hyp)
	assert.True(t, re)
	assert.Equal(t, Counts{Hits: 35, Deletions: 9}, c)

	// With a wrong segment in place of the missing sentence the minimum
	// edit count pairs them: 4 substitutions and 5 deletions.
	hyp = append(hyp[:1:1], "Thank you for watching.", hyp[1], hyp[2], hyp[3])
	c, re = ScoreSegments(storySentences, hyp)
	assert.True(t, re)
	assert.Equal(t, Counts{Hits: 35, Substitutions: 4, Deletions: 5}, c)
}

func TestScoreSegmentsKeepsArrivalOrderWhenNotBetter(t *testing.T) {
	// One segment covering two sentences: no reordering can help.
	hyp := []string{"The storm reached the coast on Tuesday night. More than 2,000 homes lost power."}
	c, re := ScoreSegments(storySentences[:2], hyp)
	assert.False(t, re)
	assert.Equal(t, 3, c.Deletions)
	// Empty inputs.
	c, re = ScoreSegments(nil, nil)
	assert.False(t, re)
	assert.Equal(t, Counts{}, c)
	c, re = ScoreSegments(storySentences[:1], nil)
	assert.False(t, re)
	assert.Equal(t, 8, c.Deletions)
}

// bruteAssign is the exhaustive optimum of the square assignment problem.
func bruteAssign(cost [][]int) int {
	n := len(cost)
	best := math.MaxInt
	perm := make([]int, n)
	used := make([]bool, n)
	var rec func(i, sum int)
	rec = func(i, sum int) {
		if sum >= best {
			return
		}
		if i == n {
			best = sum
			return
		}
		for j := 0; j < n; j++ {
			if !used[j] {
				used[j], perm[i] = true, j
				rec(i+1, sum+cost[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best
}

func TestHungarianMatchesBruteForce(t *testing.T) {
	r := newRand(3)
	for k := 0; k < 400; k++ {
		n := r.Intn(7) + 1
		cost := make([][]int, n)
		for i := range cost {
			cost[i] = make([]int, n)
			for j := range cost[i] {
				cost[i][j] = r.Intn(20)
			}
		}
		rowToCol := hungarian(cost)
		seen := map[int]bool{}
		sum := 0
		for i, j := range rowToCol {
			require.False(t, seen[j], "column used twice")
			seen[j] = true
			sum += cost[i][j]
		}
		require.Equal(t, bruteAssign(cost), sum, "%v", cost)
	}
}

func TestAssignSegmentsIsOptimalNotGreedy(t *testing.T) {
	// Pair costs: (r0,s0)=2 (r0,s1)=4 (r1,s0)=2 (r1,s1)=8. Taking a
	// cheapest pair first (r0,s0) leaves (r1,s1): 10 edits; the optimum
	// pairs them crosswise: 4+2 = 6 edits.
	refs := [][]string{
		strings.Fields("a b c d"),
		strings.Fields("a b c d e f g h"),
	}
	segs := [][]string{
		strings.Fields("a b c d e f"),
		strings.Fields("x y z w"),
	}
	got := assignSegments(refs, segs)
	assert.Equal(t, []int{1, 0}, got)
	total := 0
	for j, i := range got {
		total += AlignReadings(refs[i], segs[j]).Errors()
	}
	assert.Equal(t, 6, total)
}
