package wer

import (
	"strings"
)

// Units: percent and money, the last step of Normalize.

type currency struct{ one, many, subOne, subMany string }

var currencies = map[string]currency{
	"$": {"dollar", "dollars", "cent", "cents"},
	"£": {"pound", "pounds", "penny", "pence"},
	"€": {"euro", "euros", "cent", "cents"},
	"¥": {"yen", "yen", "", ""}, // decided: yen, not yuan
	"₹": {"rupee", "rupees", "paisa", "paise"},
	"₩": {"won", "won", "", ""},
	"₽": {"ruble", "rubles", "kopek", "kopeks"},
	"₺": {"lira", "lira", "", ""},
	"₦": {"naira", "naira", "kobo", "kobo"},
	"₱": {"peso", "pesos", "centavo", "centavos"},
	"₪": {"shekel", "shekels", "", ""},
	"฿": {"baht", "baht", "", ""},
	"₴": {"hryvnia", "hryvnias", "", ""},
	"₫": {"dong", "dong", "", ""},
	"₣": {"franc", "francs", "", ""},
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
	if len(frac) != 2 || c.subOne == "" {
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

// units rewrites "%", "°" and currency symbols into words, unit
// abbreviations after numbers into unit words, then tidies spoken money
// ("five dollars and fifty cents", "five dollars fifty", "a dollar fifty").
func units(toks []token) []token {
	return compoundHeads(moneyWords(unitAbbreviations(symbols(toks))))
}

// A unit after a number: its singular and plural words (the plural is used
// after any number but 1). Abbreviations are read only after a number, so
// "in", "cm" or "mm" elsewhere stay words. "m" is read only as meters
// (see unitAbbreviations; "$5m" is money first). "g" is grams except after
// a single digit 2-6 with no "of" after it ("5G" is a network, "5 g of
// salt" grams); "l" (liters) and "w" (watts) are read except in a code
// after a digit keyword ("apartment 4L", "seat 12W").
type unitNames struct{ one, many string }

var unitAbbrev = map[string]unitNames{
	"km": {"kilometer", "kilometers"}, "kms": {"kilometer", "kilometers"},
	"cm": {"centimeter", "centimeters"}, "mm": {"millimeter", "millimeters"},
	"kg": {"kilogram", "kilograms"}, "kgs": {"kilogram", "kilograms"},
	"mg": {"milligram", "milligrams"}, "ml": {"milliliter", "milliliters"},
	"gb": {"gigabyte", "gigabytes"}, "mb": {"megabyte", "megabytes"},
	"tb": {"terabyte", "terabytes"}, "kb": {"kilobyte", "kilobytes"},
	"mph": {"mile per hour", "miles per hour"}, "kph": {"kilometer per hour", "kilometers per hour"},
	"kmh": {"kilometer per hour", "kilometers per hour"},
	"lb":  {"pound", "pounds"}, "lbs": {"pound", "pounds"}, "oz": {"ounce", "ounces"},
	"hr": {"hour", "hours"}, "hrs": {"hour", "hours"}, "min": {"minute", "minutes"},
	"mins": {"minute", "minutes"}, "sec": {"second", "seconds"}, "secs": {"second", "seconds"},
	"kw": {"kilowatt", "kilowatts"}, "kwh": {"kilowatt hour", "kilowatt hours"},
	"w": {"watt", "watts"}, "l": {"liter", "liters"}, "g": {"gram", "grams"},
	"kbps": {"kilobit per second", "kilobits per second"}, "mbps": {"megabit per second", "megabits per second"},
	"gbps": {"gigabit per second", "gigabits per second"},
	"hz":   {"hertz", "hertz"}, "khz": {"kilohertz", "kilohertz"}, "mhz": {"megahertz", "megahertz"},
	"ghz": {"gigahertz", "gigahertz"}, "yd": {"yard", "yards"}, "yds": {"yard", "yards"},
	"mi": {"mile", "miles"}, "sq": {"square", "square"}, "ft": {"foot", "feet"},
	"p": {"penny", "pence"}, "usd": {"dollar", "dollars"}, "gbp": {"pound", "pounds"},
	"eur": {"euro", "euros"}, "jpy": {"yen", "yen"}, "inr": {"rupee", "rupees"},
	"kilo": {"kilogram", "kilograms"}, "kilos": {"kilogram", "kilograms"},
	"centigrade": {"celsius", "celsius"},
	"gig":        {"gigabyte", "gigabytes"}, "gigs": {"gigabyte", "gigabytes"},
}

// Length units that take "squared"/"cubed" and "per hour".
var lengthUnits = map[string]unitNames{
	"m": {"meter", "meters"}, "meter": {"meter", "meters"}, "meters": {"meter", "meters"},
	"kilometer": {"kilometer", "kilometers"}, "kilometers": {"kilometer", "kilometers"},
	"centimeter": {"centimeter", "centimeters"}, "centimeters": {"centimeter", "centimeters"},
	"millimeter": {"millimeter", "millimeters"}, "millimeters": {"millimeter", "millimeters"},
	"foot": {"foot", "feet"}, "feet": {"foot", "feet"}, "mile": {"mile", "miles"}, "miles": {"mile", "miles"},
	"inch": {"inch", "inches"}, "inches": {"inch", "inches"}, "yard": {"yard", "yards"}, "yards": {"yard", "yards"},
	"km": {"kilometer", "kilometers"}, "cm": {"centimeter", "centimeters"}, "mm": {"millimeter", "millimeters"},
	"ft": {"foot", "feet"}, "mi": {"mile", "miles"}, "yd": {"yard", "yards"},
}

func wordsLike(text string, like token) []token {
	var out []token
	for k, w := range strings.Fields(text) {
		t := token{text: w, kind: wordTok, wordVal: -1}
		if k == 0 {
			t.brk, t.sep = like.brk, like.sep
		}
		out = append(out, t)
	}
	return out
}

// unitAbbreviations: "5 km" = "5 kilometers", "1 kg" = "1 kilogram",
// "30 km/h" = "30 kilometers per hour", "20 m²" = "20 m squared" =
// "20 square meters", "5 sq ft" = "5 square feet", "60 miles an hour" =
// "60 miles per hour", "30 °C" = "30 degrees celsius", "4x4" = "4 by 4".
func unitAbbreviations(toks []token) []token {
	out := make([]token, 0, len(toks))
	isW := func(k int, w string) bool {
		return k < len(toks) && toks[k].kind == wordTok && toks[k].text == w
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		// Breaks are not looked at: the output, joined by spaces, has none,
		// and normalizing it again must give the same words.
		var prev *token
		if len(out) > 0 {
			prev = &out[len(out)-1]
		}
		afterNum := prev != nil && prev.kind == numberTok
		if t.kind != wordTok {
			out = append(out, t)
			continue
		}
		n := ""
		if afterNum {
			n = prev.text
		}
		switch {
		case afterNum && t.text == "x" && i+1 < len(toks) && toks[i+1].kind == numberTok:
			out = append(out, wordsLike("by", t)...) // "4x4" = "four by four"
			continue
		case afterNum && (t.text == "km" || t.text == "m") && i+1 < len(toks) && strings.TrimSpace(toks[i+1].sep) == "/" &&
			(toks[i+1].text == "h" || toks[i+1].text == "s" && t.text == "m"):
			base := lengthUnits[map[string]string{"km": "kilometers", "m": "meters"}[t.text]]
			per := map[string]string{"h": "hour", "s": "second"}[toks[i+1].text]
			out = append(out, wordsLike(unitWordFor(n, base.one, base.many)+" per "+per, t)...)
			i++
			continue
		case afterNum && (t.text == "foot" || t.text == "feet" || t.text == "ft") && !isW(i+1, "squared") && !isW(i+1, "cubed"):
			// "five foot ten" = "5 feet 10 inches" = 5'10"
			out = append(out, wordsLike(unitWordFor(n, "foot", "feet"), t)...)
			if k := i + 1; k < len(toks) && toks[k].kind == numberTok && plainInt(toks[k].text) && len(toks[k].text) <= 2 &&
				toks[k].text != "0" && (len(toks[k].text) == 1 || toks[k].text <= "11") &&
				!(k+1 < len(toks) && (toks[k+1].kind != wordTok || unitWordSet[toks[k+1].text] || numberWords[toks[k+1].text].class != 0 ||
					toks[k+1].text == "squared" || toks[k+1].text == "cubed")) {
				out = append(out, toks[k])
				// The inches of a height are said or not ("six foot one"),
				// so their word takes no number: 6'1" = "6 feet 1 inches".
				out = append(out, wordsLike("inches", token{})...)
				i++
				if isW(i+1, "in") || isW(i+1, "inch") || isW(i+1, "inches") {
					i++ // "5 ft 2 in", "five feet ten inches"
				}
			}
			continue
		case afterNum && t.text == "sq" && i+1 < len(toks):
			out = append(out, wordsLike("square", t)...)
			continue
		case prev != nil && prev.kind == wordTok && (prev.text == "square" || prev.text == "cubic") && lengthUnits[t.text] != unitNames{}:
			out = append(out, wordsLike(lengthUnits[t.text].many, t)...) // "5 sq ft" = "5 square feet"
			continue
		}
		// "50 m2" = "50 m²" = "50 square meters": a 2 or 3 written onto a
		// length unit after a number.
		if u, ok := lengthUnits[t.text]; ok && afterNum && i+1 < len(toks) && toks[i+1].kind == numberTok && toks[i+1].sep == "" &&
			(toks[i+1].text == "2" || toks[i+1].text == "3") && t.post == "" {
			shape := map[string]string{"2": "square", "3": "cubic"}[toks[i+1].text]
			out = append(out, wordsLike(shape+" "+u.many, t)...)
			i++
			continue
		}
		if u, ok := lengthUnits[t.text]; ok && afterNum && (isW(i+1, "squared") || isW(i+1, "cubed")) {
			shape := map[string]string{"squared": "square", "cubed": "cubic"}[toks[i+1].text]
			out = append(out, wordsLike(shape+" "+u.many, t)...)
			i++
			continue
		}
		if _, ok := lengthUnits[t.text]; ok && prev != nil && (afterNum || prev.kind == wordTok && (prev.text == "square" || prev.text == "cubic")) &&
			isW(i+1, "an") && isW(i+2, "hour") {
			out = append(out, wordsLike(t.text+" per hour", t)...) // "miles an hour" = "mph"
			i += 2
			continue
		}
		if t.text == "m" && afterNum {
			// "50 m long" = "fifty metres long" (money is read first:
			// "$5m" is "5 dollars m").
			out = append(out, wordsLike(unitWordFor(n, "meter", "meters"), t)...)
			continue
		}
		if (t.text == "l" || t.text == "w") && afterNum && keywordBefore(out, len(out)-1) {
			out = append(out, t) // a code: "apartment 4L", "seat 12W"
			continue
		}
		if t.text == "g" && afterNum && len(n) == 1 && n >= "2" && n <= "6" && !isW(i+1, "of") {
			out = append(out, t) // "5G", "a 4G phone": a network
			continue
		}
		if u, ok := unitAbbrev[t.text]; ok && afterNum && t.text != "m" {
			out = append(out, wordsLike(unitWordFor(n, u.one, u.many), t)...)
			continue
		}
		if (t.text == "c" || t.text == "f") && prev != nil && prev.kind == wordTok && (prev.text == "degrees" || prev.text == "degree") {
			out = append(out, wordsLike(map[string]string{"c": "celsius", "f": "fahrenheit"}[t.text], t)...)
			continue
		}
		if (t.text == "inch" || t.text == "inches") && afterNum && len(out) > 1 && out[len(out)-2].kind == wordTok &&
			(out[len(out)-2].text == "feet" || out[len(out)-2].text == "foot") {
			t.text = "inches" // a height: "six feet one inch" = 6'1" = "six foot one"
		}
		if t.text == "centigrade" {
			t.text = "celsius"
		}
		out = append(out, t)
	}
	return out
}

// Nouns after which an amount is an adjective, singular: "$5 bill" =
// "five-dollar bill" = "5 dollar bill", "a 5 km run" = "a five-kilometer
// run".
var compoundHeadNouns = map[string]bool{
	"bill": true, "bills": true, "note": true, "notes": true, "coin": true, "coins": true,
	"fee": true, "fine": true, "ticket": true, "tickets": true, "run": true, "walk": true,
	"drive": true, "race": true, "hike": true, "limit": true, "bag": true, "bottle": true,
	"pack": true, "box": true, "deposit": true, "budget": true, "gift": true, "card": true,
	"increase": true, "cut": true, "raise": true, "radius": true, "stretch": true, "trip": true,
	"tip": true, "voucher": true, "coupon": true, "charge": true, "discount": true, "refund": true,
	"credit": true, "bonus": true, "surcharge": true, "donation": true, "bet": true, "loan": true,
}

var pluralUnits = map[string]string{}

// unitWordSet holds every unit word and abbreviation.
var unitWordSet = map[string]bool{}

func init() {
	for _, c := range currencies {
		if c.many != c.one {
			pluralUnits[c.many] = c.one
		}
		if c.subMany != c.subOne {
			pluralUnits[c.subMany] = c.subOne
		}
	}
	for _, u := range unitAbbrev {
		if f, g := strings.Fields(u.many), strings.Fields(u.one); len(f) == 1 && len(g) == 1 && f[0] != g[0] {
			pluralUnits[f[0]] = g[0]
		}
	}
	for _, u := range lengthUnits {
		if u.many != u.one {
			pluralUnits[u.many] = u.one
		}
	}
	for k, u := range unitAbbrev {
		unitWordSet[k] = true
		for _, w := range strings.Fields(u.one + " " + u.many) {
			unitWordSet[w] = true
		}
	}
	for k := range lengthUnits {
		unitWordSet[k] = true
	}
	for k := range amountWords {
		unitWordSet[k] = true
	}
	delete(pluralUnits, "seconds")
	delete(pluralUnits, "pence")
}

// compoundHeads makes a plural unit right after a number singular before
// the nouns in compoundHeadNouns.
func compoundHeads(toks []token) []token {
	for i := 1; i+1 < len(toks); i++ {
		t := toks[i]
		one, ok := pluralUnits[t.text]
		if !ok || t.kind != wordTok || toks[i-1].kind != numberTok {
			continue
		}
		if n := toks[i+1]; n.kind == wordTok && compoundHeadNouns[n.text] {
			toks[i].text = one
		}
	}
	return toks
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
		case t.text == "°":
			w := "degrees"
			if len(out) > 0 && out[len(out)-1].text == "1" && !t.brk {
				w = "degree"
			}
			out = append(out, wordLike(w, t))
		default:
			c := currencies[t.text]
			n := i + 1
			if n < len(toks) && toks[n].kind == numberTok && !toks[n].brk && plainNumber(toks[n].text) {
				// "$500 dollars": with the currency said after it, the
				// symbol is read too (a repeated word, not an unsaid one).
				said := n+1 < len(toks) && toks[n+1].kind == wordTok && (toks[n+1].text == c.one || toks[n+1].text == c.many)
				for k, w := range money(toks[n].text, c) {
					like := token{}
					if k == 0 {
						like = t
					}
					u := wordLike(w, like)
					if k%2 == 0 {
						u.kind = numberTok
					} else {
						u.optional = !said // "$19.99" said "nineteen ninety-nine"
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
// 1..99 right after "<n> dollars" is cents ("five dollars fifty"), unless
// a unit word follows it ("seven pounds four ounces" is weight).
func moneyWords(toks []token) []token {
	isWord := func(k int, set map[string]bool) bool {
		return k < len(toks) && toks[k].kind == wordTok && set[toks[k].text]
	}
	notSubunit := map[string]bool{"percent": true, "second": true}
	out := make([]token, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == wordTok && t.text == "a" && i+1 < len(toks) && toks[i+1].kind == wordTok {
			if sym, ok := unitWords[toks[i+1].text]; ok && currencies[sym].one == toks[i+1].text || toks[i+1].text == "penny" || toks[i+1].text == "cent" {
				t = token{text: "1", kind: numberTok, wordVal: 1, brk: t.brk, sep: t.sep} // "a dollar fifty" = "$1.50"
			}
		}
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
			!isWord(k+1, subunitWords) && !isWord(k+1, notSubunit) && !isWord(k+1, unitWordSet) {
			c := currencies[sym]
			sub := wordLike(unitWord(toks[k].text, c.subOne, c.subMany), token{})
			sub.optional = true // "five dollars fifty": the cents go unsaid
			out = append(out, toks[k], sub)
			i = k
		}
	}
	return out
}
