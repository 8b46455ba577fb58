package refstt

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sttbench/sttbench/ttspool"
)

// Voice-activity detection, as a Parakeet server configures its VAD.
const (
	vadWindow = 512 // samples: 32 ms at 16 kHz
	// vadThreshold is the RMS above which a window is speech: -40 dBFS.
	vadThreshold = 0.01 * 32768
	// silenceWindows of silence end an utterance: 8 x 32 ms = 256 ms, the
	// first whole number of windows >= 250 ms.
	silenceWindows = 8
	// maxUtterance samples (8 s) force a cut in speech that never pauses.
	maxUtterance = 8 * ttspool.SampleRate
	// A sample above the utterance's peak / voicedDivisor (10%) is voiced,
	// for pinpointing where speech ended: the 32 ms windows are too coarse.
	voicedDivisor = 10
)

var queuedMsg = []byte(`{"status":"queued"}`)

// session is one WebSocket connection. Its reader (run) owns the VAD state;
// its writer goroutine is the only caller of conn.Write; the worker owns the
// fault accumulators.
type session struct {
	id     int
	srv    *Server
	conn   *websocket.Conn
	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc

	outMu  sync.Mutex
	out    []outMsg      // messages waiting for the writer
	gone   bool          // the writer has stopped: count new results as undelivered
	outSig chan struct{} // capacity 1: out grew

	logMu sync.Mutex
	log   SessionLog

	// Reader state.
	received  int64 // samples received
	odd       []byte
	frames    []frameRec // messages that may hold samples of the current utterance
	processed int64      // samples consumed into VAD windows
	win       []int16    // the window being filled
	prev      []int16    // the last silent window: pre-roll for the next utterance
	speech    bool
	utt       []int16 // the current utterance's samples, from uttStart
	uttStart  int64
	peak      int
	silent    int // consecutive silent windows

	// Worker state: the fault accumulators and the word chooser.
	wer, drop, leak, malformed accumulator
	rng                        *rand.Rand
}

// frameRec records when a binary message arrived and where it ended.
type frameRec struct {
	end int64 // samples in the stream up to and including this message
	at  time.Time
}

// outMsg is one text message for the writer.
type outMsg struct {
	data   []byte
	result bool // a result (not a queued notice): logged and counted
	text   string
	origin int
	bad    bool // malformed
}

func newSession(srv *Server, id int, conn *websocket.Conn) *session {
	ctx, cancel := context.WithCancel(srv.ctx)
	cfg := srv.cfg
	return &session{
		id:        id,
		srv:       srv,
		conn:      conn,
		ctx:       ctx,
		cancel:    cancel,
		outSig:    make(chan struct{}, 1),
		log:       SessionLog{ID: id, Connected: time.Now()},
		win:       make([]int16, 0, vadWindow),
		wer:       accumulator{rate: cfg.WordErrorRate},
		drop:      accumulator{rate: cfg.DropRate},
		leak:      accumulator{rate: cfg.LeakRate},
		malformed: accumulator{rate: cfg.MalformedRate},
		rng:       rand.New(rand.NewPCG(cfg.Seed, uint64(id))),
	}
}

// run reads the client's audio until the connection ends, then stops the
// writer. A pending partial utterance is discarded, as Parakeet does.
func (s *session) run() {
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop()
	}()
	defer func() {
		s.cancel()
		<-writerDone
		s.outMu.Lock()
		s.gone = true
		for _, m := range s.out {
			if m.result {
				s.srv.stats.undelivered.Add(1)
			}
		}
		s.out = nil
		s.outMu.Unlock()
		s.conn.CloseNow()
	}()

	closeAfter := int64(s.srv.cfg.CloseAfter.Seconds() * ttspool.SampleRate)
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary {
			continue // Parakeet ignores text messages
		}
		s.receive(data, time.Now())
		if closeAfter > 0 && s.received >= closeAfter {
			s.conn.Close(websocket.StatusInternalError, "refstt: close-after fault")
			return
		}
	}
}

// receive decodes one binary message and feeds it to the VAD.
func (s *session) receive(data []byte, at time.Time) {
	if len(s.odd) > 0 { // a sample split across messages
		data = append(s.odd, data...)
		s.odd = nil
	}
	if len(data)%2 == 1 {
		s.odd = []byte{data[len(data)-1]}
		data = data[:len(data)-1]
	}
	n := len(data) / 2
	s.received += int64(n)
	s.frames = append(s.frames, frameRec{end: s.received, at: at})
	for i := range n {
		s.win = append(s.win, int16(binary.LittleEndian.Uint16(data[2*i:])))
		if len(s.win) == vadWindow {
			s.window(s.win)
			s.win = s.win[:0]
		}
	}
	if s.srv.cfg.PerMessageWindows && len(s.win) > 0 {
		// The message's tail that fills no window is never heard; sample
		// positions still count it, so the log stays in stream time.
		s.processed += int64(len(s.win))
		s.srv.stats.samplesDropped.Add(int64(len(s.win)))
		s.win = s.win[:0]
	}
}

// window runs the VAD on one full window.
func (s *session) window(w []int16) {
	var sum float64
	for _, v := range w {
		sum += float64(v) * float64(v)
	}
	voiced := math.Sqrt(sum/float64(len(w))) > vadThreshold
	start := s.processed
	s.processed += int64(len(w))

	if !s.speech {
		if !voiced {
			s.prev = append(s.prev[:0], w...)
			// Keep only the messages that may hold the pre-roll.
			s.frames = slices.DeleteFunc(s.frames, func(f frameRec) bool { return f.end <= start })
			return
		}
		s.speech = true
		s.uttStart = start - int64(len(s.prev))
		s.utt = append(append([]int16(nil), s.prev...), w...)
		s.peak = 0
		s.updatePeak(s.utt)
		s.silent = 0
		return
	}
	s.utt = append(s.utt, w...)
	s.updatePeak(w)
	if voiced {
		s.silent = 0
	} else {
		s.silent++
	}
	if s.silent >= silenceWindows || len(s.utt) >= maxUtterance {
		s.cut()
		s.prev = append(s.prev[:0], w...)
	}
}

func (s *session) updatePeak(w []int16) {
	for _, v := range w {
		s.peak = max(s.peak, abs(v))
	}
}

func abs(v int16) int {
	if v < 0 {
		return -int(v)
	}
	return int(v)
}

// cut ends the current utterance: logs where its speech ended, sends
// {"status":"queued"} and hands the audio to the worker.
func (s *session) cut() {
	s.speech = false
	now := time.Now()
	thresh := s.peak / voicedDivisor
	last := 0
	for i := len(s.utt) - 1; i >= 0; i-- {
		if abs(s.utt[i]) > thresh {
			last = i
			break
		}
	}
	u := UtteranceLog{
		StartSample:      s.uttStart,
		EndSample:        s.uttStart + int64(len(s.utt)),
		LastVoicedSample: s.uttStart + int64(last),
		Queued:           now,
	}
	for _, f := range s.frames {
		if f.end > u.LastVoicedSample {
			u.FrameEndSample, u.FrameReceived = f.end, f.at
			break
		}
	}
	s.logMu.Lock()
	s.log.Utterances = append(s.log.Utterances, u)
	s.logMu.Unlock()

	s.srv.stats.utterances.Add(1)
	s.enqueue(outMsg{data: queuedMsg})
	s.srv.submit(chunk{sess: s, pcm: s.utt, start: s.uttStart, queued: now})
	s.utt = nil // the worker owns the samples now
	// Keep only the messages that may hold the next utterance's pre-roll.
	s.frames = slices.DeleteFunc(s.frames, func(f frameRec) bool { return f.end <= s.processed-vadWindow })
}

// enqueue hands m to the writer, or counts it undelivered when the session
// has ended.
func (s *session) enqueue(m outMsg) {
	s.outMu.Lock()
	if s.gone {
		s.outMu.Unlock()
		if m.result {
			s.srv.stats.undelivered.Add(1)
		}
		return
	}
	s.out = append(s.out, m)
	s.outMu.Unlock()
	select {
	case s.outSig <- struct{}{}:
	default:
	}
}

// writeLoop writes queued messages in order until the session ends.
func (s *session) writeLoop() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.outSig:
		}
		for {
			s.outMu.Lock()
			if len(s.out) == 0 {
				s.outMu.Unlock()
				break
			}
			m := s.out[0]
			s.out = s.out[1:]
			s.outMu.Unlock()
			// Log and count a result before writing it: a client may read it
			// before Write returns, and a test may then look at the log.
			if m.result {
				s.srv.stats.results.Add(1)
				s.logMu.Lock()
				s.log.Results = append(s.log.Results, ResultLog{Sent: time.Now(), Text: m.text, Origin: m.origin, Malformed: m.bad})
				s.logMu.Unlock()
			}
			if err := s.conn.Write(s.ctx, websocket.MessageText, m.data); err != nil {
				if m.result { // not sent after all
					s.srv.stats.results.Add(-1)
					s.srv.stats.undelivered.Add(1)
					s.logMu.Lock()
					s.log.Results = s.log.Results[:len(s.log.Results)-1]
					s.logMu.Unlock()
				}
				s.cancel() // the connection is broken: end the reader too
				return
			}
		}
	}
}

// accumulator spreads a fault rate evenly and deterministically over a run
// of events: after n events exactly floor(n*rate) have been hit.
type accumulator struct {
	rate    float64
	n, hits int
}

// next counts one event and reports whether it is hit.
func (a *accumulator) next() bool {
	a.n++
	// The epsilon keeps 5*0.2 from landing a hair under 1.
	if int(math.Floor(float64(a.n)*a.rate+1e-9)) > a.hits {
		a.hits++
		return true
	}
	return false
}
