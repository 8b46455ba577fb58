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
