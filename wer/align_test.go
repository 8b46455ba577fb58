package wer

import (
	"bufio"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlignWordsTable(t *testing.T) {
	cases := []struct {
		name, ref, hyp string
		want           Counts
	}{
		{"identical", "a b c", "a b c", Counts{Hits: 3}},
		{"both empty", "", "", Counts{}},
		{"empty hyp", "a b c", "", Counts{Deletions: 3}},
		{"empty ref", "", "a b", Counts{Insertions: 2}},
		{"one sub", "a b c", "a x c", Counts{Hits: 2, Substitutions: 1}},
		{"one del", "a b c", "a c", Counts{Hits: 2, Deletions: 1}},
		{"one ins", "a b c", "a b x c", Counts{Hits: 3, Insertions: 1}},
		{"all different same length", "a b c", "x y z", Counts{Substitutions: 3}},
		{"longer hyp all different", "a b", "x y z", Counts{Substitutions: 2, Insertions: 1}},
		{"longer ref all different", "a b c", "x", Counts{Substitutions: 1, Deletions: 2}},
		// Two edits either way; substitutions are preferred to del+ins.
		{"tie prefers substitutions", "a b", "b c", Counts{Substitutions: 2}},
		{"shift by one", "a b c d", "b c d e", Counts{Hits: 3, Deletions: 1, Insertions: 1}},
		{"stutter", "the cat", "the the the cat", Counts{Hits: 2, Insertions: 2}},
		{"swap", "a b", "b a", Counts{Substitutions: 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, hyp := strings.Fields(c.ref), strings.Fields(c.hyp)
			got := Align(ref, hyp)
			assert.Equal(t, c.want, got)
			got2, _ := AlignOps(ref, hyp)
			assert.Equal(t, c.want, got2)
		})
	}
}

func TestWordCountsMethods(t *testing.T) {
	c := Counts{Hits: 5, Substitutions: 2, Deletions: 1, Insertions: 3}
	assert.Equal(t, 8, c.RefWords())
	assert.Equal(t, 10, c.HypWords())
	assert.Equal(t, 6, c.Errors())
	assert.InDelta(t, 0.75, c.WER(), 1e-12)
	c.Add(Counts{Hits: 1, Substitutions: 1, Deletions: 1, Insertions: 1})
	assert.Equal(t, Counts{Hits: 6, Substitutions: 3, Deletions: 2, Insertions: 4}, c)
	assert.Equal(t, 0.0, Counts{}.WER())
	assert.True(t, math.IsInf(Counts{Insertions: 1}.WER(), 1))
}

// levenshtein is a plain reference implementation of the edit distance.
func levenshtein(a, b []string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			sub := d[i-1][j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			d[i][j] = min(sub, d[i-1][j]+1, d[i][j-1]+1)
		}
	}
	return d[len(a)][len(b)]
}

func randomWords(r interface{ Intn(int) int }, vocab []string, maxLen int) []string {
	w := make([]string, r.Intn(maxLen+1))
	for i := range w {
		w[i] = vocab[r.Intn(len(vocab))]
	}
	return w
}

func TestAlignWordsRandomConsistency(t *testing.T) {
	r := newRand(2)
	vocab := []string{"a", "b", "c", "d"}
	for k := 0; k < 3000; k++ {
		ref, hyp := randomWords(r, vocab, 9), randomWords(r, vocab, 9)
		c := Align(ref, hyp)
		require.Equal(t, levenshtein(ref, hyp), c.Errors(), "%q / %q", ref, hyp)
		require.Equal(t, len(ref), c.RefWords())
		require.Equal(t, len(hyp), c.HypWords())
		c2, ops := AlignOps(ref, hyp)
		require.Equal(t, c, c2)
		var fromOps Counts
		var gotRef, gotHyp []string
		for _, op := range ops {
			switch op.Kind {
			case Hit:
				fromOps.Hits++
				require.Equal(t, op.Ref, op.Hyp)
			case Substitution:
				fromOps.Substitutions++
				require.NotEqual(t, op.Ref, op.Hyp)
			case Deletion:
				fromOps.Deletions++
			case Insertion:
				fromOps.Insertions++
			}
			if op.Kind != Insertion {
				gotRef = append(gotRef, op.Ref)
			}
			if op.Kind != Deletion {
				gotHyp = append(gotHyp, op.Hyp)
			}
		}
		require.Equal(t, c, fromOps)
		require.Equal(t, len(ref), len(gotRef))
		require.Equal(t, len(hyp), len(gotHyp))
		if len(ref) > 0 {
			require.Equal(t, ref, gotRef)
		}
		if len(hyp) > 0 {
			require.Equal(t, hyp, gotHyp)
		}
		// Reversing both sequences gives the same counts (the tie-break is
		// a property of the counts, not of the scan direction).
		require.Equal(t, c, Align(reversed(ref), reversed(hyp)))
	}
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, w := range s {
		out[len(s)-1-i] = w
	}
	return out
}

func TestFormatAlignOps(t *testing.T) {
	_, ops := AlignOps(strings.Fields("a bb c d"), strings.Fields("a xx c e f"))
	assert.Equal(t, "REF:  a BB c * D\nHYP:  a XX c E F\nEval:   S    I S\n", FormatOps(ops))
}

type scliteRow struct {
	id       string
	ref, hyp []string
	sclite   Counts
}

// readScliteCorpus joins testdata/sclite_corpus.tsv with the sclite
// figures stored in testdata/sclite_expected.tsv.
func readScliteCorpus(t *testing.T, expectedPath string) []scliteRow {
	t.Helper()
	readTSV := func(path string) [][]string {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		var rows [][]string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
				rows = append(rows, strings.Split(line, "\t"))
			}
		}
		require.NoError(t, sc.Err())
		return rows
	}
	expected := map[string]Counts{}
	for _, f := range readTSV(expectedPath) {
		require.Len(t, f, 5)
		n := make([]int, 4)
		for i := range n {
			v, err := strconv.Atoi(f[i+1])
			require.NoError(t, err)
			n[i] = v
		}
		expected[f[0]] = Counts{Hits: n[0], Substitutions: n[1], Deletions: n[2], Insertions: n[3]}
	}
	var rows []scliteRow
	for _, f := range readTSV("testdata/sclite_corpus.tsv") {
		require.Len(t, f, 3, "corpus row %q", f)
		e, ok := expected[f[0]]
		require.True(t, ok, "no sclite figures for %s", f[0])
		rows = append(rows, scliteRow{id: f[0], ref: strings.Fields(f[1]), hyp: strings.Fields(f[2]), sclite: e})
	}
	require.Len(t, expected, len(rows), "stale sclite_expected.tsv")
	return rows
}

// Pairs where sclite's weighted alignment (substitution 4, insertion and
// deletion 3) settles on a path with more word errors than the minimum: it
// trades substitutions for cheaper-weighted deletion+insertion pairs around
// a few extra hits. Every other pair must have the same error total.
var scliteCostlier = map[string]bool{
	"p25": true, // please call me back tomorrow / back tomorrow i will call
	"p31": true,
	"p32": true,
	"p33": true,
	"p34": true,
	"p35": true,
	"p36": true,
	"p37": true,
	"p38": true,
	"p39": true,
	"p40": true,
	"p63": true, // see you next week at the office / at the office we will see you
}

func TestAlignWordsMatchesSclite(t *testing.T) {
	rows := readScliteCorpus(t, "testdata/sclite_expected.tsv")
	require.GreaterOrEqual(t, len(rows), 50)
	for _, row := range rows {
		got := Align(row.ref, row.hyp)
		// sclite's counts describe the same two word sequences.
		require.Equal(t, len(row.ref), row.sclite.RefWords(), row.id)
		require.Equal(t, len(row.hyp), row.sclite.HypWords(), row.id)
		if scliteCostlier[row.id] {
			assert.Less(t, got.Errors(), row.sclite.Errors(), "%s: expected sclite to be costlier", row.id)
			continue
		}
		assert.Equal(t, row.sclite.Errors(), got.Errors(), "%s: %v vs sclite %v", row.id, got, row.sclite)
	}
}

// TestScliteExpectedIsCurrent reruns sclite when it is installed and checks
// the stored figures.
func TestScliteExpectedIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("sctk"); err != nil {
		if _, err := exec.LookPath("sclite"); err != nil {
			t.Skip("sclite not installed (apt-get install sctk)")
		}
	}
	out := filepath.Join(t.TempDir(), "expected.tsv")
	cmd := exec.Command("sh", "testdata/sclite_check.sh", out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, string(msg))
	fresh, err := os.ReadFile(out)
	require.NoError(t, err)
	stored, err := os.ReadFile("testdata/sclite_expected.tsv")
	require.NoError(t, err)
	assert.Equal(t, string(stored), string(fresh))
}
