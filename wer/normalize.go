package wer

// Text normalization for WER scoring.
//
// Normalize is applied to the reference and to the hypothesis alike, so
// every rule below only has to be consistent, not "right". The pipeline is:
//
//  1. tokenize: lowercase; split into word, number and symbol tokens; all other
//     punctuation and symbols become separators. A separator that contains
//     punctuation is remembered as a "break": numbers are never assembled across
//     a break ("five, six" stays "5 6"). Whitespace and hyphens are separators
//     but not breaks ("thirty-six" is "thirty six" is 36).
//  2. initialisms: single letters joined by bare periods become one word
//     ("U.S." -> "us", "a.m." -> "am").
//  3. word rewrites: contractions, British -> American spelling, a few
//     abbreviations, fillers dropped, "per cent" -> "percent".
//  4. numbers: spelled-out numbers become digits (see numbers).
//  5. units: "%" -> "percent", currency symbols become trailing unit words
//     ("$5.50" -> "5 dollars 50 cents"). "&" is read as "and", "¢" as "cents".
//
// Conventions (documented choices; both sides get the same treatment):
//
//   - Canonical numbers are digits: "two thousand" = "2,000" = "2000".
//   - Percent is two words: "20%" = "20 %" = "twenty percent" = "20 percent".
//   - Ordinals are digits plus suffix: "twenty first" = "21st".
//   - Decades: "the eighties" = "80s", "nineteen nineties" = "1990s".
//   - Contractions: n't -> "not" with "can't"/"cannot" -> "can not",
//     "won't" -> "will not", "shan't" -> "shall not"; 're -> are, 've -> have,
//     'll -> will, 'm -> am, 'd -> would (also where "had" was meant);
//     's -> is only after pronouns and question words (it, that, what, there,
//     here, he, she, who, where, how, when, why, this) and "let's" -> "let us";
//     every other 's (possessives, "John's here") is kept as written.
//     "ain't", "o'clock" and other apostrophe words stay as they are.
//   - Times: "10:00" -> "10" (a ":00" after an hour is dropped, matching
//     "ten a.m."); "10:30" -> "10 30" (matching "ten thirty").
//   - Money: "$5" -> "5 dollars", "$1" -> "1 dollar", "$5.50" and
//     "five dollars fifty" and "five dollars and fifty cents" ->
//     "5 dollars 50 cents"; "£" uses pound/pounds and penny/pence, "€"
//     euro/euros and cent/cents.
//   - Fillers um, umm, uh, uhh, uhm, hmm, hm, mm, mmm, er, erm, ah, ahh are
//     dropped; "oh" is kept (it is a word, and a zero inside digit strings).
//   - Abbreviations: "mr" -> "mister", "mrs" -> "missus", "ok" -> "okay",
//     "vs" -> "versus", "alright" -> "all right".
//   - Letters and digits written together are split ("CO2" -> "co 2",
//     "10am" -> "10 am") except an ordinal or plural suffix ("21st", "1990s").

import (
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize lowercases s and rewrites it into scoring words: punctuation
// removed, contractions expanded, British spellings Americanized, fillers
// dropped and numbers in canonical digit form. The result is idempotent:
// normalizing strings.Join(Normalize(s), " ") returns the same words.
func Normalize(s string) []string {
	toks := tokenize(s)
	toks = joinInitialisms(toks)
	toks = rewriteWords(toks)
	toks = numbers(toks)
	toks = units(toks)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.text != "" {
			out = append(out, t.text)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Tokens

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

// ---------------------------------------------------------------------------
// Initialisms

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

// ---------------------------------------------------------------------------
// Word rewrites: contractions, spelling, abbreviations, fillers

var fillers = map[string]bool{
	"um": true, "umm": true, "uh": true, "uhh": true, "uhm": true,
	"hmm": true, "hm": true, "mm": true, "mmm": true,
	"er": true, "erm": true, "ah": true, "ahh": true,
}

// Whole-word contractions that the suffix rules below would get wrong.
var contractionWords = map[string][]string{
	"won't":  {"will", "not"},
	"can't":  {"can", "not"},
	"cannot": {"can", "not"},
	"shan't": {"shall", "not"},
	"let's":  {"let", "us"},
	"y'all":  {"you", "all"},
	"ain't":  {"ain't"},
}

// Stems whose 's is "is" (otherwise 's is kept: possessive).
var isStems = map[string]bool{
	"it": true, "that": true, "what": true, "there": true, "here": true,
	"he": true, "she": true, "who": true, "where": true, "how": true,
	"when": true, "why": true, "this": true,
}

var contractionSuffixes = []struct{ suffix, word string }{
	{"n't", "not"},
	{"'re", "are"},
	{"'ve", "have"},
	{"'ll", "will"},
	{"'m", "am"},
	{"'d", "would"},
	{"'s", "is"},
}

// expandContraction splits a word with apostrophes into its expansion,
// peeling suffixes from the end: "wouldn't've" -> would not have.
func expandContraction(w string) []string {
	if !strings.Contains(w, "'") && w != "cannot" {
		return []string{w}
	}
	var tail []string // expansion words, in reverse order
	for {
		if exp, ok := contractionWords[w]; ok {
			for k := len(exp) - 1; k >= 0; k-- {
				tail = append(tail, exp[k])
			}
			w = ""
			break
		}
		matched := false
		for _, cs := range contractionSuffixes {
			stem, ok := strings.CutSuffix(w, cs.suffix)
			if !ok || stem == "" || strings.HasSuffix(stem, "'") {
				continue
			}
			if cs.suffix == "'s" && !isStems[stem] {
				continue
			}
			tail = append(tail, cs.word)
			w = stem
			matched = true
			break
		}
		if !matched {
			break
		}
	}
	out := make([]string, 0, len(tail)+1)
	if w != "" {
		out = append(out, w)
	}
	for k := len(tail) - 1; k >= 0; k-- {
		out = append(out, tail[k])
	}
	return out
}

// replacements maps single words to their canonical spelling (one or more
// words separated by spaces). Built in init from the tables below; no value
// is itself a key.
var replacements = map[string]string{}

var abbreviations = map[string]string{
	"mr":      "mister",
	"mrs":     "missus",
	"ok":      "okay",
	"vs":      "versus",
	"alright": "all right",
}

// British -> American spellings not covered by the generated families
// below, as british:american pairs.
const britishWords = `
grey:gray greys:grays greyer:grayer greyish:grayish programme:program
programmes:programs catalogue:catalog catalogues:catalogs
catalogued:cataloged analogue:analog analogues:analogs defence:defense
defences:defenses licence:license licences:licenses offence:offense
offences:offenses pretence:pretense practise:practice
practised:practiced practises:practices practising:practicing tyre:tire
tyres:tires kerb:curb kerbs:curbs aluminium:aluminum plough:plow
ploughs:plows ploughed:plowed mould:mold moulds:molds mouldy:moldy
smoulder:smolder smouldering:smoldering pyjamas:pajamas sceptic:skeptic
sceptics:skeptics sceptical:skeptical scepticism:skepticism
skilful:skillful wilful:willful fulfil:fulfill fulfils:fulfills
fulfilment:fulfillment enrol:enroll enrols:enrolls enrolment:enrollment
instalment:installment instalments:installments judgement:judgment
judgements:judgments acknowledgement:acknowledgment
acknowledgements:acknowledgments ageing:aging manoeuvre:maneuver
manoeuvres:maneuvers manoeuvred:maneuvered paediatric:pediatric
paediatrician:pediatrician encyclopaedia:encyclopedia anaemia:anemia
anaemic:anemic anaesthetic:anesthetic anaesthesia:anesthesia
oestrogen:estrogen foetus:fetus moustache:mustache sulphur:sulfur
cosy:cozy marvellous:marvelous counsellor:counselor
counsellors:counselors jewellery:jewelry jeweller:jeweler
jewellers:jewelers woollen:woolen
`

// -our -> -or
var ourStems = []string{
	"arbo", "ardo", "armo", "behavio", "cando", "clamo", "colo", "demeano",
	"endeavo", "favo", "flavo", "fervo", "harbo", "hono", "humo", "labo",
	"neighbo", "odo", "parlo", "ranco", "rigo", "rumo", "savo", "splendo",
	"tumo", "valo", "vapo", "vigo",
}

var ourSuffixes = []string{
	"", "s", "ed", "ing", "er", "ers", "ful", "fully", "less", "ite", "ites",
	"able", "ably", "al", "ally", "hood", "hoods", "y",
}

// -re -> -er
var reStems = []string{
	"cent", "theat", "met", "kilomet", "centimet", "millimet", "lit", "fib",
	"calib", "somb", "sab", "lust", "spect", "meag", "scept", "goit",
}

// -ise -> -ize
var iseStems = []string{
	"agon", "apolog", "author", "capital", "categor", "central", "character",
	"civil", "critic", "custom", "emphas", "energ", "equal", "fertil",
	"final", "global", "harmon", "hospital", "ideal", "immun", "item",
	"jeopard", "legal", "local", "magnet", "marginal", "material", "maxim",
	"mechan", "memor", "minim", "mobil", "modern", "national", "natural",
	"neutral", "normal", "optim", "organ", "patron", "penal", "personal",
	"polar", "popular", "priorit", "public", "rational", "real", "recogn",
	"revolution", "scrutin", "social", "special", "stabil", "standard",
	"steril", "subsid", "summar", "symbol", "sympath", "synchron", "synthes",
	"terror", "trivial", "util", "vandal", "visual", "vocal",
}

var iseSuffixes = []string{
	"ise", "ised", "ises", "ising", "isation", "isations", "iser", "isers",
}

// -yse -> -yze
var yseStems = []string{"anal", "paral", "catal", "breathal", "dial", "electrol", "hydrol"}

// doubled l before a suffix -> single l
var llStems = []string{
	"travel", "cancel", "label", "model", "fuel", "signal", "total", "level",
	"marvel", "counsel", "quarrel", "dial", "channel", "tunnel", "funnel",
	"equal", "rival", "pencil", "panel", "shovel", "snorkel", "yodel", "grovel",
	"duel", "libel", "initial", "spiral", "unravel", "revel", "jewel",
}

func init() {
	add := func(from, to string) {
		if from != to {
			replacements[from] = to
		}
	}
	for _, st := range ourStems {
		for _, suf := range ourSuffixes {
			add(st+"ur"+suf, st+"r"+suf)
		}
	}
	for _, st := range reStems {
		add(st+"re", st+"er")
		add(st+"res", st+"ers")
		add(st+"red", st+"ered")
		add(st+"ring", st+"ering")
	}
	for _, st := range iseStems {
		for _, suf := range iseSuffixes {
			add(st+suf, st+"iz"+suf[2:])
		}
	}
	for _, st := range yseStems {
		for _, suf := range []string{"yse", "ysed", "yses", "ysing", "yser", "ysers"} {
			add(st+suf, st+"yz"+suf[2:])
		}
	}
	for _, st := range llStems {
		for _, suf := range []string{"led", "ling", "ler", "lers"} {
			add(st+suf, st+suf[1:])
		}
	}
	for _, pair := range strings.Fields(britishWords) {
		from, to, _ := strings.Cut(pair, ":")
		add(from, to)
	}
	for k, v := range abbreviations {
		add(k, v)
	}
}

// rewriteWords expands contractions, maps spellings and abbreviations,
// drops fillers and merges "per cent".
func rewriteWords(toks []token) []token {
	out := make([]token, 0, len(toks))
	pendingBrk := false // a dropped filler stood between punctuation
	push := func(t token) {
		t.brk = t.brk || pendingBrk
		pendingBrk = false
		out = append(out, t)
	}
	for _, t := range toks {
		if t.kind != wordTok {
			push(t)
			continue
		}
		for k, w := range expandContraction(t.text) {
			if r, ok := replacements[w]; ok {
				w = r
			}
			for m, word := range strings.Fields(w) {
				nt := token{text: word, kind: wordTok, wordVal: -1}
				if k == 0 && m == 0 {
					nt.brk, nt.sep = t.brk, t.sep
				}
				if fillers[word] {
					pendingBrk = pendingBrk || nt.brk
					continue
				}
				if word == "cent" && len(out) > 0 && out[len(out)-1].kind == wordTok && out[len(out)-1].text == "per" {
					out[len(out)-1].text = "percent"
					continue
				}
				push(nt)
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Numbers
//
// Spelled-out numbers are parsed by a small grammar over word tokens:
//
//	number  := "a"? group (scale group?)* ("point" digit+ scale?)?
//	group   := [ones|teen|tens] "hundred" ("and"? tail)? | tail
//	tail    := teen | tens ones? | ones
//
// with scales strictly decreasing ("two thousand five hundred" = 2500,
// "one hundred and twenty three" = 123, "twenty five hundred" = 2500). A word
// that cannot extend the current number starts a new one, so
// "five six seven" = "5 6 7", "twenty five thirty" = "25 30",
// "one thousand two thousand" = "1000 2000". Adjacent numbers with no
// punctuation between them form a run; within a run:
//
//   - "oh" followed by a digit word is a zero: after a single digit word the
//     whole run is a digit string ("one oh one" = "101", "four oh four" =
//     "404"); after another number it is a two-digit part ("ten oh five" =
//     "10 05", the way "10:05" normalizes).
//   - a run of exactly two parts, the first a teen from thirteen to nineteen
//     or "twenty" and the second 10..99 or "oh X", is a year
//     ("nineteen eighty four" = 1984, "twenty twenty four" = 2024,
//     "nineteen oh five" = 1905, "nineteen eighties" = "1980s"). Ten, eleven
//     and twelve are left as times ("ten thirty" = "10 30"), and longer runs
//     as lists ("thirteen fourteen fifteen" = "13 14 15").
//   - "second" right after a number is the unit, not the ordinal
//     ("one second" = "1 second"; elsewhere "second" = "2nd").
//
// Digits from the text ("2000", "3.5", "21st") are kept as written, except that
// an integer or decimal followed by a scale word is multiplied out
// ("2 million" = "2.0 million" = 2000000, "1.5 thousand" = 1500). Digit tokens
// never merge with each other, which keeps the output idempotent.

type numClass uint8

const (
	ncOnes numClass = iota + 1 // zero .. nine
	ncTeen                     // ten .. nineteen
	ncTens                     // twenty .. ninety
	ncHundred
	ncScale // thousand, million, billion, trillion
)

type numberWord struct {
	class   numClass
	val     int64
	ordinal bool
	plural  bool // "twenties" .. "nineties"
}

var numberWords = map[string]numberWord{}

func init() {
	ones := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	onesOrd := []string{"", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}
	teens := []string{"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens := []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	for v, w := range ones {
		numberWords[w] = numberWord{class: ncOnes, val: int64(v)}
		if v > 0 {
			numberWords[onesOrd[v]] = numberWord{class: ncOnes, val: int64(v), ordinal: true}
		}
	}
	for k, w := range teens {
		numberWords[w] = numberWord{class: ncTeen, val: int64(10 + k)}
		ord := w + "th"
		switch w {
		case "twelve":
			ord = "twelfth"
		}
		numberWords[ord] = numberWord{class: ncTeen, val: int64(10 + k), ordinal: true}
	}
	for k, w := range tens {
		if w == "" {
			continue
		}
		stem := strings.TrimSuffix(w, "y")
		numberWords[w] = numberWord{class: ncTens, val: int64(10 * k)}
		numberWords[stem+"ieth"] = numberWord{class: ncTens, val: int64(10 * k), ordinal: true}
		numberWords[stem+"ies"] = numberWord{class: ncTens, val: int64(10 * k), plural: true}
	}
	numberWords["hundred"] = numberWord{class: ncHundred, val: 100}
	numberWords["hundredth"] = numberWord{class: ncHundred, val: 100, ordinal: true}
	scale := int64(1000)
	for _, w := range []string{"thousand", "million", "billion", "trillion"} {
		numberWords[w] = numberWord{class: ncScale, val: scale}
		numberWords[w+"th"] = numberWord{class: ncScale, val: scale, ordinal: true}
		scale *= 1000
	}
}

// digitWord returns the digit of "zero".."nine" and "oh".
func digitWord(w string) (byte, bool) {
	if w == "oh" {
		return '0', true
	}
	nw, ok := numberWords[w]
	if !ok || nw.class != ncOnes || nw.ordinal {
		return 0, false
	}
	return byte('0' + nw.val), true
}

type partKind uint8

const (
	pkOther    partKind = iota // anything not usable in a year pair
	pkTeen                     // a single teen word
	pkTens                     // a single tens word
	pkTensOnes                 // tens + ones ("eighty four")
	pkOh                       // "oh five" inside a run
)

// numPart is one number found by the parser.
type numPart struct {
	text    string
	kind    partKind
	val     int64 // value of a spelled-out integer part, otherwise -1
	ordinal bool
	plural  bool
}

func ordinalSuffix(v int64) string {
	if r := v % 100; r >= 11 && r <= 13 {
		return "th"
	}
	switch v % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

// plainNumber reports digits with an optional decimal part (no suffix).
func plainNumber(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch {
		case isDigit(rune(s[i])):
		case s[i] == '.' && !dot && i > 0 && i+1 < len(s):
			dot = true
		default:
			return false
		}
	}
	return s != ""
}

// ratString formats an exact decimal value without trailing zeros.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	s := r.FloatString(40) // values here are finite decimals
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

type parser struct {
	toks []token
}

// word returns the text of token j if it is a word usable inside a number
// that starts at token i (no punctuation break in between).
func (p parser) word(i, j int) (string, bool) {
	if j >= len(p.toks) || p.toks[j].kind != wordTok || (j > i && p.toks[j].brk) {
		return "", false
	}
	return p.toks[j].text, true
}

func (p parser) numWord(i, j int) (numberWord, bool) {
	w, ok := p.word(i, j)
	if !ok {
		return numberWord{}, false
	}
	nw, ok := numberWords[w]
	return nw, ok
}

// part parses one number starting at token i. inRun reports whether a number
// directly precedes it (enables "oh" as a zero).
func (p parser) part(i int, inRun bool) (numPart, int, bool) {
	t := p.toks[i]
	switch t.kind {
	case numberTok:
		return p.digitPart(i)
	case wordTok:
	default:
		return numPart{}, i, false
	}
	if inRun && t.text == "oh" {
		if j := i + 1; j < len(p.toks) {
			if w, ok := p.word(i, j); ok && w != "oh" {
				if d, ok := digitWord(w); ok {
					return numPart{text: "0" + string(d), kind: pkOh, val: int64(d - '0')}, j + 1, true
				}
			}
		}
		return numPart{}, i, false
	}
	if _, ok := digitWord(t.text); ok && t.text != "oh" {
		if part, j, ok := p.digitString(i); ok {
			return part, j, true
		}
	}
	return p.cardinal(i)
}

// digitPart handles a digit token, multiplied by a following scale word.
func (p parser) digitPart(i int) (numPart, int, bool) {
	text := p.toks[i].text
	part := numPart{text: text, val: -1}
	if !plainNumber(text) {
		return part, i + 1, true
	}
	j := i + 1
	mult := int64(1)
	if nw, ok := p.numWord(i, j); ok && !nw.ordinal && !nw.plural && (nw.class == ncHundred || nw.class == ncScale) {
		mult = nw.val
		j++
		if nw.class == ncHundred {
			if nw2, ok := p.numWord(i, j); ok && !nw2.ordinal && !nw2.plural && nw2.class == ncScale {
				mult *= nw2.val
				j++
			}
		}
	}
	if mult == 1 {
		return part, j, true
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return part, i + 1, true
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	part.text = ratString(r)
	return part, j, true
}

// digitString parses digit words containing an "oh": "one oh one" -> "101".
func (p parser) digitString(i int) (numPart, int, bool) {
	var digits []byte
	j := i
	for {
		w, ok := p.word(i, j)
		if !ok {
			break
		}
		d, ok := digitWord(w)
		if !ok {
			break
		}
		digits = append(digits, d)
		j++
	}
	for j > i && p.toks[j-1].text == "oh" { // a trailing "oh" is a word
		j--
		digits = digits[:len(digits)-1]
	}
	hasOh := false
	for k := i; k < j; k++ {
		hasOh = hasOh || p.toks[k].text == "oh"
	}
	if !hasOh || j-i < 2 {
		return numPart{}, i, false
	}
	return numPart{text: string(digits), val: -1}, j, true
}

type cardState uint8

const (
	csStart   cardState = iota
	csZero              // "zero": only "point" may follow
	csUnit              // the group ends in a ones digit or a teen
	csTens              // the group ends in a tens word
	csHundred           // the group ends in "hundred"
	csScale             // a scale word was just applied
	csAnd               // "and" after hundred or scale
)

// cardinal parses spelled-out numbers per the grammar above.
func (p parser) cardinal(i int) (numPart, int, bool) {
	var total, group int64
	lastScale := int64(0) // 0: no scale used yet
	st := csStart
	groupStart := i     // where the current group (after the last scale) starts
	tailStart := i      // where the part of the group after "hundred" starts
	tailVal := int64(0) // its value
	var classes []numClass
	ordinal, plural := false, false
	j := i
	done := false // an ordinal or plural word ends the number

loop:
	for !done {
		w, ok := p.word(i, j)
		if !ok {
			break
		}
		if w == "a" {
			if st != csStart {
				break
			}
			nw, ok := p.numWord(i, j+1)
			if !ok || nw.ordinal || nw.plural || (nw.class != ncHundred && nw.class != ncScale) {
				break
			}
			group, st = 1, csUnit
			classes = append(classes, ncOnes)
			j++
			continue
		}
		if w == "and" {
			if st != csHundred && st != csScale {
				break
			}
			nw, ok := p.numWord(i, j+1)
			if !ok || nw.plural || !(nw.class == ncOnes && nw.val > 0 || nw.class == ncTeen || nw.class == ncTens) {
				break
			}
			if st == csScale {
				groupStart = j
			}
			tailStart, tailVal = j, 0
			st = csAnd
			j++
			continue
		}
		nw, ok := numberWords[w]
		if !ok {
			break
		}
		switch nw.class {
		case ncOnes, ncTeen, ncTens:
			if nw.val == 0 { // "zero" stands alone (or before "point")
				if st != csStart {
					break loop
				}
				st = csZero
				break
			}
			switch {
			case st == csTens && nw.class == ncOnes: // "twenty" + "five"
			case st == csAnd: // the tail started at "and"
			case st == csStart || st == csHundred:
				tailStart, tailVal = j, 0
			case st == csScale:
				groupStart, tailStart, tailVal = j, j, 0
			default:
				break loop
			}
			group += nw.val
			tailVal += nw.val
			st = csUnit
			if nw.class == ncTens {
				st = csTens
			}
		case ncHundred:
			switch st {
			case csStart:
				group = 100
			case csUnit, csTens:
				if group >= 100 {
					// "three hundred four hundred": split before the tail.
					if tailVal > 0 && group-tailVal >= 100 {
						group -= tailVal
						j = tailStart
						classes = nil // a compound number; kind is pkOther
						break loop
					}
					break loop
				}
				group *= 100
			default:
				break loop
			}
			st = csHundred
		case ncScale:
			if lastScale != 0 && nw.val >= lastScale {
				// "one thousand two thousand": split before this group.
				if st != csScale && groupStart > i {
					group = 0
					j = groupStart
					classes = nil
				}
				break loop
			}
			switch st {
			case csStart:
				group = 1
			case csUnit, csTens, csHundred:
			default:
				break loop
			}
			total += group * nw.val
			group = 0
			lastScale = nw.val
			st = csScale
		}
		classes = append(classes, nw.class)
		if nw.ordinal || nw.plural {
			ordinal, plural, done = nw.ordinal, nw.plural, true
		}
		j++
		if st == csZero {
			break
		}
	}
	if j == i {
		return numPart{}, i, false
	}
	if st == csAnd { // a dangling "and" is not part of the number
		j--
	}
	val := total + group
	part := numPart{text: strconv.FormatInt(val, 10), kind: pkOther, val: val, ordinal: ordinal, plural: plural}
	switch {
	case len(classes) == 1 && classes[0] == ncTeen:
		part.kind = pkTeen
	case len(classes) == 1 && classes[0] == ncTens:
		part.kind = pkTens
	case len(classes) == 2 && classes[0] == ncTens && classes[1] == ncOnes:
		part.kind = pkTensOnes
	}
	switch {
	case ordinal:
		part.text += ordinalSuffix(val)
		part.val = -1
	case plural:
		part.text += "s"
		part.val = -1
	default:
		if dec, k, ok := p.decimal(i, j, total, group); ok {
			part = numPart{text: dec, kind: pkOther, val: -1}
			j = k
		}
	}
	return part, j, true
}

// decimal parses "point" + digit words after the integer total+group that
// ends before token j, and an optional scale word: "two point five million".
func (p parser) decimal(i, j int, total, group int64) (string, int, bool) {
	if w, ok := p.word(i, j); !ok || w != "point" {
		return "", j, false
	}
	var frac []byte
	k := j + 1
	for {
		w, ok := p.word(i, k)
		if !ok {
			break
		}
		d, ok := digitWord(w)
		if !ok {
			break
		}
		frac = append(frac, d)
		k++
	}
	if len(frac) == 0 {
		return "", j, false
	}
	r, _ := new(big.Rat).SetString(strconv.FormatInt(total+group, 10) + "." + string(frac))
	if nw, ok := p.numWord(i, k); ok && total == 0 && nw.class == ncScale && !nw.ordinal && !nw.plural {
		r.Mul(r, new(big.Rat).SetInt64(nw.val))
		k++
		return ratString(r), k, true
	}
	return strconv.FormatInt(total+group, 10) + "." + string(frac), k, true
}

// pairYear joins a two-part run into a year when it has that shape.
func pairYear(run []numPart) []numPart {
	if len(run) != 2 {
		return run
	}
	a, b := run[0], run[1]
	aOK := !a.ordinal && !a.plural && (a.kind == pkTeen && a.val >= 13 || a.kind == pkTens && a.val == 20)
	bOK := !b.ordinal && (b.kind == pkTeen || b.kind == pkTens || b.kind == pkTensOnes && !b.plural || b.kind == pkOh)
	if !aOK || !bOK {
		return run
	}
	bv := b.val
	if b.plural {
		bv, _ = strconv.ParseInt(strings.TrimSuffix(b.text, "s"), 10, 64)
	}
	y := numPart{text: strconv.FormatInt(a.val*100+bv, 10), kind: pkOther, val: -1}
	if b.plural {
		y.text += "s"
	}
	return []numPart{y}
}

// numbers rewrites spelled-out numbers and multiplies digit+scale.
func numbers(toks []token) []token {
	p := parser{toks: toks}
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); {
		first, j, ok := p.part(i, false)
		if !ok {
			out = append(out, toks[i])
			i++
			continue
		}
		start := i
		run := []numPart{first}
		i = j
		keepSecond := false
		for i < len(toks) && !toks[i].brk {
			if last := run[len(run)-1]; last.ordinal || last.plural {
				break // "march third twenty twenty four": an ordinal ends a run
			}
			if toks[i].kind == wordTok && toks[i].text == "second" {
				// After "$5" the money words will stand between the number
				// and "second", so it is read as the ordinal there.
				keepSecond = start == 0 || toks[start-1].kind != symbolTok || toks[start-1].text == "%" || toks[start].brk
				break
			}
			next, j, ok := p.part(i, true)
			if !ok {
				break
			}
			run = append(run, next)
			i = j
		}
		for k, part := range pairYear(run) {
			t := token{text: part.text, kind: numberTok, wordVal: -1}
			if k == 0 {
				t.brk, t.sep = toks[start].brk, toks[start].sep
			}
			if part.kind != pkOh && !part.ordinal && !part.plural && part.val >= 0 {
				t.wordVal = part.val
			}
			out = append(out, t)
		}
		if keepSecond {
			out = append(out, toks[i])
			i++
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Units: percent and money

type currency struct{ one, many, subOne, subMany string }

var currencies = map[string]currency{
	"$": {"dollar", "dollars", "cent", "cents"},
	"£": {"pound", "pounds", "penny", "pence"},
	"€": {"euro", "euros", "cent", "cents"},
}

// Unit words after which a spelled-out 1..99 is the subunit amount.
var unitWords = map[string]string{
	"dollar": "$", "dollars": "$",
	"pound": "£", "pounds": "£",
	"euro": "€", "euros": "€",
}

var subunitWords = map[string]bool{"cent": true, "cents": true, "penny": true, "pence": true}

func unitWord(n string, one, many string) string {
	if n == "1" {
		return one
	}
	return many
}

// money renders a currency amount as words: "5.50" -> 5 dollars 50 cents.
func money(amount string, c currency) []string {
	whole, frac, _ := strings.Cut(amount, ".")
	if len(frac) != 2 {
		return []string{amount, unitWord(amount, c.one, c.many)}
	}
	cents := strings.TrimLeft(frac, "0")
	switch {
	case cents == "":
		return []string{whole, unitWord(whole, c.one, c.many)}
	case strings.Trim(whole, "0") == "":
		return []string{cents, unitWord(cents, c.subOne, c.subMany)}
	}
	return []string{whole, unitWord(whole, c.one, c.many), cents, unitWord(cents, c.subOne, c.subMany)}
}

// units rewrites "%" and currency symbols into words, then tidies spoken
// money ("five dollars and fifty cents", "five dollars fifty").
func units(toks []token) []token {
	return moneyWords(symbols(toks))
}

func wordLike(text string, like token) token {
	return token{text: text, kind: wordTok, brk: like.brk, sep: like.sep, wordVal: -1}
}

// symbols: "%" -> "percent"; "$5.50" -> "5 dollars 50 cents"; a currency
// symbol without an amount after it -> its plural unit word.
func symbols(toks []token) []token {
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind != symbolTok:
			out = append(out, t)
		case t.text == "%":
			out = append(out, wordLike("percent", t))
		default:
			c := currencies[t.text]
			n := i + 1
			if n < len(toks) && toks[n].kind == numberTok && !toks[n].brk && plainNumber(toks[n].text) {
				for k, w := range money(toks[n].text, c) {
					like := token{}
					if k == 0 {
						like = t
					}
					u := wordLike(w, like)
					if k%2 == 0 {
						u.kind = numberTok
					}
					out = append(out, u)
				}
				i = n
				continue
			}
			out = append(out, wordLike(c.many, t))
		}
	}
	return out
}

// moneyWords: "<n> dollars and <m> cents" drops the "and"; a spelled-out
// 1..99 right after "<n> dollars" is cents ("five dollars fifty").
func moneyWords(toks []token) []token {
	isWord := func(k int, set map[string]bool) bool {
		return k < len(toks) && toks[k].kind == wordTok && set[toks[k].text]
	}
	notSubunit := map[string]bool{"percent": true, "second": true}
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		out = append(out, t)
		u := i + 1
		if t.kind != numberTok || u >= len(toks) || toks[u].kind != wordTok {
			continue
		}
		sym, ok := unitWords[toks[u].text]
		if !ok {
			continue
		}
		out = append(out, toks[u])
		i = u
		k := u + 1
		if k+2 < len(toks) && toks[k].kind == wordTok && toks[k].text == "and" &&
			toks[k+1].kind == numberTok && isWord(k+2, subunitWords) {
			i = k // drop "and"; the amount and subunit follow as they are
			continue
		}
		if k < len(toks) && toks[k].kind == numberTok && !toks[k].brk && toks[k].wordVal >= 1 && toks[k].wordVal <= 99 &&
			!isWord(k+1, subunitWords) && !isWord(k+1, notSubunit) {
			c := currencies[sym]
			out = append(out, toks[k], wordLike(unitWord(toks[k].text, c.subOne, c.subMany), token{}))
			i = k
		}
	}
	return out
}
