package wer

import (
	_ "embed"
	"strings"
)

// British -> American spelling, the word list in spelling_uk_us.txt: one
// "british american" pair a line, inflected forms listed out ("colour",
// "colours", "coloured", ...), "#" comments. Possessives and plurals of a
// listed word are derived (lookupSpelling). Left out on purpose: British
// forms that are a different common American word ("tonne"/"ton",
// "whisky"/"whiskey", "disc"/"disk", "draught" beer kept as "draft" is
// listed, "practise" is listed because American English has no such verb).
// "metre" -> "meter" and "programme" -> "program" are listed: the American
// spellings cover both senses.
//
//go:embed spelling_uk_us.txt
var spellingFile string

// spellingFrom holds the British forms of the list.
var spellingFrom = map[string]bool{}

// spellingPairs parses spelling_uk_us.txt.
func spellingPairs() [][2]string {
	var pairs [][2]string
	for _, line := range strings.Split(spellingFile, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		pairs = append(pairs, [2]string{f[0], f[1]})
		spellingFrom[f[0]] = true
	}
	return pairs
}
