package sttbench

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/wer"
)

// sessionResult builds a result whose final text arrived lat after EOS.
func sessionResult(idx int, ref string, segs []string, lat time.Duration, outcome harness.Outcome) harness.SessionResult {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := harness.SessionResult{Index: idx, Reference: ref, Outcome: outcome, Start: start,
		EOS: start.Add(2 * time.Second), AudioDuration: 3 * time.Second, Segments: segs}
	if len(segs) > 0 {
		r.FinalResult = r.EOS.Add(lat)
		r.Queued, r.Results = len(segs), len(segs)
	}
	return r
}

func TestSummarizeLatencyPercentilesAndWER(t *testing.T) {
	round1 := harness.LevelResult{Sessions: []harness.SessionResult{
		sessionResult(0, "one two three four.", []string{"One two three four."}, 100*time.Millisecond, harness.OK),
		sessionResult(1, "five six seven eight.", []string{"five six seven"}, 200*time.Millisecond, harness.OK),
		sessionResult(2, "nine ten.", nil, 0, harness.Failed),
	}}
	round2 := harness.LevelResult{Sessions: []harness.SessionResult{
		sessionResult(0, "one two three four.", []string{"one two three four extra"}, 300*time.Millisecond, harness.OK),
		sessionResult(1, "five six seven eight.", []string{"five six seven eight"}, 400*time.Millisecond, harness.OK),
		sessionResult(2, "nine ten.", []string{"nine ten"}, -50*time.Millisecond, harness.OK),
	}}
	round2.Sessions[2].Outcome = harness.Errored
	round2.Sessions[2].Err = "read failed: boom"
	round2.Sessions[2].Reason = "read failed"
	round2.Sessions[2].Ended = round2.Sessions[2].Start.Add(1500 * time.Millisecond)
	round1.Start, round2.Start = round1.Sessions[0].Start, round2.Sessions[0].Start
	round1.Sessions[2].Reason = "no transcript: the service sent nothing (idle for 5s after the last frame or message)"

	s := Summarize(3, []harness.LevelResult{round1, round2})
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
	assert.Equal(t, []ReasonCount{
		{Outcome: harness.Failed, Reason: "no transcript: the service sent nothing (idle for 5s after the last frame or message)", Count: 1},
		{Outcome: harness.Errored, Reason: "read failed", Count: 1, FirstAt: 1500 * time.Millisecond, Example: "session 2: read failed: boom"},
	}, s.Reasons)
	assert.InDelta(t, 3.0, s.AudioDuration, 1e-9)
}

// TestRawWERCountsWhatNormalizationForgives scores sessions whose words
// differ only in form: the normalized WER is 0, the raw WER counts every
// form difference, and both count a real error alike.
func TestRawWERCountsWhatNormalizationForgives(t *testing.T) {
	s := Summarize(2, []harness.LevelResult{{Sessions: []harness.SessionResult{
		// "twenty five" vs "25": raw, one substitution and one deletion.
		sessionResult(0, "I bought twenty five apples.", []string{"I bought 25 apples."}, time.Second, harness.OK),
		// A real error: "pears" for "apples"; "It's" and "it's" agree raw too.
		sessionResult(1, "It's red apples, Sam.", []string{"it's red pears", "Sam"}, time.Second, harness.OK),
		sessionResult(2, "Nine, ten!", nil, 0, harness.Failed),
	}}})
	assert.Equal(t, 10, s.Words.RefWords(), "normalized: i bought 25 apples / [it is] red apples sam / 9 10")
	assert.Equal(t, 1+2, s.Words.Errors(), "pears, and the failed session's two words")
	assert.Equal(t, 11, s.WordsRaw.RefWords(), "raw: i bought twenty five apples / it's red apples sam / nine ten")
	assert.Equal(t, wer.Counts{Hits: 6, Substitutions: 2, Deletions: 3}, s.WordsRaw)
	assert.InDelta(t, 100*5.0/11, s.WERRaw, 1e-9)
	assert.Greater(t, s.WERRaw, s.WER)
}

func TestSummarizeKeepsNegativeLatencies(t *testing.T) {
	s := Summarize(2, []harness.LevelResult{{Sessions: []harness.SessionResult{
		sessionResult(0, "a b.", []string{"a b"}, -200*time.Millisecond, harness.OK),
		sessionResult(1, "c d.", []string{"c d"}, 400*time.Millisecond, harness.OK),
	}}})
	assert.Equal(t, 1, s.NegativeLatencies)
	assert.InDelta(t, 0.1, s.EOSMean, 1e-9)
	assert.InDelta(t, 0.1, s.EOSP50, 1e-9, "the negative value is not clamped to zero")
}

func TestSummarizeWithoutTranscriptsHasNoLatency(t *testing.T) {
	s := Summarize(1, []harness.LevelResult{{Sessions: []harness.SessionResult{sessionResult(0, "a b c.", nil, 0, harness.Failed)}}})
	assert.Equal(t, 0, s.LatencyN)
	assert.True(t, math.IsNaN(s.EOSP50))
	assert.InDelta(t, 100.0, s.WER, 1e-9, "a failed session counts as all deletions")
}

func TestSummarizeFlagsASaturatedClient(t *testing.T) {
	r := sessionResult(0, "a.", []string{"a"}, time.Millisecond, harness.OK)
	r.SendLags = []time.Duration{time.Millisecond, 2 * time.Millisecond, 150 * time.Millisecond}
	r.MaxClientLag = 150 * time.Millisecond
	s := Summarize(1, []harness.LevelResult{{Sessions: []harness.SessionResult{r}}})
	assert.Equal(t, 150*time.Millisecond, s.MaxLag)
	assert.True(t, s.Saturated)
	// The same lateness caused by a write the service held up is
	// back-pressure, not a saturated client.
	r.MaxClientLag, r.MaxWrite = 2*time.Millisecond, 148*time.Millisecond
	s = Summarize(1, []harness.LevelResult{{Sessions: []harness.SessionResult{r}}})
	assert.False(t, s.Saturated)
	assert.Equal(t, 148*time.Millisecond, s.MaxWrite)
	r.SendLags, r.MaxClientLag, r.MaxWrite = []time.Duration{time.Millisecond, 3 * time.Millisecond}, 3*time.Millisecond, 0
	s = Summarize(1, []harness.LevelResult{{Sessions: []harness.SessionResult{r}}})
	assert.False(t, s.Saturated)
}

func TestSummarizeCountsLeakedSessions(t *testing.T) {
	refs := []string{
		"The lighthouse keeper counted seventeen ships before the storm reached the northern harbour.",
		"Margaret planted tomatoes beside the old stone wall in her grandmother's garden last spring.",
		"Our train to Vienna leaves at half past nine from the central station on platform four.",
	}
	sessions := []harness.SessionResult{
		sessionResult(0, refs[0], []string{refs[0]}, time.Second, harness.OK),
		// Session 1 got session 2's words as well as its own.
		sessionResult(1, refs[1], []string{refs[1], "Our train to Vienna leaves at half past nine"}, time.Second, harness.OK),
		sessionResult(2, refs[2], []string{refs[2]}, time.Second, harness.OK),
	}
	s := Summarize(3, []harness.LevelResult{{Sessions: sessions}})
	assert.Equal(t, 1, s.Leaks)
	require.Len(t, s.LeakExamples, 1)
	assert.Contains(t, s.LeakExamples[0], "session 1 received text of session 2")
	assert.Contains(t, s.LeakExamples[0], "Vienna")

	clean := Summarize(3, []harness.LevelResult{{Sessions: []harness.SessionResult{sessions[0], sessions[2]}}})
	assert.Zero(t, clean.Leaks)
}

func TestSummarizeTimesOnlyCompleteSessionsAndGroupsReasons(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var sessions []harness.SessionResult
	for i := range 6 {
		r := sessionResult(i, "one two three four.", []string{"one two three four"}, time.Duration(i+1)*100*time.Millisecond, harness.OK)
		r.Start = start
		sessions = append(sessions, r)
	}
	// Two sessions whose last utterance never got its result: their last
	// text is early, so their latency would flatter the service.
	for _, i := range []int{4, 5} {
		sessions[i].Queued = 2
		sessions[i].Outcome = harness.Incomplete
		sessions[i].Reason = "incomplete: fewer results than queued utterances (result timeout 30s after the last frame, results owed)"
		sessions[i].Ended = start.Add(time.Duration(30+i) * time.Second)
	}
	// Two service errors with the same text, the later one first.
	for j, i := range []int{3, 2} {
		sessions[i].Outcome = harness.Errored
		sessions[i].ServiceErrors = []string{"CUDA out of memory"}
		sessions[i].Reason = `service error "CUDA out of memory"`
		sessions[i].Messages = []harness.Message{{At: start.Add(time.Duration(4-j) * time.Second), Error: "CUDA out of memory"}}
		sessions[i].Ended = start.Add(9 * time.Second)
	}
	s := Summarize(6, []harness.LevelResult{{Start: start, Sessions: sessions}})
	assert.Equal(t, 2, s.LatencyN, "only the two ok sessions are timed")
	assert.InDelta(t, 0.15, s.EOSP50, 1e-9)
	assert.Equal(t, 2, s.Incomplete)
	assert.Equal(t, 2, s.Failures)
	assert.Equal(t, 2, s.ServiceErrors)
	require.Len(t, s.Reasons, 2)
	// Equal counts: the earlier group first.
	assert.Equal(t, ReasonCount{Outcome: harness.Errored, Reason: `service error "CUDA out of memory"`, Count: 2, FirstAt: 3 * time.Second}, s.Reasons[0])
	assert.Equal(t, harness.Incomplete, s.Reasons[1].Outcome)
	assert.Equal(t, 2, s.Reasons[1].Count)
	assert.Equal(t, 34*time.Second, s.Reasons[1].FirstAt)
}

func TestProbeWER(t *testing.T) {
	tests := []struct {
		name string
		r    harness.SessionResult
		want string
	}{
		{"exact after normalization", sessionResult(0, "Hello, world.", []string{"hello world"}, time.Second, harness.OK),
			"0.00 % (0 substitutions, 0 deletions, 0 insertions over 2 words)"},
		{"one of four wrong", sessionResult(0, "one two three four.", []string{"one too three four"}, time.Second, harness.OK),
			"25.00 % (1 substitutions, 0 deletions, 0 insertions over 4 words)"},
		{"failed counts all deletions", sessionResult(0, "one two three.", []string{"one two three"}, time.Second, harness.Failed),
			"100.00 % (0 substitutions, 3 deletions, 0 insertions over 3 words)"},
		{"no reference words", sessionResult(0, "", []string{"uh"}, time.Second, harness.OK), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, probeWER(tt.r))
		})
	}
}
