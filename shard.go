package sttbench

// Shards: one run split over several load hosts (or pods), each streaming
// every N-th session of each level, started together by -start-at and kept
// together by a fixed schedule of round slots, without any communication
// between them. Their records merge with `sttbench report`.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/ttspool"
)

// Constants of the derived round slot (see slotFor).
const (
	// startGrace is how late a shard may find a scheduled start and still
	// run the round: process start-up and clock reads, not a round's overrun.
	startGrace = time.Second
	// slotDialBudget is the time a round's dial phase may take: one
	// WebSocket handshake timeout (harness.SessionConfig.DialTimeout).
	slotDialBudget = 10 * time.Second
	// slotTrailing is the trailing silence after each clip plus the close
	// handshake after a session ends (harness defaults, 1 s each), plus a
	// second of margin.
	slotTrailing = 3 * time.Second
	// A clip is assumed to last at most clipBoundBase + clipBoundPerChar
	// per character of its text: half the speed of ordinary speech (about
	// 14 characters a second; the reference voice speaks 12.5). Each shard
	// checks its own clips against it before streaming.
	clipBoundBase    = 2 * time.Second
	clipBoundPerChar = 150 * time.Millisecond
)

// RecordShard is the shard part of a record's header: which shard of how
// many, and the schedule that aligned them.
type RecordShard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	// StartAt is the -start-at time; nil when the shards were not aligned.
	StartAt *time.Time `json:"start_at,omitempty"`
	// Slot is the -slot value as given ("" when derived per level);
	// Slots is the slot each level ran under, in nanoseconds by level.
	Slot  string                `json:"slot,omitempty"`
	Slots map[int]time.Duration `json:"slots_ns,omitempty"`
}

// String is "I/N".
func (s *RecordShard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// parseShardConfig reads -shard, -start-at and -slot into c; bad reports
// an invalid value.
func parseShardConfig(c *Config, value func(string) string, bad func(name, msg string)) {
	if s := strings.TrimSpace(value("shard")); s != "" {
		i, n, err := parseShard(s)
		if err != nil {
			bad("shard", err.Error())
		}
		c.ShardIndex, c.ShardCount = i, n
	}
	if s := strings.TrimSpace(value("start-at")); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			bad("start-at", "not an RFC 3339 time; write e.g. 2026-01-02T15:04:05Z (date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)")
		}
		c.StartAt = t
	}
	if s := strings.TrimSpace(value("slot")); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			bad("slot", "not a duration; write e.g. 90s")
		case d <= 0:
			bad("slot", "must be positive")
		case c.StartAt.IsZero():
			bad("slot", "has no effect without -start-at: the slot is the schedule of rounds after the start time")
		}
		c.Slot = d
	}
	if c.Probe && c.Load.open() {
		bad("probe", "runs one session on its own; drop -load "+c.Load.Model+" (or -probe)")
	}
	if c.ShardCount > 0 && c.Probe {
		bad("shard", "-probe runs one session on its own; drop -shard (or -probe)")
	}
	if c.ShardCount > 0 && c.Load.open() {
		bad("shard", "shards split the levels of -load ramp; for -load "+c.Load.Model+" run each load host unsharded with its share of the load (its own -concurrency, or -rate and -arrival-seed), all with one -start-at")
	}
	if c.Slot > 0 && c.Load.open() {
		bad("slot", "spaces the rounds of -load ramp levels; -load "+c.Load.Model+" runs once, for -duration, from -start-at (drop -slot)")
	}
}

// parseShard reads "I/N".
func parseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("write I/N, shard I (0-based) of N, e.g. 0/4")
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("write I/N with two integers, e.g. 0/4")
	case n < 1:
		return 0, 0, fmt.Errorf("the shard count N must be at least 1")
	case i < 0 || i >= n:
		return 0, 0, fmt.Errorf("the shard index must be 0 <= I < N (0 to %d for N = %d)", n-1, n)
	}
	return i, n, nil
}

// schedule is a run's shard state: whether its clips are one shard's, and
// the rounds' start times under -start-at.
type schedule struct {
	sharded bool
	// slots is the slot of each level (-start-at only).
	slots map[int]time.Duration
	// rounds counts the rounds started; last and lastLevel are the
	// scheduled start and level of the latest.
	rounds    int
	last      time.Time
	lastLevel int
}

// shardOf is the session indices of an n-session level that this run
// streams: all of them, or i % N == I of shard I/N.
func (c Config) shardOf(n int) []int {
	var idx []int
	for i := range n {
		if c.ShardCount == 0 || i%c.ShardCount == c.ShardIndex {
			idx = append(idx, i)
		}
	}
	return idx
}

// recordShard is the header's shard part, nil when not sharded.
func (r *Run) recordShard() *RecordShard {
	if r.Config.ShardCount == 0 {
		return nil
	}
	s := &RecordShard{Index: r.Config.ShardIndex, Count: r.Config.ShardCount}
	if !r.Config.StartAt.IsZero() {
		t := r.Config.StartAt
		s.StartAt = &t
		s.Slot = r.Config.Flags["slot"]
		s.Slots = r.sched.slots
	}
	return s
}

// planShard runs before the record is begun and anything is streamed: it
// marks the clips as one shard's, derives each level's slot and checks that
// -start-at is still ahead.
func (r *Run) planShard() error {
	r.sched.sharded = r.Config.ShardCount > 0
	if r.Config.StartAt.IsZero() {
		return nil
	}
	all, err := r.referenceTexts(maxLevel(r.Config.Levels))
	if err != nil {
		return err
	}
	r.sched.slots = map[int]time.Duration{}
	for _, n := range r.Config.Levels {
		r.sched.slots[n] = r.slotFor(all, n)
	}
	return r.startAtAhead("setting up")
}

// startAtAhead checks -start-at has not passed (beyond the grace).
func (r *Run) startAtAhead(doing string) error {
	if late := time.Since(r.Config.StartAt); late > startGrace {
		return fmt.Errorf("invalid -start-at %s (or STTBENCH_START_AT): that time passed %v ago, before %s ended; "+
			"give every shard the same time far enough ahead for the slowest shard to start and prepare its audio",
			r.Config.StartAt.Format(time.RFC3339Nano), late.Round(time.Millisecond), doing)
	}
	return nil
}

// slotFor is the time from one round of an n-session level to the next:
// -slot when given, else a bound of one round every shard computes alike
// from the configuration and the level's texts (all of them, not just this
// shard's): the dial budget, the longest clip any text of the level may
// have (clipBound), the trailing silence and close handshake, the
// -result-timeout (the most a session waits after its last frame), and the
// -level-pause.
func (r *Run) slotFor(all []string, n int) time.Duration {
	if r.Config.Slot > 0 {
		return r.Config.Slot
	}
	texts, _ := ttspool.Texts(all, n)
	longest := time.Duration(0)
	for _, t := range texts {
		longest = max(longest, clipBound(t))
	}
	return r.sessionBound(longest) + r.Config.LevelPause
}

// sessionBound is the longest a session streaming a clip of the given
// length may last: the dial, the clip, the trailing silence and close, and
// the -result-timeout.
func (r *Run) sessionBound(clip time.Duration) time.Duration {
	return slotDialBudget + clip + slotTrailing + r.Config.ResultTimeout
}

// clipBound is the longest clip the derived slot allows for text.
func clipBound(text string) time.Duration {
	return clipBoundBase + time.Duration(len([]rune(text)))*clipBoundPerChar
}

// checkClipsFit checks, once this shard's clips are ready, that they fit
// their slots: under a derived slot every clip within its text's bound;
// under -slot the longest clip of each level, its trailing silence, the
// idle timeout and the level pause within the slot.
func (r *Run) checkClipsFit() error {
	// An open model runs from -start-at for its duration, in no slots.
	if r.Config.StartAt.IsZero() || r.Config.Load.open() {
		return nil
	}
	for _, n := range r.Config.Levels {
		clips := r.levelClips(n)
		for _, c := range clips {
			d := c.Duration()
			if r.Config.Slot == 0 && d > clipBound(c.Text) {
				return fmt.Errorf("a clip lasts %v, longer than the %v the derived round slot allows for its %d characters of text (%q): "+
					"pass -slot (or STTBENCH_SLOT) with the longest a round of conc=%d may take, the same to every shard",
					d.Round(time.Millisecond), clipBound(c.Text), len([]rune(c.Text)), c.Text, n)
			}
			// A session waits at least the idle timeout after its last frame
			// (capped by the result timeout), however fast the service.
			wait := min(r.Config.IdleTimeout, r.Config.ResultTimeout)
			if need := d + slotTrailing + wait + r.Config.LevelPause; r.Config.Slot > 0 && need > r.Config.Slot {
				return fmt.Errorf("invalid -slot %v (or STTBENCH_SLOT): conc=%d streams a clip of %v; with its trailing silence, "+
					"close, the %v a session waits after its last frame (-idle-timeout) and the level pause a round needs more than %v; "+
					"give a longer slot to every shard",
					r.Config.Slot, n, d.Round(time.Millisecond), wait, need.Round(time.Millisecond))
			}
		}
	}
	return nil
}

// waitTurn waits until the next round may start: the level pause after the
// previous round, or under -start-at the round's slot. Slot k starts at the
// previous slot's start plus that round's level's slot, the first at
// -start-at, so every shard runs round k of the run at the same time. A
// slot already passed (the previous round overran it, or setup took too
// long) is an error: the shards would no longer run together.
func (r *Run) waitTurn(ctx context.Context, n int) error {
	if r.Config.StartAt.IsZero() {
		r.pause(ctx)
		return nil
	}
	if _, ok := r.sched.slots[n]; !ok {
		return fmt.Errorf("conc=%d is not among the -concurrency levels %v: under -start-at only those have a slot", n, r.Config.Levels)
	}
	at := r.Config.StartAt
	if r.sched.rounds > 0 {
		at = r.sched.last.Add(r.sched.slots[r.sched.lastLevel])
	}
	if late := time.Since(at); late > startGrace {
		if r.sched.rounds == 0 {
			return r.startAtAhead("preparing the audio")
		}
		return fmt.Errorf("conc=%d: round %d of the run was due at %s but the round before (conc=%d) ended %v later: "+
			"it took longer than its slot of %v, so the shards no longer run together; "+
			"pass a longer -slot (or STTBENCH_SLOT) to every shard",
			n, r.sched.rounds+1, at.Format(time.RFC3339Nano), r.sched.lastLevel, late.Round(time.Millisecond), r.sched.slots[r.sched.lastLevel])
	}
	r.sched.rounds++
	r.sched.last, r.sched.lastLevel = at, n
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	return nil
}

// shardTexts keeps the texts of this shard's sessions from texts, the
// texts of sessions 0..len-1.
func (r *Run) shardTexts(texts []string) []string {
	if !r.sched.sharded {
		return texts
	}
	var mine []string
	for _, i := range r.Config.shardOf(len(texts)) {
		mine = append(mine, texts[i])
	}
	return mine
}

// levelClips is the clips of this run's sessions of an n-session level, in
// order: r.clips holds those of the largest level, so a smaller level's
// are a prefix.
func (r *Run) levelClips(n int) []ttspool.Clip {
	if !r.sched.sharded {
		clips := make([]ttspool.Clip, n)
		for i := range clips {
			clips[i] = r.clips[i%len(r.clips)]
		}
		return clips
	}
	idx := r.Config.shardOf(n)
	clips := make([]ttspool.Clip, len(idx))
	copy(clips, r.clips)
	return clips
}

// runShardLevel runs one round of this run's sessions of an n-session
// level, numbering them by their index in the whole level. A shard with no
// session at the level records an empty round.
func (r *Run) runShardLevel(ctx context.Context, cfg harness.LevelConfig, n int) (harness.LevelResult, error) {
	if r.sched.sharded && len(r.Config.shardOf(n)) > len(r.clips) {
		return harness.LevelResult{}, fmt.Errorf("conc=%d is larger than the largest -concurrency level %d: a shard has clips only for those", n, maxLevel(r.Config.Levels))
	}
	clips := r.levelClips(n)
	if len(clips) == 0 {
		now := time.Now()
		return harness.LevelResult{Sessions: []harness.SessionResult{}, Start: now, End: now}, nil
	}
	if r.sched.sharded {
		// Each session keeps its index, and its phase, in the whole level.
		cfg.Positions, cfg.Of = r.Config.shardOf(n), n
	}
	return harness.RunLevel(ctx, cfg, clips)
}

// checkShards checks that records are shards of one run, or none is a
// shard: the same shard count, start time, slot and run-defining flags,
// each shard once.
func checkShards(recs []*Record) error {
	first := recs[0].Header
	seen := map[int]int{}
	for i, r := range recs {
		h := r.Header
		switch {
		case (h.Shard == nil) != (first.Shard == nil):
			return fmt.Errorf("merge records: record %d is %s, record 1 is %s: a shard merges only with the other shards of its run",
				i+1, shardName(h.Shard), shardName(first.Shard))
		case h.Shard == nil:
			continue
		case h.Shard.Count != first.Shard.Count:
			return fmt.Errorf("merge records: record %d is shard %s, record 1 is shard %s: shards of different runs (a different shard count)",
				i+1, h.Shard, first.Shard)
		case !sameTime(h.Shard.StartAt, first.Shard.StartAt):
			return fmt.Errorf("merge records: record %d (shard %s) started at %s, record 1 (shard %s) at %s: shards of different runs (-start-at differs)",
				i+1, h.Shard, startName(h.Shard.StartAt), first.Shard, startName(first.Shard.StartAt))
		}
		if j, dup := seen[h.Shard.Index]; dup {
			return fmt.Errorf("merge records: records %d and %d are both shard %s: give each shard's record once", j, i+1, h.Shard)
		}
		seen[h.Shard.Index] = i + 1
		if h.AudioSource != first.AudioSource {
			return fmt.Errorf("merge records: record %d (shard %s) streamed %q, record 1 (shard %s) %q: shards of different runs",
				i+1, h.Shard, h.AudioSource, first.Shard, first.AudioSource)
		}
		for _, f := range []string{"slot", "stt-url", "texts", "result-timeout", "idle-timeout", "write-timeout", "level-pause", "voice", "seed"} {
			if a, b := h.Flags[f], first.Flags[f]; a != b {
				return fmt.Errorf("merge records: record %d (shard %s) ran with -%s %q, record 1 (shard %s) with %q: shards of different runs",
					i+1, h.Shard, f, a, first.Shard, b)
			}
		}
	}
	return nil
}

// MissingShards lists the shard indices of the run that recs do not hold
// (none when they are not shards).
func MissingShards(recs []*Record) []int {
	if len(recs) == 0 || recs[0].Header.Shard == nil {
		return nil
	}
	have := map[int]bool{}
	for _, r := range recs {
		if r.Header.Shard != nil {
			have[r.Header.Shard.Index] = true
		}
	}
	var missing []int
	for i := range recs[0].Header.Shard.Count {
		if !have[i] {
			missing = append(missing, i)
		}
	}
	return missing
}

// sortShardSessions puts the sessions of merged shard rounds in the order
// of their global index, so that session numbers and positions agree, and
// reports a session recorded twice.
func sortShardSessions(out *Record) error {
	for _, n := range out.Levels {
		for j := range out.ByLevel[n] {
			s := out.ByLevel[n][j].Level.Sessions
			slices.SortStableFunc(s, func(a, b harness.SessionResult) int { return a.Index - b.Index })
			for k := 1; k < len(s); k++ {
				if s[k].Index == s[k-1].Index {
					return fmt.Errorf("merge records: conc=%d round %d holds session %d twice: the shards overlap", n, j, s[k].Index)
				}
			}
		}
	}
	return nil
}

func shardName(s *RecordShard) string {
	if s == nil {
		return "not a shard"
	}
	return "shard " + s.String()
}

func startName(t *time.Time) string {
	if t == nil {
		return "(no -start-at)"
	}
	return t.Format(time.RFC3339Nano)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
