package sttbench

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFinishDrawsThePictures runs a ramp with -plots and the registered
// Plotter (package plots, linked into this test binary by
// plots_link_test.go): Finish writes the PNG files beside the CSV.
func TestFinishDrawsThePictures(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	cfg := testConfig(t, "", 1, 3)
	cfg.Plots = filepath.Join(filepath.Dir(cfg.Output), "plots") // missing: created at the end
	s, _ := runLevels(t, cfg)
	var out bytes.Buffer
	require.NoError(t, s.Finish(&out))
	// No nvidia-smi: no GPU picture.
	files := []string{"eos.png", "wer.png", "send_lag.png", "eos_distribution.png"}
	assert.Contains(t, out.String(), "pictures written to "+cfg.Plots+": "+strings.Join(files, ", ")+"\n")
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(cfg.Plots, f))
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err, f)
		assert.Equal(t, 1200, img.Bounds().Dx(), f)
		assert.Equal(t, 800, img.Bounds().Dy(), f)
	}
	assert.NoFileExists(t, filepath.Join(cfg.Plots, "gpu.png"))
}

// TestFinishHandsThePlotterTheRunsRows checks what Finish gives the
// Plotter: the table's rows, the rounds behind them, the service URL, the
// run's start and the -eos-p95-max bound.
func TestFinishHandsThePlotterTheRunsRows(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	saved := plotter
	t.Cleanup(func() { RegisterPlotter(saved) })
	type call struct {
		dir   string
		rec   *Record
		rows  []Row
		bound time.Duration
	}
	var calls []call
	RegisterPlotter(func(dir string, rec *Record, rows []Row, bound time.Duration) ([]string, error) {
		calls = append(calls, call{dir, rec, rows, bound})
		return []string{filepath.Join(dir, "eos.png")}, nil
	})
	cfg := testConfig(t, "", 2)
	cfg.Plots = t.TempDir()
	cfg.EOSP95Max = 800 * time.Millisecond
	began := time.Now()
	s, rows := runLevels(t, cfg)
	var out bytes.Buffer
	require.NoError(t, s.Finish(&out))
	require.Len(t, calls, 1)
	c := calls[0]
	assert.Equal(t, cfg.Plots, c.dir)
	assert.Equal(t, 800*time.Millisecond, c.bound)
	assert.Equal(t, []int{2}, c.rec.Levels)
	assert.Equal(t, s.Rounds(2), c.rec.ByLevel[2])
	assert.Equal(t, "embedded", c.rec.Header.Flags["stt-url"])
	assert.False(t, c.rec.Header.Start.Before(began.Add(-time.Second)), "the start of the first round")
	require.Len(t, c.rows, 1)
	var got, want bytes.Buffer // the CSV's rows (NaN != NaN, so compared as written)
	require.NoError(t, WriteCSV(&got, c.rows))
	require.NoError(t, WriteCSV(&want, rows))
	assert.Equal(t, want.String(), got.String())
	assert.Contains(t, out.String(), "pictures written to "+cfg.Plots+": eos.png\n")
}

func TestBadPlotsDirectoryStopsTheRunBeforeItStreams(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, "", 1)
	file := filepath.Join(t.TempDir(), "plots")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	cfg.Plots = file
	s := NewRun(t.Context(), cfg)
	s.Warn = &bytes.Buffer{}
	defer s.Finish(&bytes.Buffer{})
	_, err := s.Level(t.Context(), 1, LevelOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `cannot write -plots "`+file+`"`)
	assert.Contains(t, err.Error(), "name a directory")
	assert.NoFileExists(t, cfg.Record, "checked before the record is begun")
	assert.Empty(t, s.Rows())
}

func TestPlotsOptionParses(t *testing.T) {
	cfg, err := ParseConfig(values(map[string]string{"plots": " out/plots "}))
	require.NoError(t, err)
	assert.Equal(t, "out/plots", cfg.Plots)
	assert.Equal(t, " out/plots ", cfg.Flags["plots"])
	cfg, err = ParseConfig(values(map[string]string{}))
	require.NoError(t, err)
	assert.Empty(t, cfg.Plots, "no pictures unless asked")
}
