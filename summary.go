package sttbench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/stats"
	"github.com/sttbench/sttbench/wer"
)

// LevelSummary is the figures of one concurrency level over all its rounds.
type LevelSummary struct {
	Concurrency int
	// Rounds is the number of LevelResults summarised; Sessions counts all
	// their sessions.
	Rounds, Sessions int

	// LatencyN counts the ok sessions (every queued utterance answered);
	// EOS statistics are over them alone, in seconds: an incomplete
	// session's last text is not its final transcript. NegativeLatencies
	// counts results that arrived before the speaker stopped (kept in the
	// statistics, never clamped).
	LatencyN                int
	EOSP50, EOSP95, EOSMean float64
	NegativeLatencies       int
	// AudioDuration is the mean clip length in seconds.
	AudioDuration float64

	// Words totals the alignment counts; WER is the corpus rate in percent:
	// (S + D + I) / reference words. Failed and errored sessions count as
	// all deletions, so a broken service cannot look accurate.
	Words wer.Counts
	WER   float64
	// WordsRaw and WERRaw score the same sessions with wer.RawWords only
	// (lowercase, punctuation stripped), the way earlier tools scored: the
	// gap to WER is what normalization changed.
	WordsRaw wer.Counts
	WERRaw   float64
	// OutOfOrder counts sessions whose segments scored better reordered.
	OutOfOrder int
	// Leaks counts sessions that received text of another session's
	// reference; LeakExamples describes the first few.
	Leaks        int
	LeakExamples []string

	// Failures counts failed plus errored sessions; Incomplete those with
	// fewer results than queued. ServiceErrors counts the error messages the
	// service sent. Reasons groups every session that is not ok by its
	// reason, most frequent first.
	Failures, Incomplete, ServiceErrors int
	Reasons                             []ReasonCount

	// MaxLag and P99Lag are over every frame sent at this level; MaxWrite is
	// the longest a frame write blocked (the service's back-pressure).
	// Saturated is set when the client itself fell more than one frame
	// behind, so its figures say more about this machine than about the
	// service.
	// MaxClientLag is the most this client itself fell behind.
	MaxLag, P99Lag, MaxWrite, MaxClientLag time.Duration
	Saturated                              bool
	// Frame is the audio time of the level's frames (the longest, should
	// sessions differ): the unit of "one frame late".
	Frame time.Duration

	// HostStealPct and ProcessCPUPct are the load host's steal and this
	// process's CPU (harness.HostLoad), averaged over the rounds that
	// measured them; nil where none did.
	HostStealPct, ProcessCPUPct *float64
}

// ReasonCount is one cause of sessions that are not ok, at one level.
type ReasonCount struct {
	// Outcome and Reason are shared by the Count sessions.
	Outcome harness.Outcome
	Reason  string
	Count   int
	// FirstAt is the earliest of their ends (for a service error: of the
	// error message), counted from their round's stream origin.
	FirstAt time.Duration
	// Example is the full error of the first of them, when it says more
	// than Reason: "session 4: frame 23 of 70 blocked for 5s".
	Example string
}

// Summarize computes a level's figures from one or more rounds.
func Summarize(concurrency int, rounds []harness.LevelResult) LevelSummary {
	s := LevelSummary{Concurrency: concurrency, Rounds: len(rounds)}
	var latencies, durations, lags []float64
	reasons := map[string]*ReasonCount{}
	var steal, cpu []float64
	for _, round := range rounds {
		s.addLeaks(round)
		if v := round.Host.StealPct; v != nil {
			steal = append(steal, *v)
		}
		if v := round.Host.ProcessCPUPct; v != nil {
			cpu = append(cpu, *v)
		}
		for _, r := range round.Sessions {
			s.Sessions++
			durations = append(durations, r.AudioDuration.Seconds())
			for _, l := range r.SendLags {
				lags = append(lags, float64(l))
			}
			s.MaxClientLag = max(s.MaxClientLag, r.MaxClientLag)
			s.Frame = max(s.Frame, r.FrameOrDefault())
			s.MaxWrite = max(s.MaxWrite, r.MaxWrite)
			s.ServiceErrors += len(r.ServiceErrors)
			switch r.Outcome {
			case harness.Failed, harness.Errored:
				s.Failures++
			case harness.Incomplete:
				s.Incomplete++
			}
			if r.Outcome != harness.OK {
				countReason(reasons, round, r)
			}
			counts, reordered := ScoreSession(r)
			s.Words.Add(counts)
			s.WordsRaw.Add(ScoreSessionRaw(r))
			if reordered {
				s.OutOfOrder++
			}
			// Latency only where the service delivered every result: the
			// last text of any other session is not its final transcript.
			if Timed(r) {
				lat := r.EOSLatency().Seconds()
				latencies = append(latencies, lat)
				if lat < 0 {
					s.NegativeLatencies++
				}
			}
		}
	}
	s.HostStealPct, s.ProcessCPUPct = meanOf(steal), meanOf(cpu)
	s.LatencyN = len(latencies)
	s.EOSP50 = stats.Percentile(latencies, 50)
	s.EOSP95 = stats.Percentile(latencies, 95)
	s.EOSMean = stats.Mean(latencies)
	s.AudioDuration = stats.Mean(durations)
	if ref := s.Words.RefWords(); ref > 0 {
		s.WER = 100 * float64(s.Words.Errors()) / float64(ref)
	}
	if ref := s.WordsRaw.RefWords(); ref > 0 {
		s.WERRaw = 100 * float64(s.WordsRaw.Errors()) / float64(ref)
	}
	if len(lags) > 0 {
		s.MaxLag = time.Duration(stats.Max(lags))
		s.P99Lag = time.Duration(stats.Percentile(lags, 99))
	}
	if s.Frame == 0 {
		s.Frame = harness.DefaultFrame
	}
	s.Saturated = s.MaxClientLag > s.Frame
	for _, rc := range reasons {
		s.Reasons = append(s.Reasons, *rc)
	}
	slices.SortFunc(s.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.FirstAt, b.FirstAt), cmp.Compare(a.Reason, b.Reason))
	})
	return s
}

// Timed reports whether a session's EOS latency is one its level's figures
// are over: a session that ended ok (every queued utterance answered) and
// has a latency. Summarize and TimedLatencies select by it.
func Timed(r harness.SessionResult) bool {
	return r.HasLatency() && r.Outcome == harness.OK
}

// TimedLatencies returns, in seconds, the EOS latencies a level's EOS
// figures are over (Timed sessions), round by round in session order: the
// distribution behind EOS p50, p95 and mean.
func TimedLatencies(rounds []harness.LevelResult) []float64 {
	var out []float64
	for _, round := range rounds {
		for _, r := range round.Sessions {
			if Timed(r) {
				out = append(out, r.EOSLatency().Seconds())
			}
		}
	}
	return out
}

// countReason adds a session that is not ok to its reason's group.
func countReason(reasons map[string]*ReasonCount, round harness.LevelResult, r harness.SessionResult) {
	reason := r.Reason
	if reason == "" {
		reason = "(no reason recorded)"
	}
	key := string(r.Outcome) + "\x00" + reason
	at := r.Ended
	for _, m := range r.Messages {
		if m.Error != "" {
			at = m.At
			break
		}
	}
	// A failed dial ends before the origin: it counts as at the start.
	first := max(at.Sub(round.Start), 0)
	if at.IsZero() || round.Start.IsZero() {
		first = 0
	}
	rc, ok := reasons[key]
	if !ok {
		rc = &ReasonCount{Outcome: r.Outcome, Reason: reason, FirstAt: first}
		if r.Err != "" && r.Err != reason {
			rc.Example = fmt.Sprintf("session %d: %s", r.Index, r.Err)
		}
		reasons[key] = rc
	}
	rc.Count++
	rc.FirstAt = min(rc.FirstAt, first)
}

// ScoreSession aligns a session's transcript with its reference. A failed or
// errored session counts as all deletions, whatever text it received.
func ScoreSession(r harness.SessionResult) (counts wer.Counts, reordered bool) {
	if r.Outcome == harness.Failed || r.Outcome == harness.Errored {
		return wer.Counts{Deletions: len(wer.Words(r.Reference))}, false
	}
	return wer.ScoreSegments(wer.SplitSentences(r.Reference), r.Segments)
}

// ScoreSessionRaw aligns the session's whole transcript with its whole
// reference as raw words (wer.RawWords): no normalization, no sentence
// assignment. A failed or errored session deletes every reference word.
func ScoreSessionRaw(r harness.SessionResult) wer.Counts {
	ref := wer.RawWords(r.Reference)
	if r.Outcome == harness.Failed || r.Outcome == harness.Errored {
		return wer.Counts{Deletions: len(ref)}
	}
	return wer.Align(ref, wer.RawWords(strings.Join(r.Segments, " ")))
}

// probeWER is the probe report's WER line for one session (a
// harness.WERLine): the session's word error rate with its counts, or "" for
// a session without reference words.
func probeWER(r harness.SessionResult) string {
	counts, _ := ScoreSession(r)
	ref := counts.RefWords()
	if ref == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f %% (%d substitutions, %d deletions, %d insertions over %d words)",
		100*float64(counts.Errors())/float64(ref), counts.Substitutions, counts.Deletions, counts.Insertions, ref)
}

// addLeaks counts the sessions of one round that received text matching
// another session's reference clearly better than their own.
func (s *LevelSummary) addLeaks(round harness.LevelResult) {
	const examples = 3
	refs := make([]string, len(round.Sessions))
	segments := make([][]string, len(round.Sessions))
	for i, r := range round.Sessions {
		refs[i], segments[i] = r.Reference, r.Segments
	}
	leaked := map[int]bool{}
	for _, l := range wer.FindLeaks(refs, segments) {
		if !leaked[l.Session] {
			leaked[l.Session] = true
			s.Leaks++
		}
		if len(s.LeakExamples) < examples {
			s.LeakExamples = append(s.LeakExamples,
				fmt.Sprintf("session %d received text of session %d: %q", l.Session, l.From, l.Text))
		}
	}
}

// meanOf is the mean of xs, or nil when there are none.
func meanOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := stats.Mean(xs)
	return &m
}
