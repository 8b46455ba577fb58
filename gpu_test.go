package sttbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/sttbench/sttbench/gpumon"
)

// gpuWindow is the GPU samples taken during one round: SM utilisation in %
// and VRAM in MiB (samples a board reports as "-" are left out).
type gpuWindow struct {
	util, vram []float64
}

func (w gpuWindow) merge(o gpuWindow) gpuWindow {
	return gpuWindow{append(w.util, o.util...), append(w.vram, o.vram...)}
}

// gpuMonitor samples the service's GPU for the whole run. A nil monitor
// (no nvidia-smi, no GPU, dmon failed) yields empty windows.
type gpuMonitor struct {
	mon    *gpumon.Monitor
	warn   io.Writer
	warned bool
}

// startGPUMonitor finds the service's GPU and starts sampling it. Where
// that is impossible it warns once and returns nil: the benchmark runs on,
// with empty GPU columns.
func startGPUMonitor(ctx context.Context, cfg Config, warn io.Writer) *gpuMonitor {
	gcfg := gpumon.Config{Path: cfg.NvidiaSMI, GPUID: cfg.GPUID, Hints: cfg.GPUHints}
	sel, err := gpumon.Detect(ctx, gcfg)
	if err != nil {
		if errors.Is(err, gpumon.ErrNotFound) {
			fmt.Fprintf(warn, "sttbench: warning: no GPU figures, GPU columns stay empty: %v (install the NVIDIA driver's tools, or pass -nvidia-smi PATH)\n", err)
		} else {
			fmt.Fprintf(warn, "sttbench: warning: GPU detection failed: %v; GPU columns stay empty\n", err)
		}
		return nil
	}
	fmt.Fprintf(warn, "sttbench: %s\n", sel.Reason)
	if sel.Warning != "" {
		fmt.Fprintf(warn, "sttbench: warning: %s\n", sel.Warning)
	}
	mon, err := gpumon.Start(ctx, gcfg, sel.ID)
	if err != nil {
		fmt.Fprintf(warn, "sttbench: warning: GPU monitor did not start: %v; GPU columns stay empty\n", err)
		return nil
	}
	return &gpuMonitor{mon: mon, warn: warn}
}

func (m *gpuMonitor) mark() gpumon.Mark {
	if m == nil {
		return gpumon.Mark{}
	}
	return m.mon.Mark()
}

// window returns the samples since from. If dmon has died meanwhile, it
// warns once with dmon's message; that round and later ones stay empty.
func (m *gpuMonitor) window(from gpumon.Mark) gpuWindow {
	if m == nil {
		return gpuWindow{}
	}
	samples := m.mon.Samples(from, m.mon.Mark())
	if err := m.mon.Err(); err != nil {
		if !m.warned {
			fmt.Fprintf(m.warn, "sttbench: warning: the GPU monitor stopped: %v; GPU figures from here on stay empty\n", err)
			m.warned = true
		}
		return gpuWindow{}
	}
	var w gpuWindow
	for _, s := range samples {
		if !math.IsNaN(s.SM) {
			w.util = append(w.util, s.SM)
		}
		if !math.IsNaN(s.FBMiB) {
			w.vram = append(w.vram, s.FBMiB)
		}
	}
	return w
}

func (m *gpuMonitor) stop() {
	if m == nil {
		return
	}
	if err := m.mon.Stop(); err != nil && !m.warned {
		fmt.Fprintf(m.warn, "sttbench: warning: GPU monitor: %v\n", err)
	}
}
