package sttbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sttbench/sttbench/gpumon"
)

// gpuMonitor samples the service's GPU for the whole run. A nil monitor
// (no nvidia-smi, no GPU, dmon failed) yields empty windows.
type gpuMonitor struct {
	mon    *gpumon.Monitor
	warn   io.Writer
	warned bool
}

// startGPUMonitor finds the service's GPU and starts sampling it. Where
// that is impossible it warns once and returns nil: the benchmark runs on,
// with empty GPU columns. So it does when the STT service runs on another
// machine and neither -gpu-id nor -nvidia-smi says how to sample it: this
// machine's GPU would be shown as the service's. Interrupted, it returns nil
// without a word.
//
// dmon runs until stop, not until ctx is done: an interrupt ends the level
// under way, and finish then stops dmon with everything else.
func startGPUMonitor(ctx context.Context, cfg Config, warn io.Writer) *gpuMonitor {
	if host, local := sttHost(ctx, cfg.STTURL); !local && cfg.GPUID == "" && cfg.NvidiaSMI == "" {
		fmt.Fprintf(warn, "sttbench: warning: the STT service runs on %s, not this machine: GPU columns stay empty. "+
			"To sample its GPU, pass -nvidia-smi 'ssh %s nvidia-smi' (and -gpu-id N to skip detection)\n", host, host)
		return nil
	}
	gcfg := gpumon.Config{GPUID: cfg.GPUID, Hints: cfg.GPUHints}
	if cfg.NvidiaSMI != "" {
		words, err := gpumon.SplitCommand(cfg.NvidiaSMI)
		if err != nil {
			fmt.Fprintf(warn, "sttbench: warning: invalid -nvidia-smi: %v; GPU columns stay empty (give a path, or a command line such as 'ssh gpu-host nvidia-smi')\n", err)
			return nil
		}
		gcfg.Path, gcfg.Args = words[0], words[1:]
	}
	sel, err := gpumon.Detect(ctx, gcfg)
	switch {
	case ctx.Err() != nil:
		return nil
	case errors.Is(err, gpumon.ErrNotFound):
		fmt.Fprintf(warn, "sttbench: warning: no GPU figures, GPU columns stay empty: %v (install the NVIDIA driver's tools, or pass -nvidia-smi PATH)\n", err)
		return nil
	case err != nil:
		fmt.Fprintf(warn, "sttbench: warning: GPU detection failed: %v; GPU columns stay empty\n", err)
		return nil
	}
	fmt.Fprintf(warn, "sttbench: %s\n", sel.Reason)
	if sel.Warning != "" {
		fmt.Fprintf(warn, "sttbench: warning: %s\n", sel.Warning)
	}
	mon, err := gpumon.Start(context.WithoutCancel(ctx), gcfg, sel.ID)
	if err != nil {
		fmt.Fprintf(warn, "sttbench: warning: GPU monitor did not start: %v; GPU columns stay empty\n", err)
		return nil
	}
	return &gpuMonitor{mon: mon, warn: warn}
}

// sttHost returns the host of the STT URL and whether it is this machine:
// the embedded service, a loopback name or address, this machine's host
// name, or a name or address of one of its interfaces.
func sttHost(ctx context.Context, sttURL string) (host string, local bool) {
	if isEmbedded(sttURL) {
		return "127.0.0.1", true
	}
	u, err := url.Parse(sttURL)
	if err != nil || u.Hostname() == "" {
		return sttURL, false
	}
	host = u.Hostname()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return host, isLocalHost(ctx, host, net.DefaultResolver.LookupIPAddr)
}

// isLocalHost reports whether host names this machine; lookup resolves a
// name that is neither an address nor this machine's host name. A name that
// does not resolve is not taken to be local.
func isLocalHost(ctx context.Context, host string, lookup func(context.Context, string) ([]net.IPAddr, error)) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if name, err := os.Hostname(); err == nil {
		name = strings.ToLower(name)
		if host == name || strings.HasPrefix(name, host+".") || strings.HasPrefix(host, name+".") {
			return true
		}
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else if addrs, err := lookup(ctx, host); err == nil {
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	own, _ := net.InterfaceAddrs()
	for _, ip := range ips {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return true
		}
		for _, a := range own {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true
			}
		}
	}
	return false
}

func (m *gpuMonitor) mark() gpumon.Mark {
	if m == nil {
		return gpumon.Mark{}
	}
	return m.mon.Mark()
}

// window returns the samples since from. If dmon has died meanwhile, it
// warns once with dmon's message; that round and later ones stay empty.
func (m *gpuMonitor) window(from gpumon.Mark) []RecordedGPU {
	if m == nil {
		return nil
	}
	return m.between(from, m.mon.Mark())
}

// between returns the GPU samples between two marks (see window).
func (m *gpuMonitor) between(from, to gpumon.Mark) []RecordedGPU {
	if m == nil {
		return nil
	}
	samples := m.mon.Samples(from, to)
	if err := m.mon.Err(); err != nil {
		if !m.warned {
			fmt.Fprintf(m.warn, "sttbench: warning: the GPU monitor stopped: %v; GPU figures from here on stay empty\n", err)
			m.warned = true
		}
		return nil
	}
	w := make([]RecordedGPU, len(samples))
	for i, s := range samples {
		w[i] = RecordedGPU{At: s.Time, SM: optional(s.SM), FBMiB: optional(s.FBMiB)}
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
