package ttspool

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var referenceTexts = filepath.Join("..", "testdata", "reference_texts.txt")

// TestReferenceTexts holds the committed texts to the rules stated in the
// file's header.
func TestReferenceTexts(t *testing.T) {
	texts, err := LoadTexts(referenceTexts)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(texts), 66)

	allowed := regexp.MustCompile(`^[A-Za-z ',.?!-]+$`)
	sentenceEnd := regexp.MustCompile(`[.?!]( |$)`)
	var short, medium, long int
	for _, text := range texts {
		assert.Regexp(t, allowed, text, "only letters, spaces and ',.?!- (no digits)")
		words := len(strings.Fields(text))
		assert.True(t, words >= 8 && words <= 45, "%d words: %q", words, text)
		switch {
		case words <= 16:
			short++
		case words <= 28:
			medium++
		default:
			long++
		}
		sentences := len(sentenceEnd.FindAllString(text, -1))
		assert.True(t, sentences >= 2 && sentences <= 3, "%d sentences: %q", sentences, text)
		assert.Regexp(t, `[.?!]$`, text)
		assert.NotRegexp(t, `[.?!][^ ]`, text, "sentences separated by a space")
	}
	t.Logf("%d texts: %d short, %d medium, %d long", len(texts), short, medium, long)
	for _, n := range []int{short, medium, long} {
		assert.GreaterOrEqual(t, n, len(texts)/3-2, "lengths balanced in thirds")
	}

	// Leak detection attributes a transcript to the text it resembles, so
	// no two texts may share a phrase of four words.
	const n = 4
	seen := map[string]int{}
	for i, text := range texts {
		words := strings.Fields(strings.ToLower(regexp.MustCompile(`[^A-Za-z' ]+`).ReplaceAllString(text, " ")))
		for k := 0; k+n <= len(words); k++ {
			gram := strings.Join(words[k:k+n], " ")
			if j, ok := seen[gram]; ok && j != i {
				t.Errorf("texts %d and %d share %q", j, i, gram)
			}
			seen[gram] = i
		}
	}
}

func TestParseTexts(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{"comments and blanks", "# header\n\n  One text here.  \n\t\n#another\nTwo texts here!\n", []string{"One text here.", "Two texts here!"}, ""},
		{"no trailing newline", "Only one.", []string{"Only one."}, ""},
		{"CRLF", "First one.\r\nSecond one.\r\n", []string{"First one.", "Second one."}, ""},
		{"exact duplicate", "Same text.\nOther text.\nSame text.\n", nil, "line 3 duplicates line 1"},
		{"duplicate up to case and punctuation", "Hello there, Anna.\nhello  there anna!\n", nil, "line 2 duplicates line 1"},
		{"empty", "# nothing\n\n", nil, "no texts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTexts(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLoadTextsMissing(t *testing.T) {
	_, err := LoadTexts(filepath.Join(t.TempDir(), "absent.txt"))
	assert.ErrorContains(t, err, "load texts")
}

func TestTexts(t *testing.T) {
	all := []string{"a", "b", "c"}
	tests := []struct {
		name     string
		all      []string
		n        int
		want     []string
		wantWarn []string
	}{
		{"fewer sessions", all, 2, []string{"a", "b"}, nil},
		{"exactly enough", all, 3, []string{"a", "b", "c"}, nil},
		{"wraps around with a warning", all, 7, []string{"a", "b", "c", "a", "b", "c", "a"}, []string{"7 sessions but only 3 reference texts", "session 3 speaks the text of session 0", "leak detection"}},
		{"zero sessions", all, 0, nil, nil},
		{"no texts", nil, 2, nil, []string{"2 sessions but no reference texts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warn := Texts(tt.all, tt.n)
			assert.Equal(t, tt.want, got)
			if tt.wantWarn == nil {
				assert.Empty(t, warn)
			}
			for _, w := range tt.wantWarn {
				assert.Contains(t, warn, w)
			}
		})
	}
}
