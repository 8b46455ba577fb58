package plots

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench"
	"github.com/sttbench/sttbench/harness"
)

var start = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// testRows are three levels with every figure distinct, the middle one
// missing its EOS p95, raw WER and send lag (None), and GPU samples only at
// the first and last.
func testRows() []sttbench.Row {
	row := func(n int, p50, p95, wer, werRaw, util, vram, lag sttbench.Float, gpu int) sttbench.Row {
		return sttbench.Row{
			Concurrency: n, EOSP50: p50, EOSP95: p95, EOSN: n - 1, WER: wer, WERRaw: werRaw,
			GPUUtilP95: util, GPUUtilMean: util / 2, VRAMPeak: vram, VRAMMean: vram - 100, GPUSamples: gpu,
			SendLagP99Ms: lag, SendLagMaxMs: lag * 3,
		}
	}
	return []sttbench.Row{
		row(1, 0.5, 0.6, 1.5, 2.5, 40, 9000, 0.2, 5),
		row(10, 0.7, sttbench.None, 2, sttbench.None, sttbench.None, sttbench.None, sttbench.None, 0),
		row(40, 1.1, 1.9, 4.25, 6, 97, 9400, 3.5, 12),
	}
}

func testRun(name string) Run {
	return Run{
		Name: name, Service: "gpu-host:8000", Start: start, Rows: testRows(),
		Latencies: [][]float64{{0.5}, {0.6, 0.7, 0.9}, {0.8, 1.0, 1.1, 2.0}},
	}
}

func figure(t *testing.T, figs []Figure, file string) Figure {
	t.Helper()
	for _, f := range figs {
		if f.File == file {
			return f
		}
	}
	t.Fatalf("no figure %s among %d", file, len(figs))
	return Figure{}
}

func series(t *testing.T, p Panel, name string) Series {
	t.Helper()
	for _, s := range p.Lines {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("panel %q has no series %q", p.Title, name)
	return Series{}
}

// want is the series of a row field: a point per row where it is valid,
// in row order, as a test computes it independently of Figures.
func want(rows []sttbench.Row, field func(sttbench.Row) sttbench.Float, keep func(sttbench.Row) bool) []Point {
	var out []Point
	for _, r := range rows {
		if v := field(r); v.Valid() && (keep == nil || keep(r)) {
			out = append(out, Point{X: float64(r.Concurrency), Y: float64(v)})
		}
	}
	return out
}

func xy(ps []Point) []Point {
	out := make([]Point, len(ps))
	for i, p := range ps {
		out[i] = Point{X: p.X, Y: p.Y}
	}
	return out
}

func TestFiguresComeFromTheRows(t *testing.T) {
	rows := testRows()
	figs := Figures([]Run{testRun("")}, Options{EOSBound: 800 * time.Millisecond})
	var files []string
	for _, f := range figs {
		files = append(files, f.File)
	}
	assert.Equal(t, Files, files, "every picture, GPU included (two levels were sampled)")

	eos := figure(t, figs, FileEOS).Panels[0]
	p95 := series(t, eos, "p95")
	// conc=10 has no p95: a gap, not a zero.
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.EOSP95 }, nil), xy(p95.Points))
	assert.Equal(t, []Point{{1, 0.6, "n=0"}, {40, 1.9, "n=39"}}, p95.Points, "n per point is the row's eos_n")
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.EOSP50 }, nil), series(t, eos, "p50").Points)
	require.NotNil(t, eos.Bound)
	assert.Equal(t, 0.8, eos.Bound.Y)
	assert.Equal(t, "EOS p95 bound 800ms", eos.Bound.Name, "the bound of -slo or -eos-p95-max, named by its value")
	assert.Equal(t, "EOS latency (s)", eos.YLabel)
	assert.Equal(t, "concurrency (streams)", eos.XLabel)
	assert.Contains(t, eos.Title, "gpu-host:8000, 2026-12-01 10:00 UTC")

	w := figure(t, figs, FileWER).Panels[0]
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.WER }, nil), series(t, w, "WER (normalized)").Points)
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.WERRaw }, nil), series(t, w, "raw WER").Points)
	assert.Equal(t, "WER (%)", w.YLabel)

	gpu := figure(t, figs, FileGPU)
	require.Len(t, gpu.Panels, 2)
	sampled := func(r sttbench.Row) bool { return r.GPUSamples > 0 }
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.GPUUtilP95 }, sampled), series(t, gpu.Panels[0], "p95").Points)
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.GPUUtilMean }, sampled), series(t, gpu.Panels[0], "mean").Points)
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.VRAMPeak }, sampled), series(t, gpu.Panels[1], "peak").Points)
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.VRAMMean }, sampled), series(t, gpu.Panels[1], "mean").Points)
	assert.Equal(t, "SM utilisation (%)", gpu.Panels[0].YLabel)
	assert.Equal(t, "VRAM (MiB)", gpu.Panels[1].YLabel)
	assert.Equal(t, GPUHeightPx, gpu.Height)

	lag := figure(t, figs, FileSendLag).Panels[0]
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.SendLagP99Ms }, nil), series(t, lag, "p99").Points)
	assert.Equal(t, want(rows, func(r sttbench.Row) sttbench.Float { return r.SendLagMaxMs }, nil), series(t, lag, "max").Points)
	assert.Equal(t, "send lag (ms)", lag.YLabel)

	dist := figure(t, figs, FileDistribution).Panels[0]
	assert.Equal(t, []string{"1 (n=1)", "10 (n=3)", "40 (n=4)"}, dist.Ticks)
	require.Len(t, dist.Boxes, 3)
	for i, b := range dist.Boxes {
		assert.Equal(t, rows[i].Concurrency, b.Concurrency)
		assert.Equal(t, float64(i), b.X)
		assert.Equal(t, testRun("").Latencies[i], b.Values)
	}
	assert.Equal(t, 0.8, dist.Bound.Y)
}

func TestFiguresLeaveOutWhatWasNotMeasured(t *testing.T) {
	rows := testRows()
	for i := range rows {
		rows[i].GPUSamples = 0
		rows[i].SendLagP99Ms, rows[i].SendLagMaxMs = sttbench.None, sttbench.None
		rows[i].WERRaw = sttbench.None
	}
	rows[1].EOSP50 = sttbench.Float(math.NaN())
	run := testRun("")
	run.Rows = rows
	run.Latencies[1] = nil // a level without ok sessions has no box
	figs := Figures([]Run{run}, Options{})
	var files []string
	for _, f := range figs {
		files = append(files, f.File)
	}
	// No GPU samples: no GPU picture, whatever the GPU columns hold; no
	// send lag anywhere: no send-lag picture.
	assert.Equal(t, []string{FileEOS, FileWER, FileDistribution}, files)
	eos := figure(t, figs, FileEOS).Panels[0]
	assert.Nil(t, eos.Bound, "no bound given, none drawn")
	assert.Equal(t, []Point{{X: 1, Y: 0.5}, {X: 40, Y: 1.1}}, series(t, eos, "p50").Points, "the NaN p50 is left out")
	for _, s := range figure(t, figs, FileWER).Panels[0].Lines {
		assert.NotEqual(t, "raw WER", s.Name, "a series without a value is not drawn")
	}
	dist := figure(t, figs, FileDistribution).Panels[0]
	require.Len(t, dist.Boxes, 2)
	assert.Equal(t, []int{1, 40}, []int{dist.Boxes[0].Concurrency, dist.Boxes[1].Concurrency})
	for _, f := range figs {
		for _, p := range f.Panels {
			for _, s := range p.Lines {
				for _, pt := range s.Points {
					assert.False(t, math.IsNaN(pt.Y), "%s %s", f.File, s.Name)
				}
			}
		}
	}
}

func TestFiguresCompareRunsOnTheSameAxes(t *testing.T) {
	before, after := testRun("before.jsonl"), testRun("after.jsonl")
	after.Rows = after.Rows[:2] // after ran levels 1 and 10 only
	after.Rows[0].EOSP95 = 0.75
	after.Latencies = after.Latencies[:2]
	figs := Figures([]Run{before, after}, Options{})
	eos := figure(t, figs, FileEOS).Panels[0]
	b, a := series(t, eos, "before.jsonl p95"), series(t, eos, "after.jsonl p95")
	assert.Equal(t, want(before.Rows, func(r sttbench.Row) sttbench.Float { return r.EOSP95 }, nil), xy(b.Points))
	assert.Equal(t, want(after.Rows, func(r sttbench.Row) sttbench.Float { return r.EOSP95 }, nil), xy(a.Points))
	assert.NotEqual(t, b.Color, a.Color, "a colour per run")
	assert.NotEqual(t, series(t, eos, "before.jsonl p50").Dash, b.Dash, "a dash per statistic")
	assert.Contains(t, eos.Title, "before.jsonl: gpu-host:8000")
	assert.Contains(t, eos.Title, "after.jsonl: gpu-host:8000")

	dist := figure(t, figs, FileDistribution).Panels[0]
	assert.Equal(t, []string{"1", "10", "40"}, dist.Ticks)
	require.Len(t, dist.Boxes, 5)
	// Level 1's boxes sit either side of its tick, before's left.
	assert.Less(t, dist.Boxes[0].X, 0.0)
	assert.Equal(t, "after.jsonl", dist.Boxes[3].Name)
	assert.Greater(t, dist.Boxes[3].X, 0.0)
	assert.Equal(t, after.Latencies[0], dist.Boxes[3].Values)
}

// record writes and reads back a record of one round of level 3: an ok
// session, an incomplete one and a failed one.
func record(t *testing.T) *sttbench.Record {
	t.Helper()
	eos := start.Add(2 * time.Second)
	session := func(i int, outcome harness.Outcome, results int) harness.SessionResult {
		return harness.SessionResult{
			Index: i, Reference: "one two three", Outcome: outcome, Start: start, EOS: eos,
			FinalResult: eos.Add(time.Duration(i+1) * 150 * time.Millisecond), Queued: 1, Results: results,
			Segments: []string{"one two three"}, AudioDuration: 3 * time.Second,
		}
	}
	path := filepath.Join(t.TempDir(), "run.jsonl")
	rw, err := sttbench.CreateRecord(path, sttbench.RecordHeader{Start: start, Levels: []int{3},
		Flags: map[string]string{"stt-url": "ws://stt.example:8000/ws"}})
	require.NoError(t, err)
	sessions := []harness.SessionResult{session(0, harness.OK, 1), session(1, harness.Incomplete, 0), session(2, harness.OK, 1)}
	require.NoError(t, rw.WriteRound(3, sttbench.Round{Level: harness.LevelResult{Concurrency: 3, Sessions: sessions, Start: start, End: eos.Add(time.Second)}}))
	require.NoError(t, rw.Close())
	rec, err := sttbench.ReadRecord(path)
	require.NoError(t, err)
	return rec
}

func TestFromRecordTakesTheLatenciesTheRowIsOver(t *testing.T) {
	rec := record(t)
	run := FromRecord("", rec, nil)
	assert.Equal(t, "stt.example:8000", run.Service)
	assert.Equal(t, start, run.Start)
	require.Len(t, run.Rows, 1)
	var got, wantCSV bytes.Buffer // NaN != NaN: compare as the CSV writes them
	require.NoError(t, sttbench.WriteCSV(&got, run.Rows))
	require.NoError(t, sttbench.WriteCSV(&wantCSV, []sttbench.Row{sttbench.LevelRow(3, rec.ByLevel[3])}))
	assert.Equal(t, wantCSV.String(), got.String())
	// The incomplete session is not timed: 150 ms and 450 ms only.
	require.Len(t, run.Latencies, 1)
	assert.InDeltaSlice(t, []float64{0.15, 0.45}, run.Latencies[0], 1e-9)
	assert.Equal(t, run.Rows[0].EOSN, len(run.Latencies[0]))
	assert.InDelta(t, float64(run.Rows[0].EOSP50), 0.3, 1e-9, "the row's p50 is over the same latencies")
	// Given rows are used as they are.
	rows := []sttbench.Row{{Concurrency: 3, EOSP95: 7}}
	assert.Equal(t, rows, FromRecord("x", rec, rows).Rows)
	// in the order of concurrency, as a capacity search's probes are not
	// (1, 2, 4, 8, 6, 5), so that a line never folds back on itself.
	probes := []sttbench.Row{{Concurrency: 1, EOSP95: 1}, {Concurrency: 8, EOSP95: 8}, {Concurrency: 3, EOSP95: 3}}
	eos := series(t, figure(t, Figures([]Run{FromRecord("", rec, probes)}, Options{}), FileEOS).Panels[0], "p95")
	assert.Equal(t, []Point{{X: 1, Y: 1}, {X: 3, Y: 3}, {X: 8, Y: 8}}, xy(eos.Points))
	assert.Equal(t, 8, probes[1].Concurrency, "the caller's rows are left as they are")
}

func TestWriteDrawsPNGsOfTheStatedSize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plots") // missing: Write creates it
	files, err := Write(dir, []Run{testRun("")}, Options{EOSBound: time.Second})
	require.NoError(t, err)
	require.Len(t, files, len(Files))
	for i, path := range files {
		assert.Equal(t, filepath.Join(dir, Files[i]), path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err, path)
		h := HeightPx
		if Files[i] == FileGPU {
			h = GPUHeightPx
		}
		assert.Equal(t, WidthPx, img.Bounds().Dx(), path)
		assert.Equal(t, h, img.Bounds().Dy(), path)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&0o133, "ordinary permissions, at most 0644")
	}

	// A run without GPU samples in the same directory: its gpu.png is not
	// left from the run before.
	run := testRun("")
	for i := range run.Rows {
		run.Rows[i].GPUSamples = 0
	}
	files, err = Write(dir, []Run{run}, Options{})
	require.NoError(t, err)
	assert.NotContains(t, files, filepath.Join(dir, FileGPU))
	assert.NoFileExists(t, filepath.Join(dir, FileGPU))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(Files)-1, "no temporary files left")
}

func TestWriteComparison(t *testing.T) {
	dir := t.TempDir()
	after := testRun("after.jsonl")
	after.Rows[2].EOSP95 = 3
	files, err := Write(dir, []Run{testRun("before.jsonl"), after}, Options{})
	require.NoError(t, err)
	require.Len(t, files, len(Files))
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		cfg, err := png.DecodeConfig(f)
		f.Close()
		require.NoError(t, err, path)
		assert.Equal(t, WidthPx, cfg.Width)
	}
}

func TestWriteRefusesAPathThatIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plots")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	_, err := Write(file, []Run{testRun("")}, Options{})
	require.Error(t, err)
	_, err = Write(filepath.Join(t.TempDir(), "missing", "plots"), []Run{testRun("")}, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no such file or directory")
}

func TestCheckOutputsChecksThePlotsDirectory(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, tt := range []struct {
		name, plots string
		want        []string // nil: no error
	}{
		{"existing directory", dir, nil},
		{"missing directory in an existing one", filepath.Join(dir, "plots"), nil},
		{"missing parent", filepath.Join(dir, "typo", "plots"),
			[]string{`-plots "` + filepath.Join(dir, "typo", "plots") + `"`, "no such file or directory", "create its parent directory", "pass -plots ''"}},
		{"a file", file, []string{"-plots", "not a directory", "name a directory"}},
		{"under a file", filepath.Join(file, "plots"), []string{"-plots", "not a directory"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, err := os.ReadDir(dir)
			require.NoError(t, err)
			err = sttbench.CheckOutputs(sttbench.Config{Output: "-", Plots: tt.plots})
			if tt.want == nil {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
				for _, w := range tt.want {
					assert.Contains(t, err.Error(), w)
				}
			}
			after, err := os.ReadDir(dir)
			require.NoError(t, err)
			assert.Len(t, after, len(before), "the check creates nothing")
		})
	}
}

func TestCheckOutputsReadOnlyPlotsDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(dir, 0o555))
	err := sttbench.CheckOutputs(sttbench.Config{Plots: dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "permission denied")
	assert.Contains(t, err.Error(), "make the directory writable")
}
