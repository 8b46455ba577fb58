package wer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Unicode folding, applied to the text before tokenizing:
//
//   - NFKD, then the combining diacritical marks U+0300..U+036F are removed,
//     then NFC: NFC and NFD input compare equal, accents are dropped
//     ("café" = "cafe", "naïve" = "naive"), and compatibility characters
//     take their plain form (fullwidth "１２" = "12", "ﬁ" = "fi",
//     subscripts "CO₂" = "CO2", "℃" = "°C", "№" = "No", "½" = "1⁄2").
//     Only that block of marks is removed, so scripts whose vowel signs are
//     marks (Devanagari, Arabic, ...) keep them.
//   - Format characters (Unicode Cf: soft hyphen, zero-width space and
//     joiners, word joiner, BOM, direction marks) are removed, joining what
//     they stand between: "co\u00adoperate" = "cooperate". A zero-width
//     space is therefore not a word break (decided: in English text it is
//     a copy-and-paste artifact inside words more often than a separator).
//   - "æ" and "œ" are written out as "ae" and "oe" (NFKD keeps them).
//   - A superscript ² or ³ right after a letter or digit is read as a word,
//     " squared" or " cubed" ("m²" = "m squared", see units.go); a vulgar
//     fraction right after a digit is set off by a space ("1½" = "1 1⁄2").

var combiningDiacritics = &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0x0300, Hi: 0x036f, Stride: 1}}}

func isVulgarFraction(r rune) bool {
	return r >= 0x00bc && r <= 0x00be || r >= 0x2150 && r <= 0x215e || r == 0x2189
}

// foldUnicode applies the folding above. ASCII text without control
// characters is returned as it is.
func foldUnicode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	prev := rune(0)
	for _, r := range s {
		switch {
		case (r == '²' || r == '³') && (unicode.IsLetter(prev) || isDigit(prev)):
			if r == '²' {
				b.WriteString(" squared ")
			} else {
				b.WriteString(" cubed ")
			}
		case isVulgarFraction(r) && isDigit(prev):
			b.WriteByte(' ')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		prev = r
	}
	// A transform.Chain holds state, so each call builds its own.
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(combiningDiacritics)),
		runes.Remove(runes.In(unicode.Cf)), norm.NFC)
	out, _, err := transform.String(t, b.String())
	if err != nil {
		out = b.String()
	}
	return ligatures.Replace(out) // after NFKD: "ǽ" is "æ" plus a mark
}

var ligatures = strings.NewReplacer("æ", "ae", "Æ", "Ae", "œ", "oe", "Œ", "Oe")
