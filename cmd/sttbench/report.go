package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/sttbench/sttbench"
)

// runReport prints the table and notes of the records given, merged into
// one run, and writes their CSV when -output names a file.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sttbench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "", "write the CSV to `file` too (empty or -: none)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sttbench report [-output FILE] RECORD...\n\n"+
			"Prints the table and notes of a run from its record (-record of the benchmark), scored with\n"+
			"this build's normalizer. Several records, made at the same time on several load hosts, merge\n"+
			"into one report.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	if *output != "" && *output != "-" {
		if err := sttbench.CheckOutputs(sttbench.Config{Output: *output}); err != nil {
			return err
		}
	}
	var recs []*sttbench.Record
	for _, path := range fs.Args() {
		rec, err := sttbench.ReadRecord(path)
		if err != nil {
			return err
		}
		for _, s := range rec.Skipped {
			fmt.Fprintf(stderr, "sttbench: %s: %s\n", path, s)
		}
		if v := rec.Header.Normalizer; v != sttbench.NormalizerVersion {
			fmt.Fprintf(stderr, "sttbench: %s was scored with normalizer %q; this report re-scores it with %q\n",
				path, v, sttbench.NormalizerVersion)
		}
		recs = append(recs, rec)
	}
	rec, err := sttbench.MergeRecords(recs)
	if err != nil {
		return err
	}
	if missing := sttbench.MissingShards(recs); len(missing) > 0 {
		fmt.Fprintf(stderr, "sttbench: warning: shard(s) %v of %d missing: the report covers only the sessions of the shards given\n",
			missing, rec.Header.Shard.Count)
	}
	if len(rec.Levels) == 0 {
		return fmt.Errorf("%s: no complete level to report", strings.Join(fs.Args(), ", "))
	}
	for _, c := range rec.Capacity {
		fmt.Fprintf(stdout, "\n%s\n", c.AnswerLine())
	}
	fmt.Fprintln(stdout)
	rep, err := sttbench.ReportRun(stdout, rec.Header.Load, rec.Levels, rec.ByLevel)
	if err != nil {
		return err
	}
	rep.Rows = sttbench.MarkSLO(rep.Rows, rec.Capacity)
	if *output != "" && *output != "-" {
		if err := rep.WriteCSVFile(*output); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results written to %s\n", *output)
	}
	return nil
}
