// Package fakesmi is a stand-in for nvidia-smi where there is no NVIDIA
// GPU: package gpumon's tests run it (as their own test binary, re-executed),
// and the benchmark's end-to-end tests and `make demo` build it as a program
// (./nvidia-smi) and put it first in PATH. It answers the three commands
// package gpumon runs:
//
//	nvidia-smi --query-compute-apps=...  prints Options.Apps
//	nvidia-smi --query-gpu=...           prints Options.GPUs
//	nvidia-smi dmon ...                  replays Options.Capture
//
// The query outputs are in the form of --format=csv,noheader,nounits.
// Anything else prints an error and exits 2.
package fakesmi

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultUUID is the UUID of the H200 the built-in capture is from.
const DefaultUUID = "GPU-224b7fed-0e15-4ca9-0d80-82f04cab36bf"

// DefaultCapture is part of `nvidia-smi dmon -s um -d 1 -i 0` on an H200,
// driver 580: idle, light, heavy and growing phases of a PyTorch load.
const DefaultCapture = `# gpu     sm    mem    enc    dec    jpg    ofa     fb   bar1   ccpm 
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

// Options says how the fake behaves.
type Options struct {
	// Capture is the dmon output to replay, line by line.
	Capture string
	// Pace is the time between data lines; "#" header lines come at once.
	// Zero means gated: line i (header lines included) is written only
	// once the file Dir/gate holds a number above i.
	Pace time.Duration
	// Loop replays the capture's data lines over and over.
	Loop bool
	// Exit is the exit status once the capture is replayed; -1 means keep
	// running, as dmon does, until a signal.
	Exit int
	// Stderr is written to standard error before exiting with Exit.
	Stderr string
	// IgnoreSignals makes dmon ignore SIGINT, SIGTERM, SIGHUP and SIGPIPE
	// (its writes into a closed pipe then fail silently), as a wedged
	// nvidia-smi might: only SIGKILL ends it before it gives up by itself
	// after GiveUp, so that a failed test cannot leave it running for ever.
	IgnoreSignals bool
	GiveUp        time.Duration
	// SigDelay is how long dmon takes to exit after SIGINT or SIGTERM (the
	// real one takes 0.6 to 1 s).
	SigDelay time.Duration
	// SigFragment is written, without a newline, on SIGINT or SIGTERM just
	// before exiting: interrupted, dmon on driver 580 flushes the start of
	// its next line ("    0").
	SigFragment string
	// Apps and GPUs answer --query-compute-apps and --query-gpu.
	Apps, GPUs string
	// RejectUnknownID makes dmon -i ID fail as the real one does ("No
	// devices were found", exit 6) when ID is no index or UUID in GPUs.
	RejectUnknownID bool
	// QueryExit and QueryMsg, when QueryExit is not 0, make the queries fail.
	QueryExit int
	QueryMsg  string
	// QueryHang makes the queries hang until killed, as on a wedged driver.
	QueryHang bool
	// Dir, when set, receives what a test inspects: the PID of every run
	// (pids), its arguments (args) and the signals dmon got (signals), one
	// per line; and holds the gate file of a gated replay.
	Dir string
}

// FromEnv is the configuration of the nvidia-smi program: one python3
// process (PID 440, 2208 MiB) on GPU 0, the built-in H200 capture replayed
// one data line per second over and over until SIGINT or SIGTERM, each of
// which it can change:
//
//	FAKESMI_APPS, FAKESMI_GPUS, FAKESMI_CAPTURE  files replacing the outputs
//	FAKESMI_INTERVAL                             a Go duration replacing 1s
//	FAKESMI_MODE=ignore-signals                  see Options.IgnoreSignals
func FromEnv() (Options, error) {
	o := Options{
		Capture: DefaultCapture, Pace: time.Second, Loop: true, Exit: -1, GiveUp: 2 * time.Minute,
		Apps: "440, " + DefaultUUID + ", python3, 2208\n", GPUs: "0, " + DefaultUUID + "\n", RejectUnknownID: true,
	}
	for env, field := range map[string]*string{"FAKESMI_APPS": &o.Apps, "FAKESMI_GPUS": &o.GPUs, "FAKESMI_CAPTURE": &o.Capture} {
		if name := os.Getenv(env); name != "" {
			b, err := os.ReadFile(name)
			if err != nil {
				// A silently wrong fixture would be worse than none.
				return o, fmt.Errorf("%s: %w", env, err)
			}
			*field = string(b)
		}
	}
	if s := os.Getenv("FAKESMI_INTERVAL"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("bad FAKESMI_INTERVAL %q (want a Go duration such as 100ms)", s)
		}
		o.Pace = d
	}
	switch mode := os.Getenv("FAKESMI_MODE"); mode {
	case "":
	case "ignore-signals":
		o.IgnoreSignals = true
	default:
		return o, fmt.Errorf("bad FAKESMI_MODE %q (want ignore-signals or nothing)", mode)
	}
	return o, nil
}

// Main runs the fake as nvidia-smi with the given arguments and returns its
// exit status.
func Main(args []string, o Options) int {
	o.record("pids", strconv.Itoa(os.Getpid()))
	o.record("args", strings.Join(args, " "))
	switch {
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-compute-apps"):
		return o.query(o.Apps)
	case len(args) > 0 && strings.HasPrefix(args[0], "--query-gpu"):
		return o.query(o.GPUs)
	case len(args) > 0 && args[0] == "dmon":
		return o.dmon(args[1:])
	}
	fmt.Fprintf(os.Stderr, "fake nvidia-smi: unsupported command: nvidia-smi %s\n", strings.Join(args, " "))
	return 2
}

// record appends a line to a file of Dir.
func (o Options) record(name, line string) {
	if o.Dir == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(o.Dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, line)
}

func (o Options) query(out string) int {
	if o.QueryHang {
		signal.Ignore(os.Interrupt, syscall.SIGTERM)
		time.Sleep(time.Hour)
	}
	if o.QueryExit != 0 {
		fmt.Println(o.QueryMsg)
		return o.QueryExit
	}
	fmt.Print(out)
	return 0
}

func (o Options) dmon(args []string) int {
	for i, a := range args {
		if o.RejectUnknownID && (a == "-i" || a == "--id") && i+1 < len(args) && !knownGPU(args[i+1], o.GPUs) {
			fmt.Println("No devices were found")
			return 6
		}
	}
	sigs := make(chan os.Signal, 1)
	var giveUp <-chan time.Time
	if o.IgnoreSignals {
		signal.Ignore(os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
		if o.GiveUp > 0 {
			giveUp = time.After(o.GiveUp)
		}
	} else {
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	}
	onSignal := func(s os.Signal) int {
		o.record("signals", s.String())
		time.Sleep(o.SigDelay)
		os.Stdout.WriteString(o.SigFragment)
		return 0
	}
	// turn waits until line i may be written; it returns false on a signal
	// and an exit status when the fake gives up. Paced, the first data line
	// comes at once, each later one a pace after the one before.
	paced := 0
	turn := func(i int, line string) (os.Signal, bool, int) {
		if o.Pace > 0 {
			if strings.HasPrefix(line, "#") {
				return nil, true, 0
			}
			if paced++; paced == 1 {
				return nil, true, 0
			}
			select {
			case <-time.After(o.Pace):
				return nil, true, 0
			case s := <-sigs:
				return s, false, 0
			case <-giveUp:
				return nil, false, 3
			}
		}
		for {
			b, _ := os.ReadFile(filepath.Join(o.Dir, "gate"))
			if n, err := strconv.Atoi(string(b)); err == nil && n > i {
				return nil, true, 0
			}
			select {
			case <-time.After(2 * time.Millisecond):
			case s := <-sigs:
				return s, false, 0
			case <-giveUp:
				return nil, false, 3
			}
		}
	}
	var lines []string
	for line := range strings.Lines(o.Capture) {
		lines = append(lines, line)
	}
	write := func(i int, line string) (int, bool) {
		s, ok, code := turn(i, line)
		if !ok {
			if s == nil {
				return code, false
			}
			return onSignal(s), false
		}
		io.WriteString(os.Stdout, line)
		return 0, true
	}
	for i, line := range lines {
		if code, ok := write(i, line); !ok {
			return code
		}
	}
	data := 0
	for _, line := range lines {
		if !strings.HasPrefix(line, "#") && strings.TrimSpace(line) != "" {
			data++
		}
	}
	for i := len(lines); o.Loop && data > 0; i++ {
		line := lines[i%len(lines)]
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if code, ok := write(i, line); !ok {
			return code
		}
	}
	if o.Exit >= 0 {
		os.Stderr.WriteString(o.Stderr)
		return o.Exit
	}
	for {
		select {
		case s := <-sigs:
			return onSignal(s)
		case <-giveUp:
			return 3
		case <-time.After(time.Hour):
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
