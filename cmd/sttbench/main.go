// Command sttbench works on what the benchmark measured, outside go test:
//
//	sttbench report [-output FILE] RECORD...   the table, notes and CSV of a run, from its record
//
// A run itself is `go test -bench .` in the module's root (see the README).
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

var errUsage = errors.New("usage")

const usage = `usage: sttbench COMMAND [flags] [args]

commands:
  report   print the table and notes of a run from its record, and write its CSV
`

// run dispatches to the subcommand named by args[0].
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "sttbench: unknown command %q\n%s", args[0], usage)
	return errUsage
}
