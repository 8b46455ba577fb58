package sttbench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/sttbench/sttbench/harness"
)

// sessionRecord is one line of the -sessions-out JSONL file: what one
// session streamed, what came back, when, and how it scored.
type sessionRecord struct {
	Level int `json:"level"`
	Round int `json:"round"`
	harness.SessionResult
	Transcript   string   `json:"transcript"`
	EOSLatencyS  *float64 `json:"eos_latency_s"`
	WERPct       *float64 `json:"wer_pct"`
	RefWords     int      `json:"ref_words"`
	Hits         int      `json:"hits"`
	Subs         int      `json:"substitutions"`
	Dels         int      `json:"deletions"`
	Ins          int      `json:"insertions"`
	OutOfOrder   bool     `json:"out_of_order"`
	AudioSeconds float64  `json:"audio_duration_s"`
}

// writeSessions writes every session of every level as JSON lines,
// replacing path only once complete.
func (s *suite) writeSessions(path string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := writeFileAtomic(path, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		enc := json.NewEncoder(w)
		for _, n := range s.levels {
			for ri, r := range s.byLevel[n] {
				for _, sr := range r.level.Sessions {
					if err := enc.Encode(newSessionRecord(n, ri, sr)); err != nil {
						return err
					}
				}
			}
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("write sessions %s: %w", path, err)
	}
	return nil
}

func newSessionRecord(level, round int, r harness.SessionResult) sessionRecord {
	c, reordered := ScoreSession(r)
	rec := sessionRecord{
		Level: level, Round: round, SessionResult: r, Transcript: r.Transcript(),
		RefWords: c.RefWords(), Hits: c.Hits, Subs: c.Substitutions, Dels: c.Deletions, Ins: c.Insertions,
		OutOfOrder: reordered, AudioSeconds: r.AudioDuration.Seconds(),
	}
	if r.HasLatency() {
		v := r.EOSLatency().Seconds()
		rec.EOSLatencyS = &v
	}
	if ref := c.RefWords(); ref > 0 {
		v := 100 * float64(c.Errors()) / float64(ref)
		rec.WERPct = &v
	}
	return rec
}
