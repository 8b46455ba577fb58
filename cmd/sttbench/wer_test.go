package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sttbench/sttbench/wer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// writeFiles writes name -> contents into a fresh temporary directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, contents := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(contents), 0o644))
	}
	return dir
}

// runIn runs the command line args with every argument that names a file
// of dir made absolute, and returns stdout, stderr and the error.
func runIn(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	full := make([]string, len(args))
	for i, a := range args {
		full[i] = a
		if i > 0 && (args[i-1] == "-ref" || args[i-1] == "-hyp") {
			full[i] = filepath.Join(dir, a)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(full, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// checkGolden compares got with testdata/name, rewriting it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/sttbench -update to create it")
	assert.Equal(t, string(want), got, "output differs from %s (go test ./cmd/sttbench -update rewrites it)", path)
}

// The same three utterances, as trn (hypotheses in another order) and as
// plain text.
var (
	refTRN = "The quick brown fox jumps over the lazy dog. It costs $2,000. (fox-1)\n" +
		"Hello, world! (hello-2)\n" +
		"(empty-3)\n"
	hypTRN = "hello word (hello-2)\n" +
		"the quick brown fox jumped over the lazy dog it costs two thousand dollars (fox-1)\n" +
		"um extra words (empty-3)\n"
	refText = "The quick brown fox jumps over the lazy dog. It costs $2,000.\nHello, world!\n\n"
	hypText = "the quick brown fox jumped over the lazy dog it costs two thousand dollars\nhello word\num extra words\n"
)

func TestWERGolden(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ref.trn": refTRN, "hyp.trn": hypTRN,
		"ref.txt": refText, "hyp.txt": hypText,
		"ref.crlf.trn": strings.ReplaceAll(refTRN, "\n", "\r\n"),
	})
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{"trn table", []string{"wer", "-ref", "ref.trn", "-hyp", "hyp.trn"}, "wer-trn.txt"},
		{"trn tsv", []string{"wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "-format", "tsv"}, "wer-trn.tsv"},
		{"trn with CRLF line ends", []string{"wer", "-ref", "ref.crlf.trn", "-hyp", "hyp.trn", "-format", "tsv"}, "wer-trn.tsv"},
		{"trn forced", []string{"wer", "-format-in", "trn", "-ref", "ref.trn", "-hyp", "hyp.trn", "-format", "tsv"}, "wer-trn.tsv"},
		{"raw words", []string{"wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "-normalize=false"}, "wer-trn-raw.txt"},
		{"text table", []string{"wer", "-ref", "ref.txt", "-hyp", "hyp.txt"}, "wer-text.txt"},
		{"text tsv", []string{"wer", "-ref", "ref.txt", "-hyp", "hyp.txt", "-format", "tsv"}, "wer-text.tsv"},
		// A trn file read as text: its (id)s are words, missing from the hypotheses.
		{"trn file forced to text", []string{"wer", "-format-in", "text", "-ref", "ref.trn", "-hyp", "hyp.txt", "-format", "tsv"}, "wer-trn-as-text.tsv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := runIn(t, dir, tt.args...)
			require.NoError(t, err, stderr)
			assert.Empty(t, stderr)
			checkGolden(t, tt.golden, stdout)
		})
	}
}

// TestWERFigures checks the golden figures against the definitions, so that
// an -update cannot bless wrong numbers.
func TestWERFigures(t *testing.T) {
	dir := writeFiles(t, map[string]string{"ref.trn": refTRN, "hyp.trn": hypTRN})
	stdout, _, err := runIn(t, dir, "wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "-format", "tsv")
	require.NoError(t, err)
	rows := parseTSV(t, stdout)
	// fox-1: 13 words once normalized ("2000 dollars"), jumps/jumped the
	// one substitution; hello-2: world/word; empty-3: "um" is a filler,
	// "extra words" two insertions over no reference words.
	assert.Equal(t, wer.Counts{Hits: 12, Substitutions: 1}, rows["fox-1"])
	assert.Equal(t, wer.Counts{Hits: 1, Substitutions: 1}, rows["hello-2"])
	assert.Equal(t, wer.Counts{Insertions: 2}, rows["empty-3"])
	assert.Equal(t, wer.Counts{Hits: 13, Substitutions: 2, Insertions: 2}, rows["TOTAL"])
	assert.Contains(t, stdout, "\nempty-3\t0\t0\t0\t0\t2\t2\t\n", "no reference words: the WER cell is empty")
	assert.Contains(t, stdout, "\nTOTAL\t15\t13\t2\t0\t2\t4\t26.67\n")
}

// parseTSV reads the tsv output into counts by id, checking every row's
// derived columns (ref_words, errors) against its counts.
func parseTSV(t *testing.T, out string) map[string]wer.Counts {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	require.True(t, sc.Scan())
	require.Equal(t, "id\tref_words\thits\tsubstitutions\tdeletions\tinsertions\terrors\twer", sc.Text())
	rows := map[string]wer.Counts{}
	var last string
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		require.Len(t, f, 8, "row %q", sc.Text())
		n := make([]int, 6)
		for i := range n {
			v, err := strconv.Atoi(f[i+1])
			require.NoError(t, err, "row %q", sc.Text())
			n[i] = v
		}
		c := wer.Counts{Hits: n[1], Substitutions: n[2], Deletions: n[3], Insertions: n[4]}
		require.Equal(t, c.RefWords(), n[0], "ref_words of %s", f[0])
		require.Equal(t, c.Errors(), n[5], "errors of %s", f[0])
		if c.RefWords() > 0 {
			rate, err := strconv.ParseFloat(f[7], 64)
			require.NoError(t, err)
			require.InDelta(t, 100*c.WER(), rate, 0.005, "wer of %s", f[0])
		}
		rows[f[0]] = c
		last = f[0]
	}
	require.Equal(t, "TOTAL", last, "the TOTAL row comes last")
	return rows
}

func TestWERErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"ref.trn":        refTRN,
		"hyp.trn":        hypTRN,
		"ref.txt":        refText,
		"hyp.txt":        hypText,
		"short.txt":      "one line\n",
		"empty.txt":      "\n\n",
		"blank-line.trn": "one (a)\n\ntwo (b)\n",
		"dup.trn":        "one (a)\ntwo (a)\n",
		"extra.trn":      hypTRN + "stray words (stray-9)\nmore (stray-10)\n",
		"missing.trn":    "hello word (hello-2)\n",
		"untagged.trn":   "the quick (fox-1)\nhello world\n(empty-3)\n",
	})
	tests := []struct {
		name string
		args []string
		want []string // substrings of the error, in order
	}{
		{"missing ref file", []string{"wer", "-ref", "nope.trn", "-hyp", "hyp.trn"},
			[]string{"-ref", "nope.trn: no such file: check the path"}},
		{"missing hyp file", []string{"wer", "-ref", "ref.trn", "-hyp", "nope.trn"},
			[]string{"-hyp", "nope.trn: no such file"}},
		{"empty file", []string{"wer", "-ref", "empty.txt", "-hyp", "hyp.txt"},
			[]string{"empty.txt: no utterances: the file is empty"}},
		{"empty line in trn", []string{"wer", "-ref", "blank-line.trn", "-hyp", "hyp.trn"},
			[]string{"blank-line.trn:2: empty line in a trn file", `write "(utterance-id)" alone`}},
		{"duplicate id", []string{"wer", "-ref", "dup.trn", "-hyp", "hyp.trn"},
			[]string{`dup.trn:2: utterance id "a" is also on line 1`}},
		{"hyp id not in ref", []string{"wer", "-ref", "ref.trn", "-hyp", "extra.trn"},
			[]string{`extra.trn:4: utterance id "stray-9" is not in -ref`, "ref.trn (and 1 more like it)", "or remove the line"}},
		{"ref id missing from hyp", []string{"wer", "-ref", "ref.trn", "-hyp", "missing.trn"},
			[]string{`ref.trn:1: utterance id "fox-1" has no line in -hyp`, "missing.trn (and 1 more like it)", `add "(fox-1)" there`}},
		{"a line without id in forced trn", []string{"wer", "-format-in", "trn", "-ref", "untagged.trn", "-hyp", "hyp.trn"},
			[]string{`untagged.trn:2: no "(utterance-id)" at the end of the line`, "-format-in text"}},
		{"trn against text", []string{"wer", "-ref", "untagged.trn", "-hyp", "hyp.trn"},
			[]string{"-hyp", "hyp.trn reads as trn but -ref", "untagged.trn as plain text (line 2 has no trailing", "-format-in trn|text"}},
		{"text line counts differ", []string{"wer", "-ref", "ref.txt", "-hyp", "short.txt"},
			[]string{"ref.txt has 3 lines but -hyp", "short.txt has 1", "matched line by line"}},
		{"no files", []string{"wer"}, []string{"both -ref and -hyp are needed"}},
		{"no hyp", []string{"wer", "-ref", "ref.trn"}, []string{"both -ref and -hyp are needed"}},
		{"stray argument", []string{"wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "extra"}, []string{`unexpected arguments ["extra"]`}},
		{"bad output format", []string{"wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "-format", "csv"}, []string{`-format "csv" is not text or tsv`}},
		{"bad input format", []string{"wer", "-format-in", "stm", "-ref", "ref.trn", "-hyp", "hyp.trn"}, []string{`-format-in "stm" is not auto, trn or text`}},
		{"unknown flag", []string{"wer", "-reference", "ref.trn"}, []string{"flag provided but not defined: -reference"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runIn(t, dir, tt.args...)
			require.Error(t, err)
			assert.Empty(t, stdout, "nothing on stdout when scoring fails")
			msg := err.Error()
			for _, want := range tt.want {
				i := strings.Index(msg, want)
				require.GreaterOrEqual(t, i, 0, "error %q lacks %q", msg, want)
				msg = msg[i+len(want):]
			}
		})
	}
}

func TestWERHelp(t *testing.T) {
	var stdout, out bytes.Buffer
	err := run([]string{"wer", "-h"}, &stdout, &out)
	assert.ErrorIs(t, err, flag.ErrHelp, "main exits 0 on it")
	assert.Empty(t, stdout.String())
	for _, want := range []string{"usage: sttbench wer -ref REF -hyp HYP", "text (utterance-id)", "-normalize", "-format-in"} {
		assert.Contains(t, out.String(), want)
	}
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		err     error
		stdout  string
		stderr  string
		errText string
	}{
		{name: "no command", args: nil, err: errUsage, stderr: "usage: sttbench COMMAND"},
		{name: "unknown command", args: []string{"score"}, err: errUsage, stderr: `unknown command "score"`},
		{name: "help", args: []string{"help"}, stdout: "  wer     score hypothesis transcripts"},
		{name: "-h", args: []string{"-h"}, stdout: "commands:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if tt.err == nil {
				require.NoError(t, err)
			} else {
				require.True(t, errors.Is(err, tt.err), "got %v", err)
			}
			if tt.stdout != "" {
				assert.Contains(t, stdout.String(), tt.stdout)
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr.String(), tt.stderr)
				assert.Contains(t, stderr.String(), "wer", "the usage lists the commands")
			}
		})
	}
}

// TestWERMatchesThePackageOnTheScliteCorpus scores the sclite corpus of
// package wer through the command, as trn files the way sclite_check.sh
// writes them, and checks every utterance and the totals against what
// package wer computes, raw and normalized.
func TestWERMatchesThePackageOnTheScliteCorpus(t *testing.T) {
	data, err := os.ReadFile("../../wer/testdata/sclite_corpus.tsv")
	require.NoError(t, err)
	var ref, hyp strings.Builder
	type pair struct{ ref, hyp string }
	pairs := map[string]pair{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(t, f, 3, "corpus row %q", line)
		id := "wer-" + f[0]
		pairs[id] = pair{f[1], f[2]}
		ref.WriteString(f[1] + " (" + id + ")\n")
		hyp.WriteString(f[2] + " (" + id + ")\n")
	}
	require.GreaterOrEqual(t, len(pairs), 50)
	dir := writeFiles(t, map[string]string{"ref.trn": ref.String(), "hyp.trn": hyp.String()})

	for _, normalize := range []bool{false, true} {
		t.Run("normalize="+strconv.FormatBool(normalize), func(t *testing.T) {
			stdout, stderr, err := runIn(t, dir, "wer", "-ref", "ref.trn", "-hyp", "hyp.trn", "-format", "tsv",
				"-normalize="+strconv.FormatBool(normalize))
			require.NoError(t, err, stderr)
			rows := parseTSV(t, stdout)
			require.Len(t, rows, len(pairs)+1, "one row per utterance and TOTAL")
			var want wer.Counts
			for id, p := range pairs {
				var c wer.Counts
				if normalize {
					c, _ = wer.ScoreSegments(wer.SplitSentences(p.ref), []string{p.hyp})
				} else {
					c = wer.Align(wer.RawWords(p.ref), wer.RawWords(p.hyp))
				}
				assert.Equal(t, c, rows[id], id)
				want.Add(c)
			}
			assert.Equal(t, want, rows["TOTAL"])
			assert.Positive(t, want.Errors(), "the corpus has errors to count")
		})
	}
}

// FuzzParseTranscripts checks that no file contents crash the parser and
// that what it accepts is consistent: trn ids are unique and non-empty, text
// ids are the line numbers.
func FuzzParseTranscripts(f *testing.F) {
	for _, s := range []string{refTRN, hypTRN, refText, "", "\n", "(a)", "a (b) (c)\n", "x ()\n", "\r\n(a)\r\n", "a\n\n(b)"} {
		for k := range uint8(3) {
			f.Add(s, k)
		}
	}
	f.Fuzz(func(t *testing.T, data string, k uint8) {
		format := []string{"auto", "trn", "text"}[k%3]
		tr, err := parseTranscripts("-ref", "f.trn", []byte(data), format)
		if err != nil {
			return
		}
		require.NotEmpty(t, tr.utts)
		seen := map[string]bool{}
		for i, u := range tr.utts {
			switch tr.format {
			case "trn":
				require.NotEmpty(t, u.id)
				require.False(t, seen[u.id], "duplicate id %q accepted", u.id)
				seen[u.id] = true
			case "text":
				require.Equal(t, strconv.Itoa(i+1), u.id)
			default:
				t.Fatalf("format %q", tr.format)
			}
		}
	})
}
