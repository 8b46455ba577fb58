package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/internal/reftts"
	"github.com/sttbench/sttbench/ttspool"
)

// TestRunSessionStartsOnItsScheduleAndPacesFromItsOwnOrigin runs one session
// scheduled a little ahead against the reference services: it must not
// begin before its time, its stream origin is its own connection, and its
// EOS latency agrees with the service's log as a level's session does.
func TestRunSessionStartsOnItsScheduleAndPacesFromItsOwnOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	tts, err := reftts.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer tts.Close()
	clips, err := ttspool.Build(context.Background(), ttspool.Config{URL: tts.URL(), CacheDir: t.TempDir()},
		[]string{"Turn left past the red barn."})
	require.NoError(t, err)
	stt, err := refstt.Listen("127.0.0.1:0", refstt.Config{})
	require.NoError(t, err)
	defer stt.Close()

	var prog Progress
	at := time.Now().Add(300 * time.Millisecond)
	res := RunSessionProgress(context.Background(), SessionConfig{URL: stt.URL(), IdleTimeout: time.Second}, clips[0], 7, at, &prog)
	require.Equal(t, OK, res.Outcome, res.Err)
	assert.Equal(t, 7, res.Index)
	assert.Equal(t, clips[0].Text, res.Reference)
	assert.True(t, res.Scheduled.Equal(at))
	assert.False(t, res.DialStart.Before(at), "began %v before its scheduled start", at.Sub(res.DialStart))
	assert.True(t, res.Start.Equal(res.Dialed), "the stream origin is the session's own connection")
	assert.True(t, res.EOS.Equal(res.Start.Add(clips[0].SpeechEnd)))
	assert.Len(t, res.SendLags, res.FramesSent)
	assert.Positive(t, res.FramesSent)
	assert.Equal(t, int64(1), prog.Total.Load())
	assert.Equal(t, int64(1), prog.Done.Load())
	assert.Zero(t, prog.Connecting.Load()+prog.Streaming.Load()+prog.Waiting.Load())

	logs := stt.Sessions()
	require.Len(t, logs, 1)
	utts, results := logs[0].Utterances, logs[0].Results
	require.NotEmpty(t, utts)
	require.Len(t, results, len(utts))
	trueLatency := results[len(results)-1].Sent.Sub(utts[len(utts)-1].EndOfSpeech())
	// The service dates the end of speech by when the frame holding it
	// arrived: a frame sent late (a busy machine) moves its truth by as much.
	assertEOSMatchesTruth(t, res.EOSLatency(), trueLatency, res.SendLags[lastVoicedFrame(clips[0].SpeechEnd, DefaultFrame)])
}

func TestRunSessionCancelledBeforeItsStartNeverBegins(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	// Nothing listens at this URL: a session that began would fail its dial.
	res := RunSession(ctx, SessionConfig{URL: "ws://127.0.0.1:1/ws"}, toneClip(time.Second, 0), 3, time.Now().Add(time.Hour))
	assert.Less(t, time.Since(began), 10*time.Second, "returns when ctx ends, not at its start")
	assert.Equal(t, Errored, res.Outcome)
	assert.True(t, res.DialStart.IsZero(), "never began")
	assert.Contains(t, res.Reason, "cancelled before its scheduled start")
	assert.Equal(t, 3, res.Index)
}

func TestRunSessionWithABadConfigOrADeadServiceIsAnErroredResult(t *testing.T) {
	t.Parallel()
	res := RunSession(context.Background(), SessionConfig{URL: "http://x"}, toneClip(time.Second, 0), 0, time.Time{})
	assert.Equal(t, Errored, res.Outcome)
	assert.Contains(t, res.Err, "must start with ws://")

	past := time.Now().Add(-time.Minute)
	res = RunSession(context.Background(), SessionConfig{URL: "ws://127.0.0.1:1/ws"}, toneClip(time.Second, 0), 1, past)
	assert.Equal(t, Errored, res.Outcome)
	assert.Equal(t, "dial error", res.StopReason)
	assert.False(t, res.DialStart.IsZero(), "a start in the past begins at once")
	assert.Greater(t, res.DialStart.Sub(res.Scheduled), 50*time.Second, "its lateness shows")
}
