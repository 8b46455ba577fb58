// Command nvidia-smi is the fake nvidia-smi of package fakesmi as a
// program, for the benchmark's end-to-end tests and `make demo`. Build it
// under the name nvidia-smi and put it first in PATH:
//
//	go build -o bin/nvidia-smi ./gpumon/internal/fakesmi/nvidia-smi
//	PATH=$PWD/bin:$PATH ...
//
// The environment variables it reads are those of fakesmi.FromEnv.
package main

import (
	"fmt"
	"os"

	"github.com/sttbench/sttbench/gpumon/internal/fakesmi"
)

func main() {
	o, err := fakesmi.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake nvidia-smi:", err)
		os.Exit(2)
	}
	os.Exit(fakesmi.Main(os.Args[1:], o))
}
