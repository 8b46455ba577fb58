//go:build !unix

package sttbench

// checkFileLimit has nothing to check where there are no Unix file limits.
func checkFileLimit(peak streamPeak, embedded bool) error { return nil }
