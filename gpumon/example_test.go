package gpumon_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"time"

	"github.com/sttbench/sttbench/gpumon"
)

// The benchmark's use: detect the GPU once, one Monitor for the run, a
// window per load level. Without nvidia-smi it warns once and goes on with
// a nil Monitor, whose windows report no data: here, on purpose, by naming
// a program that is not installed, so the output is the same everywhere.
func Example() {
	ctx := context.Background()
	// -gpu-id, -gpu-hint and -nvidia-smi fill GPUID, Hints and Path; an
	// empty Path means nvidia-smi from PATH.
	cfg := gpumon.Config{Path: "nvidia-smi-not-installed"}
	log.SetOutput(os.Stdout)
	log.SetFlags(0)
	defer log.SetOutput(os.Stderr)

	var mon *gpumon.Monitor
	sel, err := gpumon.Detect(ctx, cfg)
	switch {
	case errors.Is(err, gpumon.ErrNotFound):
		log.Print("warning: nvidia-smi not found; no GPU figures")
	case err != nil:
		log.Printf("warning: %v; no GPU figures", err)
	default:
		log.Print(sel.Reason)
		if sel.Warning != "" {
			log.Print("warning: ", sel.Warning)
		}
		if mon, err = gpumon.Start(ctx, cfg, sel.ID); err != nil {
			log.Printf("warning: %v; no GPU figures", err)
		}
	}
	defer mon.Stop()

	for _, level := range []int{1, 2, 4} {
		from := mon.Mark()
		// ... run the level ...
		gpu := mon.Window(from, mon.Mark())
		if gpu.OK() {
			fmt.Printf("conc=%d sm-p95=%.0f%% vram-peak=%.0fMiB\n", level, gpu.SMP95, gpu.VRAMPeakMiB)
		} else {
			fmt.Printf("conc=%d %v\n", level, gpu)
		}
	}
	if err := mon.Stop(); err != nil {
		log.Print("warning: ", err)
	}
	// Output:
	// warning: nvidia-smi not found; no GPU figures
	// conc=1 no GPU data
	// conc=2 no GPU data
	// conc=4 no GPU data
}

// Summarize over the samples of a window: here the data lines of an
// `nvidia-smi dmon -s um` capture on an H200 (sm %, fb MiB), one per second.
func ExampleSummarize() {
	capture := [][2]float64{{0, 3029}, {51, 3255}, {49, 3255}, {99, 3255}, {100, 3255}, {80, 9449}, {97, 3217}, {0, 3217}}
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var samples []gpumon.Sample
	for i, c := range capture {
		samples = append(samples, gpumon.Sample{Time: start.Add(time.Duration(i) * time.Second), GPU: 0, SM: c[0], FBMiB: c[1]})
	}
	// A board that does not report SM utilisation prints "-": NaN, left out.
	samples = append(samples, gpumon.Sample{Time: start.Add(8 * time.Second), GPU: 0, SM: math.NaN(), FBMiB: 3217})
	fmt.Println(gpumon.Summarize(samples))
	fmt.Println(gpumon.Summarize(nil))
	// Output:
	// 9 samples: SM p95 100%, mean 59.5%; VRAM peak 9449 MiB, mean 3905 MiB
	// no GPU data
}
