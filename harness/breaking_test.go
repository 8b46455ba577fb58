package harness

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/ttspool"
)

// twoUtteranceClip speaks 1 s, pauses 0.6 s and speaks 1 s more: frames
// 0-9 and 16-25 hold speech, and the speaker stops at 2.6 s.
func twoUtteranceClip() ttspool.Clip {
	pcm := make([]int16, 26*DefaultFrameSamples)
	for i := range pcm {
		if f := i / DefaultFrameSamples; f < 10 || f >= 16 {
			pcm[i] = int16(1000 + i%7)
		}
	}
	return ttspool.Clip{Text: "one two. three four.", PCM: pcm, SpeechEnd: 2600 * time.Millisecond}
}

// delayedVAD answers like a VAD service three frames after each utterance
// of twoUtteranceClip ends, and holds every message (queued included) for
// delay before sending it, in order: a service running behind.
func delayedVAD(delay time.Duration) func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
	return func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		type msg struct {
			at   time.Time
			text string
		}
		out := make(chan msg, 8)
		go func() {
			for m := range out {
				select {
				case <-time.After(time.Until(m.at)):
				case <-ctx.Done():
					return
				}
				say(ctx, conn, m.text)
			}
		}()
		defer close(out)
		for _, u := range []struct {
			frame int
			text  string
		}{{13, "One, two."}, {29, "Three four."}} {
			if !waitFrames(frames, u.frame) {
				return
			}
			now := time.Now()
			out <- msg{now.Add(delay), `{"status":"queued"}`}
			out <- msg{now.Add(delay + 50*time.Millisecond), `{"text":"` + u.text + `","confidence":0.9,"words":[0.9,0.9]}`}
		}
	}
}

func TestServiceRunningBehindGetsCompleteSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("streams in real time and waits for delayed replies")
	}
	t.Parallel()
	for _, delay := range []time.Duration{0, 300 * time.Millisecond, 1500 * time.Millisecond, 4 * time.Second} {
		t.Run(delay.String(), func(t *testing.T) {
			t.Parallel()
			srv := newScriptedServer(t, delayedVAD(delay))
			res := runOne(t, SessionConfig{URL: srv.url()}, twoUtteranceClip())
			require.Equal(t, OK, res.Outcome, "reason %q, stop %q", res.Reason, res.StopReason)
			assert.Equal(t, 2, res.Queued)
			assert.Equal(t, 2, res.Results)
			assert.Equal(t, []string{"One, two.", "Three four."}, res.Segments, "every result's text, in order")
			t.Logf("delay %v: EOS latency %v, stopped by %q", delay, res.EOSLatency().Round(time.Millisecond), res.StopReason)
			// Utterance 2's result leaves once frame 29 (due at 2.9 s) has
			// arrived, 50 ms of processing and the delay later; the speaker
			// stopped at 2.6 s.
			floor := 2900*time.Millisecond + 50*time.Millisecond + delay - 2600*time.Millisecond
			assert.GreaterOrEqual(t, res.EOSLatency(), floor)
			assert.Less(t, res.EOSLatency(), floor+time.Second)
		})
	}
}

// smallBufferListener gives every accepted connection a small receive
// buffer, so that a server that stops reading pushes back quickly.
type smallBufferListener struct {
	net.Listener
	size int
}

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.SetReadBuffer(l.size)
	}
	return c, err
}

// stallFirstServer serves WebSocket connections with small socket buffers:
// the first connection accepted is never read, until the test ends; every
// other one is handed to serve. It returns the server's ws:// URL.
func stallFirstServer(t *testing.T, serve func(r *http.Request, conn *websocket.Conn)) string {
	release := make(chan struct{})
	var accepted atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		if accepted.Add(1) > 1 {
			serve(r, conn)
			return
		}
		<-release
	}))
	srv.Listener = smallBufferListener{srv.Listener, 4096}
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func TestServiceThatStopsReadingEndsTheSessionNotTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("streams until the socket buffers fill")
	}
	t.Parallel()
	// The first connection never reads a byte of audio; the other reads
	// and answers once the 30 speech frames are in.
	url := stallFirstServer(t, func(_ *http.Request, conn *websocket.Conn) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		for n := 1; ; n++ {
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
			if n == 30 {
				say(ctx, conn, `{"status":"queued"}`)
				say(ctx, conn, `{"text":"hello there general kenobi"}`)
			}
		}
	})
	cfg := LevelConfig{MaxDialsInFlight: 1, Session: SessionConfig{URL: url,
		WriteTimeout: 2 * time.Second, IdleTimeout: 300 * time.Millisecond, CloseTimeout: 200 * time.Millisecond,
		sendBuffer: 4096}}
	lr, err := RunLevel(context.Background(), cfg, []ttspool.Clip{toneClip(3*time.Second, 0), toneClip(3*time.Second, 0)})
	require.NoError(t, err)

	// Which session the server stalls depends on which dialed first. The
	// bound is generous: the served session's reader must never fall 2 s
	// behind on a busy machine.
	stuck, served := lr.Sessions[0], lr.Sessions[1]
	if stuck.Outcome != Errored {
		stuck, served = served, stuck
	}
	assert.Equal(t, Errored, stuck.Outcome)
	assert.Regexp(t, `^the service stopped reading audio: frame \d+ of 40 blocked for 2s$`, stuck.Err)
	assert.Equal(t, "the service stopped reading audio: a frame write blocked for 2s", stuck.Reason)
	assert.Len(t, stuck.SendLags, stuck.FramesSent+1, "the lag of the blocked frame is recorded too")
	assert.GreaterOrEqual(t, stuck.MaxWrite, 2*time.Second)

	assert.Equal(t, OK, served.Outcome, "the other session of the level is unaffected: %s", served.Reason)
}

func TestNormalCloseAfterEveryResultIsANormalEnd(t *testing.T) {
	t.Parallel()
	srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		if waitFrames(frames, 5) {
			say(ctx, conn, `{"status":"queued"}`)
			say(ctx, conn, `{"text":"hello there general kenobi"}`)
			conn.Close(websocket.StatusNormalClosure, "all done")
		}
	})
	// 3 speech frames and 10 of silence: the close comes mid-silence.
	res := runOne(t, SessionConfig{URL: srv.url()}, toneClip(300*time.Millisecond, 0))
	assert.Equal(t, OK, res.Outcome, res.Err)
	assert.Empty(t, res.Err)
	assert.Empty(t, res.Reason)
	assert.Equal(t, "hello there general kenobi", res.Transcript())
	assert.Equal(t, "service", res.ClosedBy)
	assert.Equal(t, 1000, res.CloseCode)
	assert.Equal(t, "all done", res.CloseReason)
	assert.Equal(t, "the service closed the connection normally (1000) after every result", res.StopReason)
	assert.Less(t, res.FramesSent, 13)
	assert.Equal(t, []string{"hello there general kenobi"}, res.Segments, "the result before the close is kept")
}

func TestClosesThatAreErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script func(ctx context.Context, conn *websocket.Conn)
		err    string
		reason string
	}{
		{
			name: "normal close with a result owed",
			script: func(ctx context.Context, conn *websocket.Conn) {
				say(ctx, conn, `{"status":"queued"}`)
				conn.Close(websocket.StatusNormalClosure, "")
			},
			err:    "the service closed the connection (1000 StatusNormalClosure) before every result came: 1 of 1 results still owed",
			reason: "the service closed the connection (1000 StatusNormalClosure) before every result came",
		},
		{
			name:   "normal close before anything was queued",
			script: func(ctx context.Context, conn *websocket.Conn) { conn.Close(websocket.StatusGoingAway, "restarting") },
			err:    `the service closed the connection (1001 "restarting") before every result came: nothing queued yet`,
			reason: `the service closed the connection (1001 "restarting") before every result came`,
		},
		{
			name: "abnormal close",
			script: func(ctx context.Context, conn *websocket.Conn) {
				conn.Close(websocket.StatusTryAgainLater, "overloaded")
			},
			err:    `the service closed the connection with 1013 "overloaded"`,
			reason: `the service closed the connection with 1013 "overloaded"`,
		},
		{
			name:   "TCP dropped without a close frame",
			script: func(ctx context.Context, conn *websocket.Conn) { conn.CloseNow() },
			err:    "the service dropped the connection without a close frame: ",
			reason: "the service dropped the connection without a close frame",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 3) {
					tt.script(ctx, conn)
				}
			})
			res := runOne(t, SessionConfig{URL: srv.url()}, toneClip(time.Second, 0))
			assert.Equal(t, Errored, res.Outcome)
			assert.Contains(t, res.Err, tt.err)
			assert.Equal(t, tt.reason, res.Reason)
			assert.Less(t, res.FramesSent, 20)
		})
	}
}

func TestServiceErrorMessagesAreData(t *testing.T) {
	t.Parallel()
	srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		if waitFrames(frames, 3) { // the last speech frame
			say(ctx, conn, `{"status":"queued"}`)
			say(ctx, conn, `{"error":"CUDA out of memory"}`)
		}
	})
	res := runOne(t, SessionConfig{URL: srv.url(), IdleTimeout: 300 * time.Millisecond, TrailingSilence: 200 * time.Millisecond},
		toneClip(300*time.Millisecond, 0))
	assert.Equal(t, Errored, res.Outcome)
	assert.Equal(t, []string{"CUDA out of memory"}, res.ServiceErrors)
	assert.Equal(t, `service error "CUDA out of memory"`, res.Reason)
	assert.Equal(t, res.Reason, res.Err, "the probe and the record say why too")
	// The error answers the queued utterance: the session ends by the idle
	// window, not the 30 s cap, and it streamed all its audio.
	assert.Contains(t, res.StopReason, "idle")
	assert.Equal(t, 5, res.FramesSent)
}

func TestHandshakeThatNeverAnswersSaysSo(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // accepted, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	url := "ws://" + ln.Addr().String() + "/ws"
	res := runOne(t, SessionConfig{URL: url, DialTimeout: 300 * time.Millisecond}, toneClip(100*time.Millisecond, 0))
	assert.Equal(t, Errored, res.Outcome)
	assert.Equal(t, "dial "+url+": no handshake response within 300ms (check the service is up and not overloaded)", res.Err)
	assert.Equal(t, res.Err, res.Reason)
	// The preflight check, bounded by its caller, says the same.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = Preflight(ctx, SessionConfig{URL: url})
	assert.EqualError(t, err, "dial "+url+": no handshake response within 500ms (check the service is up and not overloaded)")
}

func TestUnansweredCloseIsBounded(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		// Never reads, so it never answers the close frame; keeps talking.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-release:
				return
			case <-tick.C:
				if conn.Write(context.Background(), websocket.MessageText, []byte(`{"status":"processing"}`)) != nil {
					return
				}
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	cfg := SessionConfig{URL: "ws" + strings.TrimPrefix(srv.URL, "http"), TrailingSilence: 100 * time.Millisecond,
		ResultTimeout: 300 * time.Millisecond, CloseTimeout: 400 * time.Millisecond}
	res := runOne(t, cfg, toneClip(200*time.Millisecond, 0))
	assert.Equal(t, Failed, res.Outcome)
	assert.Contains(t, res.StopReason, "result timeout 300ms")
	assert.Equal(t, "no answer to the close frame within 400ms: connection dropped", res.CloseHandshake)
}

// TestPacingKeepsTheOriginAfterAStall stalls the service's reading for
// 4 s mid-stream, about twice what the socket buffers hold. The frames held up meanwhile are recorded as late;
// after the stall the stream catches up with its absolute schedule
// instead of carrying the delay to the end (a sleep-after-send loop would
// end the stream a second or more late).
func TestPacingKeepsTheOriginAfterAStall(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 11 s in real time")
	}
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		for n := 1; ; n++ {
			if _, _, err := conn.Read(r.Context()); err != nil {
				return
			}
			switch n {
			case 20:
				time.Sleep(4 * time.Second)
			case 105:
				say(r.Context(), conn, `{"status":"queued"}`)
				say(r.Context(), conn, `{"text":"hello there general kenobi"}`)
			}
		}
	}))
	srv.Listener = smallBufferListener{srv.Listener, 16 << 10}
	srv.Start()
	t.Cleanup(srv.Close)

	cfg := SessionConfig{URL: "ws" + strings.TrimPrefix(srv.URL, "http"), IdleTimeout: 300 * time.Millisecond, sendBuffer: 16 << 10}
	res := runOne(t, cfg, toneClip(10*time.Second, 0))
	require.Equal(t, OK, res.Outcome, res.Reason)
	require.Len(t, res.SendLags, 110)
	t.Logf("lag max %v, write max %v, client lag max %v", res.MaxLag, res.MaxWrite, res.MaxClientLag)
	assert.Greater(t, res.MaxLag, 500*time.Millisecond, "the stall is recorded as lateness")
	assert.Greater(t, res.MaxWrite, 500*time.Millisecond, "as time blocked in a write")
	assert.Less(t, res.MaxClientLag, res.MaxLag, "and not as this client's own lateness")
	lastTen := slices.Clone(res.SendLags[100:])
	slices.Sort(lastTen)
	assert.Less(t, lastTen[5], 300*time.Millisecond, "the end of the stream is back on schedule: %v", lastTen)
}

// A run cancelled while one session's write is blocked (the service stopped
// reading, the write bound far off) and another session waits for its next
// frame ends both within moments, as cancelled, with what each sent
// recorded: the stalled service never holds the run until the write bound.
func TestCancelEndsABlockedWriteAndAWaitAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("streams until the socket buffers fill")
	}
	t.Parallel()
	// The first connection never reads a byte of audio; the other reads everything.
	url := stallFirstServer(t, func(r *http.Request, conn *websocket.Conn) {
		for {
			if _, _, err := conn.Read(r.Context()); err != nil {
				return
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := LevelConfig{MaxDialsInFlight: 1, Session: SessionConfig{URL: url,
		WriteTimeout: 10 * time.Minute, CloseTimeout: 200 * time.Millisecond, sendBuffer: 4096, Frame: MaxFrame}}
	clip := toneClip(time.Minute, 0)
	done := make(chan LevelResult, 1)
	go func() {
		lr, err := RunLevel(ctx, cfg, []ttspool.Clip{clip, clip})
		assert.NoError(t, err)
		done <- lr
	}()
	// 1 s frames of 32 kB fill the stalled connection's buffers by the
	// second or third (a write blocks from about 2 s); 10 s leave that
	// write blocked for seconds even when a busy machine is slow to dial.
	time.Sleep(10 * time.Second)
	cancel()
	var lr LevelResult
	select {
	case lr = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the level did not end within a minute of its cancellation")
	}
	for _, s := range lr.Sessions {
		assert.Equal(t, "cancelled", s.Reason, "session %d: %s", s.Index, s.Err)
		assert.Less(t, s.FramesSent, 20, "session %d ended with the cancellation, not the clip", s.Index)
		// A lag for every frame sent, and one for a write cut short.
		assert.Contains(t, []int{s.FramesSent, s.FramesSent + 1}, len(s.SendLags), "session %d", s.Index)
	}
	// A write to a reading peer takes milliseconds; 2 s is a blocked one.
	blocked := slices.IndexFunc(lr.Sessions, func(s SessionResult) bool { return s.MaxWrite > 2*time.Second })
	assert.GreaterOrEqual(t, blocked, 0, "one session's write was blocked when the run was cancelled")
}
