package wer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokens: the first step of Normalize splits text into words, numbers and
// symbols, remembering the punctuation between them.

type tokenKind uint8

const (
	wordTok   tokenKind = iota // letters (and apostrophes between letters)
	numberTok                  // ASCII digits, maybe with decimals or a suffix
	symbolTok                  // one of % $ £ €
)

type token struct {
	text string
	kind tokenKind
	brk  bool   // punctuation stood between the previous token and this one
	sep  string // the exact separator characters before this token
	// For number tokens produced from spelled-out words: the integer value
	// when it is a plain cardinal, otherwise -1. Digit tokens from the text
	// carry -1 too.
	wordVal int64
}

func isDigit(c rune) bool { return c >= '0' && c <= '9' }

// isWordRune reports whether c belongs inside a word: letters, combining
// marks and non-ASCII number characters (superscripts, other scripts).
func isWordRune(c rune) bool {
	if isDigit(c) {
		return false
	}
	return unicode.IsLetter(c) || unicode.IsMark(c) || unicode.IsNumber(c)
}

func isApostrophe(c rune) bool {
	return c == '\'' || c == '\u2019' || c == '\u2018' || c == '\u02bc'
}

// isSoftSep reports separators that do not break a number phrase.
func isSoftSep(c rune) bool {
	return unicode.IsSpace(c) || c == '-' || c == '\u2010' || c == '\u2011' ||
		unicode.Is(unicode.Cf, c) || unicode.IsControl(c)
}

func tokenize(s string) []token {
	rs := []rune(strings.ToLower(s))
	var toks []token
	var sep []rune
	brk := false
	emit := func(text string, kind tokenKind) {
		toks = append(toks, token{text: text, kind: kind, brk: brk, sep: string(sep), wordVal: -1})
		sep = sep[:0]
		brk = false
	}
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case isDigit(c):
			text, n := scanNumber(rs, i)
			emit(text, numberTok)
			i += n
		case isWordRune(c):
			text, n := scanWord(rs, i)
			emit(text, wordTok)
			i += n
		case c == '%' || c == '$' || c == '£' || c == '€':
			emit(string(c), symbolTok)
			i++
		case c == '&':
			emit("and", wordTok)
			i++
		case c == '¢':
			emit("cents", wordTok)
			i++
		case isSoftSep(c):
			sep = append(sep, c)
			i++
		default:
			sep = append(sep, c)
			brk = true
			i++
		}
	}
	return toks
}

// scanWord reads a word starting at rs[i]. Apostrophes are kept (as ')
// only between two word characters.
func scanWord(rs []rune, i int) (string, int) {
	var b strings.Builder
	j := i
	for j < len(rs) {
		c := rs[j]
		switch {
		case isWordRune(c):
			b.WriteRune(c)
		case isApostrophe(c) && j+1 < len(rs) && isWordRune(rs[j+1]):
			b.WriteByte('\'')
		default:
			return b.String(), j - i
		}
		j++
	}
	return b.String(), j - i
}

// scanNumber reads a number starting at the digit rs[i]: digits with
// thousands separators ("2,000,000"), an optional decimal part ("3.5"), an
// hour's ":00" (dropped) or an ordinal/plural suffix ("21st", "1990s",
// "1990's").
func scanNumber(rs []rune, i int) (string, int) {
	digitAt := func(k int) bool { return k < len(rs) && isDigit(rs[k]) }
	j := i
	for digitAt(j) {
		j++
	}
	var b strings.Builder
	b.WriteString(string(rs[i:j]))
	lead := j - i
	grouped := false
	if lead <= 3 {
		for j < len(rs) && rs[j] == ',' && digitAt(j+1) && digitAt(j+2) && digitAt(j+3) && !digitAt(j+4) {
			b.WriteString(string(rs[j+1 : j+4]))
			j += 4
			grouped = true
		}
	}
	// "10:00" -> "10"
	if !grouped && lead <= 2 && j+2 < len(rs) && rs[j] == ':' && rs[j+1] == '0' && rs[j+2] == '0' && !digitAt(j+3) {
		return b.String(), j + 3 - i
	}
	// decimals
	if j < len(rs) && rs[j] == '.' && digitAt(j+1) {
		k := j + 1
		for digitAt(k) {
			k++
		}
		b.WriteByte('.')
		b.WriteString(string(rs[j+1 : k]))
		return b.String(), k - i
	}
	// suffixes
	k := j
	for k < len(rs) && isWordRune(rs[k]) {
		k++
	}
	switch string(rs[j:k]) {
	case "st", "nd", "rd", "th", "s":
		b.WriteString(string(rs[j:k]))
		j = k
	case "":
		if j+1 < len(rs) && isApostrophe(rs[j]) && rs[j+1] == 's' && (j+2 >= len(rs) || !isWordRune(rs[j+2])) {
			b.WriteByte('s')
			j += 2
		}
	}
	return b.String(), j - i
}

// Initialisms: single letters joined by bare periods, the second step.

func isSingleLetter(t token) bool {
	if t.kind != wordTok {
		return false
	}
	r, n := utf8.DecodeRuneInString(t.text)
	return n == len(t.text) && unicode.IsLetter(r)
}

// joinInitialisms joins single letters separated by a bare period:
// "u.s.a." -> "usa", "a.m." -> "am", "e.g." -> "eg".
func joinInitialisms(toks []token) []token {
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); {
		if isSingleLetter(toks[i]) {
			j := i + 1
			for j < len(toks) && isSingleLetter(toks[j]) && toks[j].sep == "." {
				j++
			}
			if j-i >= 2 {
				t := toks[i]
				var b strings.Builder
				for _, u := range toks[i:j] {
					b.WriteString(u.text)
				}
				t.text = b.String()
				out = append(out, t)
				i = j
				continue
			}
		}
		out = append(out, toks[i])
		i++
	}
	return out
}
