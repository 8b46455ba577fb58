// Package gpumon finds the GPU that runs a speech-to-text service and
// records its SM utilisation and memory with `nvidia-smi dmon`, so that a
// benchmark can report them per load level. It knows nvidia-smi and nothing
// of what is being measured.
//
// A caller detects the GPU once, starts one Monitor, takes a Mark before and
// after each stretch of work, and asks for the Window between them:
//
//	sel, err := gpumon.Detect(ctx, cfg)
//	if errors.Is(err, gpumon.ErrNotFound) {
//		// warn once and carry on without GPU figures (a nil *Monitor is valid)
//	}
//	fmt.Println(sel.Reason)
//	if sel.Warning != "" {
//		fmt.Println("warning:", sel.Warning)
//	}
//	mon, err := gpumon.Start(ctx, cfg, sel.ID)
//	defer mon.Stop()
//	for each level {
//		from := mon.Mark()
//		run the level
//		sum := mon.Window(from, mon.Mark()) // sum.OK() is false when there is no data
//	}
//	if err := mon.Stop(); err != nil { ... }
//
// dmon's output is read by the names in its "#" header line, not by column
// position, so it works across drivers and boards (10 columns for -s um on
// driver 580, fewer on older drivers, "-" for metrics a board lacks). Each
// sample is stamped with the time its line arrives and describes the
// interval before it. fb is read as MiB, though dmon labels it MB.
package gpumon
