// Command fakesmi stands in for nvidia-smi where there is no NVIDIA GPU: in
// the benchmark's end-to-end test and in `make demo`. Build it under the
// name nvidia-smi and put it first in PATH:
//
//	go build -o bin/nvidia-smi ./gpumon/internal/fakesmi
//	PATH=$PWD/bin:$PATH ...
//
// It answers the three commands package gpumon runs:
//
//	nvidia-smi --query-compute-apps=...  prints the file $FAKESMI_APPS, or one
//	                                     python3 process (PID 440, 2208 MiB) on GPU 0
//	nvidia-smi --query-gpu=...           prints the file $FAKESMI_GPUS, or GPU 0 with
//	                                     the UUID of the H200 the built-in capture is from
//	nvidia-smi dmon ... -i ID            replays the dmon capture in the file
//	                                     $FAKESMI_CAPTURE, or a built-in one: its "#"
//	                                     header lines at once, then its data lines one per
//	                                     $FAKESMI_INTERVAL (a Go duration, default 1s),
//	                                     over and over, until SIGINT or SIGTERM, on which
//	                                     it exits 0 as dmon does. An ID that is neither
//	                                     an index nor a UUID of the GPU list prints
//	                                     "No devices were found" and exits 6, as dmon does.
//
// With FAKESMI_MODE=ignore-signals, dmon ignores SIGINT, SIGTERM, SIGHUP
// and SIGPIPE (its writes into a closed pipe fail silently) and keeps
// printing, as a wedged nvidia-smi might: only SIGKILL ends it before it
// gives up by itself after two minutes, so that a failed test cannot leave
// it running for ever.
//
// Anything else prints an error and exits 2. The query outputs are in the
// form of --format=csv,noheader,nounits.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const defaultUUID = "GPU-224b7fed-0e15-4ca9-0d80-82f04cab36bf"

// defaultCapture is part of `nvidia-smi dmon -s um -d 1 -i 0` on an H200,
// driver 580: idle, light, heavy and growing phases of a PyTorch load.
const defaultCapture = `# gpu     sm    mem    enc    dec    jpg    ofa     fb   bar1   ccpm 
# Idx      %      %      %      %      %      %     MB     MB     MB 
    0      0      0      0      0      0      0   3029   3030      0 
    0     51     15      0      0      0      0   3255   3256      0 
    0     49     14      0      0      0      0   3255   3256      0 
    0     99     25      0      0      0      0   3255   3256      0 
    0    100     24      0      0      0      0   3255   3256      0 
    0     80     21      0      0      0      0   9449   9450      0 
    0     97     26      0      0      0      0   3217   3218      0 
    0      0      0      0      0      0      0   3217   3218      0 
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	gpus := fileOr("FAKESMI_GPUS", "0, "+defaultUUID+"\n")
	switch {
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-compute-apps"):
		fmt.Print(fileOr("FAKESMI_APPS", "440, "+defaultUUID+", python3, 2208\n"))
		return 0
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-gpu"):
		fmt.Print(gpus)
		return 0
	case len(args) > 0 && args[0] == "dmon":
		return dmon(args[1:], gpus)
	}
	fmt.Fprintf(os.Stderr, "fakesmi: unsupported command: nvidia-smi %s\n", strings.Join(args, " "))
	return 2
}

func dmon(args []string, gpus string) int {
	interval := time.Second
	if s := os.Getenv("FAKESMI_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			fmt.Fprintf(os.Stderr, "fakesmi: bad FAKESMI_INTERVAL %q\n", s)
			return 2
		}
		interval = d
	}
	for i, a := range args {
		if (a == "-i" || a == "--id") && i+1 < len(args) && !knownGPU(args[i+1], gpus) {
			fmt.Println("No devices were found")
			return 6
		}
	}
	var header, data []string
	for line := range strings.Lines(fileOr("FAKESMI_CAPTURE", defaultCapture)) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "#"):
			header = append(header, line)
		case strings.TrimSpace(line) != "":
			data = append(data, line)
		}
	}
	if len(data) == 0 {
		fmt.Fprintln(os.Stderr, "fakesmi: the capture has no data lines")
		return 2
	}

	stop := make(chan os.Signal, 1)
	var giveUp <-chan time.Time
	switch mode := os.Getenv("FAKESMI_MODE"); mode {
	case "":
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	case "ignore-signals":
		signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
		giveUp = time.After(2 * time.Minute)
	default:
		fmt.Fprintf(os.Stderr, "fakesmi: bad FAKESMI_MODE %q (want ignore-signals or nothing)\n", mode)
		return 2
	}
	for _, line := range header {
		fmt.Println(line)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; ; i++ {
		fmt.Println(data[i%len(data)])
		select {
		case <-tick.C:
		case <-stop:
			return 0
		case <-giveUp:
			return 3
		}
	}
}

// knownGPU reports whether id is an index or UUID in the GPU list.
func knownGPU(id, gpus string) bool {
	for line := range strings.Lines(gpus) {
		for _, f := range strings.Split(line, ",") {
			if strings.TrimSpace(f) == id {
				return true
			}
		}
	}
	return false
}

// fileOr returns the contents of the file named by the environment
// variable env, or def when it is unset. An unreadable file is reported and
// ends the program: a silently wrong fixture would be worse.
func fileOr(env, def string) string {
	name := os.Getenv(env)
	if name == "" {
		return def
	}
	b, err := os.ReadFile(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakesmi: %s: %v\n", env, err)
		os.Exit(2)
	}
	return string(b)
}
