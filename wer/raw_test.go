package wer

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRawWords(t *testing.T) {
	cases := map[string]string{
		"Hello, World!":                  "hello world",
		"Don't stop; John's car.":        "don't stop john's car",
		"It costs $2,000 (or 3.5%).":     "it costs $2,000 or 3.5",
		"well-known and/or e-mail":       "well known and or e mail",
		"'Quoted' “text” — here…":        "quoted text here",
		"U.S.A. at 10:30, i.e. now":      "usa at 10:30 ie now",
		"James' book":                    "james book",
		"rock ’n’ roll":                  "rock n roll",
		"  multiple\tspaces\n":           "multiple spaces",
		"café CO₂ 2 + 2":                 "café co₂ 2 + 2",
		"":                               "",
		"...":                            "",
		"twenty-one, 21st; twenty first": "twenty one 21st twenty first",
	}
	for in, want := range cases {
		assert.Equal(t, want, strings.Join(RawWords(in), " "), "%q", in)
	}
}
