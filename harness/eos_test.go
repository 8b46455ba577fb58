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
// the speaker waited is known; the harness must measure it within 5 ms,
// whatever silence trails the speech in the clip.
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

			assert.InDelta(t, (trueLatency + late).Seconds(), res.EOSLatency().Seconds(), 0.005,
				"measured %v, true %v, the last voiced frame sent %v late", res.EOSLatency(), trueLatency, late)
			t.Logf("EOS latency measured %v, true %v, the last voiced frame sent %v late", res.EOSLatency(), trueLatency, late)
			assert.Positive(t, res.EOSLatency())
		})
	}
}
