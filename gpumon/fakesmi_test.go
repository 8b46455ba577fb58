package gpumon

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake nvidia-smi of internal/fakesmi as a program, built and used as the
// end-to-end test and `make demo` use it: first in PATH.
func TestFakeSMIProgram(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the fake nvidia-smi")
	}
	dir := t.TempDir()
	out, err := exec.CommandContext(t.Context(), goTool, "build", "-o", filepath.Join(dir, "nvidia-smi"), "./internal/fakesmi/nvidia-smi").CombinedOutput()
	require.NoError(t, err, "%s", out)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKESMI_INTERVAL", "5ms")

	sel, err := Detect(t.Context(), Config{ProcRoot: fakeProc(t, capturedCmdlines)})
	require.NoError(t, err)
	assert.Equal(t, Selection{ID: "0", Index: 0, UUID: uuidA, PID: 440, Reason: "GPU 0 (" + uuidA + `): Python process 440 mentions "parakeet" (python3 /opt/svc/parakeet_service/main.py 5), 2208 MiB`}, sel)

	m, err := Start(t.Context(), Config{}, sel.ID)
	require.NoError(t, err)
	defer m.Stop()
	waitSamples(t, m, 10)
	// From the first sample: the built-in capture's eight data lines, then
	// again from the top.
	var got [][2]float64
	for _, s := range m.Samples(Mark{mon: m.id}, Mark{mon: m.id, n: 9}) {
		got = append(got, [2]float64{s.SM, s.FBMiB})
	}
	assert.Equal(t, [][2]float64{
		{0, 3029}, {51, 3255}, {49, 3255}, {99, 3255}, {100, 3255}, {80, 9449}, {97, 3217}, {0, 3217},
		{0, 3029}, {51, 3255},
	}, got)
	require.NoError(t, m.Stop())
	assert.Zero(t, m.Skipped())

	// A replayed capture of another format, and a GPU the fake does not have.
	t.Setenv("FAKESMI_CAPTURE", filepath.Join("testdata", "dmon-um-csv.txt"))
	m, err = Start(t.Context(), Config{}, uuidA)
	require.NoError(t, err)
	waitSamples(t, m, 7)
	var fb []float64
	for _, s := range m.Samples(Mark{mon: m.id}, Mark{mon: m.id, n: 5}) {
		fb = append(fb, s.FBMiB)
	}
	assert.Equal(t, []float64{0, 0, 0, 0, 565, 3029}, fb)
	require.NoError(t, m.Stop())

	start := time.Now()
	_, err = Start(t.Context(), Config{}, "7")
	assert.ErrorContains(t, err, "exit status 6: No devices were found")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Empty(t, children())
}
