package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sttbench/sttbench/internal/abbrev"
	"github.com/sttbench/sttbench/internal/stats"
	"github.com/sttbench/sttbench/ttspool"
)

// conn is one session's WebSocket and the TCP connection under it, kept so
// that the close handshake can be cut off at its bound.
type conn struct {
	ws  *websocket.Conn
	tcp atomic.Pointer[net.Conn]
}

// dialConn opens a WebSocket on a transport of its own, which records the
// TCP connection it dials.
func dialConn(ctx context.Context, cfg SessionConfig) (*conn, error) {
	c := &conn{}
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			tcp, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if t, ok := tcp.(*net.TCPConn); ok && cfg.sendBuffer > 0 {
				t.SetWriteBuffer(cfg.sendBuffer)
			}
			c.tcp.Store(&tcp)
			return tcp, nil
		},
	}
	ws, err := dial(ctx, cfg, &http.Client{Transport: tr})
	if err != nil {
		return nil, err
	}
	c.ws = ws
	return c, nil
}

// drop closes the TCP connection at once, without a close frame.
func (c *conn) drop() {
	if tcp := c.tcp.Load(); tcp != nil {
		(*tcp).Close()
	}
	c.ws.CloseNow()
}

// prepared is a clip laid out as frames before the streams start, so that
// no encoding runs after the common origin. It is read-only, and sessions
// streaming the same clip share one.
type prepared struct {
	sha256     string // of the clip's PCM bytes
	frame      time.Duration
	speechEnd  time.Duration
	stream     frames
	frames     int // speech and silence frames
	lastVoiced int // index of the frame holding the last voiced sample
}

// prepare lays out clip for sessions of cfg (with its defaults applied).
func prepare(clip ttspool.Clip, cfg SessionConfig) prepared {
	frame := cfg.Frame
	samples, _ := FrameSamples(frame)
	silenceFrames := int((cfg.TrailingSilence + frame - 1) / frame)
	var f frames
	if _, ok := clip.OnDisk(); ok {
		f = newDiskFrames(clip, silenceFrames, samples*bytesPerSample)
	} else {
		f = newFrames(clip.PCMBytes(), silenceFrames, samples*bytesPerSample)
	}
	return prepared{sha256: ttspool.ClipSHA256(clip), frame: frame, speechEnd: clip.SpeechEnd, stream: f, frames: f.n,
		lastVoiced: lastVoicedFrame(clip.SpeechEnd, frame)}
}

// ending is how a session stops: the rule that ended it, and for an
// Errored session the error, split into a reason shared by every session
// with the same cause and the detail of this one.
type ending struct {
	rule   string
	err    error  // nil unless the session is Errored
	reason string // the shared cause of err
	// speechUnanswered says no message came after the last speech frame
	// was written.
	speechUnanswered bool
}

// startSignal is when a session's frames start. at blocks until the start
// is known. ready, when set, is called by the session's reader and by its
// sender once each is set up: a level takes its origin only after every
// session has called it twice, so that no session's setup delays another's
// first frame.
type startSignal struct {
	ready func()
	at    func() time.Time
}

func (s startSignal) setUp() {
	if s.ready != nil {
		s.ready()
	}
}

// stream runs one dialed session: it streams the prepared clip on the
// schedule anchored at start, and receives concurrently. After the last frame
// it waits while the service owes results (up to ResultTimeout), then until
// no message has come for IdleTimeout. It ends with a close frame and a
// bounded wait for the service's answer. It never returns an error: what
// went wrong is in the result.
func stream(ctx context.Context, c *conn, cfg SessionConfig, p prepared, src *frameSource, start startSignal, res *SessionResult, prog *Progress) {
	res.Frame = p.frame
	res.AudioSHA256 = p.sha256
	res.SendLags = make([]time.Duration, 0, p.frames)
	res.ClientLags = make([]time.Duration, 0, p.frames)

	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	msgs := make(chan Message, 64)
	readErr := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		start.setUp()
		receive(readCtx, c.ws, msgs, readErr)
	}()

	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	sendDone := make(chan error, 1)
	spoke := make(chan time.Time, 1)
	go func() { sendDone <- send(sendCtx, c.ws, cfg.WriteTimeout, p, src, start, res, spoke) }()
	prog.add(&prog.Streaming, 1)

	end, stillSending := waitForEnd(ctx, cfg, p.speechEnd > 0, res, msgs, readErr, sendDone, spoke, prog)
	res.Ended = time.Now()
	res.StopReason = end.rule
	if end.err != nil {
		res.Err = end.err.Error()
	}
	res.Outcome = classify(res, end)
	res.Reason = reasonFor(res, end)
	if res.Err == "" && res.Outcome == Errored { // the service's own error message
		res.Err = res.Reason
	}

	// Sending is over by now, but a session that ended early (an error, a
	// close) may still be writing: stop it before the close frame.
	stopSending()
	if stillSending {
		<-sendDone
		prog.add(&prog.Streaming, -1)
	}
	select {
	case <-readerDone: // the connection is gone already
		c.drop()
	default:
		res.ClosedBy = "client"
		res.CloseHandshake = closeWithReader(c, cfg.CloseTimeout, msgs, readerDone, stopReading)
	}
}

// waitForEnd applies the receive rules until one ends the session, and
// reports whether the sender was still running then. voiced says the clip
// holds speech. The sender's completion arrives on sendDone, and the time it
// wrote the frame with the last voiced sample on spoke; messages and the
// first read error arrive from the reader.
func waitForEnd(ctx context.Context, cfg SessionConfig, voiced bool, res *SessionResult, msgs <-chan Message,
	readErr <-chan error, sendDone <-chan error, spoke <-chan time.Time, prog *Progress) (end ending, sending bool) {
	sending = true
	var (
		lastMsg time.Time
		spokeAt time.Time // when the last speech frame was written
		idle    = stoppedTimer()
		hardCap = stoppedTimer()
	)
	defer idle.Stop()
	defer hardCap.Stop()
	// speechAnswered reports whether a message came after the last speech
	// frame was written: only such a message can answer the end of the
	// speech. The sender hands over that time before it reports its end.
	speechAnswered := func() bool {
		if spokeAt.IsZero() {
			select {
			case spokeAt = <-spoke:
			default:
				return false
			}
		}
		n := len(res.Messages)
		return n > 0 && res.Messages[n-1].At.After(spokeAt)
	}
	// owed reports whether the service still owes this session an answer
	// (a result, or an error message standing for it): for a queued
	// utterance, and for a clip with speech until a message has come after
	// its end, since a service that answered the first sentences and then
	// went quiet may be stalled rather than done.
	owed := func() bool {
		answers := res.Results + len(res.ServiceErrors)
		return answers < res.Queued || voiced && !speechAnswered()
	}
	defer func() { end.speechUnanswered = voiced && !speechAnswered() }()
	// armIdle restarts the idle window from the later of the last message
	// and the last frame; while results are owed there is none.
	armIdle := func() {
		idle.Stop()
		if owed() {
			return
		}
		from := res.SilenceEnd
		if lastMsg.After(from) {
			from = lastMsg
		}
		idle.Reset(max(cfg.IdleTimeout-time.Since(from), 0))
	}
	waitingCounted := false
	defer func() {
		if waitingCounted {
			prog.add(&prog.Waiting, -1)
		}
	}()

	for {
		select {
		case err := <-sendDone:
			sending = false
			prog.add(&prog.Streaming, -1)
			if err != nil {
				if blocked := blockedEnding(err); blocked != nil {
					return *blocked, sending
				}
				if errors.As(err, new(*audioError)) {
					return ending{rule: "audio unreadable", err: err, reason: audioUnreadable}, sending
				}
				// A closed connection fails the write first; the reader
				// holds the better reason (the close status).
				select {
				case rerr := <-readErr:
					drain(res, msgs)
					return readEnding(res, rerr, owed()), sending
				case <-time.After(200 * time.Millisecond):
				}
				if ctx.Err() != nil {
					return cancelled(ctx), sending
				}
				return ending{rule: "write error", err: err, reason: "a frame write failed"}, sending
			}
			prog.add(&prog.Waiting, 1)
			waitingCounted = true
			hardCap.Reset(cfg.ResultTimeout)
			armIdle()
		case m := <-msgs:
			res.Messages = append(res.Messages, m)
			lastMsg = m.At
			record(res, m)
			if !sending {
				armIdle()
			}
		case err := <-readErr:
			// Messages the reader handed over before failing come first.
			drain(res, msgs)
			if sending {
				// A write that hit its bound closes the connection, so the
				// reader can fail first: the sender has the real cause.
				select {
				case serr := <-sendDone:
					sending = false
					prog.add(&prog.Streaming, -1)
					if blocked := blockedEnding(serr); blocked != nil {
						return *blocked, sending
					}
				case <-time.After(200 * time.Millisecond):
				}
			}
			return readEnding(res, err, owed()), sending
		case <-idle.C:
			return ending{rule: fmt.Sprintf("idle for %v after the last frame or message", cfg.IdleTimeout)}, sending
		case <-hardCap.C:
			if owed() {
				return ending{rule: fmt.Sprintf("result timeout %v after the last frame, results owed", cfg.ResultTimeout)}, sending
			}
			return ending{rule: fmt.Sprintf("result timeout %v after the last frame", cfg.ResultTimeout)}, sending
		case <-ctx.Done():
			return cancelled(ctx), sending
		}
	}
}

// blockedEnding is the ending of a session whose write hit its bound, or
// nil when err is something else.
func blockedEnding(err error) *ending {
	var blocked *blockedWriteError
	if !errors.As(err, &blocked) {
		return nil
	}
	return &ending{rule: "write blocked", err: err,
		reason: "the service stopped reading audio: a frame write blocked for " + blocked.bound.String()}
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

func cancelled(ctx context.Context) ending {
	return ending{rule: "cancelled", err: fmt.Errorf("session cancelled: %w", context.Cause(ctx)), reason: "cancelled"}
}

// record counts one message into the result.
func record(res *SessionResult, m Message) {
	if m.Queued {
		res.Queued++
	}
	if m.Error != "" {
		res.ServiceErrors = append(res.ServiceErrors, m.Error)
	}
	if m.IsResult {
		res.Results++
		if m.Text != "" {
			res.Segments = append(res.Segments, m.Text)
			res.FinalResult = m.At
		}
	}
}

// drain records the messages already waiting in msgs.
func drain(res *SessionResult, msgs <-chan Message) {
	for {
		select {
		case m := <-msgs:
			res.Messages = append(res.Messages, m)
			record(res, m)
		default:
			return
		}
	}
}

// readEnding turns the reader's error into the session's ending. A close
// with 1000 or 1001 once nothing is owed is a normal end, judged by its
// results; any other close, or one while results are owed, is an error.
func readEnding(res *SessionResult, err error, owed bool) ending {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		res.ClosedBy, res.CloseCode, res.CloseReason = "service", int(ce.Code), ce.Reason
		normal := ce.Code == websocket.StatusNormalClosure || ce.Code == websocket.StatusGoingAway
		switch {
		case normal && !owed && res.Queued > 0:
			return ending{rule: fmt.Sprintf("the service closed the connection normally (%d) after every result", ce.Code)}
		case normal && res.Queued > 0 && res.Results+len(res.ServiceErrors) >= res.Queued:
			reason := fmt.Sprintf("the service closed the connection (%s) before it answered the end of the speech", closeText(ce))
			return ending{rule: "service closed", err: errors.New(reason + ": nothing came after the last speech frame"), reason: reason}
		case normal:
			what := fmt.Sprintf("%d of %d results still owed", res.Queued-res.Results-len(res.ServiceErrors), res.Queued)
			if res.Queued == 0 {
				what = "nothing queued yet"
			}
			return ending{rule: "service closed", err: fmt.Errorf("the service closed the connection (%s) before every result came: %s", closeText(ce), what),
				reason: fmt.Sprintf("the service closed the connection (%s) before every result came", closeText(ce))}
		default:
			return ending{rule: "service closed", err: fmt.Errorf("the service closed the connection with %s", closeText(ce)),
				reason: fmt.Sprintf("the service closed the connection with %s", closeText(ce))}
		}
	}
	var re *readError
	if errors.As(err, &re) {
		return ending{rule: "read error", err: err, reason: re.reason}
	}
	return ending{rule: "read error", err: err, reason: "read error"}
}

func closeText(ce websocket.CloseError) string {
	if ce.Reason == "" {
		return fmt.Sprintf("%d %v", int(ce.Code), ce.Code)
	}
	return fmt.Sprintf("%d %q", int(ce.Code), ce.Reason)
}

// closeWithReader sends a close frame (1000) while the session's reader
// keeps reading, and waits up to timeout for the service's answer; then it
// drops the connection. The session has ended: messages that still arrive
// are not counted (the WebSocket library discards most of them anyway).
// It returns how the handshake ended.
func closeWithReader(c *conn, timeout time.Duration, msgs <-chan Message, readerDone <-chan struct{},
	stopReading context.CancelFunc) string {
	closed := make(chan error, 1)
	go func() { closed <- c.ws.Close(websocket.StatusNormalClosure, "") }()
	bound := time.NewTimer(timeout)
	defer bound.Stop()
	outcome, done := "", false
	for outcome == "" {
		select {
		case <-msgs:
		case err := <-closed:
			done = true
			outcome = "clean"
			if err != nil {
				outcome = "close: " + err.Error()
			}
		case <-bound.C:
			outcome = fmt.Sprintf("no answer to the close frame within %v: connection dropped", timeout)
		}
	}
	stopReading()
	c.drop()
	<-readerDone
	if !done {
		<-closed
	}
	return outcome
}

// lastVoicedFrame is the index of the frame holding the sample that ends at
// speechEnd (a sample ending exactly on a frame boundary belongs to the
// frame before it).
func lastVoicedFrame(speechEnd, frame time.Duration) int {
	if speechEnd <= 0 {
		return 0
	}
	return frameOf(speechEnd-1, frame)
}

// blockedWriteError is a frame write that the service did not take within
// the write bound: it stopped reading audio.
type blockedWriteError struct {
	frame, total int
	bound        time.Duration
}

func (e *blockedWriteError) Error() string {
	return fmt.Sprintf("the service stopped reading audio: frame %d of %d blocked for %v", e.frame, e.total, e.bound)
}

// audioError is a failure to read the clip's audio from its cache file.
type audioError struct{ err error }

func (e *audioError) Error() string { return "the clip's audio: " + e.err.Error() }
func (e *audioError) Unwrap() error { return e.err }

// openAudio opens the frames of the session at index in its level and
// reads the first of them. It runs before the level's origin, with the
// dial, so that a thousand sessions opening their cache files at once delay
// no frame.
func openAudio(p prepared, index int) (*frameSource, error) {
	src, err := p.stream.open(index)
	if err == nil {
		if err = src.ready(0); err != nil {
			src.close()
		}
	}
	if err != nil {
		return nil, &audioError{err}
	}
	return src, nil
}

// audioUnreadable is the reason of a session whose clip's audio could not
// be read.
const audioUnreadable = "the clip's audio could not be read from its cache entry"

// send writes the frames on their absolute schedule from start, each write
// bounded by writeTimeout, and hands the time it began writing the frame
// with the last voiced sample to spoke (buffered). Nothing but waiting,
// clock reads, a timer reset and the write itself happens between frames.
//
// The writes run under no context of their own: coder/websocket registers
// a cancellation callback on a cancellable context for every write, a cost
// paid on every frame. A write is ended instead the way the library ends
// one, by closing the connection: by the watchdog once it has blocked for
// writeTimeout, or by the end of ctx while it is under way.
func send(ctx context.Context, ws *websocket.Conn, writeTimeout time.Duration, p prepared, src *frameSource, start startSignal, res *SessionResult, spoke chan<- time.Time) error {
	defer src.close()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var writing, blocked atomic.Bool
	watchdog := time.AfterFunc(time.Hour, func() { blocked.Store(true); ws.CloseNow() })
	watchdog.Stop()
	defer watchdog.Stop()
	stopOnEnd := context.AfterFunc(ctx, func() {
		timer.Reset(0) // a wait under way ends at once
		if writing.Load() {
			ws.CloseNow()
		}
	})
	defer stopOnEnd()
	start.setUp()
	res.Start = start.at()
	res.EOS = res.Start.Add(p.speechEnd)
	var prevEnd time.Time
	for i := range p.frames {
		due := frameDue(res.Start, i, p.frame)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			// ctx's end is seen either here or by the reset above.
			if ctx.Err() == nil {
				<-timer.C
			}
		}
		// Marked before ctx is checked: an end of ctx from here on finds
		// the write under way and closes the connection under it.
		writing.Store(true)
		if ctx.Err() != nil {
			writing.Store(false)
			return fmt.Errorf("send frame %d: %w", i+1, context.Cause(ctx))
		}
		now := time.Now()
		// When behind, send at once and keep the origin: the lag is recorded.
		res.SendLags = append(res.SendLags, now.Sub(due))
		res.ClientLags = append(res.ClientLags, now.Sub(later(due, prevEnd)))
		watchdog.Reset(writeTimeout)
		err := ws.Write(context.Background(), websocket.MessageBinary, src.frame(i))
		watchdog.Stop()
		writing.Store(false)
		prevEnd = time.Now()
		res.MaxWrite = max(res.MaxWrite, prevEnd.Sub(now))
		if err == nil {
			res.FramesSent++
		}
		if blocked.Load() && ctx.Err() == nil {
			return &blockedWriteError{frame: i + 1, total: p.frames, bound: writeTimeout}
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("send frame %d of %d: %w", i+1, p.frames, context.Cause(ctx))
			}
			return fmt.Errorf("send frame %d of %d: %w", i+1, p.frames, err)
		}
		if i == p.lastVoiced {
			res.LastSpeechFrameSent = now
			spoke <- now
		}
		if i == p.frames-1 {
			res.SilenceEnd = now
		}
		// A frame period before it is due: a read from disk never delays a write.
		if err := src.ready(i + 1); err != nil {
			return &audioError{err}
		}
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// receive is the only caller of Read on ws. It stamps each message on
// arrival and hands it over; it ends at the first read error, which it
// reports unless ctx ended first.
func receive(ctx context.Context, ws *websocket.Conn, out chan<- Message, errc chan<- error) {
	for {
		typ, data, err := ws.Read(ctx)
		at := time.Now()
		if err != nil {
			if ctx.Err() == nil {
				errc <- describeReadError(err)
			}
			return
		}
		m, err := parseMessage(typ, data, at)
		if err != nil {
			errc <- err
			return
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return
		}
	}
}

// classify turns what happened into an Outcome.
func classify(res *SessionResult, end ending) Outcome {
	switch {
	case end.err != nil || len(res.ServiceErrors) > 0:
		return Errored
	case len(res.Segments) == 0:
		return Failed
	case res.Results < res.Queued, end.speechUnanswered:
		return Incomplete
	default:
		return OK
	}
}

// reasonFor words why a session that is not ok ended as it did, the same
// for every session with the same cause.
func reasonFor(res *SessionResult, end ending) string {
	switch res.Outcome {
	case Errored:
		if len(res.ServiceErrors) > 0 {
			return fmt.Sprintf("service error %q", abbrev.String(res.ServiceErrors[0], 120))
		}
		return end.reason
	case Failed:
		switch {
		case res.Queued == 0 && res.Results == 0 && len(res.Messages) == 0:
			return "no transcript: the service sent nothing (" + end.rule + ")"
		case res.Results == 0:
			return "no transcript: utterances queued but no result came (" + end.rule + ")"
		default:
			return "no transcript: every result was empty"
		}
	case Incomplete:
		if res.Results < res.Queued {
			return "incomplete: fewer results than queued utterances (" + end.rule + ")"
		}
		return "incomplete: no answer came after the last speech frame was sent (" + end.rule + ")"
	}
	return ""
}

// summariseLags fills MaxLag, P99Lag and MaxClientLag from the per-frame lags.
func summariseLags(res *SessionResult) {
	if len(res.SendLags) > 0 {
		lags := make([]float64, len(res.SendLags))
		for i, l := range res.SendLags {
			lags[i] = float64(l)
		}
		res.MaxLag = slices.Max(res.SendLags)
		res.P99Lag = time.Duration(stats.Percentile(lags, 99))
	}
	if len(res.ClientLags) > 0 {
		res.MaxClientLag = slices.Max(res.ClientLags)
	}
}
