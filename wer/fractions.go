package wer

import (
	"math/big"
	"strconv"
	"strings"
)

// Fractions and clock phrases, after numbers:
//
//   - "one and a half" = "1 1/2" = "1½" = "1.5"; "a half" = "one half" =
//     "1/2" = "0.5"; "a quarter" = "1/4" = "0.25"; "three quarters" =
//     "three fourths" = "3/4" = "0.75"; "two thirds" = "2/3"; "a third of" =
//     "1/3". A fraction is written as a decimal when it has one (halves,
//     quarters, eighths, sixteenths), otherwise as "n/d" with a whole part
//     before it ("1 1/3"). "half" and "quarter" alone stay words ("half the
//     time", "the first quarter").
//   - Written fractions are n/d with n < d and d one of 2, 3, 4, 8, 16 and
//     no further "/" ("24/7", "9/11" and "1/2/2024" are not fractions).
//   - "half past seven" = "7:30" = "7 30"; "(a) quarter past seven" = "7 15";
//     "(a) quarter to eight" = "7 45".

var fractionNouns = map[string]int64{
	"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4,
	"fourth": 4, "fourths": 4, "eighth": 8, "eighths": 8,
	// after numbers: "third" is "3rd", "fourth" "4th", "eighth" "8th"
	"3rd": 3, "4th": 4, "8th": 8,
}

var writtenDenominators = map[int64]bool{2: true, 3: true, 4: true, 8: true, 16: true}

// fracString renders a fraction value as scoring words.
func fracString(r *big.Rat) []string {
	d := new(big.Int).Set(r.Denom())
	for _, f := range []int64{2, 5} {
		bf := big.NewInt(f)
		m := new(big.Int)
		for {
			q, rem := new(big.Int).QuoRem(d, bf, m)
			if rem.Sign() != 0 {
				break
			}
			d = q
		}
	}
	if d.Cmp(big.NewInt(1)) == 0 {
		return []string{ratString(r)}
	}
	whole := new(big.Int).Quo(r.Num(), r.Denom())
	rest := new(big.Rat).Sub(r, new(big.Rat).SetInt(whole))
	frac := rest.Num().String() + "/" + rest.Denom().String()
	if whole.Sign() == 0 {
		return []string{frac}
	}
	return []string{whole.String(), frac}
}

func intTok(t token) (int64, bool) {
	if t.kind != numberTok || !plainInt(t.text) || len(t.text) > 9 {
		return 0, false
	}
	v, err := strconv.ParseInt(t.text, 10, 64)
	return v, err == nil
}

func isWordTok(toks []token, i int, w string) bool {
	return i < len(toks) && toks[i].kind == wordTok && toks[i].text == w && !toks[i].brk
}

// isW is isWordTok without the break: clock phrases are read across
// punctuation, as they are in normalized output.
func isW(toks []token, i int, w string) bool {
	return i < len(toks) && toks[i].kind == wordTok && toks[i].text == w
}

// fractionAt reads "a half", "one quarter", "three quarters", "2/3" at
// token i: the value and the tokens it takes.
func fractionAt(toks []token, i int) (*big.Rat, int, bool) {
	if i >= len(toks) {
		return nil, 0, false
	}
	t := toks[i]
	// written n/d
	if n, ok := intTok(t); ok && i+1 < len(toks) && !(i > 0 && toks[i-1].kind == symbolTok) {
		u := toks[i+1]
		sep := strings.TrimSpace(u.sep)
		if d, ok := intTok(u); ok && (sep == "/" || sep == "⁄") && u.sep == sep && n < d && n > 0 && writtenDenominators[d] &&
			!(i+2 < len(toks) && strings.TrimSpace(toks[i+2].sep) == "/") && !(strings.TrimSpace(t.sep) == "/" && t.sep != "") {
			return big.NewRat(n, d), 2, true
		}
	}
	// Spelled fractions: the numeral spelled out too ("one", "a"), the
	// noun a word or an ordinal made from one; a "3rd" or "1" in the text
	// is no part of one ("1 3rd" stays).
	if i+1 >= len(toks) || t.kind == numberTok && !t.spoken ||
		toks[i+1].kind == numberTok && !toks[i+1].spoken {
		return nil, 0, false
	}
	noun := toks[i+1]
	d, ok := fractionNouns[noun.text]
	if !ok {
		return nil, 0, false
	}
	plural := strings.HasSuffix(noun.text, "s") && !strings.HasSuffix(noun.text, "rds") || noun.text == "thirds"
	one := t.kind == wordTok && t.text == "a" || t.kind == numberTok && t.text == "1"
	switch {
	case one && !plural:
		if d == 3 || d == 8 || noun.text == "fourth" || noun.text == "4th" {
			// "a third of", "one eighth of": only before "of" or at the end,
			// so "a third time" stays an ordinal.
			if k := i + 2; k < len(toks) && !(toks[k].kind == wordTok && toks[k].text == "of") {
				return nil, 0, false
			}
		}
		return big.NewRat(1, d), 2, true
	case plural && t.kind == numberTok:
		if n, ok := intTok(t); ok && n >= 1 && n < 100 && t.wordVal >= 0 {
			return big.NewRat(n, d), 2, true
		}
	}
	return nil, 0, false
}

// fractions rewrites fractions and clock phrases (see above).
func fractions(toks []token) []token {
	out := make([]token, 0, len(toks))
	emit := func(words []string, like token) {
		for k, w := range words {
			t := token{text: w, kind: numberTok, wordVal: -1}
			if k == 0 {
				t.brk, t.sep = like.brk, like.sep
			}
			out = append(out, t)
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		// clock phrases
		k := i
		if isW(toks, k, "a") && isW(toks, k+1, "quarter") {
			k++
		}
		if k < len(toks) && toks[k].kind == wordTok && (toks[k].text == "quarter" || toks[k].text == "half" && k == i) &&
			k+2 < len(toks) && (isW(toks, k+1, "past") || isW(toks, k+1, "to") && toks[k].text == "quarter") {
			if h, ok := intTok(toks[k+2]); ok && h >= 1 && h <= 12 && !(k+3 < len(toks) && toks[k+3].kind == wordTok && amountWords[toks[k+3].text]) {
				switch {
				case toks[k+1].text == "to":
					h = (h+10)%12 + 1
					emit([]string{strconv.FormatInt(h, 10), "45"}, t)
				case toks[k].text == "half":
					emit([]string{strconv.FormatInt(h, 10), "30"}, t)
				default:
					emit([]string{strconv.FormatInt(h, 10), "15"}, t)
				}
				i = k + 2
				continue
			}
		}
		// "five past eight" = "8:05", "twenty to nine" = "8:40" = "20 to
		// 9": five, ten, twenty or twenty-five (minutes), "past" or "to"
		// and an hour. "to" is a time only after "at", "by", "until", "around",
		// "is", ... (clockBefore), and not before a plural noun or a unit
		// ("five to ten people", "at five to ten years"). Breaks are not
		// looked at.
		if m, ok := clockMinutes(toks, i); ok {
			j := i + 1
			if isW(toks, j, "minutes") {
				j++
			}
			if j+1 < len(toks) && (isW(toks, j, "past") || isW(toks, j, "to")) {
				if h, ok := intTok(toks[j+1]); ok && h >= 1 && h <= 12 && plainInt(toks[j+1].text) && clockTo(toks, i, j) {
					if toks[j].text == "to" {
						h, m = (h+10)%12+1, 60-m
					}
					mm := []string{strconv.FormatInt(m, 10)}
					if m < 10 {
						mm = []string{"0", mm[0]} // as "8:05" is said "8 0 5"
					}
					emit(append([]string{strconv.FormatInt(h, 10)}, mm...), t)
					i = j + 1
					continue
				}
			}
		}
		// whole part: "1 1/2", "one and a half", "two and three quarters"
		if w, ok := intTok(t); ok && w >= 1 && !(i+1 < len(toks) && strings.TrimSpace(toks[i+1].sep) == "/") {
			j := i + 1
			if isWordTok(toks, j, "and") {
				j++
			} else if j < len(toks) && toks[j].kind == numberTok && toks[j].brk {
				j = -1
			}
			if j > 0 && j < len(toks) && !(toks[j].brk && j == i+1) {
				if r, n, ok := fractionAt(toks, j); ok && (j > i+1 || toks[j].kind == numberTok && strings.TrimSpace(toks[j+1].sep) != "") {
					r.Add(r, new(big.Rat).SetInt64(w))
					i = j + n - 1
					// "two and a half million" = "2.5 million" = 2500000
					if k := i + 1; k < len(toks) && toks[k].spoken && !toks[k].brk && bareScales[toks[k].text] {
						scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt64(toks[k].wordVal))
						if scaled.IsInt() {
							r, i = scaled, k
						}
					}
					emit(fracString(r), t)
					continue
				}
			}
		}
		// "a 1/4 cup" = "a quarter cup": an article before a written
		// fraction of one is the "a" of "a quarter".
		if isW(toks, i, "a") && i+1 < len(toks) && toks[i+1].kind == numberTok && !toks[i+1].spoken && !toks[i+1].brk {
			if r, n, ok := fractionAt(toks, i+1); ok && r.Num().IsInt64() && r.Num().Int64() == 1 && n == 2 {
				emit(fracString(r), t)
				i += n
				continue
			}
		}
		if r, n, ok := fractionAt(toks, i); ok {
			emit(fracString(r), t)
			i += n - 1
			continue
		}
		out = append(out, t)
	}
	return out
}

// bareScales are the number tokens of a scale word said alone.
var bareScales = map[string]bool{"1000": true, "1000000": true, "1000000000": true, "1000000000000": true}

// Words after which "ten to seven" is a clock time ("at ten to seven",
// "around ten to seven"); elsewhere it may be a range ("five to ten
// people").
var clockBefore = map[string]bool{
	"at": true, "by": true, "until": true, "till": true, "til": true, "around": true,
	"about": true, "before": true, "after": true, "since": true, "is": true, "was": true,
	"it's": true, "its": true, "approximately": true, "nearly": true, "almost": true,
}

// clockMinutes reports the minutes of a clock phrase at toks[i]: five,
// ten, twenty or twenty-five.
func clockMinutes(toks []token, i int) (int64, bool) {
	if i >= len(toks) || toks[i].kind != numberTok || !plainInt(toks[i].text) {
		return 0, false
	}
	m, ok := intTok(toks[i])
	return m, ok && (m == 5 || m == 10 || m == 20 || m == 25)
}

// clockTo reports whether the "past" or "to" at toks[j] after the minutes
// at toks[i] makes a clock time: "past" always and "to" after a word of
// clockBefore, but not before a unit, an amount word or a currency symbol
// (nor "to" before a plural noun).
func clockTo(toks []token, i, j int) bool {
	if k := j + 2; k < len(toks) {
		if toks[k].kind == symbolTok {
			return false
		}
		// Breaks are not looked at: the normalized output has none.
		if w := toks[k].text; toks[k].kind == wordTok && (amountWords[w] || unitWordSet[w] || moneyUnitWords[w] ||
			toks[j].text == "to" && len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss")) {
			return false
		}
	}
	return toks[j].text == "past" || i > 0 && toks[i-1].kind == wordTok && clockBefore[toks[i-1].text]
}
