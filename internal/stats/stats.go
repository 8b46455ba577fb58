// Package stats holds the summary statistics shared by the harness and the
// GPU monitor, so that every percentile in a report uses one estimator.
package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Percentile returns the p-th percentile (0 <= p <= 100) of xs using linear
// interpolation between closest ranks, numpy's default ("linear") method:
// the median of {1,2,3,4,5} is 3 and its 95th percentile is 4.8.
// gonum's stat.Quantile with stat.LinInterp is a different estimator
// (it gives 2.5 for that median), so it is not used here.
// It returns NaN for an empty slice. xs is not modified.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	p = min(max(p, 0), 100)
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	frac := rank - float64(lo)
	return sorted[lo] + (sorted[hi]-sorted[lo])*frac
}

// Mean returns the arithmetic mean of xs, or NaN when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return stat.Mean(xs, nil)
}

// Max returns the largest value of xs, or NaN when xs is empty.
func Max(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return slices.Max(xs)
}
