// Command sttbench works on what a benchmark run leaves behind and on
// transcripts from anywhere, scoring them the way the benchmark does.
//
//	sttbench report [-output FILE] RECORD...       # a run's table, notes and CSV, from its record
//	sttbench report -plots DIR RECORD...            # and its pictures (PNG)
//	sttbench report -compare -plots DIR A B         # two runs on the same axes
//	sttbench wer -ref ref.trn -hyp hyp.trn          # per-utterance and total WER
//	sttbench wer -ref ref.txt -hyp hyp.txt -format tsv
//
// Run "sttbench help" for the list of commands and "sttbench COMMAND -h" for
// the flags of one.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "sttbench:", err)
		os.Exit(1)
	}
}

// errUsage is returned once the usage has been printed for a command line
// that names no command or an unknown one.
var errUsage = errors.New("usage")

const usage = `usage: sttbench COMMAND [flags]

commands:
  report  print the table and notes of a run from its record(s), write its CSV and pictures
  wer     score hypothesis transcripts against references (trn or plain text)
  help    print this message

"sttbench COMMAND -h" lists the flags of a command.
`

// run dispatches args[0] to its command, which writes its results to stdout
// and its diagnostics to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "wer":
		return runWER(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "sttbench: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
