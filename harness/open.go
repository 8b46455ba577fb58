package harness

import (
	"context"
	"time"

	"github.com/sttbench/sttbench/ttspool"
)

// RunSession runs one session on a schedule of its own, for load models
// whose sessions come and go independently (a soak that replaces each
// session as it ends, open-loop arrivals). It lays the clip out as frames,
// waits until at (its scheduled start; a time already past means at once),
// then dials and streams. The stream origin is the moment the connection
// is up, so the first frame is due one frame later and the pacing and
// end-of-session rules are those of a level's sessions. The result records
// at as Scheduled and the actual start as DialStart.
//
// It never returns an error: an invalid configuration or a failed dial is
// an Errored result, and a ctx that ends before at gives an Errored result
// with a zero DialStart (the session never began). It returns when the
// session has ended and its connection is closed.
func RunSession(ctx context.Context, cfg SessionConfig, clip ttspool.Clip, index int, at time.Time) SessionResult {
	return RunSessionProgress(ctx, cfg, clip, index, at, nil)
}

// RunSessionProgress is RunSession counting the session in prog (nil for
// none): Total and Done as it begins and ends, and its state meanwhile.
func RunSessionProgress(ctx context.Context, cfg SessionConfig, clip ttspool.Clip, index int, at time.Time, prog *Progress) SessionResult {
	if prog == nil {
		prog = &Progress{}
	}
	res := SessionResult{Index: index, Reference: clip.Text, AudioDuration: clip.Duration(), Scheduled: at}
	fail := func(msg, stop string) SessionResult {
		res.Outcome, res.Err, res.Reason, res.StopReason = Errored, msg, msg, stop
		res.Ended = time.Now()
		return res
	}
	if err := cfg.Validate(); err != nil {
		return fail(err.Error(), "invalid config")
	}
	scfg := cfg.withDefaults()
	// Encode before the scheduled start, so that none of it delays the session.
	p := prepare(clip, scfg)
	if wait := time.Until(at); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fail("cancelled before its scheduled start", "cancelled")
		}
	}
	if ctx.Err() != nil {
		return fail("cancelled before its scheduled start", "cancelled")
	}
	prog.add(&prog.Total, 1)
	defer prog.add(&prog.Done, 1)
	prog.add(&prog.Connecting, 1)
	res.DialStart = time.Now()
	c, err := dialConn(ctx, scfg)
	prog.add(&prog.Connecting, -1)
	if err != nil {
		return fail(err.Error(), "dial error")
	}
	res.Dialed = time.Now()
	src, err := openAudio(p, res.Index)
	if err != nil {
		c.drop()
		res = fail(err.Error(), "audio unreadable")
		res.Reason = audioUnreadable
		return res
	}
	dialed := res.Dialed // a session of its own starts streaming once it has dialed
	stream(ctx, c, scfg, p, src, startSignal{at: func() time.Time { return dialed }}, &res, prog)
	summariseLags(&res)
	return res
}
