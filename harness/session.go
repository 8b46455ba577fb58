package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/sttbench/sttbench/internal/stats"
	"github.com/sttbench/sttbench/ttspool"
)

// SessionConfig describes how every session of a run talks to the service.
// The zero value of each optional field selects the documented default.
type SessionConfig struct {
	// URL is the service's WebSocket endpoint, e.g. ws://localhost:8000/ws. Required.
	URL string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It is never
	// printed, logged or written to a file.
	APIKey string
	// TrailingSilence is the silence sent after the clip so the service's VAD
	// flushes the last utterance. Zero means 1 s.
	TrailingSilence time.Duration
	// IdleTimeout ends a session once sending is done, at least one result has
	// arrived, and no message has arrived for this long. Zero means 5 s.
	IdleTimeout time.Duration
	// ResultTimeout is the hard cap on waiting, counted from the last frame
	// sent. Zero means 30 s.
	ResultTimeout time.Duration
	// DialTimeout bounds one WebSocket handshake. Zero means 10 s.
	DialTimeout time.Duration
}

// Validate reports the first invalid field.
func (c SessionConfig) Validate() error {
	if c.URL == "" {
		return errors.New("session config: the STT URL is empty")
	}
	if !strings.HasPrefix(c.URL, "ws://") && !strings.HasPrefix(c.URL, "wss://") {
		return fmt.Errorf("session config: STT URL %q must start with ws:// or wss://", c.URL)
	}
	for name, d := range map[string]time.Duration{
		"trailing silence": c.TrailingSilence, "idle timeout": c.IdleTimeout,
		"result timeout": c.ResultTimeout, "dial timeout": c.DialTimeout,
	} {
		if d < 0 {
			return fmt.Errorf("session config: %s %v is negative", name, d)
		}
	}
	return nil
}

func (c SessionConfig) withDefaults() SessionConfig {
	c.TrailingSilence = cmp(c.TrailingSilence, time.Second)
	c.IdleTimeout = cmp(c.IdleTimeout, 5*time.Second)
	c.ResultTimeout = cmp(c.ResultTimeout, 30*time.Second)
	c.DialTimeout = cmp(c.DialTimeout, 10*time.Second)
	return c
}

func cmp(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Outcome classifies how a session ended.
type Outcome string

const (
	// OK: every queued utterance got its result.
	OK Outcome = "ok"
	// Incomplete: some transcript arrived, but fewer results than queued.
	Incomplete Outcome = "incomplete"
	// Failed: the session ran but produced no transcript at all.
	Failed Outcome = "failed"
	// Errored: a dial, handshake, protocol or read error ended the session.
	Errored Outcome = "error"
)

// Message is one text frame received from the service.
type Message struct {
	// At is the wall-clock arrival time.
	At time.Time `json:"at"`
	// Queued is true for {"status":"queued"}.
	Queued bool `json:"queued,omitempty"`
	// IsResult is true for any message with a "text" key.
	IsResult bool `json:"is_result,omitempty"`
	// Text is the result text (empty for non-results and empty results).
	Text string `json:"text,omitempty"`
	// Raw is the message as received, kept for the probe and the session log.
	Raw string `json:"raw"`
}

// SessionResult is everything measured in one session. Times are wall-clock;
// zero times mean the moment never happened (e.g. a failed dial).
type SessionResult struct {
	// Index is the session's number within its level; it streamed clip Index.
	Index int `json:"session"`
	// Reference is the text the clip speaks.
	Reference string `json:"reference"`
	// AudioDuration is the clip length.
	AudioDuration time.Duration `json:"audio_duration_ns"`

	Outcome Outcome `json:"outcome"`
	// Err is the error message of an Errored session.
	Err string `json:"error,omitempty"`
	// StopReason says which receive rule ended the session.
	StopReason string `json:"stop_reason,omitempty"`

	DialStart time.Time `json:"dial_start"`
	Dialed    time.Time `json:"dialed"`
	// Start is the stream origin: frame i was due at Start + (i+1)*100 ms.
	Start time.Time `json:"stream_start"`
	// LastSpeechFrameSent is when the frame holding the last voiced sample left.
	LastSpeechFrameSent time.Time `json:"last_speech_frame_sent"`
	// EOS is the moment the speaker stopped: Start + the clip's SpeechEnd.
	EOS time.Time `json:"eos"`
	// SilenceEnd is when the last frame (of the trailing silence) was sent.
	SilenceEnd time.Time `json:"silence_end"`
	// FramesSent counts binary frames written, speech and silence.
	FramesSent int `json:"frames_sent"`
	// SendLags holds how late each frame's send was against its schedule.
	SendLags []time.Duration `json:"-"`
	// MaxLag and P99Lag summarise SendLags.
	MaxLag time.Duration `json:"send_lag_max_ns"`
	P99Lag time.Duration `json:"send_lag_p99_ns"`

	Messages []Message `json:"messages"`
	Queued   int       `json:"queued"`
	Results  int       `json:"results"`
	// Segments are the non-empty result texts in arrival order.
	Segments []string `json:"segments"`
	// FinalResult is the arrival of the last non-empty text.
	FinalResult time.Time `json:"final_result"`
}

// Transcript is the non-empty result texts joined in arrival order.
func (r SessionResult) Transcript() string { return strings.Join(r.Segments, " ") }

// HasLatency reports whether the session produced a transcript to time.
func (r SessionResult) HasLatency() bool {
	return !r.FinalResult.IsZero() && !r.EOS.IsZero()
}

// EOSLatency is FinalResult - EOS: how long the speaker waited for the final
// transcript. It can be negative (a result before the speaker stopped); that
// is kept, never clamped. Meaningful only when HasLatency.
func (r SessionResult) EOSLatency() time.Duration { return r.FinalResult.Sub(r.EOS) }

// dial opens one session's connection. A refused handshake explains itself.
func dial(ctx context.Context, cfg SessionConfig) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	opts := &websocket.DialOptions{}
	if cfg.APIKey != "" {
		opts.HTTPHeader = http.Header{"Authorization": {"Bearer " + cfg.APIKey}}
	}
	conn, resp, err := websocket.Dial(ctx, cfg.URL, opts)
	if err != nil {
		return nil, describeDialError(cfg, resp, err)
	}
	// A result with many word timings can exceed the 32 KiB default.
	conn.SetReadLimit(4 << 20)
	return conn, nil
}

func describeDialError(cfg SessionConfig, resp *http.Response, err error) error {
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint := "the service wants an API key: pass -api-key or set STT_API_KEY"
			if cfg.APIKey != "" {
				hint = "the API key was refused: check -api-key / STT_API_KEY"
			}
			return fmt.Errorf("handshake with %s refused with HTTP %d: %s", cfg.URL, resp.StatusCode, hint)
		case http.StatusNotFound:
			return fmt.Errorf("handshake with %s: HTTP 404, no WebSocket endpoint at that path (the Parakeet service serves /ws)", cfg.URL)
		}
		return fmt.Errorf("handshake with %s: HTTP %d: %w", cfg.URL, resp.StatusCode, err)
	}
	return fmt.Errorf("dial %s: %w", cfg.URL, err)
}

// prepared is a clip laid out as frames before the streams start, so that
// no encoding runs after the common origin.
type prepared struct {
	speechEnd  time.Duration
	stream     []byte
	frames     int // speech and silence frames
	lastVoiced int // index of the frame holding the last voiced sample
}

func prepare(clip ttspool.Clip, trailingSilence time.Duration) prepared {
	silenceFrames := int((trailingSilence + FrameDuration - 1) / FrameDuration)
	stream, speechFrames := encodeStream(clip.PCM, silenceFrames)
	return prepared{speechEnd: clip.SpeechEnd, stream: stream, frames: speechFrames + silenceFrames, lastVoiced: lastVoicedFrame(clip.SpeechEnd)}
}

// stream runs one dialed session: it streams the prepared clip on the schedule anchored
// at start, receives concurrently, and stops by the receive rules. It always
// closes conn. It never returns an error: what went wrong is in the result.
func stream(ctx context.Context, conn *websocket.Conn, cfg SessionConfig, p prepared, start time.Time, res *SessionResult, prog *Progress) {
	defer conn.CloseNow()
	frames, total, lastVoiced := p.stream, p.frames, p.lastVoiced

	res.Start = start
	res.EOS = start.Add(p.speechEnd)
	res.SendLags = make([]time.Duration, 0, total)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	msgs := make(chan Message, 64)
	readErr := make(chan error, 1)
	go receive(ctx, conn, msgs, readErr)

	sendDone := make(chan error, 1)
	go func() {
		sendDone <- send(ctx, conn, frames, total, lastVoiced, res)
	}()
	prog.add(&prog.Streaming, 1)

	var (
		sending = true
		lastMsg time.Time
		idle    = time.NewTimer(time.Hour)
		hardCap = time.NewTimer(time.Hour)
	)
	idle.Stop()
	hardCap.Stop()
	defer idle.Stop()
	defer hardCap.Stop()

	finish := func(outcomeErr error, reason string) {
		res.StopReason = reason
		res.Outcome = classify(res, outcomeErr)
		if outcomeErr != nil {
			res.Err = outcomeErr.Error()
		}
	}
	for {
		select {
		case err := <-sendDone:
			sending = false
			prog.add(&prog.Streaming, -1)
			if err != nil {
				// A closed connection fails the write first; the reader
				// usually holds the better reason (the close status).
				select {
				case rerr := <-readErr:
					err = rerr
				case <-time.After(200 * time.Millisecond):
				}
				cancel()
				finish(err, "send error")
				return
			}
			prog.add(&prog.Waiting, 1)
			defer prog.add(&prog.Waiting, -1) // when the session ends
			if res.Results >= res.Queued && res.Queued > 0 {
				finish(nil, "all results")
				return
			}
			hardCap.Reset(cfg.ResultTimeout)
			if res.Results > 0 {
				idle.Reset(cfg.IdleTimeout - time.Since(lastMsg))
			}
		case m := <-msgs:
			res.Messages = append(res.Messages, m)
			lastMsg = m.At
			if m.Queued {
				res.Queued++
			}
			if m.IsResult {
				res.Results++
				if m.Text != "" {
					res.Segments = append(res.Segments, m.Text)
					res.FinalResult = m.At
				}
			}
			if sending {
				continue
			}
			if res.Results >= res.Queued && res.Queued > 0 {
				finish(nil, "all results")
				return
			}
			if res.Results > 0 {
				idle.Reset(cfg.IdleTimeout - time.Since(lastMsg))
			}
		case err := <-readErr:
			if sending {
				cancel()
				<-sendDone
				prog.add(&prog.Streaming, -1)
			}
			finish(err, "read error")
			return
		case <-idle.C:
			finish(nil, fmt.Sprintf("idle for %v after the last result", cfg.IdleTimeout))
			return
		case <-hardCap.C:
			finish(nil, fmt.Sprintf("result timeout %v after the last frame", cfg.ResultTimeout))
			return
		case <-ctx.Done():
			if sending {
				<-sendDone
				prog.add(&prog.Streaming, -1)
			}
			finish(fmt.Errorf("session cancelled: %w", context.Cause(ctx)), "cancelled")
			return
		}
	}
}

// lastVoicedFrame is the index of the frame holding the sample that ends at
// speechEnd (a sample ending exactly on a frame boundary belongs to the
// frame before it).
func lastVoicedFrame(speechEnd time.Duration) int {
	if speechEnd <= 0 {
		return 0
	}
	return frameOf(speechEnd - 1)
}

// send writes the frames on their absolute schedule. Nothing but waiting,
// one clock read and the write itself happens between frames.
func send(ctx context.Context, conn *websocket.Conn, stream []byte, total, lastVoiced int, res *SessionResult) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := range total {
		due := frameDue(res.Start, i)
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return fmt.Errorf("send frame %d: %w", i, context.Cause(ctx))
			}
		}
		now := time.Now()
		// When behind, send at once and keep the origin: the lag is recorded.
		res.SendLags = append(res.SendLags, now.Sub(due))
		if err := conn.Write(ctx, websocket.MessageBinary, frameBytes(stream, i)); err != nil {
			return fmt.Errorf("send frame %d of %d: %w", i+1, total, err)
		}
		res.FramesSent++
		if i == lastVoiced {
			res.LastSpeechFrameSent = now
		}
		if i == total-1 {
			res.SilenceEnd = now
		}
	}
	return nil
}

// receive is the only caller of Read on conn. It stamps each message on
// arrival and hands it over; it ends at the first read error.
func receive(ctx context.Context, conn *websocket.Conn, out chan<- Message, errc chan<- error) {
	for {
		typ, data, err := conn.Read(ctx)
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

func describeReadError(err error) error {
	if status := websocket.CloseStatus(err); status != -1 {
		return fmt.Errorf("read: the service closed the connection (%d %v): %w", int(status), status, err)
	}
	return fmt.Errorf("read: %w", err)
}

// parseMessage decodes one service message. A text key marks a result;
// a non-JSON or non-object message is a protocol error.
func parseMessage(typ websocket.MessageType, data []byte, at time.Time) (Message, error) {
	m := Message{At: at, Raw: string(data)}
	if typ != websocket.MessageText {
		return m, fmt.Errorf("protocol: unexpected binary message of %d bytes from the service", len(data))
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return m, fmt.Errorf("protocol: message is not a JSON object (%w): %.120q", err, data)
	}
	if raw, ok := fields["status"]; ok {
		var status string
		if json.Unmarshal(raw, &status) == nil && status == "queued" {
			m.Queued = true
		}
	}
	if raw, ok := fields["text"]; ok {
		m.IsResult = true
		if string(raw) != "null" {
			if err := json.Unmarshal(raw, &m.Text); err != nil {
				return m, fmt.Errorf("protocol: \"text\" is not a string: %.120q", data)
			}
		}
		m.Text = strings.TrimSpace(m.Text)
	}
	return m, nil
}

// classify turns what happened into an Outcome.
func classify(res *SessionResult, err error) Outcome {
	switch {
	case err != nil:
		return Errored
	case len(res.Segments) == 0:
		return Failed
	case res.Results < res.Queued:
		return Incomplete
	default:
		return OK
	}
}

// summariseLags fills MaxLag and P99Lag from SendLags.
func summariseLags(res *SessionResult) {
	if len(res.SendLags) == 0 {
		return
	}
	lags := make([]float64, len(res.SendLags))
	for i, l := range res.SendLags {
		lags[i] = float64(l)
	}
	res.MaxLag = slices.Max(res.SendLags)
	res.P99Lag = time.Duration(stats.Percentile(lags, 99))
}

// Preflight opens and closes one connection, so that an unreachable service
// fails the run in seconds, before any audio is prepared.
func Preflight(ctx context.Context, cfg SessionConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := dial(ctx, cfg.withDefaults())
	if err != nil {
		return err
	}
	conn.Close(websocket.StatusNormalClosure, "preflight")
	return nil
}
