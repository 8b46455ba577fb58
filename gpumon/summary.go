package gpumon

import (
	"fmt"
	"math"

	"github.com/sttbench/sttbench/internal/stats"
)

// Summary describes a GPU's activity over a window of samples. Percentiles
// use the suite's estimator (linear interpolation between closest ranks,
// numpy's default). A Summary with N == 0 means no data, and then every
// figure is NaN, never zero.
type Summary struct {
	// N is the number of samples summarised; 0 means no data.
	N int
	// SMP95 and SMMean are the 95th percentile and the mean of SM
	// utilisation, in percent, over the samples that report it; NaN when
	// none does.
	SMP95, SMMean float64
	// VRAMPeakMiB and VRAMMeanMiB are the largest and the mean frame-buffer
	// memory in use, in MiB, over the samples that report it; NaN when none
	// does.
	VRAMPeakMiB, VRAMMeanMiB float64
	// Closed reports whether the sample that closes the window (the first
	// one after its end) is included. Window sets it; Summarize leaves it
	// false.
	Closed bool
}

// OK reports whether the summary holds data.
func (s Summary) OK() bool { return s.N > 0 }

// String formats the summary on one line, or says "no data".
func (s Summary) String() string {
	if !s.OK() {
		return "no GPU data"
	}
	return fmt.Sprintf("%d samples: SM p95 %.0f%%, mean %.1f%%; VRAM peak %.0f MiB, mean %.0f MiB",
		s.N, s.SMP95, s.SMMean, s.VRAMPeakMiB, s.VRAMMeanMiB)
}

// Summarize computes a Summary of samples. Values that a board does not
// report (NaN) are left out of the figures they belong to.
func Summarize(samples []Sample) Summary {
	sm := make([]float64, 0, len(samples))
	fb := make([]float64, 0, len(samples))
	for _, s := range samples {
		if !math.IsNaN(s.SM) {
			sm = append(sm, s.SM)
		}
		if !math.IsNaN(s.FBMiB) {
			fb = append(fb, s.FBMiB)
		}
	}
	return Summary{
		N:           len(samples),
		SMP95:       stats.Percentile(sm, 95),
		SMMean:      stats.Mean(sm),
		VRAMPeakMiB: stats.Max(fb),
		VRAMMeanMiB: stats.Mean(fb),
	}
}
