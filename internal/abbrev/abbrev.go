// Package abbrev shortens text for one-line messages. It is shared by the
// leaves (gpumon, ttspool) and the harness, which may not import each other,
// as internal/stats is.
package abbrev

import (
	"strings"
	"unicode/utf8"
)

// String returns s on one line (each line break a space) and at most n
// runes long: a longer s is cut to n-1 runes, trailing space trimmed, and
// marked with "…". It never splits a UTF-8 sequence. It is safe for
// concurrent use.
func String(s string, n int) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " \t") + "…"
}
