package sttbench

// The SLO answer: how many concurrent streams the service serves within a
// latency budget. -slo names the budget, -search MIN..MAX the range to look
// in; Run.Capacity probes levels through Run.Level, doubling from MIN until
// a level breaches, then bisecting between the last ok level and the first
// breach.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sttbench/sttbench/harness"
)

// SLO metrics, as -slo spells them.
const (
	SLOEOSP50  = "eos_p50"
	SLOEOSP95  = "eos_p95"
	SLOEOSMean = "eos_mean"
	SLOWER     = "wer"
	SLOFail    = "fail"
	SLOLeak    = "leak"
)

// sloMetrics lists the metrics with the form of their bound, for errors.
const sloMetrics = "eos_p50, eos_p95, eos_mean (durations such as 800ms), wer (percent such as 5), " +
	"fail (sessions not ok: a count such as 0, or a percent of the level's sessions such as 1%), leak (a count)"

// SLOTerm is one bound of an SLO: Metric <= Max.
type SLOTerm struct {
	Metric string
	// Max is the bound: seconds for the eos_ metrics, percent for wer, a
	// count for leak, and for fail a count, or a percent when Percent.
	Max     float64
	Percent bool
}

// String writes the term as -slo accepts it.
func (t SLOTerm) String() string {
	switch {
	case strings.HasPrefix(t.Metric, "eos_"):
		return t.Metric + "<=" + time.Duration(math.Round(t.Max*1e9)).String()
	case t.Percent:
		return t.Metric + "<=" + strconv.FormatFloat(t.Max, 'f', -1, 64) + "%"
	default:
		return t.Metric + "<=" + strconv.FormatFloat(t.Max, 'f', -1, 64)
	}
}

// SLO is a latency budget: every term must hold for a level to be ok.
// The zero value has no terms (no SLO given).
type SLO struct {
	Terms []SLOTerm
}

// String lists the terms as -slo accepts them, comma and space separated.
func (s SLO) String() string {
	parts := make([]string, len(s.Terms))
	for i, t := range s.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, ", ")
}

// term returns the term of metric, if the SLO names it.
// EOSP95Bound is the SLO's eos_p95 bound, zero when it has none.
func (s SLO) EOSP95Bound() time.Duration {
	if t, ok := s.term("eos_p95"); ok {
		return time.Duration(math.Round(t.Max * 1e9))
	}
	return 0
}

func (s SLO) term(metric string) (SLOTerm, bool) {
	for _, t := range s.Terms {
		if t.Metric == metric {
			return t, true
		}
	}
	return SLOTerm{}, false
}

// ParseSLO reads a comma-separated list of bounds such as
// "eos_p95<=800ms,wer<=5,fail<=0". Only <= bounds exist; each metric may
// appear once. An empty string is no SLO. Errors name the term and list
// the valid metrics.
func ParseSLO(s string) (SLO, error) {
	var slo SLO
	if strings.TrimSpace(s) == "" {
		return slo, nil
	}
	for _, raw := range strings.Split(s, ",") {
		part := strings.TrimSpace(raw)
		bad := func(msg string) error {
			return fmt.Errorf("term %q: %s; valid metrics: %s", part, msg, sloMetrics)
		}
		if part == "" {
			return SLO{}, bad("empty term; separate terms with single commas, e.g. eos_p95<=800ms,wer<=5")
		}
		name, bound, ok := strings.Cut(part, "<=")
		if !ok {
			return SLO{}, bad("no <= bound (only upper bounds, written METRIC<=VALUE)")
		}
		t := SLOTerm{Metric: strings.TrimSpace(name)}
		bound = strings.TrimSpace(bound)
		if _, dup := slo.term(t.Metric); dup {
			return SLO{}, bad(t.Metric + " is bounded twice")
		}
		var err error
		switch t.Metric {
		case SLOEOSP50, SLOEOSP95, SLOEOSMean:
			var d time.Duration
			if d, err = time.ParseDuration(bound); err != nil || d <= 0 {
				return SLO{}, bad("the bound must be a positive duration such as 800ms or 1.5s")
			}
			t.Max = d.Seconds()
		case SLOWER:
			if t.Max, err = strconv.ParseFloat(strings.TrimSuffix(bound, "%"), 64); err != nil || !(t.Max >= 0) || math.IsInf(t.Max, 0) {
				return SLO{}, bad("the bound must be a percentage >= 0 such as 5")
			}
		case SLOFail:
			num, pct := strings.CutSuffix(bound, "%")
			if t.Max, err = strconv.ParseFloat(num, 64); err != nil || !(t.Max >= 0) || math.IsInf(t.Max, 0) ||
				(!pct && t.Max != math.Trunc(t.Max)) || (pct && t.Max > 100) {
				return SLO{}, bad("the bound must be a whole number of sessions such as 0, or a percent of them such as 1%")
			}
			t.Percent = pct
		case SLOLeak:
			n, err := strconv.Atoi(bound)
			if err != nil || n < 0 {
				return SLO{}, bad("the bound must be a whole number of sessions >= 0 such as 0")
			}
			t.Max = float64(n)
		case "":
			return SLO{}, bad("no metric before <=")
		default:
			return SLO{}, bad("unknown metric " + strconv.Quote(t.Metric))
		}
		slo.Terms = append(slo.Terms, t)
	}
	return slo, nil
}

// parseSearch reads -search MIN..MAX; empty is no search.
func parseSearch(s string) (lo, hi int, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return 0, 0, errors.New("write the range as MIN..MAX, e.g. 1..64")
	}
	if lo, err = strconv.Atoi(strings.TrimSpace(a)); err != nil || lo < 1 {
		return 0, 0, errors.New("MIN must be a whole number >= 1, e.g. 1..64")
	}
	if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil || hi < lo {
		return 0, 0, fmt.Errorf("MAX must be a whole number >= MIN (%d), e.g. %d..%d", lo, lo, max(64, 2*lo))
	}
	return lo, hi, nil
}

// Probe verdicts. Only ok counts towards the answer; interrupted and
// incomplete end the search.
const (
	VerdictOK          = "ok"
	VerdictBreach      = "breach"
	VerdictInterrupted = "interrupted"
	// VerdictIncomplete is a probe whose level run failed (an error other
	// than an interruption), so it has no complete figures to judge.
	VerdictIncomplete = "incomplete"
)

// CapacityProbe is one level the search ran and its verdict.
type CapacityProbe struct {
	Level   int    `json:"level"`
	Verdict string `json:"verdict"`
	// Breaches names each breached term with the level's figure, e.g.
	// "eos_p95 1.04s"; for an interrupted or incomplete probe, what
	// happened.
	Breaches []string `json:"breaches,omitempty"`
	// Rounds is how many rounds the probe completed.
	Rounds int `json:"rounds"`
	// Saturated says this client fell behind its own send schedule: the
	// figures describe the load machine as much as the service.
	Saturated bool `json:"client_saturated,omitempty"`
}

// String is the probe as the answer lists it: "32 breach eos_p95 1.04s".
func (p CapacityProbe) String() string {
	s := strconv.Itoa(p.Level) + " " + p.Verdict
	switch {
	case p.Verdict == VerdictInterrupted:
		// the verdict says it all; the error stays in Breaches
	case p.Verdict == VerdictIncomplete && len(p.Breaches) > 0:
		s += ": " + strings.Join(p.Breaches, ", ")
	case len(p.Breaches) > 0:
		s += " " + strings.Join(p.Breaches, ", ")
	}
	if p.Saturated {
		s += " (client saturated)"
	}
	return s
}

// Search outcomes.
const (
	CapacityFound       = "found"        // the highest ok level below the first breach
	CapacityBelowMin    = "below_min"    // even MIN breaches
	CapacityAtLeastMax  = "at_least_max" // MAX passes
	CapacityInterrupted = "interrupted"  // a probe was interrupted or incomplete
)

// CapacityResult is the answer of a search and every probe, in the order
// run. It is also the run record's "capacity" line.
type CapacityResult struct {
	Kind     string `json:"kind"` // "capacity"
	SLO      string `json:"slo"`
	Min      int    `json:"min"`
	Max      int    `json:"max"`
	Repeat   int    `json:"repeat"`
	Outcome  string `json:"outcome"`
	Capacity int    `json:"capacity"` // the highest level found ok; 0 when none
	// Answer is the line Answer returns, kept for readers of the record.
	Answer string          `json:"answer"`
	Probes []CapacityProbe `json:"probes"`
}

// AnswerLine is the answer in words, first the number, then the probes.
func (c CapacityResult) AnswerLine() string {
	streams := func(n int) string { return strconv.Itoa(n) + " concurrent " + plural(n, "stream") }
	probes := make([]string, len(c.Probes))
	for i, p := range c.Probes {
		probes[i] = p.String()
	}
	list := " (probes: " + strings.Join(probes, ", ") + ")"
	within := " within " + c.SLO
	switch c.Outcome {
	case CapacityFound:
		return "capacity: " + streams(c.Capacity) + within + list
	case CapacityBelowMin:
		return "capacity: below " + streams(c.Min) + within + ": conc=" + strconv.Itoa(c.Min) + " already breaches" + list
	case CapacityAtLeastMax:
		return "capacity: at least " + streams(c.Max) + within + ": the top of -search " +
			strconv.Itoa(c.Min) + ".." + strconv.Itoa(c.Max) + " passes; search higher for the limit" + list
	default:
		if len(c.Probes) == 0 {
			return "capacity: unknown" + within + ": no level was probed"
		}
		last := c.Probes[len(c.Probes)-1]
		stop := "search stopped: conc=" + strconv.Itoa(last.Level) + " " + last.Verdict
		if c.Capacity == 0 {
			return "capacity: unknown" + within + ": " + stop + " before any level passed" + list
		}
		return "capacity: at least " + streams(c.Capacity) + within + ", not known exactly: " + stop + list
	}
}

// searchCapacity finds the highest level in [lo, hi] whose probe is ok:
// lo, 2·lo, 4·lo, ... (capped at hi) until a probe breaches, then
// bisection between the last ok level and the first breach. A probe that
// is neither ok nor a breach ends the search with what is known.
func searchCapacity(lo, hi int, probe func(n int) CapacityProbe) CapacityResult {
	res := CapacityResult{Kind: "capacity", Min: lo, Max: hi}
	run := func(n int) (ok, stop bool) {
		p := probe(n)
		p.Level = n
		res.Probes = append(res.Probes, p)
		switch p.Verdict {
		case VerdictOK:
			return true, false
		case VerdictBreach:
			return false, false
		default:
			res.Outcome = CapacityInterrupted
			return false, true
		}
	}
	good, bad := 0, 0 // highest ok level, lowest breach above it
	for n := lo; ; n = min(2*n, hi) {
		ok, stop := run(n)
		if stop {
			res.Capacity = good
			return res
		}
		if !ok {
			bad = n
			break
		}
		good = n
		if n == hi {
			res.Outcome, res.Capacity = CapacityAtLeastMax, hi
			return res
		}
	}
	if good == 0 {
		res.Outcome = CapacityBelowMin
		return res
	}
	for bad-good > 1 {
		mid := good + (bad-good)/2
		ok, stop := run(mid)
		if stop {
			res.Capacity = good
			return res
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	res.Outcome, res.Capacity = CapacityFound, good
	return res
}

// CapacityOptions says how Capacity searches. Zero fields take the run's
// configuration (-slo, -search).
type CapacityOptions struct {
	SLO      SLO
	Min, Max int
	// Repeat is the number of rounds per probe (go test -count); zero
	// means one.
	Repeat int
	// Each runs one probe; TestCapacity runs each inside its own subtest.
	// Nil calls probe directly.
	Each func(n int, probe func() CapacityProbe) CapacityProbe
}

// Capacity searches for the highest concurrency in [Min, Max] that meets
// the SLO. Each probe is a full level run through Level (Repeat rounds);
// its figures join the run's table, CSV and record like any level's, and
// Finish prints the answer before the table. A setup failure is returned
// before anything is streamed; an interrupted search returns its partial
// answer and an error.
func (r *Run) Capacity(ctx context.Context, opt CapacityOptions) (CapacityResult, error) {
	if len(opt.SLO.Terms) == 0 {
		opt.SLO = r.Config.SLO
	}
	if opt.Min == 0 && opt.Max == 0 {
		opt.Min, opt.Max = r.Config.SearchMin, r.Config.SearchMax
	}
	switch {
	case len(opt.SLO.Terms) == 0:
		return CapacityResult{}, errors.New("capacity: no SLO to judge the levels by: pass -slo (or STTBENCH_SLO), e.g. -slo 'eos_p95<=800ms,wer<=5'")
	case opt.Min < 1 || opt.Max < opt.Min:
		return CapacityResult{}, fmt.Errorf("capacity: no valid range %d..%d to search: pass -search MIN..MAX (or STTBENCH_SEARCH), e.g. -search 1..64", opt.Min, opt.Max)
	}
	repeat := max(opt.Repeat, 1)
	if err := r.setupFor(opt.Min, opt.Max); err != nil {
		return CapacityResult{}, err
	}
	each := opt.Each
	if each == nil {
		each = func(_ int, probe func() CapacityProbe) CapacityProbe { return probe() }
	}
	res := searchCapacity(opt.Min, opt.Max, func(n int) CapacityProbe {
		return each(n, func() CapacityProbe { return r.capacityProbe(ctx, n, repeat, opt.SLO) })
	})
	res.SLO, res.Repeat = opt.SLO.String(), repeat
	res.Answer = res.AnswerLine()

	r.mu.Lock()
	r.capacity = append(r.capacity, res)
	if r.rec != nil {
		err := r.rec.line(res)
		if err == nil {
			err = r.rec.flush()
		}
		if err != nil {
			fmt.Fprintf(r.Warn, "sttbench: warning: the run record has no capacity line: %v\n", err)
		}
	}
	r.mu.Unlock()
	if res.Outcome == CapacityInterrupted {
		last := res.Probes[len(res.Probes)-1]
		return res, fmt.Errorf("capacity search stopped at conc=%d (%s): %s", last.Level, last.Verdict, strings.Join(last.Breaches, "; "))
	}
	return res, nil
}

// setupFor is Setup for a search from first to top sessions: the open
// files are checked for top at once, but clips are prepared for first
// alone, and for each higher probe as the search reaches it (growClips), so
// that a service that breaks at 20 streams costs 32 clips, not the
// thousands of a wide range. The -concurrency levels do not run beside a
// search, so they neither size the clips nor count toward the files.
func (r *Run) setupFor(first, top int) error {
	r.setupOnce.Do(func() {
		if r.setupErr = CheckOutputs(r.Config); r.setupErr == nil {
			r.setupErr = r.startRecord()
		}
		if r.setupErr == nil {
			r.setupErr = r.setup(top, first)
		}
	})
	return r.setupErr
}

// growClips prepares clips for a probe of n sessions when the lower probes
// needed fewer, and records the audio anew: the record's last audio line
// covers every clip the search streamed.
func (r *Run) growClips(n int) error {
	if n <= len(r.clips) {
		return nil
	}
	clips, err := r.prepareClips(n)
	debug.FreeOSMemory() // as setup does, before any session streams
	if err != nil {
		return err
	}
	r.clips = clips
	r.recordAudio()
	return nil
}

// capacityProbe runs one level of the search and judges it.
func (r *Run) capacityProbe(ctx context.Context, n, repeat int, slo SLO) CapacityProbe {
	left := repeat
	err := r.growClips(n)
	var row Row
	if err == nil {
		row, err = r.Level(ctx, n, LevelOptions{More: func() bool { left--; return left >= 0 }})
	}
	p := CapacityProbe{Level: n, Rounds: row.Rounds, Saturated: row.ClientSaturated}
	if err != nil {
		p.Verdict = VerdictIncomplete
		if ctx.Err() != nil || r.Interrupted() {
			p.Verdict = VerdictInterrupted
		}
		p.Breaches = []string{err.Error()}
		return p
	}
	rounds := r.Rounds(n)
	rounds = rounds[len(rounds)-row.Rounds:]
	if why, down := unreachable(rounds); down {
		// Not one connection: the service is down, not slow, and the level
		// says nothing of what it serves, so the search cannot go on.
		p.Verdict, p.Breaches = VerdictIncomplete, []string{why}
		return p
	}
	p.Breaches = slo.Judge(row, rounds)
	p.Verdict = VerdictOK
	if len(p.Breaches) > 0 {
		p.Verdict = VerdictBreach
	}
	return p
}

// unreachable reports whether no session of rounds got a connection, with
// the first session's error.
func unreachable(rounds []Round) (string, bool) {
	first := ""
	for _, rd := range rounds {
		for _, s := range rd.Level.Sessions {
			if !s.Dialed.IsZero() {
				return "", false
			}
			if first == "" {
				first = s.Err
			}
		}
	}
	if first == "" {
		return "", false // no session at all
	}
	return "no session could connect (" + first + "): the service went down or refuses every connection", true
}

// Judge returns each term of the SLO a level breaches, with the level's
// figure ("eos_p95 1.04s"); none means the level is ok. row is the level's
// row over rounds.
//
// Every session must be accounted for. The table's EOS figures are over the
// ok sessions only, which at the breaking point would flatter a level where
// many sessions never got their final result; so here a session that is not
// ok (incomplete, failed or errored) counts as an infinite wait in the eos_
// terms, and as a failure in the fail term, which is fail<=0 unless the SLO
// bounds it otherwise.
func (s SLO) Judge(row Row, rounds []Round) []string {
	var latencies []float64
	sessions, notOK, incomplete := 0, 0, 0
	for _, round := range rounds {
		for _, sr := range round.Level.Sessions {
			sessions++
			switch {
			case sr.Outcome != harness.OK:
				notOK++
				if sr.Outcome == harness.Incomplete {
					incomplete++
				}
				latencies = append(latencies, math.Inf(1))
			case sr.HasLatency():
				latencies = append(latencies, sr.EOSLatency().Seconds())
			}
		}
	}
	var out []string
	eos := func(metric string, v float64) {
		t, ok := s.term(metric)
		if !ok || v <= t.Max {
			return
		}
		switch {
		case math.IsInf(v, 1):
			their := "their"
			if notOK == 1 {
				their = "its"
			}
			out = append(out, fmt.Sprintf("%s inf (%d of %d %s without %s final result)", metric, notOK, sessions, plural(sessions, "session"), their))
		case math.IsNaN(v):
			out = append(out, metric+" unmeasured (no transcript to time)")
		default:
			out = append(out, metric+" "+above(v, t.Max, 'g', 3)+"s")
		}
	}
	eos(SLOEOSP50, percentileInf(latencies, 50))
	eos(SLOEOSP95, percentileInf(latencies, 95))
	mean := math.NaN()
	if len(latencies) > 0 {
		mean = 0
		for _, l := range latencies {
			mean += l / float64(len(latencies))
		}
	}
	eos(SLOEOSMean, mean)
	if t, ok := s.term(SLOWER); ok {
		switch {
		case !row.WER.Valid():
			out = append(out, "wer unmeasured (no reference words)")
		case float64(row.WER) > t.Max:
			out = append(out, "wer "+above(float64(row.WER), t.Max, 'f', 2))
		}
	}
	fail, ok := s.term(SLOFail)
	if !ok {
		fail = SLOTerm{Metric: SLOFail}
	}
	failed := float64(notOK)
	if fail.Percent && sessions > 0 {
		failed = 100 * float64(notOK) / float64(sessions)
	}
	if failed > fail.Max || sessions == 0 {
		msg := fmt.Sprintf("fail %d/%d", notOK, sessions)
		if incomplete > 0 {
			msg += fmt.Sprintf(" (%d incomplete)", incomplete)
		}
		out = append(out, msg)
	}
	if t, ok := s.term(SLOLeak); ok && float64(row.Leaks) > t.Max {
		out = append(out, fmt.Sprintf("leak %d", row.Leaks))
	}
	return out
}

// above formats v, which exceeds bound, with at least digits digits
// (strconv's format), and more where fewer would print the bound itself:
// 0.7004 s against 700 ms is "0.7004", never "0.7".
func above(v, bound float64, format byte, digits int) string {
	for d := digits; d < 17; d++ {
		s := strconv.FormatFloat(v, format, d, 64)
		if shown, _ := strconv.ParseFloat(s, 64); shown > bound {
			return s
		}
	}
	return strconv.FormatFloat(v, format, -1, 64)
}

// percentileInf is stats.Percentile (numpy's linear interpolation) for
// values that may be +Inf: interpolating towards an infinite wait is an
// infinite wait. NaN for no values.
func percentileInf(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	rank := p / 100 * float64(len(sorted)-1)
	lo, hi := int(math.Floor(rank)), int(math.Ceil(rank))
	if lo == hi || math.IsInf(sorted[lo], 1) {
		return sorted[lo]
	}
	if math.IsInf(sorted[hi], 1) {
		return math.Inf(1)
	}
	return sorted[lo] + (sorted[hi]-sorted[lo])*(rank-float64(lo))
}

// writeCapacity prints the answer of each search of the run, before the
// table of the levels it probed.
func (r *Run) writeCapacity(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.capacity {
		fmt.Fprintf(w, "\n%s\n", c.AnswerLine())
	}
}

// MarkSLO fills the slo_ok column of the rows that a search probed (true
// for an ok probe, false for a breach, empty for a probe that did not
// complete, which was never judged), and their capacity columns with the
// search's answer.
func MarkSLO(rows []Row, results []CapacityResult) []Row {
	for _, c := range results {
		for _, p := range c.Probes {
			for i := range rows {
				if rows[i].Concurrency == p.Level {
					if p.Verdict == VerdictOK || p.Verdict == VerdictBreach {
						rows[i].SLOOK = strconv.FormatBool(p.Verdict == VerdictOK)
					}
					rows[i].Capacity, rows[i].CapacityOutcome = strconv.Itoa(c.Capacity), c.Outcome
				}
			}
		}
	}
	return rows
}
