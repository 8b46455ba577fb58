package gpumon

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealNvidiaSMI runs Detect and a Monitor against the nvidia-smi in
// PATH. It needs an NVIDIA GPU, so it is skipped unless
// GPUMON_REAL_NVIDIA_SMI=1. GPUMON_REAL_EXPECT_PID, when set, is the PID
// Detect must choose; GPUMON_REAL_EXPECT_BUSY=1 says the GPU is under load
// (SM p95 above 50 %) while the test runs.
func TestRealNvidiaSMI(t *testing.T) {
	if os.Getenv("GPUMON_REAL_NVIDIA_SMI") != "1" {
		t.Skip("set GPUMON_REAL_NVIDIA_SMI=1 on a machine with an NVIDIA GPU")
	}
	ctx := t.Context()
	sel, err := Detect(ctx, Config{})
	require.NoError(t, err)
	t.Logf("selection: %+v", sel)
	if pid := os.Getenv("GPUMON_REAL_EXPECT_PID"); pid != "" {
		assert.Equal(t, pid, strconv.Itoa(sel.PID))
		assert.Empty(t, sel.Warning)
	}

	for _, id := range []string{sel.ID, sel.UUID} {
		if id == "" {
			continue
		}
		m, err := Start(ctx, Config{}, id)
		require.NoError(t, err)
		from := m.Mark()
		time.Sleep(3 * time.Second)
		to := m.Mark()
		sum := m.Window(from, to)
		for _, s := range m.Samples(from, to) {
			t.Logf("sample +%v gpu=%d sm=%v fb=%v", s.Time.Sub(from.Time()).Round(time.Millisecond), s.GPU, s.SM, s.FBMiB)
		}
		t.Logf("-i %s: %v (closed %v), %v after the end mark", id, sum, sum.Closed, time.Since(to.Time()).Round(time.Millisecond))
		assert.True(t, sum.Closed)
		assert.GreaterOrEqual(t, sum.N, 3)
		if os.Getenv("GPUMON_REAL_EXPECT_BUSY") == "1" {
			assert.Greater(t, sum.SMP95, 50.0)
		}
		start := time.Now()
		assert.NoError(t, m.Stop(), "dmon exits on SIGINT")
		t.Logf("Stop took %v", time.Since(start).Round(time.Millisecond))
		assert.Zero(t, m.Skipped())
	}

	_, err = Start(ctx, Config{}, "97")
	t.Logf("Start on a missing GPU: %v", err)
	assert.ErrorContains(t, err, "No devices were found")
	assert.Empty(t, children())
}
