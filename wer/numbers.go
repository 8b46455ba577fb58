package wer

import (
	"math/big"
	"strconv"
	"strings"
)

// Numbers: the fourth step of Normalize.
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
//     ("one second" = "1 second"), and so is "per second"
//     ("megabits per second" = "Mbps"); elsewhere "second" = "2nd".
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
	numberWords["nought"] = numberWord{class: ncOnes, val: 0}
	numberWords["hundred"] = numberWord{class: ncHundred, val: 100}
	numberWords["hundreds"] = numberWord{class: ncHundred, val: 100, plural: true}
	numberWords["thousands"] = numberWord{class: ncScale, val: 1000, plural: true}
	numberWords["hundredth"] = numberWord{class: ncHundred, val: 100, ordinal: true}
	scale := int64(1000)
	for _, w := range []string{"thousand", "million", "billion", "trillion"} {
		numberWords[w] = numberWord{class: ncScale, val: scale}
		numberWords[w+"th"] = numberWord{class: ncScale, val: scale, ordinal: true}
		scale *= 1000
	}
}

// digitWord returns the digit of "zero".."nine", "nought" and "oh".
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
	pkDigits                   // digits read one by one ("one oh one", "double three")
)

// numPart is one number found by the parser.
type numPart struct {
	text    string
	kind    partKind
	val     int64 // value of a spelled-out integer part, otherwise -1
	ordinal bool
	plural  bool
	spoken  bool // made from words
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
	if t.text == "second" && i > 0 && p.toks[i-1].kind == wordTok && p.toks[i-1].text == "per" {
		return numPart{}, i, false // "per second" is the unit ("Mbps")
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
	_, isDigit := digitWord(t.text)
	if isDigit && t.text != "oh" || repeatWord(t.text) > 0 || t.text == "oh" && p.digitWordsAt(i+1) >= 2 {
		if part, j, ok := p.digitString(i); ok {
			return part, j, true
		}
	}
	if t.text == "point" && !inRun && (i == 0 || p.toks[i-1].kind != wordTok || !pointDeterminers[p.toks[i-1].text]) {
		// "point five" = ".5" = "0.5". Breaks after "point" are not
		// looked at (the normalized output has none).
		var frac []byte
		k := i + 1
		for ; k < len(p.toks) && p.toks[k].kind == wordTok; k++ {
			d, ok := digitWord(p.toks[k].text)
			if !ok {
				break
			}
			frac = append(frac, d)
		}
		if len(frac) > 0 {
			return numPart{text: "0." + string(frac), kind: pkOther, val: -1}, k, true
		}
	}
	return p.cardinal(i)
}

// Words before which "point" is a noun, not a decimal point: "at some
// point five people left".
var pointDeterminers = map[string]bool{
	"the": true, "a": true, "an": true, "this": true, "that": true, "some": true, "any": true,
	"no": true, "what": true, "which": true, "each": true, "every": true, "my": true, "your": true,
	"his": true, "her": true, "its": true, "our": true, "their": true, "one": true, "at": true,
	"good": true, "main": true, "next": true, "first": true, "last": true,
}

// maxDigitScan bounds the look-ahead for digit strings (keeping long
// inputs linear); a digit string longer than this is still read digit by
// digit, from a later start.
const maxDigitScan = 64

// repeatWord returns 2 for "double" and 3 for "triple".
func repeatWord(w string) int {
	switch w {
	case "double":
		return 2
	case "triple":
		return 3
	}
	return 0
}

// digitWordsAt counts the digit words from token j on.
func (p parser) digitWordsAt(j int) int {
	n := 0
	for ; n < maxDigitScan; j++ {
		w, ok := p.word(j, j)
		if !ok || j > 0 && n > 0 && p.toks[j].brk {
			return n
		}
		if _, ok := digitWord(w); !ok {
			return n
		}
		n++
	}
	return n
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
	if !ok || r.Sign() == 0 {
		return part, i + 1, true // "0 billion" stays, as "zero billion" does
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	part.text = ratString(r)
	return part, j, true
}

// digitString parses digits read one by one, marked as such by an "oh"
// (anywhere in the run, also at its start before two more digits and at
// its end: "one two oh" = "120") or by "double"/"triple" ("double three" =
// "33", "triple seven" = "777", "double oh seven" = "007").
func (p parser) digitString(i int) (numPart, int, bool) {
	var digits []byte
	j := i
	marked := false
	for j-i < maxDigitScan {
		w, ok := p.word(i, j)
		if !ok {
			break
		}
		if r := repeatWord(w); r > 0 {
			w2, ok := p.word(j+1, j+1) // breaks after "double" are not looked at
			d, isD := digitWord(w2)
			if !ok || !isD {
				break
			}
			for k := 0; k < r; k++ {
				digits = append(digits, d)
			}
			marked = true
			j += 2
			continue
		}
		d, ok := digitWord(w)
		if !ok {
			break
		}
		marked = marked || w == "oh"
		digits = append(digits, d)
		j++
	}
	if !marked || len(digits) < 2 {
		return numPart{}, i, false
	}
	return numPart{text: string(digits), kind: pkDigits, val: -1}, j, true
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
				if nw.plural {
					break loop // "hundreds of people"
				}
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
				if nw.plural {
					break loop // "thousands of people"
				}
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
	part := numPart{text: strconv.FormatInt(val, 10), kind: pkOther, val: val, ordinal: ordinal, plural: plural, spoken: true}
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

// Words after which a number is read digit by digit ("room 404" = "room
// four oh four" = "room 4 0 4", "flight two eighty six" = "flight 286"):
// the number right after one of them, or after one of them and up to two
// of digitFillers ("my phone number is ...", "zip code: ...").
var digitKeywords = map[string]bool{
	"phone": true, "telephone": true, "mobile": true, "cell": true, "fax": true,
	"number": true, "pin": true, "zip": true, "postcode": true, "code": true,
	"account": true, "card": true, "room": true, "flight": true, "extension": true,
	"ext": true, "apartment": true, "apt": true, "suite": true, "platform": true,
	"gate": true, "seat": true, "route": true, "highway": true, "interstate": true,
	"course": true, "id": true, "order": true, "confirmation": true, "reference": true,
	"serial": true, "ticket": true, "badge": true, "policy": true, "tracking": true,
	"locker": true, "dial": true, "press": true, "social": true, "train": true, "bus": true,
	"call": true, "buzzer": true, "intercom": true,
}

var digitFillers = map[string]bool{
	"number": true, "is": true, "was": true, "code": true, "no": true,
	"are": true, "ends": true, "starts": true, "in": true, "with": true,
	"ending": true, "starting": true, "ended": true, "beginning": true, "begins": true,
}

// keywordBefore reports whether a digit keyword precedes token i.
func keywordBefore(toks []token, i int) bool {
	// Breaks are not looked at: normalized output has none.
	if i < len(toks) && (toks[i].kind == symbolTok && toks[i].text != "%") {
		return false
	}
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		if toks[k].kind != wordTok {
			return false
		}
		if digitKeywords[toks[k].text] {
			return true
		}
		if k == i-1 && toks[k].cap && len(toks[k].text) >= 2 && len(toks[k].text) <= 3 && !digitFillers[toks[k].text] {
			continue // an airline or letter code: "flight BA 283"
		}
		if !digitFillers[toks[k].text] {
			return false
		}
	}
	return false
}

// digitPattern reports the shapes of phone and card numbers written with
// hyphens: groups of 3 then 4 digits at the end ("555-1234",
// "1-800-555-1234", "(555) 123-4567"), or four groups of four digits
// ("4111-1111-1111-1111"). Spaces alone do not make the pattern, so that
// normalized output (joined by spaces) reads the same again.
func digitPattern(toks []token) bool {
	n := len(toks)
	if n < 2 {
		return false
	}
	for k, t := range toks {
		if t.kind != numberTok || !plainInt(t.text) {
			return false
		}
		if k > 0 && !strings.ContainsAny(t.sep, "-)\u2010\u2011") {
			return false
		}
	}
	if len(toks[n-2].text) == 3 && len(toks[n-1].text) == 4 {
		return true
	}
	if n == 4 {
		for _, t := range toks {
			if len(t.text) != 4 {
				return false
			}
		}
		return true
	}
	return false
}

// spokenDigits reads the tokens of a run digit by digit: digit tokens give
// their digits, "eight hundred" gives 800 and "five thousand" 5000, a teen
// or "twenty four" two digits, "double"/"triple" repeat the next digit.
func spokenDigits(toks []token) ([]string, bool) {
	var out []string
	push := func(s string) {
		for _, c := range s {
			out = append(out, string(c))
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == numberTok {
			if !plainInt(t.text) {
				return nil, false
			}
			push(t.text)
			continue
		}
		if t.kind != wordTok {
			return nil, false
		}
		if r := repeatWord(t.text); r > 0 && i+1 < len(toks) {
			d, ok := digitWord(toks[i+1].text)
			if !ok {
				return nil, false
			}
			push(strings.Repeat(string(d), r))
			i++
			continue
		}
		nw, ok := numberWords[t.text]
		if t.text == "oh" {
			nw, ok = numberWord{class: ncOnes}, true
		}
		if !ok || nw.ordinal || nw.plural {
			return nil, false
		}
		var s string
		switch nw.class {
		case ncOnes, ncTeen:
			s = strconv.FormatInt(nw.val, 10)
		case ncTens:
			s = strconv.FormatInt(nw.val, 10)
			if i+1 < len(toks) && toks[i+1].kind == wordTok {
				if o, ok := numberWords[toks[i+1].text]; ok && o.class == ncOnes && !o.ordinal && o.val > 0 {
					s = strconv.FormatInt(nw.val+o.val, 10)
					i++
				}
			}
		default:
			return nil, false
		}
		if i+1 < len(toks) && toks[i+1].kind == wordTok {
			switch toks[i+1].text {
			case "hundred":
				s += "00"
				i++
			case "thousand":
				s += "000"
				i++
			}
		}
		push(s)
	}
	return out, len(out) > 0
}

// explodeInt reports whether an integer part is written digit by digit
// outside a digit run: a leading zero ("007", the "05" of "9:05"), or five
// or more digits that are not a round number ("90210", "5551234" but not
// "20000"), unless money follows or precedes it.
func explodeInt(text string) bool {
	if !plainInt(text) || len(text) < 2 {
		return false
	}
	if text[0] == '0' {
		return true
	}
	return len(text) >= 5 && !strings.HasSuffix(text, "00")
}

var moneyUnitWords = map[string]bool{}

// amountWords after a number make it an amount, never read digit by digit.
var amountWords = map[string]bool{"percent": true, "degrees": true, "degree": true}

func init() {
	for _, c := range currencies {
		for _, w := range []string{c.one, c.many} {
			moneyUnitWords[w] = true
		}
		for _, w := range []string{c.one, c.many, c.subOne, c.subMany} {
			if w != "" {
				amountWords[w] = true
			}
		}
	}
}

// numbers rewrites spelled-out numbers and multiplies digit+scale.
func numbers(toks []token) []token {
	p := parser{toks: toks}
	out := make([]token, 0, len(toks))
	emitDigits := func(ds []string, like token) {
		for k, d := range ds {
			t := token{text: d, kind: numberTok, wordVal: -1}
			if k == 0 {
				t.brk, t.sep = like.brk, like.sep
			}
			out = append(out, t)
		}
	}
	toks = rangeTo(toks)
	p.toks = toks
	digitEnd := -1 // len(out) after the last digit-mode run
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
		for i < len(toks) && (!toks[i].brk || parenGroup(toks, i, run)) {
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
		parts := pairYear(run)
		digitRun := false
		singles := 0
		plain := true
		for _, pt := range parts {
			digitRun = digitRun || pt.kind == pkDigits
			if pt.val >= 0 && pt.val <= 9 { // spelled out: digit tokens carry -1
				singles++
			}
			plain = plain && !pt.ordinal && !pt.plural && !strings.Contains(pt.text, ".")
		}
		amount := i < len(toks) && (toks[i].kind == symbolTok || toks[i].kind == wordTok && amountWords[toks[i].text]) ||
			start > 0 && toks[start-1].kind == symbolTok && isCurrencySymbol([]rune(toks[start-1].text)[0])
		// A run right after a digit-mode run (across punctuation) continues
		// it, as it does in the normalized output.
		sticky := len(out) > 0 && len(out) == digitEnd
		// After a keyword alone, a number from 10 to 99 is said whole
		// ("gate twelve" = "gate 12", "seat 40C") when no other number
		// follows it (across punctuation either).
		whole := len(parts) == 1 && plainInt(parts[0].text) && len(parts[0].text) == 2 && parts[0].text[0] != '0' &&
			!(i < len(toks) && (toks[i].kind == numberTok || numberWords[toks[i].text].class != 0))
		if plain && (digitRun || singles >= 3 || !amount && (sticky || !whole && keywordBefore(toks, start)) || digitPattern(toks[start:i])) {
			ds, ok := spokenDigits(toks[start:i])
			if !ok {
				ok = true
				ds = ds[:0]
				for _, pt := range parts {
					ok = ok && plainInt(pt.text)
					ds = append(ds, strings.Split(pt.text, "")...)
				}
			}
			if ok {
				emitDigits(ds, toks[start])
				digitEnd = len(out)
				if keepSecond {
					out = append(out, toks[i])
					i++
				}
				continue
			}
		}
		for k, part := range parts {
			like := token{}
			if k == 0 {
				like = toks[start]
			}
			money := k == 0 && start > 0 && !toks[start].brk && toks[start-1].kind == symbolTok && isCurrencySymbol([]rune(toks[start-1].text)[0]) ||
				k == len(parts)-1 && i < len(toks) && toks[i].kind == wordTok && moneyUnitWords[toks[i].text]
			switch {
			case part.kind == pkOh:
				emitDigits([]string{"0", part.text[1:]}, like)
				continue
			case part.kind == pkDigits || explodeInt(part.text) && !money || k == 0 && codeDigits(toks, start):
				emitDigits(strings.Split(part.text, ""), like)
				if k == len(parts)-1 && plainInt(part.text) && (part.text[0] == '0' || len(part.text) >= 5) {
					// "020 7946 0011": a group after a number written
					// with a leading zero continues it.
					digitEnd = len(out)
				}
				continue
			}
			t := token{text: part.text, kind: numberTok, wordVal: -1, brk: like.brk, sep: like.sep, spoken: part.spoken}
			if !part.ordinal && !part.plural && part.val >= 0 {
				t.wordVal = part.val
			}
			out = append(out, t)
		}
		if keepSecond {
			out = append(out, toks[i])
			i++
		}
	}
	// "oh six hundred" = "0600" = "0 600": an "oh" or "zero" before a
	// spoken hundred from 100 to 900 is the leading zero of a time.
	for k := 0; k+1 < len(out); k++ {
		if out[k].kind == wordTok && (out[k].text == "oh" || out[k].text == "zero") && out[k+1].kind == numberTok && !out[k+1].brk &&
			out[k+1].spoken && out[k+1].wordVal >= 100 && out[k+1].wordVal <= 900 && out[k+1].wordVal%100 == 0 {
			out[k].text, out[k].kind, out[k].wordVal = "0", numberTok, -1
		}
	}
	// "a $100 bill" = "a hundred-dollar bill": the "a" is the one of "a
	// hundred", as in "a hundred" = "100".
	w := 0
	for k := range out {
		// A repeated "a" ("a a 100") is kept, so that normalizing the
		// output again drops nothing more.
		if articleOfHundred(out, k) && (k == 0 || out[k-1].kind != wordTok || out[k-1].text != "a") {
			out[k+1].brk, out[k+1].sep = out[k].brk, out[k].sep
			continue
		}
		out[w] = out[k]
		w++
	}
	return joinHundredAnd(out[:w])
}

// articleOfHundred reports an "a" right before a written number from 100
// to 199 or 1000 (or its currency symbol): "a 100 people", "a $100 bill",
// read "a hundred".
func articleOfHundred(toks []token, i int) bool {
	if toks[i].kind != wordTok || toks[i].text != "a" {
		return false
	}
	k := i + 1
	if k < len(toks) && toks[k].kind == symbolTok && isCurrencySymbol([]rune(toks[k].text)[0]) {
		k++
	}
	// Breaks are not looked at: the normalized output has none.
	if k >= len(toks) || toks[k].kind != numberTok || !plainInt(toks[k].text) {
		return false
	}
	v, err := strconv.Atoi(toks[k].text)
	return err == nil && (v >= 100 && v <= 199 && toks[k].text[0] != '0' || toks[k].text == "1000")
}

// joinHundredAnd joins a round number, "and" and a smaller number as the
// words "one hundred and five" are joined: "100 and 5" = "105", "2000 and
// 8" = "2008" (not after "between" or "from", where "and" links two
// numbers). Breaks are not looked at: the normalized output has none.
func joinHundredAnd(out []token) []token {
	w := 0
	for i := 0; i < len(out); i++ {
		t := out[i]
		if i+2 < len(out) && t.kind == numberTok && plainInt(t.text) && t.text[0] != '0' &&
			out[i+1].kind == wordTok && out[i+1].text == "and" &&
			out[i+2].kind == numberTok && plainInt(out[i+2].text) && out[i+2].text[0] != '0' &&
			!(w > 0 && out[w-1].kind == wordTok && (out[w-1].text == "between" || out[w-1].text == "from")) &&
			!(w > 0 && out[w-1].kind == numberTok) && !(i+3 < len(out) && out[i+3].kind == numberTok) {
			a, _ := strconv.ParseInt(t.text, 10, 64)
			b, _ := strconv.ParseInt(out[i+2].text, 10, 64)
			if a >= 100 && (a%1000 == 0 && b < 1000 && a <= 9000 || a%100 == 0 && a < 1000 && b < 100) && b > 0 {
				t.text = strconv.FormatInt(a+b, 10)
				t.wordVal = a + b
				t.spoken = t.spoken || out[i+2].spoken
				out[w] = t
				w++
				i += 2
				continue
			}
		}
		out[w] = t
		w++
	}
	return out[:w]
}

// parenGroup lets a run continue after "(555) " into "123-4567".
func parenGroup(toks []token, i int, run []numPart) bool {
	return len(run) == 1 && toks[i].kind == numberTok && len(run[0].text) == 3 &&
		strings.Trim(toks[i].sep, " ") == ")" && i >= 1 && strings.HasSuffix(toks[i-1].sep, "(")
}

// codeDigits reports a number written onto letters that follow another
// number written onto them ("K7P44" -> "k 7 p 4 4", a booking code): its
// digits are read one by one. "4x4" and "10x20" (by) are not codes.
func codeDigits(toks []token, i int) bool {
	return i >= 2 && toks[i].kind == numberTok && toks[i].sep == "" && plainInt(toks[i].text) &&
		toks[i-1].kind == wordTok && toks[i-1].sep == "" && toks[i-1].cap && toks[i-1].text != "x" &&
		toks[i-2].kind == numberTok
}

// rangeTo reads a hyphen between two written numbers as "to", a range or
// a score: "9-5" = "nine to five", "1990-1995", "218-212". Not in phone
// and card shapes (three then four digits, or more than two groups:
// "555-1234", "1-800-555-1234"), "1-800", after a digit keyword, or
// between equal numbers ("50-50" = "fifty-fifty").
func rangeTo(toks []token) []token {
	var out []token
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if i > 0 && t.kind == numberTok && !t.spoken && plainInt(t.text) && (t.sep == "-" || t.sep == "\u2010" || t.sep == "\u2011") &&
			toks[i-1].kind == numberTok && !toks[i-1].spoken && plainInt(toks[i-1].text) && toks[i-1].text != t.text &&
			!(len(toks[i-1].text) == 3 && len(t.text) == 4) && !(toks[i-1].text == "1" && len(t.text) == 3 && t.text[0] == '8') &&
			!(toks[i-1].text == "24" && t.text == "7") &&
			!(i >= 2 && toks[i-2].kind == numberTok && strings.Trim(toks[i-1].sep, " ") != "") &&
			!(i+1 < len(toks) && toks[i+1].kind == numberTok && strings.Trim(toks[i+1].sep, " ") != "") &&
			!keywordBefore(toks, i-1) {
			if out == nil {
				out = append(make([]token, 0, len(toks)+4), toks[:i]...)
			}
			out = append(out, token{text: "to", kind: wordTok, sep: t.sep, wordVal: -1})
			t.sep = " "
		}
		if out != nil {
			out = append(out, t)
		}
	}
	if out == nil {
		return toks
	}
	return out
}
