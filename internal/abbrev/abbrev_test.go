package abbrev

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"short", 5, "short"},
		{"longer", 5, "long…"},
		{"ab cd", 4, "ab…"},
		{"line one\nline two", 40, "line one line two"},
		{"a\r\nb", 40, "a b"},
		{"héllo wörld", 6, "héllo…"},
		{"日本語のテキスト", 4, "日本語…"},
		{"abc", 0, ""},
	}
	for _, tc := range tests {
		got := String(tc.in, tc.n)
		assert.Equal(t, tc.want, got, "String(%q, %d)", tc.in, tc.n)
		assert.True(t, utf8.ValidString(got), got)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tc.n, 0))
	}
}
