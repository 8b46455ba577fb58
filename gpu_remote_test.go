package sttbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsLocalHost(t *testing.T) {
	hostname, err := os.Hostname()
	require.NoError(t, err)
	lookup := func(_ context.Context, host string) ([]net.IPAddr, error) {
		switch host {
		case "alias-of-loopback":
			return []net.IPAddr{{IP: net.IPv4(127, 0, 1, 1)}}, nil
		case "gpu-host":
			return []net.IPAddr{{IP: net.ParseIP("192.0.2.7")}}, nil
		}
		return nil, errors.New("no such host")
	}
	hosts := map[string]bool{
		"localhost": true, "LOCALHOST.": true, "127.0.0.1": true, "::1": true, "0.0.0.0": true,
		hostname: true, strings.ToUpper(hostname): true, "alias-of-loopback": true,
		"gpu-host": false, "192.0.2.7": false, "nowhere.invalid": false,
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				hosts[n.IP.String()] = true
			}
		}
	}
	for host, want := range hosts {
		assert.Equal(t, want, isLocalHost(t.Context(), host, lookup), host)
	}

	for url, want := range map[string]string{
		"embedded": "127.0.0.1", "embedded?wer=0.1": "127.0.0.1",
		"ws://127.0.0.1:8000/ws": "127.0.0.1", "wss://[::1]:8000/ws": "::1", "ws://192.0.2.7:8000/ws": "192.0.2.7",
	} {
		host, local := sttHost(t.Context(), url)
		assert.Equal(t, want, host, url)
		assert.Equal(t, want != "192.0.2.7", local, url)
	}
}

// With the STT service on another machine and no -gpu-id or -nvidia-smi,
// the local GPU is not passed off as the service's: one warning, no
// nvidia-smi run.
func TestGPUSkippedForARemoteService(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	var warn bytes.Buffer
	g := startGPUMonitor(t.Context(), Config{STTURL: "ws://192.0.2.7:8000/ws"}, &warn)
	assert.Nil(t, g)
	assert.Equal(t, "sttbench: warning: the STT service runs on 192.0.2.7, not this machine: GPU columns stay empty. "+
		"To sample its GPU, pass -nvidia-smi 'ssh 192.0.2.7 nvidia-smi' (and -gpu-id N to skip detection)\n", warn.String())
	assert.NoFileExists(t, ran)

	warn.Reset()
	g = startGPUMonitor(t.Context(), Config{STTURL: "ws://192.0.2.7:8000/ws", NvidiaSMI: "ssh 'gpu-host"}, &warn)
	assert.Nil(t, g)
	assert.Equal(t, 1, strings.Count(warn.String(), "warning:"))
	assert.Contains(t, warn.String(), "invalid -nvidia-smi: command \"ssh 'gpu-host\": unterminated ' quote")
}

// -nvidia-smi 'ssh HOST nvidia-smi' samples the service's host: detection
// goes by what nvidia-smi reports, and after stop neither the wrapper nor
// nvidia-smi is left, whether the wrapper execs nvidia-smi or runs it as
// its child.
func TestGPUThroughAWrapper(t *testing.T) {
	bin, err := buildFakeSMI()
	require.NoError(t, err)
	t.Setenv("FAKESMI_INTERVAL", "50ms")
	for _, execs := range []bool{true, false} {
		t.Run(fmt.Sprintf("exec=%v", execs), func(t *testing.T) {
			ssh := filepath.Join(t.TempDir(), "ssh")
			run := `exec "$@"`
			if !execs {
				run = "\"$@\"\nexit $?"
			}
			require.NoError(t, os.WriteFile(ssh, []byte("#!/bin/sh\nshift\n"+run+"\n"), 0o755))

			var warn bytes.Buffer
			cfg := Config{STTURL: "ws://192.0.2.7:8000/ws", NvidiaSMI: ssh + " gpu-host " + bin}
			g := startGPUMonitor(t.Context(), cfg, &warn)
			require.NotNil(t, g, "%s", &warn)
			from := g.mark()
			time.Sleep(300 * time.Millisecond)
			util, vram := gpuFigures(g.window(from))
			assert.NotEmpty(t, util, "samples through the wrapper")
			assert.NotEmpty(t, vram)
			g.stop()
			assert.Contains(t, warn.String(), "sttbench: GPU 0 (GPU-224b7fed-0e15-4ca9-0d80-82f04cab36bf): Python process 440 on nvidia-smi's host holds the most GPU memory (2208 MiB)")
			assert.NotContains(t, warn.String(), "warning")
			assert.Empty(t, processesRunning(bin), "nvidia-smi left behind")
			assert.Empty(t, processesMentioning(ssh), "the wrapper left behind")
		})
	}
}

// processesMentioning lists the PIDs whose command line mentions s.
func processesMentioning(s string) []string {
	var pids []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), s) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
