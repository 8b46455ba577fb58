package sttbench_test

// The benchmark's test binary draws -plots: importing package plots
// registers its Plotter with the run (package plots imports this one, so
// only an external test file can link it in).
import _ "github.com/sttbench/sttbench/plots"
