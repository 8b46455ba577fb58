package harness

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
	"github.com/sttbench/sttbench/ttspool"
)

// WERLine says how accurate a session's transcript is, as the text of the
// probe report's "WER:" line (for example "4.00 % (1 substitutions, 0
// deletions, 0 insertions over 25 words)"), or "" to leave the line out.
// harness measures and does not score: the caller scores.
type WERLine func(SessionResult) string

// Probe runs a single session with clip and writes a verbose account of it
// to w: every send milestone and every message with its time offset, the
// transcript, the WER line score gives (none when score is nil), the EOS
// latency and a plain verdict. The error is for an invalid configuration only.
func Probe(ctx context.Context, cfg SessionConfig, clip ttspool.Clip, score WERLine, w io.Writer) (SessionResult, error) {
	fmt.Fprintf(w, "probe: streaming %.2f s of audio (speech ends at %.2f s) to %s in real time\n",
		clip.Duration().Seconds(), clip.SpeechEnd.Seconds(), cfg.URL)
	lr, err := RunLevel(ctx, LevelConfig{Session: cfg}, []ttspool.Clip{clip})
	if err != nil {
		return SessionResult{}, err
	}
	res := lr.Sessions[0]
	WriteProbeReport(w, res, score)
	return res, nil
}

type timelineEntry struct {
	at   time.Time
	what string
}

// WriteProbeReport writes the timeline, transcript, figures and verdict of
// one session, with the WER line score gives (none when score is nil).
// Offsets are from the stream origin.
func WriteProbeReport(w io.Writer, res SessionResult, score WERLine) {
	origin := res.Start
	if origin.IsZero() {
		origin = res.DialStart
	}
	var tl []timelineEntry
	add := func(at time.Time, format string, args ...any) {
		if !at.IsZero() {
			tl = append(tl, timelineEntry{at, fmt.Sprintf(format, args...)})
		}
	}
	if !res.Dialed.IsZero() {
		add(res.Dialed, "connected (handshake took %d ms)", res.Dialed.Sub(res.DialStart).Milliseconds())
	}
	if len(res.SendLags) > 0 {
		add(frameDue(res.Start, 0, res.FrameOrDefault()).Add(res.SendLags[0]), "first frame sent")
	}
	add(res.LastSpeechFrameSent, "last frame with speech sent")
	add(res.EOS, "end of speech (EOS): the speaker stopped")
	add(res.SilenceEnd, "last frame sent (end of %d frames, trailing silence included)", res.FramesSent)
	for _, m := range res.Messages {
		add(m.At, "received %s", abbrev.String(m.Raw, 160))
	}
	slices.SortStableFunc(tl, func(a, b timelineEntry) int { return a.at.Compare(b.at) })
	for _, e := range tl {
		fmt.Fprintf(w, "  %+8.3fs  %s\n", e.at.Sub(origin).Seconds(), e.what)
	}

	fmt.Fprintf(w, "reference:   %s\n", res.Reference)
	fmt.Fprintf(w, "transcript:  %s\n", res.Transcript())
	if score != nil {
		if line := score(res); line != "" {
			fmt.Fprintf(w, "WER:         %s\n", line)
		}
	}
	if res.HasLatency() {
		fmt.Fprintf(w, "EOS latency: %.3f s (final result at %+.3f s)\n", res.EOSLatency().Seconds(), res.FinalResult.Sub(origin).Seconds())
	}
	fmt.Fprintf(w, "messages:    %d queued, %d results\n", res.Queued, res.Results)
	if res.FramesSent > 0 {
		fmt.Fprintf(w, "send lag:    max %.1f ms, p99 %.1f ms\n", ms(res.MaxLag), ms(res.P99Lag))
	}
	fmt.Fprintf(w, "outcome:     %s", res.Outcome)
	if res.StopReason != "" {
		fmt.Fprintf(w, " (stopped: %s)", res.StopReason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "verdict:     %s\n", Verdict(res))
}

// Verdict says in plain words what a session's outcome usually means.
func Verdict(res SessionResult) string {
	switch {
	case res.Outcome == Errored:
		return "error: " + res.Err
	case res.Queued == 0 && res.Results == 0:
		return "no results: the service accepted the audio but never answered. Usually its VAD heard no speech " +
			"(audio not 16 kHz mono int16 little-endian? too quiet?) or it needs more trailing silence to cut the utterance."
	case res.Results == 0:
		return fmt.Sprintf("queued %d utterance(s) but sent no result before the timeout: the model worker is stuck, "+
			"overloaded or crashed; check the service's log.", res.Queued)
	case res.Outcome == Failed:
		return "results arrived but every text was empty: the model heard the audio as non-speech (wrong sample rate or a corrupted stream?)."
	case res.Outcome == Incomplete && res.Results < res.Queued:
		return fmt.Sprintf("incomplete: %d utterance(s) queued, only %d result(s) arrived; the service dropped results.", res.Queued, res.Results)
	case res.Outcome == Incomplete:
		return "incomplete: nothing came after the last speech frame was sent, so the end of the speech was never answered: " +
			"the service stalled or dropped its last utterance, or its VAD needs more trailing silence to cut it."
	case res.HasLatency() && res.EOSLatency() < 0:
		return "ok, but the final result arrived before the speaker stopped: the service cut the utterance early, or the clip's end-of-speech point is off."
	default:
		return fmt.Sprintf("ok: the final transcript arrived %.0f ms after the speaker stopped.", ms(res.EOSLatency()))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
