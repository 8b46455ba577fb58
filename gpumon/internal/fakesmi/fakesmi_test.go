package fakesmi

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFromEnvDefaults(t *testing.T) {
	for _, env := range []string{"FAKESMI_APPS", "FAKESMI_GPUS", "FAKESMI_CAPTURE", "FAKESMI_INTERVAL", "FAKESMI_MODE"} {
		t.Setenv(env, "")
	}
	o, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, DefaultCapture, o.Capture)
	assert.Equal(t, time.Second, o.Pace)
	assert.True(t, o.Loop)
	assert.Equal(t, -1, o.Exit)
	assert.Equal(t, "0, "+DefaultUUID+"\n", o.GPUs)
	assert.False(t, o.IgnoreSignals)
}

func TestFromEnvReadsFilesAndRejectsBadValues(t *testing.T) {
	capture := filepath.Join(t.TempDir(), "dmon.txt")
	require.NoError(t, os.WriteFile(capture, []byte("    0 7 0\n"), 0o644))
	t.Setenv("FAKESMI_CAPTURE", capture)
	t.Setenv("FAKESMI_INTERVAL", "5ms")
	t.Setenv("FAKESMI_MODE", "ignore-signals")
	o, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, "    0 7 0\n", o.Capture)
	assert.Equal(t, 5*time.Millisecond, o.Pace)
	assert.True(t, o.IgnoreSignals)

	t.Setenv("FAKESMI_INTERVAL", "often")
	_, err = FromEnv()
	assert.ErrorContains(t, err, `bad FAKESMI_INTERVAL "often"`)
	t.Setenv("FAKESMI_INTERVAL", "")
	t.Setenv("FAKESMI_MODE", "sleepy")
	_, err = FromEnv()
	assert.ErrorContains(t, err, `bad FAKESMI_MODE "sleepy"`)
	t.Setenv("FAKESMI_MODE", "")
	t.Setenv("FAKESMI_CAPTURE", filepath.Join(t.TempDir(), "missing.txt"))
	_, err = FromEnv()
	assert.ErrorContains(t, err, "FAKESMI_CAPTURE")
}

func TestKnownGPU(t *testing.T) {
	gpus := "0, GPU-a\n1, GPU-b\n"
	for id, want := range map[string]bool{"0": true, "1": true, "GPU-b": true, "2": false, "GPU-c": false} {
		assert.Equal(t, want, knownGPU(id, gpus), id)
	}
}
