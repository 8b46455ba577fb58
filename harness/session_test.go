package harness

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/ttspool"
)

// arrival is one binary frame as the scripted server saw it.
type arrival struct {
	at   time.Time
	data []byte
}

// scriptedServer is a real WebSocket server on loopback whose behaviour a
// test writes as a function of the frames it has received.
type scriptedServer struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals []arrival
	// clientClose is the close status the client ended with, as the
	// server's reader saw it (-1: no close frame).
	clientClose websocket.StatusCode
}

// newScriptedServer starts a server that records every frame and runs
// script with a channel of frame counts (one value per received frame).
func newScriptedServer(t *testing.T, script func(ctx context.Context, conn *websocket.Conn, frames <-chan int)) *scriptedServer {
	t.Helper()
	s := &scriptedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		conn.SetReadLimit(1 << 20)
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		frames := make(chan int, 1024)
		go func() {
			defer close(frames)
			for n := 1; ; n++ {
				_, data, err := conn.Read(ctx)
				if err != nil {
					s.mu.Lock()
					s.clientClose = websocket.CloseStatus(err)
					s.mu.Unlock()
					cancel()
					return
				}
				s.mu.Lock()
				s.arrivals = append(s.arrivals, arrival{time.Now(), data})
				s.mu.Unlock()
				frames <- n
			}
		}()
		script(ctx, conn, frames)
		// Hold the connection open until the client goes away.
		<-ctx.Done()
	}))
	t.Cleanup(s.Close)
	return s
}

// newTranscribingServer is a scripted service that, once n frames have
// arrived on a connection, queues one utterance and answers it with text.
func newTranscribingServer(t *testing.T, n int, text string) *scriptedServer {
	t.Helper()
	return newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		if waitFrames(frames, n) {
			transcribe(ctx, conn, text)
		}
	})
}

func (s *scriptedServer) url() string { return "ws" + strings.TrimPrefix(s.URL, "http") }

func (s *scriptedServer) closeStatus() websocket.StatusCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clientClose
}

func (s *scriptedServer) frames() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.arrivals...)
}

func say(ctx context.Context, conn *websocket.Conn, msg string) {
	_ = conn.Write(ctx, websocket.MessageText, []byte(msg))
}

// transcribe answers one utterance as the Parakeet service does: queued,
// then its result.
func transcribe(ctx context.Context, conn *websocket.Conn, text string) {
	say(ctx, conn, `{"status":"queued"}`)
	quoted, _ := json.Marshal(text)
	say(ctx, conn, `{"text":`+string(quoted)+`}`)
}

// waitFrames blocks until n frames have arrived (or the client left).
func waitFrames(frames <-chan int, n int) bool {
	for got := range frames {
		if got >= n {
			return true
		}
	}
	return false
}

// toneClip is a clip of constant non-zero samples with a known speech end.
func toneClip(speech, trailing time.Duration) ttspool.Clip {
	n := int(speech * ttspool.SampleRate / time.Second)
	m := int(trailing * ttspool.SampleRate / time.Second)
	pcm := make([]int16, n+m)
	for i := range n {
		pcm[i] = int16(1000 + i%7)
	}
	return ttspool.Clip{Text: "hello there general kenobi.", PCM: pcm, SpeechEnd: speech}
}

func runOne(t *testing.T, cfg SessionConfig, clip ttspool.Clip) SessionResult {
	t.Helper()
	lr, err := RunLevel(context.Background(), LevelConfig{Session: cfg}, []ttspool.Clip{clip})
	require.NoError(t, err)
	require.Len(t, lr.Sessions, 1)
	return lr.Sessions[0]
}

func TestPacingFramesLeaveOnSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 16 s in real time")
	}
	t.Parallel()
	srv := newTranscribingServer(t, 160, "hello there general kenobi")
	clip := toneClip(15*time.Second-50*time.Millisecond, 0)
	res := runOne(t, SessionConfig{URL: srv.url()}, clip)
	require.Equal(t, OK, res.Outcome, res.Err)

	got := srv.frames()
	require.Len(t, got, 150+10, "150 speech frames (the last zero-padded) and 10 silence frames")
	require.Len(t, res.SendLags, 160)
	for i, a := range got {
		assert.Len(t, a.data, DefaultFrameSamples*2, "frame %d size", i)
		// Never early, and the recorded lateness is never optimistic: a
		// frame arrives after its due time plus the lag the client wrote
		// down. Both hold however busy the machine is.
		sent := frameDue(res.Start, i, DefaultFrame).Add(res.SendLags[i])
		assert.GreaterOrEqual(t, res.SendLags[i], time.Duration(0), "frame %d left early", i)
		assert.False(t, a.at.Before(sent), "frame %d arrived %v before the client says it sent it", i, sent.Sub(a.at))
	}

	// The last speech frame is zero-padded; silence frames are all zero.
	pad := got[149].data[(len(clip.PCM)-149*DefaultFrameSamples)*2:]
	assert.Equal(t, make([]byte, len(pad)), pad)
	for _, a := range got[150:] {
		assert.Equal(t, make([]byte, DefaultFrameSamples*2), a.data)
	}
}

func TestStreamSendsExactSamplesLittleEndian(t *testing.T) {
	t.Parallel()
	srv := newTranscribingServer(t, 4, "ok")
	pcm := make([]int16, 2000)
	for i := range pcm {
		pcm[i] = int16(i*37 - 30000)
	}
	clip := ttspool.Clip{Text: "ok.", PCM: pcm, SpeechEnd: 125 * time.Millisecond}
	res := runOne(t, SessionConfig{URL: srv.url(), TrailingSilence: 200 * time.Millisecond}, clip)
	require.Equal(t, OK, res.Outcome, res.Err)
	got := srv.frames()
	require.Len(t, got, 4)
	var all []byte
	for _, a := range got {
		all = append(all, a.data...)
	}
	for i, s := range pcm {
		require.Equal(t, s, int16(uint16(all[2*i])|uint16(all[2*i+1])<<8), "sample %d", i)
	}
	// EOS is the origin plus the speech end; the frame holding it is frame 1.
	assert.Equal(t, res.Start.Add(125*time.Millisecond), res.EOS)
	// It left when frame 1 did (its due time plus its recorded lag), never
	// before it was due: exact, however busy the machine.
	assert.Equal(t, res.SendLags[1], res.LastSpeechFrameSent.Sub(frameDue(res.Start, 1, DefaultFrame)))
	assert.False(t, res.LastSpeechFrameSent.Before(frameDue(res.Start, 1, DefaultFrame)))
}

func TestStopRules(t *testing.T) {
	t.Parallel()
	clip := toneClip(300*time.Millisecond, 0) // 3 speech frames + 2 silence frames
	base := SessionConfig{TrailingSilence: 200 * time.Millisecond, IdleTimeout: 400 * time.Millisecond, ResultTimeout: 1500 * time.Millisecond}

	tests := []struct {
		name       string
		script     func(ctx context.Context, conn *websocket.Conn, frames <-chan int)
		outcome    Outcome
		rule       string        // in StopReason
		reason     string        // in Reason; "" for ok sessions
		minWait    time.Duration // after the last frame or message
		transcript string
	}{
		{
			name: "all results arrived: idle window after the last message",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 5) {
					say(ctx, conn, `{"status":"queued"}`)
					time.Sleep(50 * time.Millisecond)
					say(ctx, conn, `{"text":"hello there","confidence":0.9,"words":[]}`)
				}
			},
			outcome: OK, rule: "idle for 400ms", minWait: 400 * time.Millisecond, transcript: "hello there",
		},
		{
			name: "results complete before sending ends: idle window from the last frame",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 3) { // the last speech frame; two of silence follow
					transcribe(ctx, conn, "early")
				}
			},
			outcome: OK, rule: "idle for 400ms", minWait: 400 * time.Millisecond, transcript: "early",
		},
		{
			name: "a result owed: no idle stop, the hard cap",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 5) {
					say(ctx, conn, `{"status":"queued"}`)
					transcribe(ctx, conn, "only one")
				}
			},
			outcome: Incomplete, rule: "result timeout 1.5s after the last frame, results owed", reason: "incomplete: fewer results than queued",
			minWait: 1450 * time.Millisecond, transcript: "only one",
		},
		{
			name: "queued work that never answers: the hard cap",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 2) {
					say(ctx, conn, `{"status":"queued"}`)
				}
			},
			outcome: Failed, rule: "result timeout", reason: "no transcript: utterances queued but no result came", minWait: 1450 * time.Millisecond,
		},
		{
			// A clip with speech is owed an answer: a service that has sent
			// nothing may be running behind, so the idle window never ends it.
			name:    "a silent service: the hard cap, an answer owed for the speech",
			script:  func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {},
			outcome: Failed, rule: "result timeout 1.5s after the last frame, results owed", reason: "no transcript: the service sent nothing", minWait: 1450 * time.Millisecond,
		},
		{
			// Only a message after the last speech frame can answer the end
			// of the speech: a service that answered the first words and
			// went quiet may be stalled, so the idle window never ends it.
			name: "answered before the end of speech, then silent: the hard cap",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 1) {
					transcribe(ctx, conn, "the first words")
				}
			},
			outcome: Incomplete, rule: "result timeout 1.5s after the last frame, results owed",
			reason: "incomplete: no answer came after the last speech frame was sent", minWait: 1450 * time.Millisecond,
			transcript: "the first words",
		},
		{
			name: "answered before the end of speech, the rest after a stall longer than the idle window",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 1) {
					transcribe(ctx, conn, "the first words")
				}
				if waitFrames(frames, 4) { // the rest of the clip
					time.Sleep(800 * time.Millisecond)
					transcribe(ctx, conn, "and the rest")
				}
			},
			outcome: OK, rule: "idle for 400ms", minWait: 400 * time.Millisecond, transcript: "the first words and the rest",
		},
		{
			name: "a normal close after answering only the first words is an error",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 1) {
					transcribe(ctx, conn, "the first words")
				}
				if waitFrames(frames, 3) {
					conn.Close(websocket.StatusNormalClosure, "")
				}
			},
			outcome: Errored, rule: "service closed", reason: "the service closed the connection (1000 StatusNormalClosure) before it answered the end of the speech",
			transcript: "the first words",
		},
		{
			name: "a service that answers after a silence longer than the idle window",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 5) {
					time.Sleep(800 * time.Millisecond)
					transcribe(ctx, conn, "late but here")
				}
			},
			outcome: OK, rule: "idle for 400ms", minWait: 400 * time.Millisecond, transcript: "late but here",
		},
		{
			name: "empty texts are results but no transcript",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 5) {
					transcribe(ctx, conn, "")
				}
			},
			outcome: Failed, rule: "idle", reason: "no transcript: every result was empty", minWait: 400 * time.Millisecond,
		},
		{
			name: "malformed JSON is a protocol error",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 2) {
					say(ctx, conn, `{"status":"queued"`)
				}
			},
			outcome: Errored, rule: "read error", reason: "protocol: a message from the service is not a JSON object",
		},
		{
			name: "service closes mid-stream",
			script: func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
				if waitFrames(frames, 2) {
					conn.Close(websocket.StatusInternalError, "model crashed")
				}
			},
			outcome: Errored, rule: "service closed", reason: `the service closed the connection with 1011 "model crashed"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newScriptedServer(t, tt.script)
			cfg := base
			cfg.URL = srv.url()
			res := runOne(t, cfg, clip)
			assert.Equal(t, tt.outcome, res.Outcome, "err=%q reason=%q", res.Err, res.StopReason)
			assert.Contains(t, res.StopReason, tt.rule)
			assert.Equal(t, tt.transcript, res.Transcript())
			if tt.reason == "" {
				assert.Empty(t, res.Reason)
			} else {
				assert.Contains(t, res.Reason, tt.reason)
			}
			if tt.outcome == Errored {
				assert.NotEmpty(t, res.Err)
				return
			}
			assert.Equal(t, 5, res.FramesSent)
			from := res.SilenceEnd
			if n := len(res.Messages); n > 0 && res.Messages[n-1].At.After(from) {
				from = res.Messages[n-1].At
			}
			// The session never ends early; how late it ends depends on the
			// scheduler, so only the lower bound is asserted.
			assert.GreaterOrEqual(t, res.Ended.Sub(from), tt.minWait)
			// Every session ends with the client's close frame, answered.
			assert.Equal(t, "client", res.ClosedBy)
			assert.Equal(t, "clean", res.CloseHandshake)
			assert.Eventually(t, func() bool { return srv.closeStatus() == websocket.StatusNormalClosure },
				5*time.Second, 10*time.Millisecond, "the server saw close status %v", srv.closeStatus())
		})
	}
}

// A clip without speech is owed nothing, so a silent service ends it after
// the idle window, not the result timeout.
func TestSilentClipEndsOnTheIdleWindow(t *testing.T) {
	t.Parallel()
	srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {})
	clip := ttspool.Clip{Text: "", PCM: make([]int16, 4800)}
	cfg := SessionConfig{URL: srv.url(), TrailingSilence: 200 * time.Millisecond, IdleTimeout: 400 * time.Millisecond, ResultTimeout: time.Minute}
	res := runOne(t, cfg, clip)
	assert.Contains(t, res.StopReason, "idle for 400ms")
	assert.Less(t, res.Ended.Sub(res.SilenceEnd), 30*time.Second, "a clip without speech waited for the result timeout")
}

func TestServiceCloseMidStreamNamesTheReason(t *testing.T) {
	t.Parallel()
	srv := newScriptedServer(t, func(ctx context.Context, conn *websocket.Conn, frames <-chan int) {
		if waitFrames(frames, 2) {
			conn.Close(websocket.StatusInternalError, "model crashed")
		}
	})
	res := runOne(t, SessionConfig{URL: srv.url()}, toneClip(time.Second, 0))
	assert.Equal(t, Errored, res.Outcome)
	assert.Contains(t, res.Err, "model crashed")
	assert.Less(t, res.FramesSent, 10)
}

func TestHandshakeRefusedNamesTheAPIKey(t *testing.T) {
	t.Parallel()
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	res := runOne(t, SessionConfig{URL: url}, toneClip(100*time.Millisecond, 0))
	assert.Equal(t, Errored, res.Outcome)
	assert.Contains(t, res.Err, "403")
	assert.Contains(t, res.Err, "-api-key")

	res = runOne(t, SessionConfig{URL: url, APIKey: "s3cret-key"}, toneClip(100*time.Millisecond, 0))
	assert.Equal(t, "Bearer s3cret-key", gotAuth)
	assert.Contains(t, res.Err, "refused")
	assert.NotContains(t, res.Err, "s3cret-key", "the key is never printed")
}

func TestDeadServiceIsAnErrorNamingTheURL(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	srv.Close()
	res := runOne(t, SessionConfig{URL: url, DialTimeout: 2 * time.Second}, toneClip(100*time.Millisecond, 0))
	assert.Equal(t, Errored, res.Outcome)
	assert.Contains(t, res.Err, url)
	assert.Contains(t, res.Err, "refused")
}

func TestParseMessage(t *testing.T) {
	at := time.Now()
	tests := []struct {
		raw             string
		queued, result  bool
		text            string
		wantErrContains string
	}{
		{raw: `{"status":"queued"}`, queued: true},
		{raw: `{"text":"Hello world.","confidence":0.93,"words":[{"word":"Hello","start":0.1,"end":0.4}]}`, result: true, text: "Hello world."},
		{raw: `{"text":""}`, result: true},
		{raw: `{"text":null}`, result: true},
		{raw: `{"text":"  padded  "}`, result: true, text: "padded"},
		{raw: `{"status":"processing"}`},
		{raw: `{"text":42}`, wantErrContains: "not a string"},
		{raw: `not json`, wantErrContains: "not a JSON object"},
		{raw: `["text"]`, wantErrContains: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			m, err := parseMessage(websocket.MessageText, []byte(tt.raw), at)
			if tt.wantErrContains != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErrContains)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.queued, m.Queued)
			assert.Equal(t, tt.result, m.IsResult)
			assert.Equal(t, tt.text, m.Text)
			assert.Equal(t, tt.raw, m.Raw)
		})
	}
	_, err := parseMessage(websocket.MessageBinary, []byte{1, 2}, at)
	assert.ErrorContains(t, err, "binary")
}

func TestConfigValidate(t *testing.T) {
	assert.ErrorContains(t, SessionConfig{}.Validate(), "empty")
	assert.ErrorContains(t, SessionConfig{URL: "http://x/ws"}.Validate(), "ws://")
	assert.ErrorContains(t, SessionConfig{URL: "ws://x/ws", IdleTimeout: -1}.Validate(), "idle timeout")
	assert.NoError(t, SessionConfig{URL: "wss://x/ws"}.Validate())
	assert.ErrorContains(t, LevelConfig{Session: SessionConfig{URL: "ws://x"}, MaxDialsInFlight: -2}.Validate(), "dials")
	_, err := RunLevel(context.Background(), LevelConfig{Session: SessionConfig{URL: "ws://x"}}, nil)
	assert.ErrorContains(t, err, "no clips")
}

func TestLastVoicedFrame(t *testing.T) {
	assert.Equal(t, 0, lastVoicedFrame(0, DefaultFrame))
	assert.Equal(t, 0, lastVoicedFrame(100*time.Millisecond, DefaultFrame), "a sample ending on the boundary belongs to the frame before")
	assert.Equal(t, 1, lastVoicedFrame(100*time.Millisecond+time.Second/ttspool.SampleRate, DefaultFrame))
	assert.Equal(t, 89, lastVoicedFrame(8950*time.Millisecond, DefaultFrame))
}
