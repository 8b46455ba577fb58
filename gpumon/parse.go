package gpumon

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Sample is one line of `nvidia-smi dmon` output for the monitored GPU.
// It describes the sampling interval that ends at Time.
type Sample struct {
	// Time is when the line arrived from dmon (wall and monotonic clock).
	// dmon writes one line per interval into the pipe as soon as it has it,
	// so the arrival time is the end of the interval the line describes.
	Time time.Time
	// GPU is the index in dmon's gpu column, or -1 when there is none.
	GPU int
	// SM is the SM utilisation over the interval, in percent (0-100).
	// It is NaN when the board does not report it (dmon prints "-").
	SM float64
	// FBMiB is the frame-buffer memory in use, in MiB (dmon labels the
	// column MB, but the figure is mebibytes). NaN when not reported.
	FBMiB float64
}

// lineKind classifies one line of dmon output.
type lineKind int

const (
	lineBlank    lineKind = iota // empty or whitespace only
	lineSample                   // a data line for the monitored GPU
	lineHeader                   // the "# gpu sm mem ..." column names
	lineUnits                    // the "# Idx % % ..." units under the names
	lineOtherGPU                 // a well-formed data line for another GPU
	lineSkipped                  // anything else: counted, never fatal
)

func (k lineKind) String() string {
	switch k {
	case lineBlank:
		return "blank"
	case lineSample:
		return "sample"
	case lineHeader:
		return "header"
	case lineUnits:
		return "units"
	case lineOtherGPU:
		return "other-gpu"
	case lineSkipped:
		return "skipped"
	}
	return "lineKind(" + strconv.Itoa(int(k)) + ")"
}

// parser reads dmon output line by line. It finds the columns it needs by
// their names in the latest "#" header line, so it does not depend on the
// driver's column set, on -o DT (Date and Time columns first) or on
// --format csv. The zero value keeps the lines of every GPU; it is not safe
// for concurrent use.
type parser struct {
	// gpu, when not empty, keeps only data lines whose gpu column equals it
	// (the index as dmon prints it); lines of other GPUs are reported as
	// lineOtherGPU.
	gpu string

	header bool // a names header has been seen
	units  bool // the previous line was the names header
	ncols  int
	idxGPU int
	idxSM  int
	idxFB  int
}

// columns dmon names that identify a names header line: every -s selection
// prints gpu, and the ones this package reads are sm and fb.
func isKnownColumn(name string) bool {
	switch strings.ToLower(name) {
	case "gpu", "sm", "fb":
		return true
	}
	return false
}

// splitFields splits a dmon line into fields: on commas for --format csv,
// else on runs of white space.
func splitFields(s string) []string {
	if !strings.Contains(s, ",") {
		return strings.Fields(s)
	}
	fields := strings.Split(s, ",")
	for i, f := range fields {
		fields[i] = strings.TrimSpace(f)
	}
	return fields
}

// parse classifies line and, for lineSample, returns the sample stamped at.
func (p *parser) parse(line string, at time.Time) (Sample, lineKind) {
	line = strings.TrimSpace(line)
	if line == "" {
		return Sample{}, lineBlank
	}
	if strings.HasPrefix(line, "#") {
		return Sample{}, p.parseComment(splitFields(line[1:]))
	}
	p.units = false
	if !p.header || (p.idxSM < 0 && p.idxFB < 0) {
		return Sample{}, lineSkipped
	}
	fields := splitFields(line)
	if len(fields) != p.ncols {
		return Sample{}, lineSkipped
	}
	s := Sample{Time: at, GPU: -1}
	if p.idxGPU >= 0 {
		g := fields[p.idxGPU]
		n, err := strconv.Atoi(g)
		if err != nil || n < 0 {
			return Sample{}, lineSkipped
		}
		s.GPU = n
	}
	var ok bool
	if s.SM, ok = metric(fields, p.idxSM, 100); !ok {
		return Sample{}, lineSkipped
	}
	if s.FBMiB, ok = metric(fields, p.idxFB, math.Inf(1)); !ok {
		return Sample{}, lineSkipped
	}
	if p.gpu != "" && p.idxGPU >= 0 && fields[p.idxGPU] != p.gpu {
		return Sample{}, lineOtherGPU
	}
	return s, lineSample
}

// parseComment handles a line that starts with "#": a names header, the
// units line right below it, or an unknown comment.
func (p *parser) parseComment(fields []string) lineKind {
	known := false
	for _, f := range fields {
		if isKnownColumn(f) {
			known = true
			break
		}
	}
	if known {
		p.header, p.units = true, true
		p.ncols = len(fields)
		p.idxGPU, p.idxSM, p.idxFB = -1, -1, -1
		for i, f := range fields {
			switch strings.ToLower(f) {
			case "gpu":
				p.idxGPU = i
			case "sm":
				p.idxSM = i
			case "fb":
				p.idxFB = i
			}
		}
		return lineHeader
	}
	if p.units && len(fields) == p.ncols {
		p.units = false
		return lineUnits
	}
	p.units = false
	return lineSkipped
}

// metric reads fields[i] as a non-negative number no larger than limit.
// A column the header lacks (i < 0) and dmon's "-" (not supported on this
// board) both give NaN; anything else that is not such a number is malformed.
func metric(fields []string, i int, limit float64) (float64, bool) {
	if i < 0 || fields[i] == "-" {
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(fields[i], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > limit {
		return 0, false
	}
	return v, true
}
