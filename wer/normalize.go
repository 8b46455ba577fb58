package wer

import "strings"

// Text normalization for WER scoring, one file a step: unicode.go and
// tokenize.go (steps 1-2), words.go and spelling.go (3), numbers.go (4),
// fractions.go (5) and units.go (6). RULES.md lists every rule with its
// decided ambiguities.
//
// Normalize is applied to the reference and to the hypothesis alike, so
// every rule below only has to be consistent, not "right". The pipeline is:
//
//  1. tokenize: Unicode folding (NFKD, accents removed, NFC; format
//     characters removed); split into word, number and symbol tokens,
//     lowercased, remembering capitals; all other punctuation becomes a
//     separator. A separator that contains punctuation is a "break":
//     numbers are never assembled across a break ("five, six" stays "5 6").
//     Whitespace and hyphens are separators but not breaks ("thirty-six" is
//     36). "+", "=", "@", "&" and "#1" are read as plus, equals, at, and,
//     number; "-5" as minus 5; "." inside an address as dot; 5'10" as feet
//     and inches; "6:00" as "6 (o'clock)" unless am/pm follows; 24-hour
//     times as said ("18:30" = "1830", "13:00" = "1300", "0600" = "06:00"
//     = "0 600").
//  2. initialisms: "U.S.A." = "usa", "J. K." = "JK", "C O two" = "CO2",
//     "Ph.D." = "phd".
//  3. word rewrites: closed compounds ("e-mail" = "e mail" = "email",
//     "follow up" = "followup", "long-term" = "longterm"; a bound prefix
//     such as non-, anti-, multi- joins the next word in any spelling:
//     "non-smoking" = "non smoking" = "nonsmoking"), roman numerals, Dr./St. by context,
//     contractions, British -> American spelling, abbreviations ("Apt.",
//     "Gov.", "Inc.", months), fillers dropped, "per cent" -> "percent",
//     "Rocky IV" = "rocky 4", "Henry VIII's" = "henry the eighth's",
//     "negative" before a number -> "minus".
//  4. numbers: spelled-out numbers become digits; digit strings (phone,
//     PIN, room numbers, "oh", "double") become one digit a word; after a
//     keyword ("card ends in", "account ending", "call", "flight BA")
//     too, except a lone 10-99 ("gate twelve" = "gate 12"); a hyphen
//     between two written numbers is "to" ("9-5" = "nine to five"); "a
//     $100" = "a hundred dollars" = "100 dollars"; "100 and 5" = "105";
//     "oh six hundred" = "0 600".
//  5. fractions and clock phrases: "one and a half" = "1.5", "half past
//     seven" = "7 30", "five past eight" = "8 0 5", "at ten to seven" =
//     "at 6 50".
//  6. units: "%" -> "percent", "°" -> degrees, currency symbols become
//     trailing unit words ("$5.50" -> "5 dollars 50 cents"), unit
//     abbreviations after numbers become words ("5 km" -> "5 kilometers",
//     "200 g" -> "200 grams", "2 L" -> "2 liters", "65W" -> "65 watts",
//     "100 Mbps" -> "100 megabits per second"; "5G" stays a network, and
//     "apartment 4L" a code); "seven pounds four ounces" is a weight, not
//     money; the inch word of a height takes no number ("six foot one" =
//     "6'1"" = "6 feet 1 inches").
//  7. verb groups (groups.go): a subject and its auxiliary, with an
//     optional "not", and an auxiliary with "not" become one scoring word
//     with spaces inside ("they're" = "they are" = [they are], "he isn't" =
//     "he's not" = [he is not]), since a contraction is one spoken word.
//     The joined text reads as before; "1000s" -> "thousands".
//
// Conventions (documented choices; both sides get the same treatment):
//
//   - Canonical numbers are digits: "two thousand" = "2,000" = "2000".
//     Digits read one by one are one digit a word: "555-1234" =
//     "five five five one two three four" = "5 5 5 1 2 3 4".
//   - Percent is two words: "20%" = "20 %" = "twenty percent" = "20 percent".
//   - Ordinals are digits plus suffix: "twenty first" = "21st".
//   - Decades: "the eighties" = "80s", "nineteen nineties" = "1990s",
//     "eighteen hundreds" = "1800s".
//   - Fractions: decimals where they have one ("3/4" = "0.75"), otherwise
//     "n/d" ("two thirds" = "2/3").
//   - Verb groups: a word of Normalize's output may hold spaces: a
//     subject+auxiliary(+not) or auxiliary+not group (groups.go).
//   - Contractions: n't -> "not" with "can't"/"cannot" -> "can not",
//     "won't" -> "will not", "shan't" -> "shall not"; 're -> are, 've -> have,
//     'll -> will, 'm -> am, 'd -> would, or had before a past participle
//     ("I'd been"); 's -> is only after pronouns and question words (it,
//     that, what, there, here, he, she, who, where, how, when, why, this),
//     or has before a past participle ("she's been"), and "let's" -> "let
//     us"; every other 's (possessives, "John's here") is kept as written,
//     and "James'" is "james's". "ain't", "o'clock" and other apostrophe
//     words stay as they are.
//   - Decimals are one word here ("3.14" = "three point one four"; "0.5"
//     = ".5" = "point five"); Words, what WER aligns, says them digit by
//     digit after the point ("3 point 1 4", "0.5" as "point 5"), so a
//     wrong digit after the point is one error and two swapped digits are
//     two.
//   - Times: "10:00" -> "10 (o'clock)", "10:00 am" -> "10 am" (matching
//     "ten a.m."); "10:30" -> "10 30" (matching "ten thirty"); "9:05" ->
//     "9 0 5" (matching "nine oh five").
//   - Money: "$5" -> "5 (dollars)", "$1" -> "1 (dollar)", "$5.50" ->
//     "5 (dollars) 50 (cents)" (a word in parentheses may go unsaid, see
//     readings.go), "five dollars and fifty cents" -> "5 dollars 50 cents",
//     "five dollars fifty" and "a dollar fifty" (for $1.50) -> "5 dollars 50
//     (cents)"; "£" uses pound/pounds and
//     penny/pence ("50p"), "€" euro/euros and cent/cents, "¥" yen, "₹"
//     rupees and so on; "$5 bill" = "five-dollar bill" = "5 dollar bill".
//   - Fillers um, umm, uh, uhh, uhm, hmm, hm, mm, mmm, er, erm, ah, ahh are
//     dropped ("mm" after a number is millimeters); "oh" is kept (it is a
//     word, and a zero inside digit strings).
//   - Abbreviations: "mr" -> "mister", "mrs" -> "missus", "ok" -> "okay",
//     "vs" -> "versus", "alright" -> "all right", "dr" -> "doctor" or
//     "drive", "st" -> "saint" or "street", "e.g." -> "for example", "i.e."
//     -> "that is" (see words.go for the rest); "m" after a number is
//     meters, "gigs" gigabytes.
//   - Letters and digits written together are split ("CO2" -> "co 2",
//     "10am" -> "10 am") except an ordinal or plural suffix ("21st", "1990s").

// Normalize lowercases s and rewrites it into scoring words: punctuation
// removed, contractions expanded, British spellings Americanized, fillers
// dropped and numbers in canonical digit form. The result is idempotent:
// normalizing strings.Join(Normalize(s), " ") returns the same words.
func Normalize(s string) []string {
	tt := tokenize(s)
	toks := joinInitialisms(tt)
	toks = rewriteWords(toks, tt.hasLower)
	toks = numbers(toks)
	toks = fractions(toks)
	toks = units(toks)
	toks = groupVerbs(toks)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.kind == numberTok {
			// "1000s of homes" = "thousands of homes": a plural of a bare
			// scale is not a decade.
			if w, ok := scalePlurals[t.text]; ok {
				t.text = w
			}
		}
		switch {
		case t.text == "":
		case t.optional:
			out = append(out, "("+t.text+")")
		default:
			out = append(out, t.text)
		}
	}
	return out
}

// Words is what WER aligns: the words of Normalize, with each decimal
// number split the way it is said, "3.14" -> "3 point 1 4" (as "three point
// one four"), so that two swapped or wrong digits after the point count as
// the two errors a listener hears, not as one wrong number. Normalize keeps
// a decimal one word, so that normalizing its output changes nothing; the
// split words are for alignment only.
func Words(s string) []string {
	norm := Normalize(s)
	out := make([]string, 0, len(norm))
	for _, w := range norm {
		out = appendDecimal(out, w)
	}
	return out
}

// appendDecimal appends w to out, a decimal number as it is said: its
// whole part, "point" and each digit after the point ("3.14" -> "3 point 1
// 4", as "three point one four"), so that two swapped or wrong digits after
// the point count as the two errors a listener hears, not as one wrong
// number. Any other word is appended as it is.
func appendDecimal(out []string, w string) []string {
	whole, frac, ok := strings.Cut(w, ".")
	if !ok || whole == "" || frac == "" || !allDigits(whole) || !allDigits(frac) {
		return append(out, w)
	}
	if whole != "0" {
		out = append(out, whole) // "0.5" is said "point five"
	}
	out = append(out, "point")
	for _, d := range frac {
		out = append(out, string(d))
	}
	return out
}

func allDigits(s string) bool {
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return s != ""
}

var scalePlurals = map[string]string{
	"100s": "hundreds", "1000s": "thousands", "1000000s": "millions", "1000000000s": "billions",
}
