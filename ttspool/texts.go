package ttspool

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// ParseTexts reads reference texts, one per line. Surrounding whitespace is
// trimmed; blank lines and lines starting with # are ignored. Two texts that
// differ only in case, punctuation or spacing are duplicates and an error
// naming both lines: sessions are told apart by their texts, so a repeat
// would blind cross-session leak detection. No texts at all is an error too.
func ParseTexts(r io.Reader) ([]string, error) {
	var texts []string
	seen := make(map[string]int) // normalized text → line number
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		key := TextKey(t)
		if prev, ok := seen[key]; ok {
			return nil, fmt.Errorf("parse texts: line %d duplicates line %d: %q", line, prev, abbrev.String(t, 60))
		}
		seen[key] = line
		texts = append(texts, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parse texts: %w", err)
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("parse texts: no texts")
	}
	return texts, nil
}

// LoadTexts reads the reference texts file at path; see ParseTexts.
func LoadTexts(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load texts: %w", err)
	}
	defer f.Close()
	texts, err := ParseTexts(f)
	if err != nil {
		return nil, fmt.Errorf("load texts %s: %w", path, err)
	}
	return texts, nil
}

// TextKey keeps lower-cased letters and digits, with single spaces
// between words, so that trivial variants of a text compare equal: what
// reference texts (and recordings' transcripts) are compared by when
// duplicates are looked for.
func TextKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case unicode.IsSpace(r) || r == '-':
			space = true
		}
	}
	return b.String()
}

// Texts picks the texts for n sessions: session i gets all[i mod len(all)].
// When n exceeds len(all) texts repeat, and warning says so in a sentence fit
// for the user: cross-session leak detection cannot tell sessions with the
// same text apart. With no texts, or n <= 0, it returns no texts (and a
// warning for the former). The result is a new slice.
func Texts(all []string, n int) (texts []string, warning string) {
	if n <= 0 {
		return nil, ""
	}
	if len(all) == 0 {
		return nil, fmt.Sprintf("%d sessions but no reference texts", n)
	}
	texts = make([]string, n)
	for i := range texts {
		texts[i] = all[i%len(all)]
	}
	if n > len(all) {
		warning = fmt.Sprintf("%d sessions but only %d reference texts: texts repeat (session %d speaks the text of session 0), so cross-session leak detection cannot tell those sessions apart; add texts for unique sessions",
			n, len(all), len(all))
	}
	return texts, warning
}
