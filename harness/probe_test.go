package harness

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	unanswered := session(0, "a b.", []string{"a"}, -time.Second, Incomplete)
	unanswered.Queued = 1
	assert.Contains(t, Verdict(unanswered), "the end of the speech was never answered")
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
	var scored []string
	score := func(res SessionResult) string {
		scored = append(scored, res.Transcript())
		return "1.50 % (scored by the caller)"
	}
	var buf bytes.Buffer
	WriteProbeReport(&buf, r, score)
	out := buf.String()
	assert.Equal(t, []string{"Hello world."}, scored, "the caller's scorer sees the session once")
	for _, want := range []string{
		"-0.005s  connected (handshake took 25 ms)",
		"+0.101s  first frame sent",
		"+2.000s  end of speech (EOS)",
		"+2.100s  last frame with speech sent",
		`+2.320s  received {"text":"Hello world."}`,
		`+2.400s  received {"status":"queued"}`,
		"transcript:  Hello world.\nWER:         1.50 % (scored by the caller)\nEOS latency: 0.320 s",
		"verdict:     ok",
	} {
		assert.Contains(t, out, want)
	}
	assert.Less(t, bytes.Index(buf.Bytes(), []byte("end of speech")), bytes.Index(buf.Bytes(), []byte(`"text"`)), "timeline is in time order")
}

func TestProbeReportWithoutAScoreHasNoWERLine(t *testing.T) {
	r := session(0, "hello world.", []string{"Hello world."}, 320*time.Millisecond, OK)
	for name, score := range map[string]WERLine{
		"nil":          nil,
		"empty answer": func(SessionResult) string { return "" },
	} {
		var buf bytes.Buffer
		WriteProbeReport(&buf, r, score)
		assert.NotContains(t, buf.String(), "WER:", name)
		assert.Contains(t, buf.String(), "transcript:  Hello world.\nEOS latency: 0.320 s", name)
	}
}
