package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// SessionConfig describes how every session of a run talks to the service.
// The zero value of each optional field selects the documented default.
type SessionConfig struct {
	// URL is the service's WebSocket endpoint, e.g. ws://localhost:8000/ws. Required.
	URL string
	// APIKey, when set, is sent as "Authorization: Bearer <key>". It is never
	// printed, logged or written to a file.
	APIKey string
	// Frame is the audio time of one binary frame, what the client's
	// microphone or voice-agent framework delivers at a time: between
	// MinFrame and MaxFrame and a whole number of samples. Zero means
	// DefaultFrame (100 ms).
	Frame time.Duration
	// TrailingSilence is the silence sent after the clip so the service's VAD
	// flushes the last utterance. Zero means 1 s.
	TrailingSilence time.Duration
	// IdleTimeout ends a session once sending is done, every queued
	// utterance has its result, and no message has arrived for this long
	// (counted from the last message or the last frame, whichever is
	// later). While results are owed it does not apply: one for each
	// queued utterance, and at least one for a clip with speech. Zero
	// means 5 s.
	IdleTimeout time.Duration
	// ResultTimeout is the hard cap on waiting, counted from the last frame
	// sent. Zero means 30 s.
	ResultTimeout time.Duration
	// DialTimeout bounds one WebSocket handshake. Zero means 10 s.
	DialTimeout time.Duration
	// WriteTimeout bounds one frame write: a service that stops reading
	// audio (back-pressure) blocks writes, and a write blocked this long
	// ends the session as an error. Zero means 5 s.
	WriteTimeout time.Duration
	// CloseTimeout bounds the close handshake the client starts when a
	// session ends; then the connection is dropped. Zero means 1 s.
	CloseTimeout time.Duration

	// sendBuffer, when positive, sets the socket send buffer (SO_SNDBUF),
	// so that tests see a service's back-pressure within seconds.
	sendBuffer int
}

// Validate reports the first invalid field.
func (c SessionConfig) Validate() error {
	if c.URL == "" {
		return errors.New("session config: the STT URL is empty")
	}
	if !strings.HasPrefix(c.URL, "ws://") && !strings.HasPrefix(c.URL, "wss://") {
		return fmt.Errorf("session config: STT URL %q must start with ws:// or wss://", c.URL)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"trailing silence", c.TrailingSilence}, {"idle timeout", c.IdleTimeout},
		{"result timeout", c.ResultTimeout}, {"dial timeout", c.DialTimeout},
		{"write timeout", c.WriteTimeout}, {"close timeout", c.CloseTimeout},
	} {
		if d.v < 0 {
			return fmt.Errorf("session config: %s %v is negative", d.name, d.v)
		}
	}
	if c.Frame != 0 {
		if _, whole := FrameSamples(c.Frame); !whole || c.Frame < MinFrame || c.Frame > MaxFrame {
			return fmt.Errorf("session config: frame %v is not a whole number of samples at 16 kHz between %v and %v", c.Frame, MinFrame, MaxFrame)
		}
	}
	return nil
}

func (c SessionConfig) withDefaults() SessionConfig {
	c.Frame = orDefault(c.Frame, DefaultFrame)
	c.TrailingSilence = orDefault(c.TrailingSilence, time.Second)
	c.IdleTimeout = orDefault(c.IdleTimeout, 5*time.Second)
	c.ResultTimeout = orDefault(c.ResultTimeout, 30*time.Second)
	c.DialTimeout = orDefault(c.DialTimeout, 10*time.Second)
	c.WriteTimeout = orDefault(c.WriteTimeout, 5*time.Second)
	c.CloseTimeout = orDefault(c.CloseTimeout, time.Second)
	return c
}

func orDefault(d, def time.Duration) time.Duration {
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
	// Incomplete: some transcript arrived, but fewer results than queued, or
	// no message came after the last speech frame was sent.
	Incomplete Outcome = "incomplete"
	// Failed: the session ran but produced no transcript at all.
	Failed Outcome = "failed"
	// Errored: a dial, handshake, protocol, read or write error, an abnormal
	// close or an error message from the service ended the session.
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
	// Error is the text of an "error" key: the service reporting a failure.
	Error string `json:"error,omitempty"`
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
	// AudioSHA256 is the SHA-256 of the clip's PCM as sent (little-endian
	// int16, before padding and trailing silence), in hex.
	AudioSHA256 string `json:"audio_sha256"`

	Outcome Outcome `json:"outcome"`
	// Reason is one line saying why a session that is not ok ended as it
	// did, worded the same for every session with the same cause so that a
	// level's reasons can be grouped and counted. Empty for ok sessions.
	Reason string `json:"reason,omitempty"`
	// Err is the full error message of an Errored session, with the
	// details of this session (frame numbers, counts).
	Err string `json:"error,omitempty"`
	// StopReason says which rule ended the session.
	StopReason string `json:"stop_reason,omitempty"`

	DialStart time.Time `json:"dial_start"`
	Dialed    time.Time `json:"dialed"`
	// Start is the stream origin: frame i was due at Start + (i+1)*Frame.
	Start time.Time `json:"stream_start"`
	// Frame is the audio time of one frame the session sent; zero in
	// records written before frames had a size of their own, which sent
	// DefaultFrame.
	Frame time.Duration `json:"frame_ns,omitzero"`
	// Scheduled is when a session of an open schedule (RunSession) was
	// due to begin; DialStart - Scheduled is how late it began. Zero for
	// the sessions of a level.
	Scheduled time.Time `json:"scheduled,omitzero"`
	// LastSpeechFrameSent is when the frame holding the last voiced sample left.
	LastSpeechFrameSent time.Time `json:"last_speech_frame_sent"`
	// EOS is the moment the speaker stopped: Start + the clip's SpeechEnd.
	EOS time.Time `json:"eos"`
	// SilenceEnd is when the last frame (of the trailing silence) was sent.
	SilenceEnd time.Time `json:"silence_end"`
	// Ended is when the session decided to stop (or failed); the close
	// handshake follows it.
	Ended time.Time `json:"ended"`
	// FramesSent counts binary frames written, speech and silence.
	FramesSent int `json:"frames_sent"`
	// SendLags holds how late each frame's write began against its
	// schedule, the frame a blocked write gave up on included.
	SendLags []time.Duration `json:"send_lags_ns"`
	// ClientLags holds, per frame, the part of its lag this client caused:
	// how late its write began after both its due time and the end of the
	// previous write. Time spent blocked in a write is the service's
	// back-pressure, not the client's.
	ClientLags []time.Duration `json:"-"`
	// MaxLag and P99Lag summarise SendLags; MaxClientLag summarises
	// ClientLags; MaxWrite is the longest a single frame write took.
	MaxLag       time.Duration `json:"send_lag_max_ns"`
	P99Lag       time.Duration `json:"send_lag_p99_ns"`
	MaxClientLag time.Duration `json:"client_lag_max_ns"`
	MaxWrite     time.Duration `json:"write_max_ns"`

	Messages []Message `json:"messages"`
	Queued   int       `json:"queued"`
	Results  int       `json:"results"`
	// ServiceErrors are the texts of the service's error messages.
	ServiceErrors []string `json:"service_errors,omitempty"`
	// Segments are the non-empty result texts in arrival order.
	Segments []string `json:"segments"`
	// FinalResult is the arrival of the last non-empty text.
	FinalResult time.Time `json:"final_result"`

	// ClosedBy is "service" when the service closed the connection, with
	// its CloseCode and CloseReason; "client" when this client did.
	ClosedBy    string `json:"closed_by,omitempty"`
	CloseCode   int    `json:"close_code,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
	// CloseHandshake says how the client's close ended: "clean" when the
	// service answered the close frame in time, else what happened.
	CloseHandshake string `json:"close_handshake,omitempty"`
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

// dial opens one session's connection through client. A refused or
// unanswered handshake explains itself.
func dial(ctx context.Context, cfg SessionConfig, client *http.Client) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	opts := &websocket.DialOptions{HTTPClient: client}
	if cfg.APIKey != "" {
		opts.HTTPHeader = http.Header{"Authorization": {"Bearer " + cfg.APIKey}}
	}
	began := time.Now()
	conn, resp, err := websocket.Dial(dctx, cfg.URL, opts)
	if err != nil {
		// A deadline, this dial's or the caller's, means no answer in time.
		if errors.Is(dctx.Err(), context.DeadlineExceeded) {
			deadline, _ := dctx.Deadline()
			return nil, fmt.Errorf("dial %s: no handshake response within %v (check the service is up and not overloaded)",
				cfg.URL, deadline.Sub(began).Round(100*time.Millisecond))
		}
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
	if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
		return fmt.Errorf("dial %s: this machine ran out of open files: raise the limit (ulimit -n) or run fewer sessions per load host: %w", cfg.URL, err)
	}
	return fmt.Errorf("dial %s: %w", cfg.URL, err)
}

// Preflight opens and closes one connection, so that an unreachable service
// fails the run in seconds, before any audio is prepared.
func Preflight(ctx context.Context, cfg SessionConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	c, err := dialConn(ctx, cfg)
	if err != nil {
		return err
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	msgs, readErr, readerDone := make(chan Message, 1), make(chan error, 1), make(chan struct{})
	go func() {
		defer close(readerDone)
		receive(readCtx, c.ws, msgs, readErr)
	}()
	closeWithReader(c, cfg.CloseTimeout, msgs, readerDone, stopReading)
	return nil
}

// FrameOrDefault is the session's frame duration, DefaultFrame for a
// session recorded without one.
func (r SessionResult) FrameOrDefault() time.Duration {
	if r.Frame == 0 {
		return DefaultFrame
	}
	return r.Frame
}
