package sttbench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/harness"
)

// TestFrameSizesAgainstPerMessageWindows streams the same speech in frames
// of three sizes to a reference service that, like the Parakeet service,
// cuts each message into 512-sample windows and drops the rest: the tool
// shows the damage. 20 ms frames (320 samples) fill no window and are lost
// whole, so no utterance is ever heard; 96 ms frames (1536 samples, three
// windows) lose nothing; 100 ms frames (1600 samples) lose 64 samples each,
// 4 % of the audio.
func TestFrameSizesAgainstPerMessageWindows(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	for _, tt := range []struct {
		frame time.Duration
		check func(t *testing.T, row Row, r *Run)
	}{
		{20 * time.Millisecond, func(t *testing.T, row Row, r *Run) {
			assert.Equal(t, row.Total, row.Cancelled, "no session gets a transcript")
			assert.Equal(t, Float(100), row.WER)
			for _, s := range r.Rounds(2)[0].Level.Sessions {
				assert.Equal(t, harness.Failed, s.Outcome)
				assert.Contains(t, s.Reason, "no transcript")
			}
		}},
		{96 * time.Millisecond, func(t *testing.T, row Row, r *Run) {
			assert.Zero(t, row.Cancelled)
			assert.Equal(t, Float(0), row.WER)
		}},
		{100 * time.Millisecond, func(t *testing.T, row Row, r *Run) {
			t.Logf("100 ms frames: WER %.2f %%, %d of %d failed, EOS p50 %s", float64(row.WER), row.Cancelled, row.Total, row.EOSP50.format("%.3fs"))
		}},
	} {
		t.Run(tt.frame.String(), func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, "?window=512", 2)
			cfg.Frame = tt.frame
			r, rows := runLevels(t, cfg)
			require.Len(t, rows, 1)
			for _, s := range r.Rounds(2)[0].Level.Sessions {
				assert.Equal(t, tt.frame, s.Frame, "session %d streamed %v frames", s.Index, tt.frame)
			}
			tt.check(t, rows[0], r)
		})
	}
}
