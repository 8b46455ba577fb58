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
