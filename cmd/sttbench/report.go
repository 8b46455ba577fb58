package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sttbench/sttbench"
	"github.com/sttbench/sttbench/plots"
)

// shardSpread is how far apart the starts of records may be and still read
// as shards of one run; records further apart get a hint to -compare.
const shardSpread = 10 * time.Minute

// runReport prints the table and notes of the records given, merged into
// one run (or, with -compare, each on its own), and writes their CSV and
// pictures when -output and -plots name them.
func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sttbench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "", "write the CSV to `file` too (empty or -: none)")
	plotsDir := fs.String("plots", "", "draw the run's pictures as PNG files into `dir` (created if missing; empty: none)")
	partial := fs.Bool("partial", false, "report rounds that some records lack (a shard cut short or not given) from the records that hold them, instead of leaving them out")
	compare := fs.Bool("compare", false, "the records are different runs: report each on its own and draw them on the same axes (-plots)")
	bound := fs.String("eos-p95-max", "", "EOS p95 bound drawn on the EOS pictures, e.g. 800ms (default: the record's own -eos-p95-max)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sttbench report [-output FILE] [-plots DIR] [-partial] RECORD...\n"+
			"       sttbench report -compare [-plots DIR] BEFORE AFTER...\n\n"+
			"Prints the table and notes of a run from its record (-record of the benchmark), scored with\n"+
			"this build's normalizer. Several records, made at the same time on several load hosts, merge\n"+
			"into one report; with -compare they are different runs, reported one after the other and\n"+
			"drawn on the same axes, each named by its file in the legend.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	csv := *output
	if csv == "-" {
		csv = ""
	}
	if *compare && csv != "" {
		return fmt.Errorf("-output with -compare: one CSV cannot hold several runs; report each record on its own with -output")
	}
	if *compare && *partial {
		return fmt.Errorf("-partial with -compare: -partial is for records of one run that merge; -compare reports each record on its own")
	}
	if *compare && fs.NArg() < 2 {
		return fmt.Errorf("-compare needs two or more records (given %d)", fs.NArg())
	}
	var eosBound time.Duration
	if *bound != "" {
		d, err := time.ParseDuration(*bound)
		if err != nil || d <= 0 {
			return fmt.Errorf("invalid -eos-p95-max %q: write a positive duration, e.g. 800ms", *bound)
		}
		eosBound = d
	}
	if err := sttbench.CheckOutputs(sttbench.Config{Output: csv, Plots: *plotsDir}); err != nil {
		return err
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
		if *compare && len(rec.Levels) == 0 {
			return fmt.Errorf("%s: no complete level to report", path)
		}
		recs = append(recs, rec)
		if eosBound == 0 {
			// The bound of the run's own SLO, or the one it was gated on.
			if slo, err := sttbench.ParseSLO(rec.Header.Flags["slo"]); err == nil && slo.EOSP95Bound() > 0 {
				eosBound = slo.EOSP95Bound()
			} else if d, err := time.ParseDuration(rec.Header.Flags["eos-p95-max"]); err == nil && d > 0 {
				eosBound = d
			}
		}
	}
	if *plotsDir != "" {
		// Every record, not just the first: -compare draws them all.
		for i, rec := range recs {
			if m := rec.Header.Load.Model; m != "" && m != sttbench.LoadRamp {
				return fmt.Errorf("-plots draws figures against concurrency, which the -load %s record %s does not vary: leave -plots out, or leave that record out", m, fs.Arg(i))
			}
		}
	}
	names := recordNames(fs.Args())
	var runs []plots.Run
	if *compare {
		for i, rec := range recs {
			fmt.Fprintf(stdout, "\n%s (%s, started %s)\n", names[i], rec.Header.Host, rec.Header.Start.UTC().Format(time.RFC3339))
			for _, c := range rec.Capacity {
				fmt.Fprintf(stdout, "%s\n", c.AnswerLine())
			}
			rep, err := sttbench.ReportRun(stdout, rec.Header.Load, rec.Levels, rec.ByLevel)
			if err != nil {
				return err
			}
			runs = append(runs, plots.FromRecord(names[i], rec, sttbench.MarkSLO(rep.Rows, rec.Capacity)))
		}
	} else {
		if spread := startSpread(recs); spread > shardSpread {
			fmt.Fprintf(stderr, "sttbench: the records' starts are %v apart: shards of one run start together; "+
				"to compare different runs, pass -compare\n", spread.Round(time.Second))
		}
		rec, err := sttbench.MergeRecords(recs, sttbench.MergeOptions{Partial: *partial})
		if err != nil {
			return err
		}
		for _, g := range rec.Gaps {
			fmt.Fprintf(stderr, "sttbench: warning: %s\n", g)
		}
		// The answer is printed even with no level to show under it.
		for _, c := range rec.Capacity {
			fmt.Fprintf(stdout, "\n%s\n", c.AnswerLine())
		}
		if len(rec.Levels) == 0 {
			return fmt.Errorf("%s: no complete level to report", strings.Join(fs.Args(), ", "))
		}
		fmt.Fprintln(stdout)
		rep, err := sttbench.ReportRun(stdout, rec.Header.Load, rec.Levels, rec.ByLevel)
		if err != nil {
			return err
		}
		rep.Rows = sttbench.MarkSLO(rep.Rows, rec.Capacity)
		if csv != "" {
			if err := rep.WriteCSVFile(csv); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "results written to %s\n", csv)
		}
		runs = append(runs, plots.FromRecord("", rec, rep.Rows))
	}
	if *plotsDir != "" {
		files, err := plots.Write(*plotsDir, runs, plots.Options{EOSBound: eosBound})
		if err != nil {
			return fmt.Errorf("-plots %s: %w", *plotsDir, err)
		}
		for i := range files {
			files[i] = filepath.Base(files[i])
		}
		fmt.Fprintf(stdout, "pictures written to %s: %s\n", *plotsDir, strings.Join(files, ", "))
	}
	return nil
}

// recordNames names each record in a legend: its file name, or its path
// where two records share a file name.
func recordNames(paths []string) []string {
	count := map[string]int{}
	for _, p := range paths {
		count[filepath.Base(p)]++
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
		if count[names[i]] > 1 {
			names[i] = p
		}
	}
	return names
}

// startSpread is the time between the earliest and the latest start of
// records that name one.
func startSpread(recs []*sttbench.Record) time.Duration {
	var first, last time.Time
	for _, r := range recs {
		s := r.Header.Start
		if s.IsZero() {
			continue
		}
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if s.After(last) {
			last = s
		}
	}
	return last.Sub(first)
}
