package harness

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/ttspool"
)

func TestFramesShareTheClipAudio(t *testing.T) {
	const frameBytes = DefaultFrameSamples * bytesPerSample
	pcm := make([]byte, 2*frameBytes+100)
	for i := range pcm {
		pcm[i] = byte(i%251 + 1)
	}
	f := newFrames(pcm, 2, frameBytes)
	require.Equal(t, 3, f.speechFrames)
	require.Equal(t, 5, f.n)
	for i := range 2 {
		fr := f.frame(i)
		assert.Equal(t, pcm[i*frameBytes:(i+1)*frameBytes], fr, "frame %d", i)
		assert.Same(t, &pcm[i*frameBytes], &fr[0], "frame %d is the clip's own bytes, not a copy", i)
	}
	tail := f.frame(2)
	require.Len(t, tail, frameBytes)
	assert.Equal(t, pcm[2*frameBytes:], tail[:100])
	assert.Equal(t, make([]byte, frameBytes-100), tail[100:], "the last speech frame is zero-padded")
	for i := 3; i < 5; i++ {
		assert.Equal(t, make([]byte, frameBytes), f.frame(i), "silence frame %d", i)
	}

	whole := newFrames(pcm[:2*frameBytes], 0, frameBytes)
	assert.Equal(t, 2, whole.n)
	assert.Nil(t, whole.tail, "no padded copy when the clip is whole frames")
	assert.Same(t, &pcm[frameBytes], &whole.frame(1)[0])
}

func TestPrepareAllLaysOutEachClipOnce(t *testing.T) {
	a := toneClip(300*time.Millisecond, 0)
	b := toneClip(500*time.Millisecond, 0)
	streams := prepareAll([]ttspool.Clip{a, b, a, b, a}, SessionConfig{TrailingSilence: 200 * time.Millisecond}.withDefaults())
	require.Len(t, streams, 5)
	assert.Same(t, streams[0], streams[2])
	assert.Same(t, streams[0], streams[4])
	assert.Same(t, streams[1], streams[3])
	assert.NotSame(t, streams[0], streams[1])
	assert.Equal(t, 3+2, streams[0].frames)
	assert.Equal(t, 5+2, streams[1].frames)
	assert.NotEqual(t, streams[0].sha256, streams[1].sha256)
}

func TestPhaseSpreadsStreamsOverOneFrame(t *testing.T) {
	spread := LevelConfig{}
	assert.Equal(t, time.Duration(0), spread.Phase(0, 4))
	assert.Equal(t, 25*time.Millisecond, spread.Phase(1, 4))
	assert.Equal(t, 75*time.Millisecond, spread.Phase(3, 4))
	assert.Equal(t, time.Duration(0), spread.Phase(0, 1))
	assert.Equal(t, 99900*time.Microsecond, spread.Phase(999, 1000))
	assert.Equal(t, time.Duration(0), LevelConfig{Aligned: true}.Phase(3, 4))

	srv := newTranscribingServer(t, 3, "hello there general kenobi")
	clip := toneClip(250*time.Millisecond, 0)
	for _, aligned := range []bool{false, true} {
		cfg := LevelConfig{Session: SessionConfig{URL: srv.url(), IdleTimeout: 200 * time.Millisecond}, Aligned: aligned}
		lr, err := RunLevel(t.Context(), cfg, []ttspool.Clip{clip, clip, clip, clip})
		require.NoError(t, err)
		for i, r := range lr.Sessions {
			require.Equal(t, OK, r.Outcome, r.Err)
			// Each session's schedule, and so its EOS, is anchored at its
			// own origin.
			assert.Equal(t, cfg.Phase(i, 4), r.Start.Sub(lr.Start), "aligned=%v session %d", aligned, i)
			assert.Equal(t, r.Start.Add(clip.SpeechEnd), r.EOS)
		}
	}

	// A shard of the level: its sessions keep their places in the whole.
	cfg := LevelConfig{Session: SessionConfig{URL: srv.url(), IdleTimeout: 200 * time.Millisecond}, Positions: []int{1, 3}, Of: 4}
	lr, err := RunLevel(t.Context(), cfg, []ttspool.Clip{clip, clip})
	require.NoError(t, err)
	for j, r := range lr.Sessions {
		require.Equal(t, OK, r.Outcome, r.Err)
		assert.Equal(t, cfg.Positions[j], r.Index)
		assert.Equal(t, cfg.Phase(cfg.Positions[j], 4), r.Start.Sub(lr.Start))
	}
	_, err = RunLevel(t.Context(), LevelConfig{Session: cfg.Session, Positions: []int{1}, Of: 4}, []ttspool.Clip{clip, clip})
	assert.ErrorContains(t, err, "1 positions among 4 sessions for 2 clips")
}

func TestFramesOfAnotherSize(t *testing.T) {
	srv := newTranscribingServer(t, 16, "hello there general kenobi")
	clip := toneClip(290*time.Millisecond, 0) // 14.5 frames of 20 ms
	cfg := SessionConfig{URL: srv.url(), Frame: 20 * time.Millisecond, TrailingSilence: 100 * time.Millisecond, IdleTimeout: 200 * time.Millisecond}
	res := runOne(t, cfg, clip)
	require.Equal(t, OK, res.Outcome, res.Err)
	assert.Equal(t, 20*time.Millisecond, res.Frame)
	got := srv.frames()
	require.Len(t, got, 15+5, "15 speech frames (the last zero-padded) and 5 of silence")
	for i, a := range got {
		assert.Len(t, a.data, 320*2, "frame %d", i)
		assert.GreaterOrEqual(t, res.SendLags[i], time.Duration(0), "frame %d left early", i)
	}
	// The frame holding the last voiced sample (at 290 ms) is frame 14.
	assert.Equal(t, res.SendLags[14], res.LastSpeechFrameSent.Sub(frameDue(res.Start, 14, 20*time.Millisecond)))
}

func TestFrameSizeIsValidated(t *testing.T) {
	for _, bad := range []time.Duration{5 * time.Millisecond, 2 * time.Second, 10*time.Millisecond + time.Microsecond} {
		err := SessionConfig{URL: "ws://x", Frame: bad}.Validate()
		assert.ErrorContains(t, err, "is not a whole number of samples at 16 kHz between 10ms and 1s", "%v", bad)
	}
	for _, good := range []time.Duration{0, 10 * time.Millisecond, 20 * time.Millisecond, 32 * time.Millisecond, 62500 * time.Nanosecond * 1536, time.Second} {
		assert.NoError(t, SessionConfig{URL: "ws://x", Frame: good}.Validate(), "%v", good)
	}
	n, whole := FrameSamples(96 * time.Millisecond)
	assert.Equal(t, 1536, n)
	assert.True(t, whole)
}

// A level records what its load host did while it streamed: the steal
// time of the machine and this process's CPU.
func TestLevelRecordsWhatTheHostDid(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the machine's counters are read on Linux only")
	}
	t.Parallel()
	srv := newTranscribingServer(t, 5, "hello there general kenobi")
	clip := toneClip(500*time.Millisecond, 0)
	cfg := LevelConfig{Session: SessionConfig{URL: srv.url(), IdleTimeout: 200 * time.Millisecond}}
	lr, err := RunLevel(t.Context(), cfg, []ttspool.Clip{clip, clip})
	require.NoError(t, err)
	require.NotNil(t, lr.Host.StealPct, "the machine's steal time over the level")
	require.NotNil(t, lr.Host.ProcessCPUPct, "this process's CPU over the level")
	assert.True(t, *lr.Host.StealPct >= 0 && *lr.Host.StealPct <= 100, "steal %v%%", *lr.Host.StealPct)
	assert.Greater(t, *lr.Host.ProcessCPUPct, 0.0, "streaming costs some CPU")
}
