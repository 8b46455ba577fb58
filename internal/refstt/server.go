// Package refstt is a reference streaming speech-to-text service that speaks
// the wire protocol of a Parakeet (NVIDIA NeMo) FastAPI server, for tests and
// demos of the benchmark without a GPU.
//
// A client opens a WebSocket at /ws and sends binary messages of 16 kHz mono
// little-endian int16 PCM. An energy voice-activity detector cuts the stream
// into utterances; for each the server sends {"status":"queued"} at once and,
// after one shared worker has "processed" it in a batch with other sessions'
// utterances, a result:
//
//	{"text":"Hello world.","confidence":0.97,"words":[{"word":"Hello","start":0.12,"end":0.48,"confidence":0.98},...]}
//
// Recognition is real: the audio is decoded with voice.Recognize, so it must
// have been spoken by voice.Synthesize. Processing time follows a latency
// model (Config.BatchLatency), and Config has knobs for the faults a real
// service shows: word errors, dropped, leaked and malformed results, and
// connections closed mid-stream. Messages over 4 MiB end the connection
// (status 1009); odd-length messages are fine (a sample may span two).
//
// The server logs when it received each utterance's last voiced sample and
// when it sent each result (Server.Sessions), so tests can check a client's
// latency measurements against the truth.
//
// The VAD: 32 ms windows, speech above -40 dBFS RMS, an
// utterance cut after 256 ms (8 windows) of silence or 8 s of speech, one
// window of audio kept before speech starts. A partial utterance pending
// when the client leaves is discarded, as Parakeet does.
package refstt

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/sttbench/sttbench/internal/serve"
	"github.com/sttbench/sttbench/ttspool"
)

// Server is the reference STT service, an http.Handler serving /ws. Its
// methods are safe for concurrent use. Close it to end its connections and
// its worker goroutine.
type Server struct {
	cfg    Config // with defaults applied
	mux    *http.ServeMux
	ctx    context.Context // cancelled by Close: ends every session and the worker
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	sessions []*session // the latest cfg.KeepSessions sessions accepted, in order of connection
	nextID   int        // the ID of the next session accepted
	live     []*session // the connected ones, in order of connection
	handlers sync.WaitGroup

	qMu   sync.Mutex
	queue []chunk       // utterances waiting for the worker
	qSig  chan struct{} // capacity 1: the queue grew
	slots chan struct{} // capacity QueueSize: one token per queued utterance; nil when unbounded
	done  chan struct{} // closed when the worker returns

	stats struct {
		forgotten, connections, refused, utterances, results, dropped, leaked, malformed, undelivered, batches, queueFull, samplesDropped atomic.Int64
	}
}

// Stats counts what a Server has done since New.
type Stats struct {
	Connections int64 // WebSocket sessions accepted
	Refused     int64 // handshakes refused for a missing or wrong API key
	Utterances  int64 // utterances cut and queued for recognition
	Results     int64 // result messages written, leaked and malformed ones included
	Dropped     int64 // results withheld by DropRate
	Leaked      int64 // results sent to another session by LeakRate
	Malformed   int64 // results sent as invalid JSON by MalformedRate
	Undelivered int64 // results whose connection had ended before they could be written
	Batches     int64 // batches the worker processed
	QueueFull   int64 // times a session's reader had to wait for room in a full queue
	// SamplesDropped counts the samples of message tails that filled no
	// window under PerMessageWindows: audio the service never heard.
	SamplesDropped int64
	// SessionsForgotten counts the session logs dropped to keep only the
	// latest Config.KeepSessions.
	SessionsForgotten int64
}

// SessionLog is the record of one session, for tests.
type SessionLog struct {
	ID         int // 0 for the first session accepted, then 1, 2, ...
	Connected  time.Time
	Utterances []UtteranceLog
	Results    []ResultLog // results written on this connection, in order
}

// UtteranceLog records one utterance cut by the voice-activity detector.
// Sample indexes count from the first sample of the stream.
type UtteranceLog struct {
	StartSample, EndSample int64 // the audio sent to recognition: [StartSample, EndSample)
	// LastVoicedSample is the index of the utterance's last sample whose
	// magnitude exceeds 10% of the utterance's peak: where speech ended,
	// to the sample.
	LastVoicedSample int64
	// FrameEndSample is the number of samples in the stream up to and
	// including the binary message that held LastVoicedSample.
	FrameEndSample int64
	// FrameReceived is when that message was read.
	FrameReceived time.Time
	// Queued is when the utterance was cut and {"status":"queued"} handed
	// to the writer.
	Queued time.Time
}

// EndOfSpeech returns the moment speech ended as seen from the server:
// FrameReceived - (FrameEndSample - LastVoicedSample) samples, the time the
// client sent the last voiced sample if it sends each message as soon as
// its last sample is due.
func (u UtteranceLog) EndOfSpeech() time.Time {
	return u.FrameReceived.Add(-time.Duration(u.FrameEndSample-u.LastVoicedSample) * time.Second / ttspool.SampleRate)
}

// ResultLog records one result message written to a connection.
type ResultLog struct {
	Sent      time.Time // when the write began
	Text      string    // the result's text (for a malformed message, the text it should have carried)
	Origin    int       // ID of the session whose audio it was: not this one when leaked
	Malformed bool
}

// New returns a Server for cfg and starts its worker; it fails when cfg is
// invalid.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:    cfg.withDefaults(),
		mux:    http.NewServeMux(),
		ctx:    ctx,
		cancel: cancel,
		qSig:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	if s.cfg.QueueSize > 0 {
		s.slots = make(chan struct{}, s.cfg.QueueSize)
	}
	s.mux.HandleFunc("/ws", s.serveWS)
	go s.work()
	return s, nil
}

// ServeHTTP serves the WebSocket endpoint /ws; other paths are 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends every session abruptly, stops the worker and waits for all of
// the Server's goroutines. Later connections are refused with 503. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.handlers.Wait()
	<-s.done
	return nil
}

// Stats returns the Server's counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		Connections:    c.connections.Load(),
		Refused:        c.refused.Load(),
		Utterances:     c.utterances.Load(),
		Results:        c.results.Load(),
		Dropped:        c.dropped.Load(),
		Leaked:         c.leaked.Load(),
		Malformed:      c.malformed.Load(),
		Undelivered:    c.undelivered.Load(),
		Batches:        c.batches.Load(),
		QueueFull:      c.queueFull.Load(),
		SamplesDropped: c.samplesDropped.Load(),

		SessionsForgotten: c.forgotten.Load(),
	}
}

// Sessions returns a copy of the logs of the sessions accepted so far, in
// order of connection: all of them, or the latest Config.KeepSessions.
func (s *Server) Sessions() []SessionLog {
	s.mu.Lock()
	all := slices.Clone(s.sessions)
	s.mu.Unlock()
	out := make([]SessionLog, len(all))
	for i, sess := range all {
		sess.logMu.Lock()
		out[i] = sess.log
		out[i].Utterances = slices.Clone(sess.log.Utterances)
		out[i].Results = slices.Clone(sess.log.Results)
		sess.logMu.Unlock()
	}
	return out
}

// serveWS checks the API key, upgrades the connection and runs the session
// until the client leaves, the server closes it or Close is called.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if s.cfg.APIKey != "" {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, []byte("Bearer "+s.cfg.APIKey)) != 1 {
			s.stats.refused.Add(1)
			http.Error(w, "invalid or missing API key", http.StatusForbidden)
			return
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()

	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has written the HTTP error
	}
	// A client may send much more than 100 ms per message.
	conn.SetReadLimit(4 << 20)
	sess := s.register(conn)
	defer s.unregister(sess)
	sess.run()
}

// register adds a session for conn to the log and the live list.
func (s *Server) register(conn *websocket.Conn) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := newSession(s, s.nextID, conn)
	s.nextID++
	if len(s.sessions) == s.cfg.KeepSessions {
		// Shift rather than reslice, so the array holds no dropped session.
		n := copy(s.sessions, s.sessions[1:])
		s.sessions[n] = nil
		s.sessions = s.sessions[:n]
		s.stats.forgotten.Add(1)
	}
	s.sessions = append(s.sessions, sess)
	s.live = append(s.live, sess)
	s.stats.connections.Add(1)
	return sess
}

func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live = slices.DeleteFunc(s.live, func(o *session) bool { return o == sess })
}

// otherSession returns the connected session after sess in order of
// connection, wrapping around, or nil when sess is alone.
func (s *Server) otherSession(sess *session) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first *session
	for _, o := range s.live {
		if o == sess {
			continue
		}
		if o.id > sess.id {
			return o
		}
		if first == nil {
			first = o
		}
	}
	return first
}

// Running is a Server listening on a TCP address.
type Running struct {
	*Server
	http      *serve.Server
	closeOnce sync.Once
	closeErr  error
}

// Listen starts a Server for cfg on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string, cfg Config) (*Running, error) {
	srv, err := New(cfg)
	if err != nil {
		return nil, err
	}
	hs, err := serve.Listen(addr, srv)
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("refstt: listen: %w", err)
	}
	return &Running{Server: srv, http: hs}, nil
}

// URL returns the WebSocket URL of the service, ws://HOST:PORT/ws.
func (r *Running) URL() string { return "ws://" + r.http.Addr() + "/ws" }

// Close stops listening, ends every session and waits for all goroutines.
// Later calls return the first call's result.
func (r *Running) Close() error {
	r.closeOnce.Do(func() {
		err := r.http.Close()
		r.Server.Close()
		if err != nil {
			r.closeErr = fmt.Errorf("refstt: close: %w", err)
		}
	})
	return r.closeErr
}
