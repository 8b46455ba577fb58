package wer

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// humanCorpusPath is the hand-counted corpus: reference/hypothesis pairs
// with the number of word errors a careful human judge counts (see
// testdata/human/README.md for the counting conventions).
var humanCorpusPath = filepath.Join("testdata", "human", "corpus.tsv")

// Thresholds for TestHumanCorpusAgreement and TestHumanCorpusWellFormed.
const (
	humanMinAgreement     = 0.95
	humanMinPairs         = 600
	humanMinPerCategory   = 15
	humanCorpusFieldCount = 5
)

// humanPair is one line of the human corpus.
type humanPair struct {
	Line     int // 1-based line number in the file
	Category string
	Ref, Hyp string
	Human    int // word errors counted by the human judge
	Note     string
}

// parseHumanCorpus reads the corpus format: category, reference,
// hypothesis, human count and note, TAB-separated; lines starting with '#'
// and blank lines are skipped. Any other malformed line is an error naming
// its line number.
func parseHumanCorpus(r io.Reader) ([]humanPair, error) {
	var pairs []humanPair
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != humanCorpusFieldCount {
			return nil, fmt.Errorf("line %d: %d fields, want %d (category, reference, hypothesis, human, note)", line, len(f), humanCorpusFieldCount)
		}
		cat, ref, hyp := strings.TrimSpace(f[0]), f[1], f[2]
		if cat == "" {
			return nil, fmt.Errorf("line %d: empty category", line)
		}
		if strings.TrimSpace(ref) == "" {
			return nil, fmt.Errorf("line %d: empty reference", line)
		}
		if strings.TrimSpace(hyp) == "" {
			return nil, fmt.Errorf("line %d: empty hypothesis", line)
		}
		hs := strings.TrimSpace(f[3])
		h, err := strconv.Atoi(hs)
		if err != nil || h < 0 || strings.HasPrefix(hs, "+") {
			return nil, fmt.Errorf("line %d: human count %q is not a non-negative integer", line, f[3])
		}
		pairs = append(pairs, humanPair{Line: line, Category: cat, Ref: ref, Hyp: hyp, Human: h, Note: f[4]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return pairs, nil
}

func readHumanCorpus(t *testing.T) []humanPair {
	t.Helper()
	f, err := os.Open(humanCorpusPath)
	if err != nil {
		t.Fatalf("open human corpus: %v", err)
	}
	defer f.Close()
	pairs, err := parseHumanCorpus(f)
	if err != nil {
		t.Fatalf("%s: %v", humanCorpusPath, err)
	}
	return pairs
}

func TestParseHumanCorpus(t *testing.T) {
	good := "# comment\n\ndigits\tone two\t1 2\t0\tnote\n  \n# more\ntimes\tnine oh five\t9:15\t1\t\n"
	pairs, err := parseHumanCorpus(strings.NewReader(good))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(pairs) != 2 || pairs[0].Line != 3 || pairs[1].Line != 6 || pairs[1].Human != 1 || pairs[1].Hyp != "9:15" {
		t.Fatalf("parsed %+v", pairs)
	}
	for _, tc := range []struct{ name, in, line string }{
		{"too few fields", "# c\ndigits\tone\t1\t0\n", "line 2:"},
		{"too many fields", "digits\tone\t1\t0\tn\textra\n", "line 1:"},
		{"negative count", "\n\ndigits\tone\t1\t-1\tn\n", "line 3:"},
		{"fractional count", "digits\tone\t1\t0.5\tn\n", "line 1:"},
		{"word count", "# a\n# b\n\ndigits\tone\t1\tone\tn\n", "line 4:"},
		{"empty category", "\tone\t1\t0\tn\n", "line 1:"},
		{"empty hypothesis", "digits\tone\t \t0\tn\n", "line 1:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseHumanCorpus(strings.NewReader(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), tc.line) {
				t.Fatalf("err = %v, want one starting %q", err, tc.line)
			}
		})
	}
}

func TestHumanCorpusWellFormed(t *testing.T) {
	pairs := readHumanCorpus(t)
	if len(pairs) < humanMinPairs {
		t.Errorf("%d pairs, want at least %d", len(pairs), humanMinPairs)
	}
	perCat := map[string]int{}
	seen := map[[2]string]int{}
	for _, p := range pairs {
		perCat[p.Category]++
		key := [2]string{p.Ref, p.Hyp}
		if first, dup := seen[key]; dup {
			t.Errorf("line %d: duplicate of line %d: %q / %q", p.Line, first, p.Ref, p.Hyp)
		} else {
			seen[key] = p.Line
		}
		if p.Human < 0 {
			t.Errorf("line %d: negative human count %d", p.Line, p.Human)
		}
	}
	for _, c := range humanSortedKeys(perCat) {
		if perCat[c] < humanMinPerCategory {
			t.Errorf("category %s: %d pairs, want at least %d", c, perCat[c], humanMinPerCategory)
		}
	}
	t.Logf("%d pairs in %d categories", len(pairs), len(perCat))
}

// TestHumanCorpusAgreement scores every pair with Normalize and Align and
// compares the error count with the human judge's. It requires agreement on
// at least humanMinAgreement of the pairs and no pair scored with fewer
// errors than the human counted (the normalizer must never hide a real
// recognition error).
//
// WER_CORPUS_SPLIT=dev or =test scores only the even or the odd pairs of
// the file: rules are tuned on the dev half and judged on the test half,
// which no rule was written against.
func TestHumanCorpusAgreement(t *testing.T) {
	pairs := readHumanCorpus(t)
	switch split := os.Getenv("WER_CORPUS_SPLIT"); split {
	case "", "all":
	case "dev", "test":
		var half []humanPair
		for i, p := range pairs {
			if (i%2 == 0) == (split == "dev") {
				half = append(half, p)
			}
		}
		pairs = half
		t.Logf("the %s half of the corpus: %d pairs", split, len(pairs))
	default:
		t.Fatalf("WER_CORPUS_SPLIT=%q: want dev, test or all", split)
	}
	type tally struct{ agree, total, under, over int }
	perCat := map[string]*tally{}
	var all tally
	var report strings.Builder
	for _, p := range pairs {
		ref, hyp := Words(p.Ref), Words(p.Hyp)
		got := Align(ref, hyp).Errors()
		c := perCat[p.Category]
		if c == nil {
			c = &tally{}
			perCat[p.Category] = c
		}
		c.total++
		all.total++
		switch {
		case got == p.Human:
			c.agree++
			all.agree++
			continue
		case got < p.Human:
			c.under++
			all.under++
		default:
			c.over++
			all.over++
		}
		fmt.Fprintf(&report, "line %d [%s] human=%d got=%d (%s)\n  ref: %s\n  hyp: %s\n  ref words: %s\n  hyp words: %s\n",
			p.Line, p.Category, p.Human, got, p.Note, p.Ref, p.Hyp,
			strings.Join(ref, " "), strings.Join(hyp, " "))
	}
	if all.total == 0 {
		t.Fatal("human corpus is empty")
	}
	share := func(a, n int) float64 { return float64(a) / float64(n) }
	var summary strings.Builder
	fmt.Fprintf(&summary, "%-14s %6s %6s %8s %6s %6s\n", "category", "agree", "pairs", "share", "under", "over")
	for _, name := range humanSortedKeys(perCat) {
		c := perCat[name]
		fmt.Fprintf(&summary, "%-14s %6d %6d %7.1f%% %6d %6d\n", name, c.agree, c.total, 100*share(c.agree, c.total), c.under, c.over)
	}
	fmt.Fprintf(&summary, "%-14s %6d %6d %7.1f%% %6d %6d\n", "overall", all.agree, all.total, 100*share(all.agree, all.total), all.under, all.over)
	t.Logf("agreement with the human judge (under: fewer errors than the human, over: more):\n%s", summary.String())
	if report.Len() > 0 {
		t.Logf("disagreements:\n%s", report.String())
	}
	if s := share(all.agree, all.total); s < humanMinAgreement {
		t.Errorf("overall agreement %.1f%% (%d/%d), want at least %.0f%%", 100*s, all.agree, all.total, 100*humanMinAgreement)
	}
	if all.under > 0 {
		t.Errorf("%d pairs scored with fewer errors than the human counted (see the disagreements with got < human)", all.under)
	}
}

func humanSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
