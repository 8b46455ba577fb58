package harness

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// session builds a result whose final text arrived lat after EOS.
func session(idx int, ref string, segs []string, lat time.Duration, outcome Outcome) SessionResult {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := SessionResult{Index: idx, Reference: ref, Outcome: outcome, Start: start,
		EOS: start.Add(2 * time.Second), AudioDuration: 3 * time.Second, Segments: segs}
	if len(segs) > 0 {
		r.FinalResult = r.EOS.Add(lat)
		r.Queued, r.Results = len(segs), len(segs)
	}
	return r
}

func TestSummarizeLatencyPercentilesAndWER(t *testing.T) {
	round1 := LevelResult{Sessions: []SessionResult{
		session(0, "one two three four.", []string{"One two three four."}, 100*time.Millisecond, OK),
		session(1, "five six seven eight.", []string{"five six seven"}, 200*time.Millisecond, OK),
		session(2, "nine ten.", nil, 0, Failed),
	}}
	round2 := LevelResult{Sessions: []SessionResult{
		session(0, "one two three four.", []string{"one two three four extra"}, 300*time.Millisecond, OK),
		session(1, "five six seven eight.", []string{"five six seven eight"}, 400*time.Millisecond, OK),
		session(2, "nine ten.", []string{"nine ten"}, -50*time.Millisecond, OK),
	}}
	round2.Sessions[2].Outcome = Errored
	round2.Sessions[2].Err = "read: boom"

	s := Summarize(3, []LevelResult{round1, round2})
	assert.Equal(t, 3, s.Concurrency)
	assert.Equal(t, 2, s.Rounds)
	assert.Equal(t, 6, s.Sessions)
	// Latencies over sessions with a transcript: .1 .2 .3 .4 (errored session excluded).
	assert.Equal(t, 4, s.LatencyN)
	assert.InDelta(t, 0.25, s.EOSP50, 1e-9)
	assert.InDelta(t, 0.385, s.EOSP95, 1e-9) // numpy.percentile([.1,.2,.3,.4], 95)
	assert.InDelta(t, 0.25, s.EOSMean, 1e-9)
	// Words: 4+4+2 per round = 20 reference words; errors: 1 deletion (s1r1),
	// 2 deletions (failed s2r1), 1 insertion (s0r2), 2 deletions (errored s2r2).
	assert.Equal(t, 20, s.Words.RefWords())
	assert.Equal(t, 1, s.Words.Insertions)
	assert.Equal(t, 5, s.Words.Deletions)
	assert.InDelta(t, 30.0, s.WER, 1e-9)
	assert.Equal(t, 2, s.Failures)
	assert.Equal(t, []string{"session 2: read: boom"}, s.Errors)
	assert.InDelta(t, 3.0, s.AudioDuration, 1e-9)
}

func TestSummarizeKeepsNegativeLatencies(t *testing.T) {
	s := Summarize(2, []LevelResult{{Sessions: []SessionResult{
		session(0, "a b.", []string{"a b"}, -200*time.Millisecond, OK),
		session(1, "c d.", []string{"c d"}, 400*time.Millisecond, OK),
	}}})
	assert.Equal(t, 1, s.NegativeLatencies)
	assert.InDelta(t, 0.1, s.EOSMean, 1e-9)
	assert.InDelta(t, 0.1, s.EOSP50, 1e-9, "the negative value is not clamped to zero")
}

func TestSummarizeWithoutTranscriptsHasNoLatency(t *testing.T) {
	s := Summarize(1, []LevelResult{{Sessions: []SessionResult{session(0, "a b c.", nil, 0, Failed)}}})
	assert.Equal(t, 0, s.LatencyN)
	assert.True(t, math.IsNaN(s.EOSP50))
	assert.InDelta(t, 100.0, s.WER, 1e-9, "a failed session counts as all deletions")
}

func TestSummarizeFlagsASaturatedClient(t *testing.T) {
	r := session(0, "a.", []string{"a"}, time.Millisecond, OK)
	r.SendLags = []time.Duration{time.Millisecond, 2 * time.Millisecond, 150 * time.Millisecond}
	s := Summarize(1, []LevelResult{{Sessions: []SessionResult{r}}})
	assert.Equal(t, 150*time.Millisecond, s.MaxLag)
	assert.True(t, s.Saturated)
	r.SendLags = []time.Duration{time.Millisecond, 3 * time.Millisecond}
	s = Summarize(1, []LevelResult{{Sessions: []SessionResult{r}}})
	assert.False(t, s.Saturated)
}

func TestVerdicts(t *testing.T) {
	ok := session(0, "a b.", []string{"a b"}, 250*time.Millisecond, OK)
	assert.Contains(t, Verdict(ok), "250 ms after the speaker stopped")
	silent := SessionResult{Outcome: Failed}
	assert.Contains(t, Verdict(silent), "VAD")
	stuck := SessionResult{Outcome: Failed, Queued: 1}
	assert.Contains(t, Verdict(stuck), "stuck")
	partial := session(0, "a b.", []string{"a"}, time.Second, Incomplete)
	partial.Queued = 2
	assert.Contains(t, Verdict(partial), "dropped")
	early := session(0, "a b.", []string{"a b"}, -time.Second, OK)
	assert.Contains(t, Verdict(early), "before the speaker stopped")
	assert.Contains(t, Verdict(SessionResult{Outcome: Errored, Err: "dial x: refused"}), "dial x: refused")
}

func TestProbeReportShowsTimelineAndFigures(t *testing.T) {
	r := session(0, "hello world.", []string{"Hello world."}, 320*time.Millisecond, OK)
	r.DialStart = r.Start.Add(-30 * time.Millisecond)
	r.Dialed = r.Start.Add(-5 * time.Millisecond)
	r.SendLags = []time.Duration{time.Millisecond}
	r.FramesSent = 40
	r.LastSpeechFrameSent = r.Start.Add(2100 * time.Millisecond)
	r.SilenceEnd = r.Start.Add(3 * time.Second)
	r.Messages = []Message{
		{At: r.Start.Add(2400 * time.Millisecond), Queued: true, Raw: `{"status":"queued"}`},
		{At: r.FinalResult, IsResult: true, Text: "Hello world.", Raw: `{"text":"Hello world."}`},
	}
	var buf bytes.Buffer
	WriteProbeReport(&buf, r)
	out := buf.String()
	for _, want := range []string{
		"-0.005s  connected (handshake took 25 ms)",
		"+0.101s  first frame sent",
		"+2.000s  end of speech (EOS)",
		"+2.100s  last frame with speech sent",
		`+2.320s  received {"text":"Hello world."}`,
		`+2.400s  received {"status":"queued"}`,
		"EOS latency: 0.320 s",
		"WER:         0.00 %",
		"verdict:     ok",
	} {
		assert.Contains(t, out, want)
	}
	assert.Less(t, bytes.Index(buf.Bytes(), []byte("end of speech")), bytes.Index(buf.Bytes(), []byte(`"text"`)), "timeline is in time order")
}

func TestSummarizeCountsLeakedSessions(t *testing.T) {
	refs := []string{
		"The lighthouse keeper counted seventeen ships before the storm reached the northern harbour.",
		"Margaret planted tomatoes beside the old stone wall in her grandmother's garden last spring.",
		"Our train to Vienna leaves at half past nine from the central station on platform four.",
	}
	sessions := []SessionResult{
		session(0, refs[0], []string{refs[0]}, time.Second, OK),
		// Session 1 got session 2's words as well as its own.
		session(1, refs[1], []string{refs[1], "Our train to Vienna leaves at half past nine"}, time.Second, OK),
		session(2, refs[2], []string{refs[2]}, time.Second, OK),
	}
	s := Summarize(3, []LevelResult{{Sessions: sessions}})
	assert.Equal(t, 1, s.Leaks)
	require.Len(t, s.LeakExamples, 1)
	assert.Contains(t, s.LeakExamples[0], "session 1 received text of session 2")
	assert.Contains(t, s.LeakExamples[0], "Vienna")

	clean := Summarize(3, []LevelResult{{Sessions: []SessionResult{sessions[0], sessions[2]}}})
	assert.Zero(t, clean.Leaks)
}
