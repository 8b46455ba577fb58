package harness

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/ttspool"
)

// A level records what its load host did while it streamed: the steal
// time of the machine and this process's CPU.
func TestLevelRecordsWhatTheHostDid(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the machine's counters are read on Linux only")
	}
	t.Parallel()
	srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		if waitFrames(frames, 5) {
			say(ctx, conn, `{"status":"queued"}`)
			say(ctx, conn, `{"text":"hello there general kenobi"}`)
		}
	})
	clip := toneClip(500*time.Millisecond, 0)
	cfg := LevelConfig{Session: SessionConfig{URL: srv.url(), IdleTimeout: 200 * time.Millisecond}}
	lr, err := RunLevel(t.Context(), cfg, []ttspool.Clip{clip, clip})
	require.NoError(t, err)
	require.NotNil(t, lr.Host.StealPct, "the machine's steal time over the level")
	require.NotNil(t, lr.Host.ProcessCPUPct, "this process's CPU over the level")
	assert.True(t, *lr.Host.StealPct >= 0 && *lr.Host.StealPct <= 100, "steal %v%%", *lr.Host.StealPct)
	assert.Greater(t, *lr.Host.ProcessCPUPct, 0.0, "streaming costs some CPU")
}
