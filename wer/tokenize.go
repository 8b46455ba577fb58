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
	post string // the exact separator characters after this token
	cap  bool   // a word written with a capital first letter
	caps bool   // a word written all in capitals
	// A number token made from spelled-out words (numbers.go): "third"
	// gives a spoken "3rd", "3rd" in the text a written one.
	spoken bool
	// A word the written form implies but a speaker may leave unsaid: the
	// currency of "$19.99", the "o'clock" of "6:00". Normalize writes it
	// in parentheses, "(dollars)", and reads that back (see readings.go).
	optional bool
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

// tokText is the result of tokenize: the tokens and whether the text had
// lower-case letters at all (capitals carry no information in text written
// all in capitals, or in text without letters).
type tokText struct {
	toks     []token
	hasLower bool
}

func isCurrencySymbol(c rune) bool {
	_, ok := currencies[string(c)]
	return ok
}

func tokenize(s string) tokText {
	rs := []rune(foldUnicode(s))
	var tt tokText
	var toks []token
	var sep []rune
	brk := false
	emit := func(text string, kind tokenKind) {
		if n := len(toks); n > 0 {
			toks[n-1].post = string(sep)
		}
		toks = append(toks, token{text: text, kind: kind, brk: brk, sep: string(sep), wordVal: -1})
		sep = sep[:0]
		brk = false
	}
	prevIsSpace := func(i int) bool {
		return i == 0 || unicode.IsSpace(rs[i-1]) || rs[i-1] == '(' || rs[i-1] == '['
	}
	for i := 0; i < len(rs); {
		c := rs[i]
		switch {
		case isDigit(c) && (i == 0 || !isDigit(rs[i-1])) && clock24(rs, i) != nil:
			// "18:30" = "eighteen thirty" (a year's shape, "1830");
			// "13:00" = "thirteen hundred"; "06:00" = "0600" = "oh six
			// hundred" ("0 600").
			for _, w := range clock24(rs, i) {
				emit(w, numberTok)
			}
			for i < len(rs) && (isDigit(rs[i]) || rs[i] == ':') {
				i++
			}
		case isDigit(c):
			text, n, hour := scanNumber(rs, i)
			emit(text, numberTok)
			i += n
			if hour && !ampmAt(rs, i) {
				emit("o'clock", wordTok) // "6:00" = "six o'clock", or "six"
				toks[len(toks)-1].optional = true
			}
			i += feetInches(rs, i, text, emit)
		case c == '.' && i+1 < len(rs) && isDigit(rs[i+1]) && (i == 0 || !isDigit(rs[i-1]) && !isWordRune(rs[i-1])):
			// ".5" = "0.5"
			text, n, _ := scanNumber(rs, i+1)
			if strings.ContainsAny(text, ".s") || strings.HasSuffix(text, "st") || strings.HasSuffix(text, "nd") || strings.HasSuffix(text, "rd") || strings.HasSuffix(text, "th") {
				sep = append(sep, c)
				brk = true
				i++
				continue
			}
			emit("0."+text, numberTok)
			i += n + 1
		case (c == '-' || c == '−') && i+1 < len(rs) && isDigit(rs[i+1]) && (c == '−' || prevIsSpace(i)):
			// "-5" = "minus five"; "1990-1995" stays a range.
			emit("minus", wordTok)
			i++
		case isWordRune(c):
			text, n := scanWord(rs, i)
			lower := strings.ToLower(text)
			emit(lower, wordTok)
			t := &toks[len(toks)-1]
			first, _ := utf8.DecodeRuneInString(text)
			t.cap = unicode.IsUpper(first)
			stem := text
			if k := strings.IndexAny(stem, "'\u2019"); k > 0 && strings.EqualFold(strings.TrimLeft(stem[k:], "'\u2019"), "s") {
				stem = stem[:k] // "VIII's": the capitals of the word before its 's
			}
			t.caps = t.cap && stem == strings.ToUpper(stem) && strings.ToLower(stem) != stem
			if lower != strings.ToUpper(text) && text != strings.ToUpper(text) {
				tt.hasLower = true
			}
			i += n
			// "James'" = "James's" (a closing apostrophe after s, not a
			// single quote that opened before the word).
			if strings.HasSuffix(lower, "s") && i < len(rs) && isApostrophe(rs[i]) &&
				(i+1 == len(rs) || !isWordRune(rs[i+1])) && !(t.sep != "" && isApostrophe([]rune(t.sep)[len([]rune(t.sep))-1])) {
				t.text += "'s"
				i++
			}
		case c == '.' && i > 0 && isWordRune(rs[i-1]) && i+1 < len(rs) && isWordRune(rs[i+1]) && dotWord(rs, i):
			// "example.com" = "example dot com"
			emit("dot", wordTok)
			i++
		case c == '%' || isCurrencySymbol(c) || c == '°':
			emit(string(c), symbolTok)
			i++
		case c == '&':
			emit("and", wordTok)
			i++
		case c == '+':
			emit("plus", wordTok)
			i++
		case c == '=':
			emit("equals", wordTok)
			i++
		case c == '@':
			emit("at", wordTok)
			i++
		case c == '×':
			emit("x", wordTok)
			i++
		case c == '#' && i+1 < len(rs) && isDigit(rs[i+1]):
			emit("number", wordTok) // "#1" = "number one"
			i++
		case c == '¢':
			emit("cents", wordTok) // "99¢" = "ninety-nine cents", or "ninety-nine"
			toks[len(toks)-1].optional = true
			i++
		case c == '(' && optionalAt(rs, i) > 0:
			// "(dollars)": an optional word written by Normalize.
			n := optionalAt(rs, i)
			emit(string(rs[i+1:i+n-1]), wordTok)
			toks[len(toks)-1].optional = true
			i += n
		case isSoftSep(c):
			sep = append(sep, c)
			i++
		default:
			sep = append(sep, c)
			brk = true
			i++
		}
	}
	if n := len(toks); n > 0 {
		toks[n-1].post = string(sep)
	}
	tt.toks = toks
	return tt
}

// optionalWords are the words Normalize may write as optional.
var optionalWords = map[string]bool{"o'clock": true}

func init() {
	for _, c := range currencies {
		for _, w := range []string{c.one, c.many, c.subOne, c.subMany} {
			if w != "" {
				optionalWords[w] = true
			}
		}
	}
}

// optionalAt returns the length of "(word)" at rs[i] when word is one of
// optionalWords, else 0.
func optionalAt(rs []rune, i int) int {
	for k := i + 1; k < len(rs) && k-i <= 12; k++ {
		if rs[k] == ')' {
			if optionalWords[string(rs[i+1:k])] {
				return k - i + 1
			}
			return 0
		}
	}
	return 0
}

// ampmAt reports whether "am", "pm", "a.m." or "p.m." follows rs[i] after
// spaces.
func ampmAt(rs []rune, i int) bool {
	for i < len(rs) && rs[i] == ' ' {
		i++
	}
	if i >= len(rs) || unicode.ToLower(rs[i]) != 'a' && unicode.ToLower(rs[i]) != 'p' {
		return false
	}
	i++
	if i < len(rs) && rs[i] == '.' {
		i++
	}
	if i >= len(rs) || unicode.ToLower(rs[i]) != 'm' {
		return false
	}
	i++
	if i < len(rs) && rs[i] == '.' {
		i++
	}
	return i >= len(rs) || !isWordRune(rs[i]) && !isDigit(rs[i])
}

// feetInches reads a foot mark after the number text that ends before
// rs[i] (5'10", 6′, 5′ 10″) and an inch mark (10″), emitting the unit
// words; it returns the runes consumed. Only heights up to 12 feet take
// a foot mark, so that "the 1990s'" and quotes are left alone.
func feetInches(rs []rune, i int, text string, emit func(string, tokenKind)) int {
	if i >= len(rs) || !plainInt(text) {
		return 0
	}
	c := rs[i]
	if c == '″' {
		emit(unitWordFor(text, "inch", "inches"), wordTok)
		return 1
	}
	if c != '\'' && c != '′' && c != '’' {
		return 0
	}
	if v := len(text); v > 2 || text > "12" && v == 2 {
		return 0
	}
	j := i + 1
	if j < len(rs) && isWordRune(rs[j]) {
		return 0 // "5's" and the like
	}
	emit(unitWordFor(text, "foot", "feet"), wordTok)
	k := j
	for k < len(rs) && rs[k] == ' ' {
		k++
	}
	m := k
	for m < len(rs) && isDigit(rs[m]) {
		m++
	}
	if m == k || m-k > 2 {
		return j - i
	}
	inches := string(rs[k:m])
	if m < len(rs) && (rs[m] == '"' || rs[m] == '″' || rs[m] == '”') {
		emit(inches, numberTok)
		emit(unitWordFor(inches, "inch", "inches"), wordTok)
		return m + 1 - i
	}
	if m+1 < len(rs) && (rs[m] == '\'' || rs[m] == '′') && (rs[m+1] == '\'' || rs[m+1] == '′') {
		emit(inches, numberTok)
		emit(unitWordFor(inches, "inch", "inches"), wordTok)
		return m + 2 - i
	}
	if m == len(rs) || !isWordRune(rs[m]) && rs[m] != '.' && rs[m] != ',' && rs[m] != ':' {
		emit(inches, numberTok) // 5'10 = five foot ten
		emit(unitWordFor(inches, "inch", "inches"), wordTok)
		return m - i
	}
	return j - i
}

func unitWordFor(n, one, many string) string {
	if n == "1" {
		return one
	}
	return many
}

func plainInt(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(rune(s[i])) {
			return false
		}
	}
	return s != ""
}

// dotWord reports whether the period at rs[i], between two word
// characters, is the "dot" of an address ("example.com") rather than the
// period of an abbreviation ("Ph.D.", "U.S."): it is when the word before
// or after it has three or more letters.
func dotWord(rs []rune, i int) bool {
	b := i
	for b > 0 && isWordRune(rs[b-1]) {
		b--
	}
	a := i + 1
	for a < len(rs) && isWordRune(rs[a]) {
		a++
	}
	return i-b >= 3 || a-(i+1) >= 3
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
func scanNumber(rs []rune, i int) (string, int, bool) {
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
	// "10:00" -> "10" (the caller adds "o'clock" unless am/pm follows)
	if !grouped && lead <= 2 && j+2 < len(rs) && rs[j] == ':' && rs[j+1] == '0' && rs[j+2] == '0' && !digitAt(j+3) {
		return b.String(), j + 3 - i, true
	}
	// decimals
	if j < len(rs) && rs[j] == '.' && digitAt(j+1) {
		k := j + 1
		for digitAt(k) {
			k++
		}
		b.WriteByte('.')
		b.WriteString(string(rs[j+1 : k]))
		return b.String(), k - i, false
	}
	// suffixes
	k := j
	for k < len(rs) && isWordRune(rs[k]) {
		k++
	}
	switch strings.ToLower(string(rs[j:k])) {
	case "st", "nd", "rd", "th", "s":
		b.WriteString(strings.ToLower(string(rs[j:k])))
		j = k
	case "":
		if j+1 < len(rs) && isApostrophe(rs[j]) && rs[j+1] == 's' && (j+2 >= len(rs) || !isWordRune(rs[j+2])) {
			b.WriteByte('s')
			j += 2
		}
	}
	return b.String(), j - i, false
}

// Initialisms: single letters joined by bare periods, the second step.

func isSingleLetter(t token) bool {
	if t.kind != wordTok {
		return false
	}
	r, n := utf8.DecodeRuneInString(t.text)
	return n == len(t.text) && unicode.IsLetter(r)
}

// joinInitialisms joins initialisms into one word:
//
//   - single letters joined by bare periods: "U.S.A." = "usa", "a.m." = "am",
//     "e.g." = "eg";
//   - capital letters each followed by a period and a space, the last one
//     followed by a period too: "J. K. Rowling" = "J.K. Rowling" = "jk rowling"
//     (so "Option A. B is next." keeps "a b");
//   - capital letters separated by spaces only, in text that has lower-case
//     letters elsewhere: "C O two" = "CO2", "U S A" = "USA", "J K Rowling" =
//     "JK Rowling"; the pronoun "I" never joins;
//   - short parts with bare periods between and after them, one of them a
//     single letter: "Ph.D." = "PhD", "M.Sc." = "MSc".
func joinInitialisms(tt tokText) []token {
	toks := tt.toks
	out := make([]token, 0, len(toks))
	dotSpace := func(sep string) bool {
		rest, ok := strings.CutPrefix(sep, ".")
		return ok && strings.Trim(rest, " ") == ""
	}
	capLetter := func(t token) bool { return isSingleLetter(t) && t.cap && t.text != "i" }
	for i := 0; i < len(toks); {
		j := i + 1
		if isSingleLetter(toks[i]) {
			for j < len(toks) && isSingleLetter(toks[j]) && toks[j].sep == "." {
				j++
			}
			if j-i < 2 && capLetter(toks[i]) && dotSpace(toks[i].post) {
				for j < len(toks) && capLetter(toks[j]) && dotSpace(toks[j].sep) && strings.HasPrefix(toks[j].post, ".") {
					j++
				}
			}
			if j-i < 2 && capLetter(toks[i]) && tt.hasLower {
				for j < len(toks) && capLetter(toks[j]) && toks[j].sep != "" && strings.Trim(toks[j].sep, " ") == "" {
					j++
				}
				// "M R I of the knee": a capital I ends a run of two or more
				// spaced capitals where the pronoun cannot stand.
				if j-i >= 2 && j < len(toks) && isSingleLetter(toks[j]) && toks[j].cap && toks[j].text == "i" &&
					toks[j].sep != "" && strings.Trim(toks[j].sep, " ") == "" &&
					(j+1 == len(toks) || toks[j+1].brk || toks[j+1].kind != wordTok || notAfterPronounI[toks[j+1].text]) {
					j++
				}
			}
		}
		if j-i < 2 && shortPart(toks[i]) && toks[i].post == "." {
			k := i + 1
			single := isSingleLetter(toks[i])
			for k < len(toks) && shortPart(toks[k]) && toks[k].sep == "." {
				single = single || isSingleLetter(toks[k])
				k++
			}
			if k-i >= 2 && single && strings.HasPrefix(toks[k-1].post, ".") {
				j = k
			}
		}
		if j-i >= 2 {
			t := toks[i]
			var b strings.Builder
			for _, u := range toks[i:j] {
				b.WriteString(u.text)
			}
			t.text = b.String()
			t.post = toks[j-1].post
			t.caps = false
			out = append(out, t)
			i = j
			continue
		}
		out = append(out, toks[i])
		i++
	}
	return out
}

// Words that never follow the pronoun "I": after spaced capitals ("M R I
// of the knee", "C T I and") the "I" is a letter of the initialism.
var notAfterPronounI = map[string]bool{
	"of": true, "is": true, "for": true, "on": true, "in": true, "at": true,
	"the": true, "a": true, "an": true, "to": true, "and": true, "or": true,
	"with": true, "from": true, "scan": true, "scans": true, "results": true,
	"report": true, "machine": true, "test": true, "tests": true,
}

// shortPart reports a word of one or two letters.
func shortPart(t token) bool {
	return t.kind == wordTok && utf8.RuneCountInString(t.text) <= 2 && !strings.Contains(t.text, "'")
}

// clock24 returns the words of a 24-hour clock time at rs[i], or nil:
// "HH:MM" with an hour from 13 to 20 and minutes other than 00 is one
// number as said ("18:30" = "1830", "18:05" = "1805", like "eighteen oh
// five"); "HH:00" from 13 to 23 is "HH00" ("thirteen hundred"); a leading
// zero hour on the hour, "06:00" or "0600", is "0" and "600" ("oh six
// hundred"). am/pm after the time, a following digit, colon, decimal
// point or hyphen, or letters written onto it leave it alone.
func clock24(rs []rune, i int) []string {
	j := i
	for j < len(rs) && isDigit(rs[j]) {
		j++
	}
	var h, m string
	switch {
	case j-i == 2 && j+2 < len(rs)+0 && rs[j] == ':' && j+2 < len(rs) && isDigit(rs[j+1]) && isDigit(rs[j+2]):
		h, m = string(rs[i:j]), string(rs[j+1:j+3])
		j += 3
	case j-i == 4 && rs[i] == '0' && rs[i+1] != '0' && rs[i+2] == '0' && rs[i+3] == '0':
		h, m = string(rs[i:i+2]), "00"
	default:
		return nil
	}
	if j < len(rs) && (isDigit(rs[j]) || rs[j] == ':' || rs[j] == '-' || isWordRune(rs[j]) ||
		rs[j] == '.' && j+1 < len(rs) && isDigit(rs[j+1])) || ampmAt(rs, j) {
		return nil
	}
	if i > 0 && (rs[i-1] == '-' || rs[i-1] == ':' || rs[i-1] == '.') {
		return nil
	}
	switch {
	case h[0] == '0' && m == "00":
		return []string{"0", h[1:] + "00"}
	case h[0] == '0' && h[1] != '0':
		// "05:30" = "oh five thirty"; "07:05" = "oh seven oh five"
		if m[0] == '0' {
			return []string{"0", h[1:], "0", m[1:]}
		}
		return []string{"0", h[1:], m}
	case h >= "13" && h <= "20" && m != "00":
		return []string{h + m}
	case h >= "13" && h <= "23" && m == "00":
		return []string{h + "00"}
	}
	return nil
}
