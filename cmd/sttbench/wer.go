package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/sttbench/sttbench/wer"
)

const werUsage = `usage: sttbench wer -ref REF -hyp HYP [-format text|tsv] [-format-in auto|trn|text] [-normalize=false]

Scores hypothesis transcripts against references the way the benchmark
scores a session: both sides normalized (wer.Normalize), the reference split
into sentences, word-level Levenshtein alignment with unit costs. Prints
per-utterance and total hits, substitutions, deletions, insertions, errors
and WER (in percent).

Input formats (-format-in auto decides per file):
  trn   NIST trn, one utterance a line: "text (utterance-id)"; REF and HYP
        lines are matched by id, in any order. A line "(id)" alone is an
        utterance with no words; an empty line is an error.
  text  one utterance a line, matched by line number (the id is the line
        number); an empty line is an utterance with no words.
  auto  trn when every non-empty line of the file ends in "(id)", else text.
        REF and HYP must come out the same.

flags:
`

// trnLine matches a trn line: text, then the utterance id in parentheses at
// the end of the line.
var trnLine = regexp.MustCompile(`^(.*?)\s*\(([^()\s]+)\)\s*$`)

// utterance is one line of a transcript file.
type utterance struct {
	id   string
	text string
	line int // 1-based line number in its file
}

// transcripts is one transcript file read.
type transcripts struct {
	flag, path string // flag is "-ref" or "-hyp"
	format     string // "trn" or "text"
	utts       []utterance
	// untagged is the first non-empty line without a trailing (id), or 0.
	untagged int
}

// werRow is one scored utterance.
type werRow struct {
	id     string
	counts wer.Counts
}

// runWER is the wer command.
func runWER(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("wer", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(fl.Output(), werUsage)
		fl.PrintDefaults()
	}
	refPath := fl.String("ref", "", "reference transcript `file`")
	hypPath := fl.String("hyp", "", "hypothesis transcript `file`")
	format := fl.String("format", "text", "output: text (an aligned table) or tsv (tab-separated: id ref_words hits substitutions deletions insertions errors wer, then a TOTAL row)")
	formatIn := fl.String("format-in", "auto", "input format of both files: auto, trn or text")
	normalize := fl.Bool("normalize", true, "normalize both sides as the benchmark does; false scores raw words (wer.RawWords: lowercased, punctuation stripped), the benchmark's wer_raw_pct")
	if err := fl.Parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return fmt.Errorf("wer: unexpected arguments %q: give the files as -ref REF -hyp HYP", fl.Args())
	case *refPath == "" || *hypPath == "":
		return errors.New("wer: both -ref and -hyp are needed: sttbench wer -ref REF -hyp HYP (-h for more)")
	case *format != "text" && *format != "tsv":
		return fmt.Errorf("wer: -format %q is not text or tsv", *format)
	case *formatIn != "auto" && *formatIn != "trn" && *formatIn != "text":
		return fmt.Errorf("wer: -format-in %q is not auto, trn or text", *formatIn)
	}
	ref, err := readTranscripts("-ref", *refPath, *formatIn)
	if err != nil {
		return err
	}
	hyp, err := readTranscripts("-hyp", *hypPath, *formatIn)
	if err != nil {
		return err
	}
	pairs, err := match(ref, hyp)
	if err != nil {
		return err
	}
	// As the benchmark scores a session whose one result segment is hyp.
	score := func(ref, hyp string) wer.Counts {
		c, _ := wer.ScoreSegments(wer.SplitSentences(ref), []string{hyp})
		return c
	}
	if !*normalize {
		score = func(ref, hyp string) wer.Counts {
			return wer.Align(wer.RawWords(ref), wer.RawWords(hyp))
		}
	}
	rows := make([]werRow, len(pairs))
	for i, p := range pairs {
		rows[i] = werRow{id: p[0].id, counts: score(p[0].text, p[1].text)}
	}
	if *format == "tsv" {
		return writeTSV(stdout, rows)
	}
	how := fmt.Sprintf("normalized (normalizer version %s)", wer.NormalizerVersion)
	if !*normalize {
		how = "raw words: lowercased, punctuation stripped (-normalize=false)"
	}
	return writeTable(stdout, rows, fmt.Sprintf("# %d utterances (%s), %s", len(rows), ref.format, how))
}

// readTranscripts reads one transcript file in format (auto, trn or text).
func readTranscripts(flagName, path, format string) (transcripts, error) {
	t := transcripts{flag: flagName, path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return t, fmt.Errorf("wer: %s %s: no such file: check the path", flagName, path)
	}
	if err != nil {
		return t, fmt.Errorf("wer: read %s file: %w", flagName, err)
	}
	return parseTranscripts(flagName, path, data, format)
}

// parseTranscripts parses the contents of one transcript file.
func parseTranscripts(flagName, path string, data []byte, format string) (transcripts, error) {
	t := transcripts{flag: flagName, path: path}
	text := strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var lines []string
	if text != "" {
		lines = strings.Split(text, "\n")
	}
	nonEmpty := 0
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		nonEmpty++
		if t.untagged == 0 && !trnLine.MatchString(l) {
			t.untagged = i + 1
		}
	}
	if nonEmpty == 0 {
		return t, fmt.Errorf("wer: %s %s: no utterances: the file is empty", flagName, path)
	}
	t.format = format
	if format == "auto" {
		t.format = "trn"
		if t.untagged > 0 {
			t.format = "text"
		}
	}
	if t.format == "text" {
		for i, l := range lines {
			t.utts = append(t.utts, utterance{id: strconv.Itoa(i + 1), text: strings.TrimSpace(l), line: i + 1})
		}
		return t, nil
	}
	seen := map[string]int{}
	for i, l := range lines {
		n := i + 1
		if strings.TrimSpace(l) == "" {
			return t, fmt.Errorf("wer: %s:%d: empty line in a trn file: remove it, or write \"(utterance-id)\" alone for an utterance with no words", path, n)
		}
		m := trnLine.FindStringSubmatch(l)
		if m == nil {
			return t, fmt.Errorf("wer: %s:%d: no \"(utterance-id)\" at the end of the line: trn lines are \"text (utterance-id)\"; for plain text, one utterance a line, use -format-in text", path, n)
		}
		id := m[2]
		if first, dup := seen[id]; dup {
			return t, fmt.Errorf("wer: %s:%d: utterance id %q is also on line %d: give every utterance its own id", path, n, id, first)
		}
		seen[id] = n
		t.utts = append(t.utts, utterance{id: id, text: m[1], line: n})
	}
	return t, nil
}

// match pairs every reference utterance with its hypothesis, in the
// reference's order.
func match(ref, hyp transcripts) ([][2]utterance, error) {
	if ref.format != hyp.format {
		trn, text := ref, hyp
		if ref.format == "text" {
			trn, text = hyp, ref
		}
		return nil, fmt.Errorf("wer: %s %s reads as trn but %s %s as plain text (line %d has no trailing \"(utterance-id)\"): "+
			"give both files in one format, or force one with -format-in trn|text",
			trn.flag, trn.path, text.flag, text.path, text.untagged)
	}
	pairs := make([][2]utterance, 0, len(ref.utts))
	if ref.format == "text" {
		if len(ref.utts) != len(hyp.utts) {
			return nil, fmt.Errorf("wer: -ref %s has %d lines but -hyp %s has %d: plain text files are matched line by line, "+
				"so both need one line per utterance (an empty line for an utterance with no words)",
				ref.path, len(ref.utts), hyp.path, len(hyp.utts))
		}
		for i := range ref.utts {
			pairs = append(pairs, [2]utterance{ref.utts[i], hyp.utts[i]})
		}
		return pairs, nil
	}
	byID := make(map[string]utterance, len(hyp.utts))
	for _, u := range hyp.utts {
		byID[u.id] = u
	}
	inRef := make(map[string]bool, len(ref.utts))
	var errs []error
	var missing []utterance
	for _, r := range ref.utts {
		inRef[r.id] = true
		h, ok := byID[r.id]
		if !ok {
			missing = append(missing, r)
			continue
		}
		pairs = append(pairs, [2]utterance{r, h})
	}
	if len(missing) > 0 {
		r := missing[0]
		errs = append(errs, fmt.Errorf("wer: %s:%d: utterance id %q has no line in -hyp %s%s: add \"(%s)\" there if the recognizer produced no words for it",
			ref.path, r.line, r.id, hyp.path, more(len(missing)), r.id))
	}
	var unknown []utterance
	for _, h := range hyp.utts {
		if !inRef[h.id] {
			unknown = append(unknown, h)
		}
	}
	if len(unknown) > 0 {
		h := unknown[0]
		errs = append(errs, fmt.Errorf("wer: %s:%d: utterance id %q is not in -ref %s%s: score hypotheses against the references they were made from, or remove the line",
			hyp.path, h.line, h.id, ref.path, more(len(unknown))))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return pairs, nil
}

// more says how many ids besides the first one reported share its problem.
func more(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" (and %d more like it)", n-1)
}

// werCells formats the figures of one row: ref_words hits substitutions
// deletions insertions errors wer, with undefined for a WER without
// reference words (insertions only).
func werCells(c wer.Counts, undefined string) []string {
	rate := undefined
	if r := c.WER(); c.RefWords() > 0 || r == 0 {
		rate = strconv.FormatFloat(100*r, 'f', 2, 64)
	}
	return []string{
		strconv.Itoa(c.RefWords()), strconv.Itoa(c.Hits), strconv.Itoa(c.Substitutions),
		strconv.Itoa(c.Deletions), strconv.Itoa(c.Insertions), strconv.Itoa(c.Errors()), rate,
	}
}

// total sums the counts of rows.
func total(rows []werRow) wer.Counts {
	var t wer.Counts
	for _, r := range rows {
		t.Add(r.counts)
	}
	return t
}

// writeTSV writes a header, one row per utterance and a TOTAL row. An
// undefined WER is an empty cell.
func writeTSV(w io.Writer, rows []werRow) error {
	var b strings.Builder
	b.WriteString("id\tref_words\thits\tsubstitutions\tdeletions\tinsertions\terrors\twer\n")
	for _, r := range rows {
		b.WriteString(r.id + "\t" + strings.Join(werCells(r.counts, ""), "\t") + "\n")
	}
	b.WriteString("TOTAL\t" + strings.Join(werCells(total(rows), ""), "\t") + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable writes a comment line, then an aligned table: ids left, figures
// right, one row per utterance and a TOTAL row. An undefined WER shows as -.
func writeTable(w io.Writer, rows []werRow, comment string) error {
	table := [][]string{{"id", "words", "hits", "subs", "dels", "ins", "errors", "WER%"}}
	for _, r := range rows {
		table = append(table, append([]string{r.id}, werCells(r.counts, "-")...))
	}
	table = append(table, append([]string{"TOTAL"}, werCells(total(rows), "-")...))
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	b.WriteString(comment + "\n")
	for _, row := range table {
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			switch {
			case i == 0:
				b.WriteString(cell + pad)
			default:
				b.WriteString("  " + pad + cell)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
