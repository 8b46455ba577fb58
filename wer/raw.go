package wer

import (
	"strings"
	"unicode"
)

// RawWords is the scoring normalization of the "raw WER" figure: the text
// lowercased and split on whitespace, with punctuation stripped and nothing
// else changed (no number, spelling or contraction rules, no Unicode
// folding). In detail:
//
//   - an apostrophe (', ’, ‘ or ʼ) between two letters is kept, as ', so
//     "don't" and "John's" stay one word; any other apostrophe is removed;
//   - a period, comma or colon between two digits is kept ("3.5", "2,000",
//     "10:30");
//   - dashes (Unicode Pd) and slashes separate words like spaces
//     ("well-known" = "well known", "and/or" = "and or");
//   - all other punctuation (Unicode P, which includes %, &, @, # and *)
//     is removed; symbols (Unicode S: $, €, +, =, °) are kept.
func RawWords(s string) []string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	at := func(k int, f func(rune) bool) bool { return k >= 0 && k < len(rs) && f(rs[k]) }
	for i, r := range rs {
		switch {
		case isApostrophe(r):
			if at(i-1, unicode.IsLetter) && at(i+1, unicode.IsLetter) {
				b.WriteByte('\'')
			}
		case (r == '.' || r == ',' || r == ':') && at(i-1, unicode.IsDigit) && at(i+1, unicode.IsDigit):
			b.WriteRune(r)
		case unicode.Is(unicode.Pd, r) || r == '/' || r == '\\':
			b.WriteByte(' ')
		case unicode.IsPunct(r):
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return strings.Fields(b.String())
}
