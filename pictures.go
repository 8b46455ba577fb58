package sttbench

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A Plotter draws the pictures of a run (-plots) into dir and returns the
// files it wrote. rows are the run's rows (the CSV's), one per level of rec
// in order; eosBound is the EOS p95 bound to draw, zero for none.
type Plotter func(dir string, rec *Record, rows []Row, eosBound time.Duration) ([]string, error)

var plotter Plotter

// RegisterPlotter sets the Plotter of -plots. Package plots registers
// itself when imported: a program (or test binary) that offers -plots
// imports it, blank if need be.
func RegisterPlotter(p Plotter) { plotter = p }

// checkPlots checks, before anything is measured, that the pictures can be
// written to dir: an existing, writable directory, or a missing one whose
// parent exists and is writable (it is created at the end). Like
// CheckOutputs it creates nothing it leaves behind.
func checkPlots(dir string) error {
	fail := func(cause error, todo string) error {
		return fmt.Errorf("cannot write -plots %q: %w; %s, or pass -plots '' to draw none", dir, cause, todo)
	}
	if plotter == nil {
		return fail(errors.New("this program draws no pictures"), "build it with package github.com/sttbench/sttbench/plots imported")
	}
	target := dir
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fail(errors.New("it is not a directory"), "name a directory")
	} else if errors.Is(err, fs.ErrNotExist) {
		target = filepath.Dir(dir)
		if fi, err := os.Stat(target); err != nil {
			return fail(err, "create its parent directory")
		} else if !fi.IsDir() {
			return fail(fmt.Errorf("%s is not a directory", target), "fix the path")
		}
	} else if err != nil {
		return fail(err, "fix the path")
	}
	f, err := createTemp(target, ".sttbench-check-")
	if err != nil {
		return fail(err, "make the directory writable")
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// writePlots draws the run's pictures into -plots at Finish, from the rows
// of the table and CSV and the rounds behind them.
func (r *Run) writePlots(w io.Writer, levels []int, byLevel map[int][]Round, rows []Row) error {
	if plotter == nil {
		return checkPlots(r.Config.Plots)
	}
	host, _ := os.Hostname()
	rec := &Record{
		Header: RecordHeader{Start: firstStart(levels, byLevel), Host: host, Flags: r.Config.Flags, Levels: r.Config.Levels},
		Levels: levels, ByLevel: byLevel,
	}
	files, err := plotter(r.Config.Plots, rec, rows, eosLine(r.Config))
	if err != nil {
		return fmt.Errorf("-plots %s: %w", r.Config.Plots, err)
	}
	fmt.Fprintf(w, "pictures written to %s: %s\n", r.Config.Plots, baseNames(files))
	return nil
}

// firstStart is the start of the earliest round: when the run began
// measuring.
func firstStart(levels []int, byLevel map[int][]Round) time.Time {
	var first time.Time
	for _, n := range levels {
		for _, round := range byLevel[n] {
			if s := round.Level.Start; !s.IsZero() && (first.IsZero() || s.Before(first)) {
				first = s
			}
		}
	}
	return first
}

func baseNames(paths []string) string {
	s := ""
	for i, p := range paths {
		if i > 0 {
			s += ", "
		}
		s += filepath.Base(p)
	}
	return s
}

// eosLine is the EOS p95 bound the pictures draw: the -slo's eos_p95 term
// when there is one, else the gate's -eos-p95-max (zero: none).
func eosLine(cfg Config) time.Duration {
	if d := cfg.SLO.EOSP95Bound(); d > 0 {
		return d
	}
	return cfg.EOSP95Max
}
