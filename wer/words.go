package wer

import (
	"strings"
)

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
