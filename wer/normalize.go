package wer

// Text normalization for WER scoring, in five steps, one file each:
// tokenize.go (steps 1 and 2), words.go, numbers.go and units.go.
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
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if t.text != "" {
			out = append(out, t.text)
		}
	}
	return out
}
