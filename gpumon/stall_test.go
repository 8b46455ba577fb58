package gpumon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/gpumon/internal/fakesmi"
)

// A dmon that sends nothing readable is stopped after SampleTimeout, and
// the error says what it did instead.
func TestMonitorNoParsableSample(t *testing.T) {
	header := strings.Join(strings.SplitAfter(testdata(t, "dmon-um-i0.txt"), "\n")[:headerLines], "")
	tests := []struct {
		name string
		o    fakesmi.Options
		want string
	}{
		{
			name: "prints nothing",
			o:    fakesmi.Options{Pace: time.Millisecond, Exit: -1},
			want: "gpumon: nvidia-smi dmon -i 0 printed no parsable sample in 300ms: it printed nothing. Check that `nvidia-smi dmon -s um -i 0` prints samples on the GPU's host",
		},
		{
			name: "prints garbage",
			o:    fakesmi.Options{Capture: "GPU 00000000:00:06.0: Unknown Error\n", Pace: 20 * time.Millisecond, Loop: true, Exit: -1},
			want: `that could not be read, such as "GPU 00000000:00:06.0: Unknown Error"`,
		},
		{
			name: "prints its header only",
			o:    fakesmi.Options{Capture: header, Pace: time.Millisecond, Exit: -1},
			want: "printed no parsable sample in 300ms: it printed 2 lines of header, no data",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.o)
			m, err := Start(t.Context(), Config{Path: f.path, SampleTimeout: 300 * time.Millisecond}, "0")
			assert.Nil(t, m)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "printed no parsable sample in 300ms")
			assert.NotContains(t, err.Error(), "signal")
			assert.Equal(t, []string{"interrupt"}, f.lines("signals"), "dmon was stopped")
		})
	}
}

// A dmon that goes quiet after some samples is stopped, and later windows
// report no data.
func TestMonitorGoesQuiet(t *testing.T) {
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1}, Config{SampleTimeout: 300 * time.Millisecond})
	from := m.Mark()
	require.Eventually(t, func() bool { return m.Err() != nil }, 10*time.Second, 5*time.Millisecond)
	assert.Regexp(t, `^gpumon: nvidia-smi dmon -i 0 printed no sample for 300ms after 1 sample \(the last at \d\d:\d\d:\d\d\); it seems hung`, m.Err().Error())
	assert.False(t, m.Window(from, m.Mark()).OK())
	assert.Equal(t, m.Err(), m.Stop())
	assert.Equal(t, []string{"interrupt"}, f.lines("signals"))
}

// Stopped with no sample yet, but after long enough to have had one, Stop
// says so rather than leaving the GPU columns empty without a word.
func TestMonitorStopWithoutSample(t *testing.T) {
	f := newFake(t, fakesmi.Options{Exit: -1})
	m, err := Start(t.Context(), Config{Path: f.path, SampleTimeout: 3 * time.Second}, "0")
	require.NoError(t, err, "Start waits Interval + 1 s for the first sample, then goes on")
	assert.NoError(t, m.Err())
	err = m.Stop()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gpumon: nvidia-smi dmon -i 0 printed no parsable sample in ")
	assert.Contains(t, err.Error(), "it printed nothing")
}

// A detection query that hangs is killed at the query timeout, and the
// warning says it gave no answer rather than "signal: killed".
func TestDetectQueryHangs(t *testing.T) {
	f := newFake(t, fakesmi.Options{QueryHang: true})
	sel, err := Detect(t.Context(), Config{Path: f.path, queryTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, "0", sel.ID)
	assert.Contains(t, sel.Warning, "listing compute processes failed: nvidia-smi --query-compute-apps=pid,gpu_uuid,process_name,used_memory gave no answer within 300ms")
	assert.NotContains(t, sel.Warning, "signal")
	require.Len(t, f.pids(), 1)
}

// wrapper writes a fake ssh: it drops the host argument and runs the rest,
// by exec or as a child of the shell, and logs each host it was given.
func wrapper(t *testing.T, exec bool) (path, log string) {
	t.Helper()
	dir := t.TempDir()
	path, log = filepath.Join(dir, "ssh"), filepath.Join(dir, "hosts")
	run := `exec "$@"`
	if !exec {
		run = "\"$@\"\nexit $?"
	}
	script := fmt.Sprintf("#!/bin/sh\necho \"$1\" >> %s\nshift\n%s\n", shellQuote(log), run)
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path, log
}

// Through a wrapper such as ssh: detection chooses from what nvidia-smi
// reports (the PIDs are another machine's), dmon runs through it, and after
// Stop neither the wrapper nor nvidia-smi is left, also when the wrapper
// runs nvidia-smi as its child and nvidia-smi ignores the interrupt.
func TestWrapper(t *testing.T) {
	apps := "440, " + uuidA + ", python3, 2208\n441, " + uuidA + ", python3, 806\n"
	tests := []struct {
		name          string
		exec, ignores bool
	}{
		{"exec", true, false},
		{"child", false, false},
		{"child ignoring the interrupt", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Pace: 5 * time.Millisecond, Loop: true, Exit: -1,
				IgnoreSignals: tt.ignores, Apps: apps, GPUs: "0, " + uuidA + "\n"})
			ssh, hosts := wrapper(t, tt.exec)
			words, err := SplitCommand(ssh + " gpu-host " + shellQuote(f.path))
			require.NoError(t, err)
			// Here 441 mentions parakeet: read locally, /proc would choose it.
			cfg := Config{Path: words[0], Args: words[1:], ProcRoot: fakeProc(t, capturedCmdlines), StopTimeout: 300 * time.Millisecond}

			sel, err := Detect(t.Context(), cfg)
			require.NoError(t, err)
			got := sel
			got.Reason = "" // checked piece by piece below
			assert.Equal(t, Selection{ID: "0", Index: 0, UUID: uuidA, PID: 440}, got)
			assert.Contains(t, sel.Reason, "Python process 440 on nvidia-smi's host holds the most GPU memory (2208 MiB)")
			assert.Contains(t, sel.Reason, "command lines are out of reach through ssh")

			m, err := Start(t.Context(), cfg, sel.ID)
			require.NoError(t, err)
			waitSamples(t, m, 3)
			leader := m.proc.Pid
			err = m.Stop()
			if tt.ignores {
				assert.ErrorContains(t, err, "no exit within 300ms of an interrupt, killed")
			} else {
				assert.NoError(t, err)
			}
			b, err := os.ReadFile(hosts)
			require.NoError(t, err)
			assert.Equal(t, "gpu-host\ngpu-host\ngpu-host\n", string(b), "two queries and dmon went through the wrapper")
			assert.Equal(t, []string{
				"--query-compute-apps=pid,gpu_uuid,process_name,used_memory --format=csv,noheader,nounits",
				"--query-gpu=index,gpu_uuid --format=csv,noheader,nounits",
				"dmon -s um -d 1 -i 0",
			}, f.lines("args"))
			assert.True(t, gone(leader), "the wrapper (PID %d) is still there", leader)
			// newFake's cleanup checks that every nvidia-smi it ran is gone.
		})
	}
}

// Kill ends dmon and its group at once, for an exit that cannot wait.
func TestMonitorKill(t *testing.T) {
	f, m := startFake(t, fakesmi.Options{Capture: testdata(t, "dmon-um-i0.txt"), Exit: -1, IgnoreSignals: true}, Config{StopTimeout: time.Hour})
	m.Kill()
	done := make(chan error, 1)
	go func() { done <- m.Stop() }()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Stop after Kill waits for the stop timeout")
	}
	f.checkNoLeaks()
	m.Kill() // on a stopped Monitor: nothing to do
	var nilMon *Monitor
	nilMon.Kill()
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  string
	}{
		{"nvidia-smi", []string{"nvidia-smi"}, ""},
		{"  ssh   gpu-host\tnvidia-smi ", []string{"ssh", "gpu-host", "nvidia-smi"}, ""},
		{`ssh -o 'BatchMode yes' gpu-host "/opt/my tools/nvidia-smi"`, []string{"ssh", "-o", "BatchMode yes", "gpu-host", "/opt/my tools/nvidia-smi"}, ""},
		{`a""b 'it"s' ''`, []string{"ab", `it"s`, ""}, ""},
		{"", nil, `command "" is empty`},
		{"   ", nil, "is empty"},
		{"ssh 'gpu-host", nil, "unterminated ' quote"},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.line)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, tt.line)
			continue
		}
		require.NoError(t, err, tt.line)
		assert.Equal(t, tt.want, got, tt.line)
	}
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{"ssh gpu-host nvidia-smi", `a "b c" 'd'`, "'", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitCommand(line)
		if err != nil {
			return
		}
		if len(words) == 0 {
			t.Fatalf("SplitCommand(%q) = no words and no error", line)
		}
		// Unquoted words split at blanks and hold none.
		if !strings.ContainsAny(line, `'"`) {
			if want := strings.Fields(line); !slicesEqual(words, want) {
				t.Fatalf("SplitCommand(%q) = %q, want %q", line, words, want)
			}
		}
	})
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
