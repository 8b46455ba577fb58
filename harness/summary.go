package harness

import (
	"fmt"
	"time"

	"github.com/sttbench/sttbench/internal/stats"
)

// LevelSummary is the figures of one concurrency level over all its rounds.
type LevelSummary struct {
	Concurrency int
	// Rounds is the number of LevelResults summarised; Sessions counts all
	// their sessions.
	Rounds, Sessions int

	// LatencyN counts sessions with a transcript; EOS statistics are over
	// them, in seconds. NegativeLatencies counts results that arrived before
	// the speaker stopped (kept in the statistics, never clamped).
	LatencyN                int
	EOSP50, EOSP95, EOSMean float64
	NegativeLatencies       int
	// AudioDuration is the mean clip length in seconds.
	AudioDuration float64

	// Words totals the alignment counts; WER is the corpus rate in percent:
	// (S + D + I) / reference words. Failed and errored sessions count as
	// all deletions, so a broken service cannot look accurate.
	Words WordCounts
	WER   float64
	// OutOfOrder counts sessions whose segments scored better reordered.
	OutOfOrder int
	// Leaks counts sessions that received text of another session's
	// reference; LeakExamples describes the first few.
	Leaks        int
	LeakExamples []string

	// Failures counts failed plus errored sessions; Incomplete those with
	// fewer results than queued. Errors lists "session N: message" for each
	// errored session, in order.
	Failures, Incomplete int
	Errors               []string

	// MaxLag and P99Lag are over every frame sent at this level; Saturated is
	// set when the client itself fell more than one frame behind, so its
	// figures say more about this machine than about the service.
	MaxLag, P99Lag time.Duration
	Saturated      bool
}

// Summarize computes a level's figures from one or more rounds.
func Summarize(concurrency int, rounds []LevelResult) LevelSummary {
	s := LevelSummary{Concurrency: concurrency, Rounds: len(rounds)}
	var latencies, durations, lags []float64
	for _, round := range rounds {
		s.addLeaks(round)
		for _, r := range round.Sessions {
			s.Sessions++
			durations = append(durations, r.AudioDuration.Seconds())
			for _, l := range r.SendLags {
				lags = append(lags, float64(l))
			}
			switch r.Outcome {
			case Failed, Errored:
				s.Failures++
				if r.Outcome == Errored {
					s.Errors = append(s.Errors, fmt.Sprintf("session %d: %s", r.Index, r.Err))
				}
			case Incomplete:
				s.Incomplete++
			}
			counts, reordered := ScoreSession(r)
			s.Words.Add(counts)
			if reordered {
				s.OutOfOrder++
			}
			// Latency only where the service delivered: an errored session's
			// last text is not a final transcript.
			if r.HasLatency() && (r.Outcome == OK || r.Outcome == Incomplete) {
				lat := r.EOSLatency().Seconds()
				latencies = append(latencies, lat)
				if lat < 0 {
					s.NegativeLatencies++
				}
			}
		}
	}
	s.LatencyN = len(latencies)
	s.EOSP50 = stats.Percentile(latencies, 50)
	s.EOSP95 = stats.Percentile(latencies, 95)
	s.EOSMean = stats.Mean(latencies)
	s.AudioDuration = stats.Mean(durations)
	if ref := s.Words.RefWords(); ref > 0 {
		s.WER = 100 * float64(s.Words.Errors()) / float64(ref)
	}
	if len(lags) > 0 {
		s.MaxLag = time.Duration(stats.Max(lags))
		s.P99Lag = time.Duration(stats.Percentile(lags, 99))
	}
	s.Saturated = s.MaxLag > FrameDuration
	return s
}

// ScoreSession aligns a session's transcript with its reference. A failed or
// errored session counts as all deletions, whatever text it received.
func ScoreSession(r SessionResult) (counts WordCounts, reordered bool) {
	if r.Outcome == Failed || r.Outcome == Errored {
		return WordCounts{Deletions: len(NormalizeText(r.Reference))}, false
	}
	return ScoreSegments(SplitSentences(r.Reference), r.Segments)
}

// addLeaks counts the sessions of one round that received text matching
// another session's reference clearly better than their own.
func (s *LevelSummary) addLeaks(round LevelResult) {
	const examples = 3
	refs := make([]string, len(round.Sessions))
	segments := make([][]string, len(round.Sessions))
	for i, r := range round.Sessions {
		refs[i], segments[i] = r.Reference, r.Segments
	}
	leaked := map[int]bool{}
	for _, l := range FindLeaks(refs, segments) {
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
