package gpumon

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/gpumon/internal/fakesmi"
)

const (
	uuidA = "GPU-224b7fed-0e15-4ca9-0d80-82f04cab36bf" // the H200 of the captures
	uuidB = "GPU-d8abeb53-03eb-a423-e5ee-216ab526b635" // the second capture's H200
	uuidC = "GPU-00000000-1111-2222-3333-444444444444"
)

// The GPU list of a host with three GPUs.
const threeGPUs = "0, " + uuidA + "\n1, " + uuidB + "\n2, " + uuidC + "\n"

// fakeProc writes <root>/<pid>/cmdline for each entry, arguments NUL
// separated as the kernel does, and returns root.
func fakeProc(t *testing.T, cmdlines map[int][]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, args := range cmdlines {
		dir := filepath.Join(root, strconv.Itoa(pid))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cmdline"), []byte(strings.Join(args, "\x00")+"\x00"), 0o644))
	}
	return root
}

// The command lines of the captured processes (queries-busy.txt).
var capturedCmdlines = map[int][]string{
	440: {"python3", "/opt/svc/parakeet_service/main.py", "5"},
	441: {"/opt/torch/.venv/bin/python3", "/opt/svc/uvicorn", "--app", "main:app"},
}

func TestDetectFrom(t *testing.T) {
	const appsQuery = "nvidia-smi --query-compute-apps=pid,gpu_uuid,process_name,used_memory --format=csv"
	busy := transcript(t, "queries-busy.txt", appsQuery, 0)                            // with header and units
	starting := transcript(t, "queries-nounits.txt", appsQuery+",noheader,nounits", 0) // empty
	started := transcript(t, "queries-nounits.txt", appsQuery+",noheader,nounits", 2)  // PID 575
	gpuList := transcript(t, "queries-idle.txt", "nvidia-smi --query-gpu=index,gpu_uuid --format=csv,noheader", 0)

	tests := []struct {
		name     string
		apps     string
		gpus     string
		gpusErr  error
		cmdlines map[int][]string
		hints    []string
		// want
		id, uuid    string
		index, pid  int
		reason      []string // substrings of Reason
		warning     []string // substrings of Warning; nil means no warning
		noGPUsQuery bool
	}{
		{
			name:     "captured: both Python processes match a hint, the larger wins",
			apps:     busy,
			gpus:     gpuList,
			cmdlines: capturedCmdlines,
			id:       "0", index: 0, uuid: uuidA, pid: 440,
			reason: []string{"GPU 0 (" + uuidA + ")", `440 mentions "parakeet"`, "/opt/svc/parakeet_service/main.py", "2208 MiB", "of 2 Python processes on 1 GPU"},
		},
		{
			name: "a hint match beats a larger process",
			apps: "100, " + uuidA + ", python3, 30000\n" +
				"200, " + uuidB + ", /opt/torch/.venv/bin/python3, 800\n",
			gpus: threeGPUs,
			cmdlines: map[int][]string{
				100: {"python3", "train.py"},
				200: {"/opt/torch/.venv/bin/python3", "-m", "uvicorn", "stt:app"},
			},
			id: "1", index: 1, uuid: uuidB, pid: 200,
			reason: []string{"GPU 1 (" + uuidB + ")", `200 mentions "uvicorn"`, "of 2 Python processes on 2 GPUs"},
		},
		{
			name: "no hint: the Python process with the most memory, on the third GPU",
			apps: "100, " + uuidA + ", python3, 3000\n" +
				"101, " + uuidB + ", python3.12, 500\n" +
				"102, " + uuidC + ", /usr/bin/python3, 9000\n",
			gpus:     threeGPUs,
			cmdlines: map[int][]string{100: {"python3", "a.py"}, 101: {"python3.12", "b.py"}, 102: {"/usr/bin/python3", "c.py"}},
			id:       "2", index: 2, uuid: uuidC, pid: 102,
			reason: []string{"GPU 2 (" + uuidC + ")", "102 holds the most GPU memory (9000 MiB)", "/usr/bin/python3 c.py", "no Python command line mentions parakeet, nemo, uvicorn"},
		},
		{
			name: "non-Python processes are not candidates, however large",
			apps: "300, " + uuidA + ", /opt/tritonserver/bin/tritonserver, 60000\n" +
				"301, " + uuidB + ", python3, 1200\n",
			gpus:     threeGPUs,
			cmdlines: map[int][]string{300: {"/opt/tritonserver/bin/tritonserver", "--model-repository=/models/parakeet"}},
			id:       "1", index: 1, uuid: uuidB, pid: 301,
			reason: []string{"GPU 1", "301 holds the most GPU memory (1200 MiB)", "command line not visible in /proc"},
		},
		{
			name: "only non-Python processes",
			apps: "300, " + uuidA + ", /opt/tritonserver/bin/tritonserver, 60000\n400, " + uuidB + ", ollama, 5000\n",
			gpus: threeGPUs,
			id:   "0", index: 0,
			reason:  []string{"GPU 0: default"},
			warning: []string{"lists 2 compute processes, none of them Python (/opt/tritonserver/bin/tritonserver, ollama)", "monitoring GPU 0", "-gpu-id"},
		},
		{
			name: "empty list (captured while a process was starting)",
			apps: starting,
			id:   "0", index: 0,
			reason:      []string{"GPU 0: default"},
			warning:     []string{"lists no compute processes", "a few seconds", "monitoring GPU 0", "set -gpu-id to its index or UUID"},
			noGPUsQuery: true,
		},
		{
			name: "PIDs that /proc does not know (container): largest by memory",
			apps: started + "576, " + uuidB + ", python3, 100\n",
			gpus: "0, " + uuidB + "\n",
			id:   "0", index: 0, uuid: uuidB, pid: 575,
			reason: []string{"GPU 0 (" + uuidB + ")", "575 holds the most GPU memory (2468 MiB)", "python3, command line not visible in /proc"},
		},
		{
			name: "PID /proc does not know, and a visible one with a hint",
			apps: "575, " + uuidB + ", python3, 2468\n" +
				"441, " + uuidA + ", /opt/torch/.venv/bin/python3, 806\n",
			gpus:     threeGPUs,
			cmdlines: capturedCmdlines,
			id:       "0", index: 0, uuid: uuidA, pid: 441,
			reason: []string{`441 mentions "uvicorn"`},
		},
		{
			name: "garbage lines are skipped",
			apps: "garbage\n" +
				"abc, " + uuidA + ", python3, 12\n" +
				"12, " + uuidA + ", python3, lots\n" +
				"13, , python3, 12\n" +
				"14, " + uuidA + ", python3, 700\n",
			gpus: "index, uuid\nnot a gpu line\n0, " + uuidA + "\n",
			id:   "0", index: 0, uuid: uuidA, pid: 14,
		},
		{
			name: "only garbage",
			apps: "No devices were found\n\n",
			id:   "0", index: 0,
			warning:     []string{"lists no compute processes", "1 line of its output not understood"},
			noGPUsQuery: true,
		},
		{
			name: "memory [N/A] ranks below any figure",
			apps: "20, " + uuidA + ", python3, [N/A]\n" +
				"21, " + uuidB + ", python3, 10\n",
			gpus: threeGPUs,
			id:   "1", index: 1, uuid: uuidB, pid: 21,
		},
		{
			name: "equal memory: the lower PID",
			apps: "31, " + uuidB + ", python3, 10\n" +
				"30, " + uuidA + ", python3, 10\n",
			gpus: threeGPUs,
			id:   "0", index: 0, uuid: uuidA, pid: 30,
		},
		{
			name: "configured hints replace the defaults, matched ignoring case",
			apps: "440, " + uuidA + ", python3, 2208\n" +
				"500, " + uuidB + ", python3, 100\n",
			gpus:     threeGPUs,
			cmdlines: map[int][]string{440: capturedCmdlines[440], 500: {"python3", "Whisper_Server.py"}},
			hints:    []string{"whisper"},
			id:       "1", index: 1, uuid: uuidB, pid: 500,
			reason: []string{`500 mentions "whisper"`},
		},
		{
			name: "UUID not in the GPU list: monitor by UUID",
			apps: "14, " + uuidC + ", python3, 700\n",
			gpus: "0, " + uuidA + "\n",
			id:   uuidC, index: -1, uuid: uuidC, pid: 14,
			reason: []string{"GPU " + uuidC + ":", "monitoring by UUID"},
		},
		{
			name:    "GPU list query fails: monitor by UUID",
			apps:    "14, " + uuidC + ", python3, 700\n",
			gpusErr: errors.New("nvidia-smi --query-gpu=index,gpu_uuid: exit status 2"),
			id:      uuidC, index: -1, uuid: uuidC, pid: 14,
			reason: []string{"GPU index unknown (nvidia-smi --query-gpu=index,gpu_uuid: exit status 2), monitoring by UUID"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{ProcRoot: fakeProc(t, tt.cmdlines), Hints: tt.hints}
			queried := false
			got := detectFrom(cfg, tt.apps, func() (string, error) {
				queried = true
				return tt.gpus, tt.gpusErr
			})
			assert.Equal(t, tt.id, got.ID, "ID")
			assert.Equal(t, tt.index, got.Index, "Index")
			assert.Equal(t, tt.uuid, got.UUID, "UUID")
			assert.Equal(t, tt.pid, got.PID, "PID")
			assert.Equal(t, !tt.noGPUsQuery && tt.warning == nil, queried, "GPU list queried")
			assert.NotEmpty(t, got.Reason)
			assert.NotContains(t, got.Reason, "\n")
			for _, s := range tt.reason {
				assert.Contains(t, got.Reason, s)
			}
			if tt.warning == nil {
				assert.Empty(t, got.Warning)
			}
			for _, s := range tt.warning {
				assert.Contains(t, got.Warning, s)
			}
		})
	}
}

func TestIsPython(t *testing.T) {
	for name, want := range map[string]bool{
		"python": true, "python3": true, "python3.12": true, "/opt/torch/.venv/bin/python3": true,
		`C:\Python312\python.exe`: true, "PYTHON3": true,
		"pythonista": false, "uvicorn": false, "ipython": false, "": false, "/usr/bin/python3-config": false,
	} {
		assert.Equal(t, want, isPython(name), name)
	}
}

// Detect through a fake nvidia-smi: the real queries and their parsing.
func TestDetect(t *testing.T) {
	apps := "440, " + uuidA + ", python3, 2208\n441, " + uuidA + ", /opt/torch/.venv/bin/python3, 806\n"
	t.Run("busy host", func(t *testing.T) {
		f := newFake(t, fakesmi.Options{Apps: apps, GPUs: "0, " + uuidA + "\n"})
		sel, err := Detect(t.Context(), Config{Path: f.path, ProcRoot: fakeProc(t, capturedCmdlines)})
		require.NoError(t, err)
		assert.Equal(t, Selection{ID: "0", Index: 0, UUID: uuidA, PID: 440, Reason: "GPU 0 (" + uuidA + `): Python process 440 mentions "parakeet" (python3 /opt/svc/parakeet_service/main.py 5), 2208 MiB (of 2 Python processes on 1 GPU)`}, sel)
		assert.Equal(t, []string{
			"--query-compute-apps=pid,gpu_uuid,process_name,used_memory --format=csv,noheader,nounits",
			"--query-gpu=index,gpu_uuid --format=csv,noheader,nounits",
		}, f.lines("args"))
	})
	t.Run("query fails", func(t *testing.T) {
		f := newFake(t, fakesmi.Options{QueryExit: 2, QueryMsg: `Field "bogus_field" is not a valid field to query.`})
		sel, err := Detect(t.Context(), Config{Path: f.path})
		require.NoError(t, err)
		assert.Equal(t, "0", sel.ID)
		assert.Contains(t, sel.Warning, `listing compute processes failed: nvidia-smi --query-compute-apps=pid,gpu_uuid,process_name,used_memory: exit status 2: Field "bogus_field" is not a valid field to query.`)
		assert.Contains(t, sel.Warning, "-gpu-id")
	})
	for _, id := range []string{"1", uuidB} {
		t.Run("configured "+id+" skips detection", func(t *testing.T) {
			f := newFake(t, fakesmi.Options{Apps: apps})
			sel, err := Detect(t.Context(), Config{Path: f.path, GPUID: id})
			require.NoError(t, err)
			assert.Equal(t, id, sel.ID)
			assert.Empty(t, sel.Warning)
			assert.Equal(t, "GPU "+id+": configured (-gpu-id), detection skipped", sel.Reason)
			if id == uuidB {
				assert.Equal(t, -1, sel.Index)
				assert.Equal(t, uuidB, sel.UUID)
			} else {
				assert.Equal(t, 1, sel.Index)
				assert.Empty(t, sel.UUID)
			}
			assert.Empty(t, f.pids(), "nvidia-smi was run")
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		f := newFake(t, fakesmi.Options{Apps: apps})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Detect(ctx, Config{Path: f.path})
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("invalid config", func(t *testing.T) {
		_, err := Detect(t.Context(), Config{GPUID: "0,1"})
		assert.ErrorContains(t, err, "must name one GPU")
	})
}

func TestNotFound(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nvidia-smi")
	_, err := Detect(t.Context(), Config{Path: missing})
	assert.ErrorIs(t, err, ErrNotFound)
	m, err := Start(t.Context(), Config{Path: missing}, "0")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Nil(t, m)

	// Not in PATH.
	t.Setenv("PATH", t.TempDir())
	_, err = Detect(t.Context(), Config{})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Start(t.Context(), Config{}, "0")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "gpumon: start nvidia-smi dmon: nvidia-smi not found")

	// A file that is not executable.
	notExec := filepath.Join(t.TempDir(), "nvidia-smi")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	_, err = Start(t.Context(), Config{Path: notExec}, "0")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Empty(t, children())
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string // "" means valid
	}{
		{"zero value", Config{}, ""},
		{"full", Config{Path: "/usr/bin/nvidia-smi", GPUID: uuidA, Hints: []string{"whisper"}, ProcRoot: "/host/proc", Interval: 2e9, CloseWait: 3e9, StopTimeout: 1e9}, ""},
		{"PCI bus id", Config{GPUID: "00000000:00:06.0"}, ""},
		{"two GPUs", Config{GPUID: "0,1"}, "must name one GPU"},
		{"option-like id", Config{GPUID: "-h"}, "starts with a dash"},
		{"empty hint", Config{Hints: []string{"nemo", " "}}, "empty hint"},
		{"fractional interval", Config{Interval: 1500e6}, "not a whole number of seconds"},
		{"negative interval", Config{Interval: -1e9}, "negative"},
		{"negative waits", Config{CloseWait: -1, StopTimeout: -1}, "close wait -1ns is negative\nstop timeout -1ns is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "gpumon: invalid config: ")
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func FuzzParseApps(f *testing.F) {
	f.Add("441, " + uuidA + ", /opt/torch/.venv/bin/python3, 806 MiB\n440, " + uuidA + ", python3, [N/A]\n")
	f.Add("pid, gpu_uuid, process_name, used_gpu_memory [MiB]\n")
	f.Add("1, u, a,b,c, 5\n,,,\n")
	f.Fuzz(func(t *testing.T, out string) {
		procs, _ := parseApps(out)
		for _, p := range procs {
			if p.pid <= 0 || p.uuid == "" || p.name == "" || p.memMiB < -1 {
				t.Fatalf("bad process %+v from %q", p, out)
			}
		}
		for uuid, idx := range parseGPUs(out) {
			if uuid == "" || idx < 0 {
				t.Fatalf("bad GPU %q=%d from %q", uuid, idx, out)
			}
		}
	})
}
