package harness

import (
	"strings"
	"unicode"
)

// WordCounts is the outcome of aligning hypothesis words to reference words.
type WordCounts struct {
	Hits, Substitutions, Deletions, Insertions int
}

// RefWords is the number of reference words.
func (c WordCounts) RefWords() int { return c.Hits + c.Substitutions + c.Deletions }

// Errors is S + D + I.
func (c WordCounts) Errors() int { return c.Substitutions + c.Deletions + c.Insertions }

// Add returns the sum of both counts.
func (c WordCounts) Add(o WordCounts) WordCounts {
	return WordCounts{c.Hits + o.Hits, c.Substitutions + o.Substitutions, c.Deletions + o.Deletions, c.Insertions + o.Insertions}
}

// NormalizeText lowercases s and strips punctuation.
func NormalizeText(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

// AlignWords counts edits with a word-level Levenshtein alignment.
func AlignWords(ref, hyp []string) WordCounts {
	type cell struct {
		cost int
		c    WordCounts
	}
	prev := make([]cell, len(hyp)+1)
	for j := range prev {
		prev[j] = cell{j, WordCounts{Insertions: j}}
	}
	for i := 1; i <= len(ref); i++ {
		cur := make([]cell, len(hyp)+1)
		cur[0] = cell{i, WordCounts{Deletions: i}}
		for j := 1; j <= len(hyp); j++ {
			best := prev[j-1]
			if ref[i-1] == hyp[j-1] {
				best.c.Hits++
			} else {
				best.cost++
				best.c.Substitutions++
			}
			if d := prev[j]; d.cost+1 < best.cost {
				best = cell{d.cost + 1, d.c}
				best.c.Deletions++
			}
			if in := cur[j-1]; in.cost+1 < best.cost {
				best = cell{in.cost + 1, in.c}
				best.c.Insertions++
			}
			cur[j] = best
		}
		prev = cur
	}
	return prev[len(hyp)].c
}

// ScoreSegments scores a session's result segments against its reference.
func ScoreSegments(refSentences []string, hypSegments []string) (WordCounts, bool) {
	return AlignWords(NormalizeText(strings.Join(refSentences, " ")), NormalizeText(strings.Join(hypSegments, " "))), false
}

// SplitSentences splits text after . ? and !.
func SplitSentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if r == '.' || r == '?' || r == '!' {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
