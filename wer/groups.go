package wer

import "strings"

// Verb groups, the last step of Normalize. A contraction is one spoken
// word ("they're", "don't", "I'll"), equal to its full form, so after the
// contractions are expanded (words.go) a subject and its auxiliary, and an
// auxiliary and its "not", are scored as one word: "they're" = "they are"
// = [they are], "he isn't" = "he's not" = [he is not], "don't" = "do not" =
// [do not]. A homophone for the contraction is then one error, as a
// listener counts it: "there going" against "they're going" is [there]
// for [they are]. The group is one element with spaces inside, so the
// joined text (and the golden table) reads as before and normalizing it
// again gives the same groups.
//
// A group is a subject from groupSubjects followed by an auxiliary from
// groupAuxiliaries and an optional "not", or an auxiliary followed by "not".
// Words are only grouped within a clause: a break (punctuation) between
// them keeps them apart.

var groupSubjects = map[string]bool{
	"i": true, "you": true, "we": true, "they": true, "he": true, "she": true,
	"it": true, "that": true, "what": true, "there": true, "here": true,
	"who": true, "where": true, "how": true, "when": true, "why": true, "this": true,
}

var groupAuxiliaries = map[string]bool{
	"am": true, "is": true, "are": true, "was": true, "were": true,
	"have": true, "has": true, "had": true, "will": true, "would": true,
	"shall": true, "should": true, "can": true, "could": true, "may": true,
	"might": true, "must": true, "do": true, "does": true, "did": true,
}

// groupVerbs joins subject+auxiliary(+not) and auxiliary+not tokens.
func groupVerbs(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != wordTok || t.text == "" {
			out = append(out, t)
			continue
		}
		n := 1
		joinable := func(k int) bool {
			return i+k < len(toks) && toks[i+k].kind == wordTok && !toks[i+k].brk
		}
		switch {
		case groupSubjects[t.text] && joinable(1) && groupAuxiliaries[toks[i+1].text]:
			n = 2
			if joinable(2) && toks[i+2].text == "not" {
				n = 3
			}
		case groupAuxiliaries[t.text] && joinable(1) && toks[i+1].text == "not":
			n = 2
		}
		if n > 1 {
			parts := make([]string, n)
			for k := range n {
				parts[k] = toks[i+k].text
			}
			t.text = strings.Join(parts, " ")
			i += n - 1
		}
		out = append(out, t)
	}
	return out
}

// isVerbGroup reports whether w is a group groupVerbs makes: two or three
// words joined by single spaces, subject+auxiliary(+not) or auxiliary+not.
func isVerbGroup(w string) bool {
	p := strings.Split(w, " ")
	switch {
	case len(p) == 2 && groupAuxiliaries[p[0]] && p[1] == "not":
		return true
	case len(p) == 2 || len(p) == 3:
		return groupSubjects[p[0]] && groupAuxiliaries[p[1]] && (len(p) == 2 || p[2] == "not")
	}
	return false
}
