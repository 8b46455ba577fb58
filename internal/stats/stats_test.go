package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Expected values computed with numpy.percentile(xs, p) (method="linear").
func TestPercentileMatchesNumpy(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"median odd", []float64{1, 2, 3, 4, 5}, 50, 3},
		{"p95 of five", []float64{1, 2, 3, 4, 5}, 95, 4.8},
		{"median even", []float64{4, 1, 3, 2}, 50, 2.5},
		{"p95 of four", []float64{0.31, 0.52, 0.47, 0.9}, 95, 0.843},
		{"p0 is min", []float64{7, 3, 9}, 0, 3},
		{"p100 is max", []float64{7, 3, 9}, 100, 9},
		{"single", []float64{0.42}, 95, 0.42},
		{"p99 of ten", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 9.91},
		{"negatives", []float64{-0.2, 0.1, 0.4}, 50, 0.1},
		{"p25 of ten", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 25, 3.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, Percentile(tt.xs, tt.p), 1e-9)
		})
	}
}

func TestPercentileEmptyIsNaN(t *testing.T) {
	assert.True(t, math.IsNaN(Percentile(nil, 50)))
	assert.True(t, math.IsNaN(Mean(nil)))
	assert.True(t, math.IsNaN(Max(nil)))
}

func TestPercentileDoesNotReorderInput(t *testing.T) {
	xs := []float64{3, 1, 2}
	Percentile(xs, 50)
	assert.Equal(t, []float64{3, 1, 2}, xs)
}

func TestMeanAndMax(t *testing.T) {
	assert.InDelta(t, 2.5, Mean([]float64{1, 2, 3, 4}), 1e-12)
	assert.Equal(t, 4.0, Max([]float64{1, 4, 3}))
}
