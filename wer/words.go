package wer

import (
	"strconv"
	"strings"
)

var strconvItoa = strconv.Itoa

// Word rewrites, the third step of Normalize: contractions, spelling,
// abbreviations, fillers.

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
// words separated by spaces): the British -> American list in
// spelling_uk_us.txt and the abbreviations below. No value is itself a key.
var replacements = map[string]string{}

// Abbreviations that need no context. "ms" stays as it is ("Ms." is not
// "Miss"); "no" is "number" only before a number (numbers.go); "dr", "st"
// and "ft" are decided by context (contextAbbreviation).
var abbreviations = map[string]string{
	"mr":       "mister",
	"mrs":      "missus",
	"ok":       "okay",
	"vs":       "versus",
	"alright":  "all right",
	"prof":     "professor",
	"mt":       "mount",
	"ave":      "avenue",
	"rd":       "road",
	"blvd":     "boulevard",
	"hwy":      "highway",
	"jr":       "junior",
	"sr":       "senior",
	"sgt":      "sergeant",
	"capt":     "captain",
	"lt":       "lieutenant",
	"dept":     "department",
	"govt":     "government",
	"approx":   "approximately",
	"etc":      "et cetera",
	"etcetera": "et cetera",
	"eg":       "for example",
	"ie":       "that is",
	"phd":      "phd",
	"apt":      "apartment",
	"gov":      "governor",
	"inc":      "incorporated",
	"corp":     "corporation",
	"ltd":      "limited",
	"ext":      "extension",
	"jan":      "january",
	"feb":      "february",
	"apr":      "april",
	"aug":      "august",
	"sept":     "september",
	"oct":      "october",
	"nov":      "november",
	"dec":      "december",
}

func init() {
	add := func(from, to string) {
		if from != to {
			replacements[from] = to
		}
	}
	for _, p := range spellingPairs() {
		add(p[0], p[1])
	}
	for k, v := range abbreviations {
		add(k, v)
	}
}

// lookupSpelling maps one word: the tables, then a possessive or plural
// of a listed word ("neighbour's" = "neighbor's", "storeys'" is already
// "storeys's" from tokenize).
func lookupSpelling(w string) (string, bool) {
	if r, ok := replacements[w]; ok {
		return r, true
	}
	if stem, ok := strings.CutSuffix(w, "'s"); ok {
		if r, ok := replacements[stem]; ok && !strings.Contains(r, " ") {
			return r + "'s", true
		}
	}
	if stem, ok := strings.CutSuffix(w, "s"); ok && len(stem) > 3 {
		if r, ok := replacements[stem]; ok && !strings.Contains(r, " ") && spellingFrom[stem] {
			return r + "s", true
		}
	}
	return "", false
}

// Closed compounds are one word in any spelling: closed, hyphenated or
// open ("e-mail" = "email" = "e mail", "follow-up" = "followup" = "follow
// up", "health care" = "healthcare"); each is joined into its closed form.
// closedCompounds entries are the part before the hyphen and the start of
// the part after it ("co-operate", "co-ordinated"); openCompounds entries
// are the two whole parts (a plural "s" on the second part is kept:
// "x rays" = "xrays"). The spaced spellings in hyphenOnly are left alone,
// since they are also two words ("wait on line", "play off each other").
var closedCompounds = [][2]string{
	{"e", "mail"}, {"e", "book"}, {"e", "commerce"}, {"on", "line"}, {"off", "line"},
	{"co", "operat"}, {"co", "ordinat"}, {"co", "worker"}, {"co", "founder"},
	{"co", "author"}, {"co", "pilot"}, {"co", "star"}, {"re", "elect"}, {"re", "enter"},
	{"re", "examin"}, {"re", "establish"}, {"pre", "existing"}, {"non", "profit"},
	{"wi", "fi"}, {"week", "end"}, {"life", "style"}, {"play", "off"}, {"set", "up"},
	{"log", "in"}, {"health", "care"}, {"web", "site"}, {"web", "page"},
	{"voice", "mail"}, {"day", "care"}, {"home", "page"}, {"teen", "age"},
}

var hyphenOnly = map[[2]string]bool{
	{"on", "line"}: true, {"off", "line"}: true, {"play", "off"}: true,
}

var openCompounds = map[[2]string]bool{}

// boundPrefixes never stand alone as words, so a word after one of them,
// hyphenated or spaced, is joined to it: "non-smoking" = "non smoking" =
// "nonsmoking", "multi-storey" = "multistorey".
var boundPrefixes = map[string]bool{
	"non": true, "anti": true, "multi": true, "semi": true, "inter": true, "pre": true,
}

func init() {
	for _, c := range strings.Fields(`
		follow-up x-ray any-more any-time start-up over-night mid-night mid-day
		check-in check-out log-out sign-up sign-in pick-up drop-off take-off
		take-out work-out back-up break-down lock-down shut-down lay-over
		carry-on print-out line-up hand-out cut-off kick-off check-up clean-up
		stand-by touch-down feed-back child-care skin-care week-day week-night
		life-time pass-word user-name data-base time-line dead-line time-frame
		cell-phone smart-phone head-phones ear-phones air-line air-plane
		note-book lap-top text-book hand-book work-shop work-place work-force
		work-load work-flow home-work house-hold news-paper in-patient
		out-patient pain-killer heart-beat tooth-brush tooth-paste head-ache
		back-pack suit-case hand-bag drive-way high-way free-way rail-way
		sub-way door-step down-town up-town grand-mother grand-father
		grand-parents grand-son grand-daughter grand-child grand-children
		care-giver birth-day pay-check pay-day good-bye land-line hot-line
		help-line head-line book-mark down-load up-load up-date up-grade
		back-ground fore-cast share-holder stake-holder policy-holder
		book-keeping house-keeping post-code check-list mail-box post-card
		web-cam sun-glasses sun-screen sun-rise sun-set rain-fall snow-fall
		thunder-storm wild-fire short-cut hair-cut break-through heart-burn
		over-time over-seas under-ground over-head fire-fighter sales-person
		spokes-person eye-sight eye-glasses long-term short-term cross-check
		cross-reference auto-pay auto-renew`) {
		a, b, _ := strings.Cut(c, "-")
		openCompounds[[2]string{a, b}] = true
	}
}

// closedCompound reports whether a and b (the parts of a hyphenated word)
// are the parts of a closed compound.
func closedCompound(a, b string) bool {
	for _, c := range closedCompounds {
		if a == c[0] && strings.HasPrefix(b, c[1]) {
			if c[1] == "up" || c[1] == "in" || c[1] == "off" || c[1] == "fi" || c[1] == "end" || c[1] == "age" {
				return b == c[1] || b == c[1]+"s"
			}
			return true
		}
	}
	return openCompound(a, b)
}

// openCompound reports whether a and b written with a space between them
// are the parts of a closed compound.
func openCompound(a, b string) bool {
	if boundPrefixes[a] && b != "" {
		return true
	}
	if openCompounds[[2]string{a, strings.TrimSuffix(b, "s")}] || openCompounds[[2]string{a, b}] {
		return true
	}
	if hyphenOnly[[2]string{a, b}] {
		return false
	}
	for _, c := range closedCompounds {
		if a == c[0] && (b == c[1] || b == c[1]+"s") {
			return true
		}
	}
	return false
}

func hyphenSep(sep string) bool {
	return sep == "-" || sep == "\u2010" || sep == "\u2011"
}

// Past participles after which 's is "has" and 'd is "had" ("she's been",
// "it's got", "I'd gone"). Participles that are also adjectives after "is"
// ("it's done", "it's made of") are left out for 's; 'd takes them (and
// -ed forms), since "would done" is no English.
var hasParticiples = map[string]bool{
	"been": true, "got": true, "gotten": true, "had": true, "come": true, "become": true,
	"begun": true, "eaten": true, "fallen": true, "won": true, "gone": true,
}

var hadParticiples = map[string]bool{
	"done": true, "seen": true, "taken": true, "made": true, "known": true, "given": true,
	"written": true, "forgotten": true, "left": true, "lost": true, "said": true, "told": true,
	"thought": true, "heard": true, "found": true, "brought": true, "bought": true, "better": true,
}

var participleAdverbs = map[string]bool{
	"never": true, "already": true, "just": true, "always": true, "ever": true, "not": true,
	"recently": true, "finally": true, "only": true, "also": true, "still": true,
}

func participleAt(toks []token, i int, had bool) bool {
	if i < len(toks) && toks[i].kind == wordTok && participleAdverbs[toks[i].text] {
		i++
	}
	if i >= len(toks) || toks[i].kind != wordTok || toks[i].brk {
		return false
	}
	w := toks[i].text
	if hasParticiples[w] {
		return true
	}
	if !had {
		return false
	}
	return hadParticiples[w] || len(w) >= 5 && strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "eed")
}

// Sentence starters: a capitalized one after "St." or "Dr." more likely
// starts a new sentence than a name ("Main St. The shop ...").
var sentenceStarters = map[string]bool{
	"the": true, "a": true, "an": true, "it": true, "we": true, "i": true, "he": true,
	"she": true, "they": true, "this": true, "that": true, "there": true, "then": true,
	"and": true, "but": true, "so": true, "you": true, "my": true, "our": true,
	"his": true, "her": true, "their": true, "in": true, "on": true, "at": true,
}

// contextAbbreviation decides "dr" (doctor / drive), "st" (saint / street)
// and "ft" (fort / feet) from the words around them: before a capitalized
// name (or any word, in text without capitals) it is the title, "Dr. Smith"
// = "doctor smith", "St. Louis" = "saint louis", "Ft. Worth" = "fort worth";
// after a word or number and not before a name it is the street or unit,
// "Elm St." = "elm street", "Mulholland Dr." = "mulholland drive", "6 ft" =
// "6 feet". Elsewhere it is the title. "drive" and "street" written out are
// never changed, so "Dr. Smith" against "drive Smith" stays an error.
func contextAbbreviation(w string, toks []token, i int, prev *token, hasLower bool) (string, bool) {
	var title, place string
	switch w {
	case "dr":
		title, place = "doctor", "drive"
	case "st":
		title, place = "saint", "street"
	case "ft":
		title, place = "fort", "feet"
	default:
		return "", false
	}
	t := toks[i]
	nextName := false
	if n := i + 1; n < len(toks) && toks[n].kind == wordTok && (!toks[n].brk || strings.TrimLeft(toks[n].sep, ". ") == "") {
		nw := toks[n]
		switch {
		case !hasLower:
			nextName = true
		case nw.cap && !(strings.HasPrefix(nw.sep, ".") && sentenceStarters[nw.text]):
			nextName = true
		}
	}
	// A street name comes before "Dr." or "St.": a number or a capitalized
	// word, but not a capitalized "The" or "A" opening a sentence ("The Dr.
	// to Fort Worth" is no drive).
	afterWord := prev != nil && !t.brk && (prev.kind == numberTok ||
		prev.kind == wordTok && (prev.cap && !sentenceStarters[prev.text] || !hasLower))
	if w == "ft" {
		// "6 ft" is read with the units, after numbers (units.go).
		if nextName && t.cap {
			return title, true
		}
		return "", false
	}
	if nextName || !afterWord {
		return title, true
	}
	return place, true
}

// Roman numerals after a name or a numbered title. After the words in
// romanTitleWords ("World War II", "Part IV", "Super Bowl LVII", "type II",
// "parts I and III"), capitalized or not, the numeral is a cardinal:
// "world war 2"; so is a numeral after "and", "or", "to" or "through" that
// follows such a cardinal. After a regnal name (regnalNames) or any name
// after a title (king, queen, pope, ...) it is a regnal ordinal: "Henry
// VIII" = "Henry the Eighth" = "henry the 8th", "John Paul II" = "john paul
// the 2nd", and its possessive is the ordinal word's ("Henry VIII's" =
// "Henry the Eighth's" = "henry the eighth's"). After another capitalized
// word (a title of a film, a game) it is a cardinal: "Rocky IV" = "Rocky
// Four" = "rocky 4", "Final Fantasy VII". Only numerals written in
// capitals in text that has lower-case letters count; after a name only I,
// V and X are used and a lone "I" or "X" is never a numeral ("Malcolm X",
// "Tell Henry I said"), except after a regnal name that follows a title or
// starts its clause ("Queen Elizabeth I", "Elizabeth I never married",
// "James I commissioned"); the pronoun "I" is otherwise never read as one.
var romanTitleWords = map[string]bool{
	"war": true, "part": true, "chapter": true, "volume": true, "vol": true, "act": true,
	"scene": true, "phase": true, "stage": true, "book": true, "season": true,
	"episode": true, "type": true, "class": true, "level": true, "grade": true,
	"round": true, "bowl": true, "apollo": true, "title": true, "article": true,
	"section": true, "schedule": true, "category": true, "tier": true,
	"parts": true, "chapters": true, "volumes": true, "acts": true, "books": true,
	"seasons": true, "episodes": true, "types": true, "phases": true, "stages": true,
	"sections": true, "articles": true, "levels": true, "wars": true,
}

// regnalTitles make the name after them regnal: "Queen Elizabeth I".
var regnalTitles = map[string]bool{
	"king": true, "queen": true, "pope": true, "emperor": true, "empress": true,
	"tsar": true, "czar": true, "tsarina": true, "prince": true, "princess": true,
	"duke": true, "duchess": true, "sultan": true, "shah": true, "pharaoh": true,
	"saint": true, "st": true, "kaiser": true,
}

// regnalNames are the names of monarchs and popes that take a regnal
// ordinal without a title: "Henry VIII", "Louis XIV", "John Paul II".
var regnalNames = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`henry edward elizabeth charles george william james richard john
		paul mary anne victoria louis philip philippe peter catherine frederick gregory benedict pius leo
		innocent clement alexander nicholas ivan napoleon francis ferdinand isabella alfonso juan carlos
		felipe harald olaf gustav gustavus christian wilhelm otto constantine boniface urban sixtus julius
		eugene stephen david robert alfred ramesses ramses ptolemy amenhotep thutmose cleopatra rameses
		king hadrian justinian theodosius leopold ludwig sigismund casimir sancho ramiro pedro manuel
		joao john-paul adrian celestine martin honorius sergius marcus selim mehmed suleiman murad
		matilda margaret harold canute cnut kenneth duncan macbeth edmund ethelred athelstan
		edgar frederik haakon magnus eric erik valdemar carl oscar umberto vittorio emmanuel`) {
		regnalNames[w] = true
	}
}

// ordinalWords are the one-word ordinals, for the possessive of a regnal
// numeral ("VIII's" -> "eighth's").
var ordinalWords = map[int]string{}

func init() {
	for w, nw := range numberWords {
		if nw.ordinal && nw.val > 0 && nw.val <= 20 || w == "thirtieth" {
			ordinalWords[int(nw.val)] = w
		}
	}
}

func romanValue(s string) int {
	vals := map[byte]int{'i': 1, 'v': 5, 'x': 10, 'l': 50, 'c': 100}
	total := 0
	for k := 0; k < len(s); k++ {
		v, ok := vals[s[k]]
		if !ok {
			return 0
		}
		if k+1 < len(s) && vals[s[k+1]] > v {
			total -= v
		} else {
			total += v
		}
	}
	if total <= 0 || toRoman(total) != s {
		return 0
	}
	return total
}

func toRoman(n int) string {
	var b strings.Builder
	for _, p := range []struct {
		v int
		s string
	}{{100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"}, {10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}} {
		for n >= p.v {
			b.WriteString(p.s)
			n -= p.v
		}
	}
	return b.String()
}

// roman returns the tokens a roman numeral stands for, or nil. prev is the
// last word written out, prev2 the one before it (nil when none or when a
// break stands between them), next the token after the numeral, and
// afterCardinal reports that prev is "and", "or", "to" or "through" after
// a numeral that was read as a cardinal.
func roman(t token, prev, prev2 *token, next *token, afterCardinal, hasLower bool) []token {
	if !t.caps && t.text != "i" || !hasLower || prev == nil || prev.kind != wordTok || t.brk {
		return nil
	}
	if t.text == "i" && !t.cap {
		return nil
	}
	text, possessive := strings.CutSuffix(t.text, "'s")
	v := romanValue(text)
	if v == 0 {
		return nil
	}
	cardinal := func() []token {
		if possessive {
			return nil
		}
		return []token{{text: strconvItoa(v), kind: numberTok, wordVal: int64(v), sep: t.sep}}
	}
	if romanTitleWords[prev.text] || afterCardinal {
		return cardinal()
	}
	if !prev.cap || v > 39 || strings.ContainsAny(text, "lc") {
		return nil
	}
	titled := prev2 != nil && regnalTitles[prev2.text]
	regnal := titled || regnalNames[prev.text]
	if text == "i" || text == "x" {
		// A lone I or X: only after a regnal name that follows a title or
		// starts its clause, and never before a break-less "'m", "am" ...
		if !regnal || !titled && (prev2 != nil || next != nil && !next.brk && next.kind == wordTok && pronounIOnly[next.text]) {
			return nil
		}
	}
	if !regnal {
		return cardinal()
	}
	if possessive {
		w, ok := ordinalWords[v]
		if !ok {
			return nil
		}
		return []token{
			{text: "the", kind: wordTok, wordVal: -1, sep: t.sep},
			{text: w + "'s", kind: wordTok, wordVal: -1},
		}
	}
	n := strconvItoa(v)
	return []token{
		{text: "the", kind: wordTok, wordVal: -1, sep: t.sep},
		{text: n + ordinalSuffix(int64(v)), kind: numberTok, wordVal: -1},
	}
}

// pronounIOnly are words after which a capital I is the pronoun even after
// a regnal name ("Elizabeth I am", "Henry I think").
var pronounIOnly = map[string]bool{
	"am": true, "think": true, "thought": true, "know": true, "knew": true, "guess": true,
	"mean": true, "said": true, "say": true, "told": true, "will": true, "would": true,
	"can": true, "could": true, "do": true, "did": true, "don't": true, "didn't": true,
	"have": true, "had": true, "was": true, "need": true, "want": true, "love": true,
	"hope": true, "believe": true, "feel": true, "see": true, "saw": true, "just": true,
	"really": true, "also": true, "should": true, "'m": true, "'ll": true, "'d": true, "'ve": true,
}

// rewriteWords expands contractions, maps spellings and abbreviations,
// drops fillers and merges "per cent".
func rewriteWords(toks []token, hasLower bool) []token {
	out := make([]token, 0, len(toks))
	pendingBrk := false // a dropped filler stood between punctuation
	romanCardinal := -1 // index in out of the last roman numeral read as a cardinal
	push := func(t token) {
		t.brk = t.brk || pendingBrk
		pendingBrk = false
		out = append(out, t)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind != wordTok {
			push(t)
			continue
		}
		var prev *token
		if len(out) > 0 {
			prev = &out[len(out)-1]
		}
		// Closed compounds: "e-mail" = "e mail" = "email".
		if i+1 < len(toks) && toks[i+1].kind == wordTok && (hyphenSep(toks[i+1].sep) && closedCompound(t.text, toks[i+1].text) ||
			strings.TrimSpace(toks[i+1].sep) == "" && !toks[i+1].brk && openCompound(t.text, toks[i+1].text)) {
			t.text += toks[i+1].text
			t.post = toks[i+1].post
			i++
		}
		var prev2, next *token
		if len(out) > 1 && prev != nil && !prev.brk {
			prev2 = &out[len(out)-2]
		}
		if i+1 < len(toks) {
			next = &toks[i+1]
		}
		afterCardinal := prev != nil && !t.brk && (prev.text == "and" || prev.text == "or" || prev.text == "to" || prev.text == "through") &&
			len(out) > 1 && out[len(out)-2].kind == numberTok && out[len(out)-2].wordVal >= 0 && romanCardinal == len(out)-2
		if rs := roman(t, prev, prev2, next, afterCardinal, hasLower); rs != nil {
			rs[0].brk = t.brk
			if len(rs) == 1 {
				romanCardinal = len(out)
			}
			for _, r := range rs {
				push(r)
			}
			continue
		}
		if w, ok := contextAbbreviation(t.text, toks, i, prev, hasLower); ok {
			t.text = w
		}
		// "negative four" = "-4" = "minus four"
		if t.text == "negative" && i+1 < len(toks) && !toks[i+1].brk && (toks[i+1].kind == numberTok || numberWords[toks[i+1].text].class != 0) {
			t.text = "minus"
		}
		// "No. 5" = "#5" = "number 5"
		if t.text == "no" && i+1 < len(toks) && (toks[i+1].kind == numberTok && (strings.HasPrefix(t.post, ".") || t.cap) ||
			strings.HasPrefix(t.post, ".") && numberWords[toks[i+1].text].class != 0) {
			t.text = "number"
		}
		exp := expandContraction(t.text)
		if n := len(exp); n >= 2 && (exp[n-1] == "is" && strings.HasSuffix(t.text, "'s") || exp[n-1] == "would") {
			if participleAt(toks, i+1, exp[n-1] == "would") {
				exp[n-1] = map[string]string{"is": "has", "would": "had"}[exp[n-1]]
			}
		}
		for k, w := range exp {
			if r, ok := lookupSpelling(w); ok {
				w = r
			}
			for m, word := range strings.Fields(w) {
				nt := token{text: word, kind: wordTok, wordVal: -1, cap: t.cap, caps: t.caps, optional: t.optional}
				if k == 0 && m == 0 {
					nt.brk, nt.sep = t.brk, t.sep
				}
				if fillers[word] && !(word == "mm" && (prev != nil && (prev.kind == numberTok || numberWords[prev.text].class != 0) ||
					i+1 < len(toks) && (toks[i+1].text == "squared" || toks[i+1].text == "cubed"))) {
					// ("15 mm" and "mm squared" are millimeters, units.go)
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
