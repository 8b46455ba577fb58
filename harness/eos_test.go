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

// TestEOSLatencyMatchesTheServersTruth streams reference speech to the
// reference STT, which logs when it received the frame holding the last
// voiced sample and when it sent each result. From that log the true delay
// the speaker waited is known; the harness must measure it (less the
// lateness of its own frames) no earlier than that and no more than the
// delivery of the result later, whatever silence trails the speech in the
// clip.
func TestEOSLatencyMatchesTheServersTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	tts, err := reftts.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer tts.Close()
	clips, err := ttspool.Build(context.Background(), ttspool.Config{URL: tts.URL(), CacheDir: t.TempDir()},
		[]string{"Turn left past the red barn. Then drive north."})
	require.NoError(t, err)
	trimmed := clips[0]
	speechOnly := trimmed
	speechOnly.PCM = trimmed.PCM[:int(trimmed.SpeechEnd*ttspool.SampleRate/time.Second)]
	longTail := trimmed
	longTail.PCM = append(append([]int16(nil), trimmed.PCM...), make([]int16, ttspool.SampleRate)...)

	tests := []struct {
		name string
		clip ttspool.Clip
	}{
		{"trimmed clip with 300 ms of trailing silence", trimmed},
		{"clip cut at the last voiced sample", speechOnly},
		{"clip with 1.3 s of trailing silence", longTail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stt, err := refstt.Listen("127.0.0.1:0", refstt.Config{})
			require.NoError(t, err)
			defer stt.Close()

			lr, err := RunLevel(context.Background(), LevelConfig{Session: SessionConfig{URL: stt.URL()}}, []ttspool.Clip{tt.clip})
			require.NoError(t, err)
			res := lr.Sessions[0]
			require.Equal(t, OK, res.Outcome, res.Err)

			logs := stt.Sessions()
			require.Len(t, logs, 1)
			utts, results := logs[0].Utterances, logs[0].Results
			require.Len(t, utts, 2, "two sentences, two utterances")
			require.Len(t, results, 2)
			trueEOS := utts[len(utts)-1].EndOfSpeech()
			trueLatency := results[len(results)-1].Sent.Sub(trueEOS)
			// The speaker stopped on schedule: a frame this client sent late
			// (a busy machine) adds its recorded lateness to what the user
			// waited, and the service cannot see it.
			late := res.SendLags[lastVoicedFrame(tt.clip.SpeechEnd, DefaultFrame)]

			assertEOSMatchesTruth(t, res.EOSLatency(), trueLatency, late)
			assert.Positive(t, res.EOSLatency())
		})
	}
}

// assertEOSMatchesTruth checks a measured EOS latency against the service's
// truth plus the recorded lateness of the frame holding the last voiced
// sample. The result cannot arrive before the service sent it, so the
// measurement is never below that (but for up to 1 ms seen in the service's
// dating of the speech end within its frame; 3 ms allowed); above it only
// by the result's delivery to
// this process, a few ms on a busy machine, far below the frame (100 ms) a
// wrong origin or a wrong end of speech would cost. The difference is
// logged: on a quiet machine it is under 1 ms.
func assertEOSMatchesTruth(t *testing.T, measured, truth, late time.Duration) {
	t.Helper()
	diff := measured - truth - late
	t.Logf("EOS latency measured %v, true %v, the last voiced frame sent %v late: %v apart", measured, truth, late, diff)
	assert.GreaterOrEqual(t, diff, -3*time.Millisecond, "measured %v, true %v, last voiced frame %v late", measured, truth, late)
	assert.LessOrEqual(t, diff, 25*time.Millisecond, "measured %v, true %v, last voiced frame %v late", measured, truth, late)
}
