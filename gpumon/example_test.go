package gpumon_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sttbench/sttbench/gpumon"
)

// The benchmark's use: detect the GPU once, one Monitor for the run, a
// window per load level. Without nvidia-smi it warns once and goes on with
// a nil Monitor, whose windows report no data.
func Example() {
	ctx := context.Background()
	cfg := gpumon.Config{} // -gpu-id and -gpu-hint fill GPUID and Hints

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
}
