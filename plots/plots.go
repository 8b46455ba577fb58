// Package plots draws a benchmark run's pictures: PNG files of EOS latency,
// WER, GPU and send lag against concurrency, and the EOS latency
// distribution per level, from the rows of the run's table and CSV and the
// sessions of its record.
//
// The data comes first: Figures builds every picture's series from the
// rows (and the timed latencies of each level), nothing else, so a test
// can check each point against its row; Write renders those figures as
// PNG files, a thin layer over gonum.org/v1/plot.
//
// Importing the package registers it as the benchmark's -plots Plotter.
package plots

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sttbench/sttbench"
	"github.com/sttbench/sttbench/harness"
)

func init() {
	sttbench.RegisterPlotter(func(dir string, rec *sttbench.Record, rows []sttbench.Row, eosBound time.Duration) ([]string, error) {
		return Write(dir, []Run{FromRecord("", rec, rows)}, Options{EOSBound: eosBound})
	})
}

// The files Write can draw, each PNG WidthPx wide.
const (
	FileEOS          = "eos.png"              // EOS p50 and p95 against concurrency
	FileWER          = "wer.png"              // WER (and raw WER) against concurrency
	FileGPU          = "gpu.png"              // GPU SM utilisation and VRAM against concurrency
	FileSendLag      = "send_lag.png"         // the client's send lag p99 and max against concurrency
	FileDistribution = "eos_distribution.png" // EOS latency box plots per level
)

// Files lists every file Write may draw, in order.
var Files = []string{FileEOS, FileWER, FileGPU, FileSendLag, FileDistribution}

// Picture sizes in pixels: every file is WidthPx by HeightPx, but gpu.png,
// with two panels, is WidthPx by GPUHeightPx.
const (
	WidthPx     = 1200
	HeightPx    = 800
	GPUHeightPx = 1000
)

// Options says what to draw beside the data.
type Options struct {
	// EOSBound is the EOS p95 bound, drawn as a horizontal line on the EOS
	// pictures; zero draws none. A benchmark run passes its -eos-p95-max.
	EOSBound time.Duration
}

// Run is one run to draw: its rows and, per row, the latencies behind the
// row's EOS figures.
type Run struct {
	// Name names the run in the legend (the record's file name when
	// comparing runs); empty for a picture of one run.
	Name string
	// Service is the STT service's host (from -stt-url) and Start when the
	// run began: the pictures' titles name both.
	Service string
	Start   time.Time
	Rows    []sttbench.Row
	// Latencies[i] are the EOS latencies, in seconds, of the sessions
	// Rows[i]'s EOS figures are over (sttbench.TimedLatencies).
	Latencies [][]float64
}

// FromRecord is the run of a record. rows are the record's rows, one per
// level in rec.Levels' order, as the table and CSV show them; nil computes
// them (sttbench.LevelRow), as `sttbench report` does.
func FromRecord(name string, rec *sttbench.Record, rows []sttbench.Row) Run {
	if rows == nil {
		for _, n := range rec.Levels {
			rows = append(rows, sttbench.LevelRow(n, rec.ByLevel[n]))
		}
	}
	// A capacity search runs its probes out of order (1, 2, 4, 8, 6, 5);
	// drawn in that order, a line would fold back on itself.
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b sttbench.Row) int { return a.Concurrency - b.Concurrency })
	run := Run{Name: name, Service: serviceHost(rec.Header.Flags["stt-url"]), Start: rec.Header.Start, Rows: rows}
	for _, row := range rows {
		var levels []harness.LevelResult
		for _, r := range rec.ByLevel[row.Concurrency] {
			levels = append(levels, r.Level)
		}
		run.Latencies = append(run.Latencies, sttbench.TimedLatencies(levels))
	}
	return run
}

// serviceHost is the host (and port) of an STT URL; the embedded reference
// service is named as such.
func serviceHost(raw string) string {
	switch {
	case raw == "":
		return "unknown service"
	case raw == "embedded" || strings.HasPrefix(raw, "embedded?"):
		return "embedded reference STT"
	}
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// Figure is one PNG file: one panel, or several stacked (gpu.png).
type Figure struct {
	File          string
	Width, Height int // pixels
	Panels        []Panel
}

// Panel is one plot: its lines against concurrency, or its boxes, and an
// optional horizontal bound.
type Panel struct {
	Title, XLabel, YLabel string
	Lines                 []Series
	// Boxes are box plots at nominal positions named by Ticks (the
	// distribution picture).
	Boxes []Box
	Ticks []string
	Bound *Bound
}

// Series is one line of points, in concurrency order. Rows without the
// value (None) have no point: a missing figure is a gap, never a zero.
type Series struct {
	Name string
	// Color and Dash index the palette: the dash by statistic (so lines
	// that coincide still show), the colour by statistic for one run and by
	// run when comparing runs.
	Color, Dash int
	Points      []Point
}

// Point is one row's value; Label, when set, is drawn beside it ("n=40").
type Point struct {
	X, Y  float64
	Label string
}

// Box is the latency distribution of one level of one run, at position X
// (Ticks' index, shifted per run when comparing).
type Box struct {
	Name        string // the run's name, for the legend
	Color       int
	X           float64
	Concurrency int
	Values      []float64
}

// Bound is a horizontal line across a panel.
type Bound struct {
	Name string
	Y    float64
}

// Figures builds every picture's data from the runs' rows and latencies.
// A picture with nothing to show is left out: gpu.png unless some row has
// GPU samples, any other when none of its values was measured.
func Figures(runs []Run, opt Options) []Figure {
	title := func(what string) string {
		if d := describe(runs); strings.HasPrefix(d, "\n") {
			return what + d
		}
		return what + " — " + describe(runs)
	}
	x := "concurrency (streams)"
	multi := len(runs) > 1
	// line builds the series of one statistic (the k-th of its panel) of
	// every run.
	line := func(k int, stat string, value func(sttbench.Row) (sttbench.Float, bool), label func(sttbench.Row) string) []Series {
		var out []Series
		for i, run := range runs {
			s := Series{Name: stat, Color: k, Dash: k}
			if multi {
				s.Name, s.Color, s.Dash = run.Name+" "+stat, i, k
			}
			for _, row := range run.Rows {
				v, ok := value(row)
				if !ok || !v.Valid() || math.IsInf(float64(v), 0) {
					continue
				}
				p := Point{X: float64(row.Concurrency), Y: float64(v)}
				if label != nil {
					p.Label = label(row)
				}
				s.Points = append(s.Points, p)
			}
			if len(s.Points) > 0 {
				out = append(out, s)
			}
		}
		return out
	}
	always := func(f func(sttbench.Row) sttbench.Float) func(sttbench.Row) (sttbench.Float, bool) {
		return func(r sttbench.Row) (sttbench.Float, bool) { return f(r), true }
	}
	sampled := func(f func(sttbench.Row) sttbench.Float) func(sttbench.Row) (sttbench.Float, bool) {
		return func(r sttbench.Row) (sttbench.Float, bool) { return f(r), r.GPUSamples > 0 }
	}
	var bound *Bound
	if opt.EOSBound > 0 {
		bound = &Bound{Name: fmt.Sprintf("EOS p95 bound %v", opt.EOSBound), Y: opt.EOSBound.Seconds()}
	}
	var figs []Figure
	add := func(f Figure) {
		for _, p := range f.Panels {
			if len(p.Lines) > 0 || len(p.Boxes) > 0 {
				figs = append(figs, f)
				return
			}
		}
	}

	nLabel := func(r sttbench.Row) string { return fmt.Sprintf("n=%d", r.EOSN) }
	add(Figure{File: FileEOS, Width: WidthPx, Height: HeightPx, Panels: []Panel{{
		Title: title("EOS latency (n = ok sessions timed)"), XLabel: x, YLabel: "EOS latency (s)", Bound: bound,
		Lines: concat(
			line(0, "p95", always(func(r sttbench.Row) sttbench.Float { return r.EOSP95 }), nLabel),
			line(1, "p50", always(func(r sttbench.Row) sttbench.Float { return r.EOSP50 }), nil)),
	}}})
	add(Figure{File: FileWER, Width: WidthPx, Height: HeightPx, Panels: []Panel{{
		Title: title("WER"), XLabel: x, YLabel: "WER (%)",
		Lines: concat(
			line(0, "WER (normalized)", always(func(r sttbench.Row) sttbench.Float { return r.WER }), nil),
			line(1, "raw WER", always(func(r sttbench.Row) sttbench.Float { return r.WERRaw }), nil)),
	}}})
	gpu := Figure{File: FileGPU, Width: WidthPx, Height: GPUHeightPx, Panels: []Panel{{
		Title: title("GPU SM utilisation"), XLabel: x, YLabel: "SM utilisation (%)",
		Lines: concat(
			line(0, "p95", sampled(func(r sttbench.Row) sttbench.Float { return r.GPUUtilP95 }), nil),
			line(1, "mean", sampled(func(r sttbench.Row) sttbench.Float { return r.GPUUtilMean }), nil)),
	}, {
		Title: title("GPU memory"), XLabel: x, YLabel: "VRAM (MiB)",
		Lines: concat(
			line(0, "peak", sampled(func(r sttbench.Row) sttbench.Float { return r.VRAMPeak }), nil),
			line(1, "mean", sampled(func(r sttbench.Row) sttbench.Float { return r.VRAMMean }), nil)),
	}}}
	if anySampled(runs) {
		add(gpu)
	}
	add(Figure{File: FileSendLag, Width: WidthPx, Height: HeightPx, Panels: []Panel{{
		Title: title("Client send lag"), XLabel: x, YLabel: "send lag (ms)",
		Lines: concat(
			line(0, "p99", always(func(r sttbench.Row) sttbench.Float { return r.SendLagP99Ms }), nil),
			line(1, "max", always(func(r sttbench.Row) sttbench.Float { return r.SendLagMaxMs }), nil)),
	}}})
	add(Figure{File: FileDistribution, Width: WidthPx, Height: HeightPx, Panels: []Panel{distribution(runs, title, bound)}})
	return figs
}

// distribution is the box plot panel: one box per level and run, at the
// level's position among every run's levels.
func distribution(runs []Run, title func(string) string, bound *Bound) Panel {
	p := Panel{Title: title("EOS latency per level"), XLabel: "concurrency (streams)", YLabel: "EOS latency (s)", Bound: bound}
	var levels []int
	at := map[int]int{}
	for _, run := range runs {
		for _, row := range run.Rows {
			if _, ok := at[row.Concurrency]; !ok {
				at[row.Concurrency] = len(levels)
				levels = append(levels, row.Concurrency)
			}
		}
	}
	for _, n := range levels {
		p.Ticks = append(p.Ticks, fmt.Sprint(n))
	}
	if len(runs) == 1 {
		// One run: each level's tick says how many latencies its box is of.
		for j, row := range runs[0].Rows {
			if j < len(runs[0].Latencies) {
				p.Ticks[at[row.Concurrency]] += fmt.Sprintf(" (n=%d)", len(runs[0].Latencies[j]))
			}
		}
	}
	width := 0.8 / float64(len(runs))
	for i, run := range runs {
		for j, row := range run.Rows {
			if j >= len(run.Latencies) || len(run.Latencies[j]) == 0 {
				continue
			}
			x := float64(at[row.Concurrency])
			if len(runs) > 1 {
				x += -0.4 + width*(float64(i)+0.5)
			}
			p.Boxes = append(p.Boxes, Box{Name: run.Name, Color: i, X: x, Concurrency: row.Concurrency, Values: run.Latencies[j]})
		}
	}
	return p
}

func anySampled(runs []Run) bool {
	for _, run := range runs {
		for _, row := range run.Rows {
			if row.GPUSamples > 0 {
				return true
			}
		}
	}
	return false
}

// describe names the runs for a title: the service host and the start
// (UTC) of each.
func describe(runs []Run) string {
	parts := make([]string, len(runs))
	for i, run := range runs {
		when := "start unknown"
		if !run.Start.IsZero() {
			when = run.Start.UTC().Format("2006-01-02 15:04 MST")
		}
		parts[i] = run.Service + ", " + when
		if len(runs) > 1 {
			parts[i] = run.Name + ": " + parts[i]
		}
	}
	if len(runs) > 1 {
		// One line per run, under the title's first line.
		return "\n" + strings.Join(parts, "\n")
	}
	return strings.Join(parts, " vs ")
}

func concat(lists ...[]Series) []Series {
	var out []Series
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
