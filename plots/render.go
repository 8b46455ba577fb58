package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is the pictures' resolution: at 100 dots per inch a 1200 px picture
// is 12 in wide, and the font sizes below (in points) read well at that
// width on a screen.
const dpi = 100

// Font sizes, in points (1 pt = 1.39 px at 100 dpi).
const (
	titleSize  = 18
	labelSize  = 15
	tickSize   = 13
	legendSize = 13
	pointSize  = 11
)

// sans is the font variant of every text: Liberation Sans, which gonum
// embeds.
const sans = "Sans"

// Write draws the runs' pictures (Figures) into dir as PNG files, creating
// dir if it is missing (its parent must exist), and returns the paths
// written, in Files' order. Each file replaces an earlier one only once
// complete; a file of Files this run has nothing for (gpu.png of a run
// without GPU samples) is removed, so no picture of an earlier run is
// left beside this one's.
func Write(dir string, runs []Run, opt Options) ([]string, error) {
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create the pictures' directory: %w", err)
	}
	drawn := map[string]bool{}
	var files []string
	for _, f := range Figures(runs, opt) {
		data, err := Render(f)
		if err != nil {
			return files, fmt.Errorf("draw %s: %w", f.File, err)
		}
		path := filepath.Join(dir, f.File)
		if err := writeAtomic(path, data); err != nil {
			return files, fmt.Errorf("write %s: %w", path, err)
		}
		files = append(files, path)
		drawn[f.File] = true
	}
	for _, name := range Files {
		if !drawn[name] {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return files, err
			}
		}
	}
	return files, nil
}

// Render draws one figure as a PNG of f.Width by f.Height pixels, its
// panels stacked top to bottom.
func Render(f Figure) ([]byte, error) {
	if len(f.Panels) == 0 {
		return nil, errors.New("no panels")
	}
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(f.Width)*vg.Inch/dpi, vg.Length(f.Height)*vg.Inch/dpi),
		vgimg.UseDPI(dpi))
	dc := draw.New(c)
	grid := make([][]*plot.Plot, len(f.Panels))
	for i, p := range f.Panels {
		pl, err := newPlot(p, f.Width, f.Height/len(f.Panels))
		if err != nil {
			return nil, err
		}
		grid[i] = []*plot.Plot{pl}
	}
	// A margin round every panel, so no title or label touches the edge.
	pad := vg.Points(10)
	tiles := draw.Tiles{Rows: len(grid), Cols: 1, PadY: 2 * pad, PadTop: pad, PadBottom: pad / 2, PadLeft: pad / 2, PadRight: pad}
	canvases := plot.Align(grid, tiles, dc)
	for i := range grid {
		grid[i][0].Draw(canvases[i][0])
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newPlot is one panel as a gonum plot.
func newPlot(p Panel, widthPx, heightPx int) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font.Size = titleSize
	pl.Title.TextStyle.Font.Variant = sans
	pl.Title.Padding = vg.Points(10)
	pl.X.Label.Text, pl.Y.Label.Text = p.XLabel, p.YLabel
	for _, a := range []*plot.Axis{&pl.X, &pl.Y} {
		a.Label.TextStyle.Font.Size = labelSize
		a.Label.TextStyle.Font.Variant = sans
		a.Tick.Label.Font.Size = tickSize
		a.Tick.Label.Font.Variant = sans
		a.Width = vg.Points(1)
	}
	pl.Legend.TextStyle.Font.Size = legendSize
	pl.Legend.TextStyle.Font.Variant = sans
	pl.Legend.Padding = vg.Points(5)
	pl.Legend.Top, pl.Legend.Left = true, true
	pl.Legend.ThumbnailWidth = vg.Points(40)
	pl.Legend.XOffs, pl.Legend.YOffs = vg.Points(10), -vg.Points(6)
	pl.Add(plotter.NewGrid())
	entries := 0 // in the legend

	var xs []float64
	for _, s := range p.Lines {
		xys := make(plotter.XYs, len(s.Points))
		var labels []string
		for i, pt := range s.Points {
			xys[i].X, xys[i].Y = pt.X, pt.Y
			labels = append(labels, pt.Label)
			xs = append(xs, pt.X)
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("series %s: %w", s.Name, err)
		}
		line.Color, line.Width, line.Dashes = plotutil.Color(s.Color), vg.Points(2.5), plotutil.Dashes(s.Dash)
		points.Color, points.Shape, points.Radius = plotutil.Color(s.Color), plotutil.Shape(s.Dash), vg.Points(4)
		pl.Add(line, points)
		pl.Legend.Add(s.Name, line, points)
		entries++
		if slices.ContainsFunc(labels, func(l string) bool { return l != "" }) {
			l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
			if err != nil {
				return nil, fmt.Errorf("labels of %s: %w", s.Name, err)
			}
			for i := range l.TextStyle {
				l.TextStyle[i].Font.Size = pointSize
				l.TextStyle[i].Font.Variant = sans
				l.TextStyle[i].Color = plotutil.Color(s.Color)
			}
			l.Offset = vg.Point{X: vg.Points(6), Y: vg.Points(6)}
			pl.Add(l)
		}
	}
	if len(p.Boxes) > 0 {
		n, err := addBoxes(pl, p, widthPx)
		if err != nil {
			return nil, err
		}
		entries += n
	} else {
		pl.X.Min = min(pl.X.Min, 0)
		// Room right of the last point for its label.
		pl.X.Max += 0.06 * (pl.X.Max - pl.X.Min)
		if levels := distinct(xs); len(levels) <= 15 {
			ticks := make(plot.ConstantTicks, len(levels))
			for i, x := range levels {
				ticks[i] = plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'f', -1, 64)}
			}
			pl.X.Tick.Marker = ticks
		}
	}
	if b := p.Bound; b != nil {
		f := plotter.NewFunction(func(float64) float64 { return b.Y })
		f.Color, f.Width, f.Dashes = color.Black, vg.Points(2), []vg.Length{vg.Points(10), vg.Points(5)}
		pl.Add(f)
		pl.Legend.Add(b.Name, f)
		entries++
		pl.Y.Max = max(pl.Y.Max, b.Y*1.05)
	}
	// Every quantity drawn is naturally zero-based; a negative latency
	// (a result before the speaker stopped) still shows.
	pl.Y.Min = min(pl.Y.Min, 0)
	if pl.Y.Max <= pl.Y.Min {
		pl.Y.Max = pl.Y.Min + 1
	}
	// Room above the highest point for its label and the legend (at the
	// top left): about 26 px a legend entry in a data area of the panel's
	// height less its title and X axis.
	need, avail := float64(26*entries+30), float64(heightPx-160)
	if avail < 2*need {
		avail = 2 * need
	}
	pl.Y.Max += need / (avail - need) * (pl.Y.Max - pl.Y.Min)
	return pl, nil
}

// addBoxes draws the panel's box plots at their nominal positions and
// returns the number of legend entries it added.
func addBoxes(pl *plot.Plot, p Panel, widthPx int) (int, error) {
	runs := 0
	for _, b := range p.Boxes {
		runs = max(runs, b.Color+1)
	}
	slot := vg.Length(widthPx) * vg.Inch / dpi * 0.8 / vg.Length(max(len(p.Ticks), 1))
	width := min(vg.Points(70), slot*0.7/vg.Length(runs))
	named := map[string]bool{}
	for _, b := range p.Boxes {
		bp, err := plotter.NewBoxPlot(width, b.X, plotter.Values(b.Values))
		if err != nil {
			return 0, fmt.Errorf("box of conc=%d: %w", b.Concurrency, err)
		}
		c := plotutil.Color(b.Color)
		bp.BoxStyle.Color, bp.BoxStyle.Width = c, vg.Points(1.5)
		bp.MedianStyle.Color, bp.MedianStyle.Width = c, vg.Points(3)
		bp.WhiskerStyle.Color, bp.WhiskerStyle.Width = c, vg.Points(1.5)
		bp.GlyphStyle.Color, bp.GlyphStyle.Radius = c, vg.Points(3)
		bp.FillColor = fade(c)
		pl.Add(bp)
		name := b.Name
		if name == "" {
			name = "ok sessions: box quartiles, bar median, whiskers to 1.5 IQR"
		}
		if !named[name] {
			named[name] = true
			pl.Legend.Add(name, swatch{c})
		}
	}
	pl.NominalX(p.Ticks...)
	pl.X.Min, pl.X.Max = -0.5, float64(len(p.Ticks))-0.5
	return len(named), nil
}

// swatch is a legend entry of a filled square in a run's colour.
type swatch struct{ color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(fade(s.Color), []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
	c.StrokeLines(draw.LineStyle{Color: s.Color, Width: vg.Points(1.5)}, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}, r.Min})
}

// fade is c at a quarter opacity, for box fills.
func fade(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 64}
}

func distinct(xs []float64) []float64 {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// writeAtomic writes data to path through a temporary file in its
// directory, renamed into place once complete, with ordinary permissions
// (0644 less the umask).
func writeAtomic(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
