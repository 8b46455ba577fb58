package refstt

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/ttspool"
)

const frameBytes = 2 * 1600 // 100 ms at 16 kHz

func TestTranscribes(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{})
	c := dial(t, srv.URL(), nil)
	pcm := speech(textA)
	_, err := c.send(t.Context(), pcm, frameBytes, 0)
	require.NoError(t, err)
	msgs := c.collect(t, 3, 3)
	c.quiet(t, 300*time.Millisecond)

	// Each result follows its own queued notice.
	assert.True(t, msgs[0].queued)
	want := voice.Sentences(textA)
	got := results(msgs)
	require.Len(t, got, 3)
	// Word times are relative to the stream: compare with decoding it whole.
	whole := voice.Recognize(pcm, ttspool.SampleRate)
	k := 0
	for i, r := range got {
		assert.Equal(t, want[i], words(r), "result %d", i)
		text := *r.Text
		assert.True(t, unicode.IsUpper(rune(text[0])), text)
		assert.True(t, strings.HasSuffix(text, "."), text)
		assert.Greater(t, r.Confidence, 0.9)
		require.Len(t, r.Words, len(want[i]))
		for _, w := range r.Words {
			assert.InDelta(t, whole[k].Start, w.Start, 0.002, w.Word)
			assert.InDelta(t, whole[k].End, w.End, 0.002, w.Word)
			k++
		}
	}
	st := srv.Stats()
	// The three utterances arrive at once, so the worker may batch them
	// in one, two or three batches.
	assert.GreaterOrEqual(t, st.Batches, int64(1))
	assert.LessOrEqual(t, st.Batches, int64(3))
	st.Batches = 0
	assert.Equal(t, Stats{Connections: 1, Utterances: 3, Results: 3}, st)
}

// TestRealTime streams at the benchmark's pace and checks the event log
// against what the client sent. Like TestEventLog it does not run in
// parallel: its timing checks need an idle CPU.
func TestRealTime(t *testing.T) {
	const text = "Hi there. Go fast. Be kind."
	srv := start(t, Config{})
	c := dial(t, srv.URL(), nil)
	pcm := speech(text)
	sent, err := c.send(t.Context(), pcm, frameBytes, 100*time.Millisecond)
	require.NoError(t, err)
	msgs := c.collect(t, 3, 3)

	got := results(msgs)
	require.Len(t, got, 3)
	for i, s := range voice.Sentences(text) {
		assert.Equal(t, s, words(got[i]))
	}

	logs := srv.Sessions()
	require.Len(t, logs, 1)
	require.Len(t, logs[0].Utterances, 3)
	require.Len(t, logs[0].Results, 3)
	ends := lastVoiced(pcm)
	require.Len(t, ends, 3)
	for i, u := range logs[0].Utterances {
		assert.Equal(t, ends[i], u.LastVoicedSample, "utterance %d", i)
		frame := int(u.LastVoicedSample / 1600)
		assert.Equal(t, int64(frame+1)*1600, u.FrameEndSample)
		// Loopback delivers a frame within milliseconds of sending it.
		assert.WithinRange(t, u.FrameReceived, sent[frame], sent[frame].Add(100*time.Millisecond))
		eos := sent[frame].Add(-time.Duration(u.FrameEndSample-u.LastVoicedSample) * time.Second / ttspool.SampleRate)
		assert.WithinDuration(t, eos, u.EndOfSpeech(), 100*time.Millisecond)
		// Cut after >= 250 ms of silence; the result sent after the batch
		// window and the modelled time.
		assert.GreaterOrEqual(t, u.EndSample-u.LastVoicedSample, int64(ttspool.SampleRate/4))
		assert.Less(t, u.EndSample-u.LastVoicedSample, int64(ttspool.SampleRate/4+2*vadWindow))
		r := logs[0].Results[i]
		assert.Equal(t, *got[i].Text, r.Text)
		audio := time.Duration(u.EndSample-u.StartSample) * time.Second / ttspool.SampleRate
		assert.GreaterOrEqual(t, r.Sent.Sub(u.Queued), DefaultBatchWindow+Config{}.BatchLatency(audio))
	}
}

// lastVoiced returns, for each stretch of sound in pcm separated by at least
// 300 ms of silence, the index of its last sample above 10% of its peak:
// the rule the server's log follows.
func lastVoiced(pcm []int16) []int64 {
	var out []int64
	peak, last, quiet := 0, -1, 0
	flush := func() {
		thresh := peak / 10
		for i := last; i >= 0; i-- {
			if abs(pcm[i]) > thresh {
				out = append(out, int64(i))
				break
			}
		}
		peak, last = 0, -1
	}
	for i, v := range pcm {
		if abs(v) > 100 {
			peak = max(peak, abs(v))
			last, quiet = i, 0
			continue
		}
		quiet++
		if quiet == 4800 && last >= 0 {
			flush()
		}
	}
	if last >= 0 {
		flush()
	}
	return out
}

// TestEventLog checks that the log pinpoints the last voiced sample and the
// message that held it, wherever in a message speech ends and whatever the
// message size.
func TestEventLog(t *testing.T) {
	tests := []struct {
		name       string
		end        int // speech covers samples [4000, end)
		frameBytes int
	}{
		{"mid-frame", 8000 + 737, frameBytes},
		{"last sample of a frame", 9600, frameBytes},
		{"first sample of a frame", 9601, frameBytes},
		{"odd-sized messages", 8000 + 737, 2001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A 1 kHz square wave: every sample is at full level, so the last
			// voiced sample is exactly end-1.
			pcm := make([]int16, 3*ttspool.SampleRate/2)
			for i := 4000; i < tc.end; i++ {
				pcm[i] = 8000
				if i/8%2 == 1 {
					pcm[i] = -8000
				}
			}
			srv := start(t, Config{})
			c := dial(t, srv.URL(), nil)
			const pace = 30 * time.Millisecond
			sent, err := c.send(t.Context(), pcm, tc.frameBytes, pace)
			require.NoError(t, err)
			c.collect(t, 1, 1)

			logs := srv.Sessions()
			require.Len(t, logs, 1)
			require.Len(t, logs[0].Utterances, 1)
			u := logs[0].Utterances[0]
			last := int64(tc.end - 1)
			assert.Equal(t, last, u.LastVoicedSample)
			// The message holding the sample's second byte completes it.
			frame := int((2*last + 1) / int64(tc.frameBytes))
			assert.Equal(t, int64((frame+1)*tc.frameBytes/2), u.FrameEndSample)
			// Received right after it was sent; the cut came >= 256 ms of
			// audio (8 messages) later.
			assert.WithinRange(t, u.FrameReceived, sent[frame], sent[frame].Add(100*time.Millisecond))
			assert.LessOrEqual(t, u.StartSample, int64(4000))
			assert.Greater(t, u.EndSample, last+4000, "the chunk holds the silence that cut it")
		})
	}
}

func TestMaxUtterance(t *testing.T) {
	t.Parallel()
	// 9 s of tone with no pause: cut at 8 s, the rest cut by the silence.
	pcm := make([]int16, 10*ttspool.SampleRate)
	for i := range 9 * ttspool.SampleRate {
		pcm[i] = 8000
		if i/8%2 == 1 {
			pcm[i] = -8000
		}
	}
	srv := start(t, Config{})
	c := dial(t, srv.URL(), nil)
	_, err := c.send(t.Context(), pcm, frameBytes, 0)
	require.NoError(t, err)
	c.collect(t, 2, 2)
	u := srv.Sessions()[0].Utterances
	require.Len(t, u, 2)
	assert.InDelta(t, 8*ttspool.SampleRate, u[0].EndSample-u[0].StartSample, vadWindow)
	assert.Equal(t, int64(9*ttspool.SampleRate-1), u[1].LastVoicedSample)
}

// TestNoWords: sound the recognizer finds no words in still gets a result,
// with empty text, as Parakeet answers noise.
func TestNoWords(t *testing.T) {
	t.Parallel()
	pcm := make([]int16, 2*ttspool.SampleRate)
	for i := 8000; i < 8160; i++ { // a 10 ms click
		pcm[i] = 20000
	}
	srv := start(t, Config{})
	c := dial(t, srv.URL(), nil)
	_, err := c.send(t.Context(), pcm, frameBytes, 0)
	require.NoError(t, err)
	got := results(c.collect(t, 1, 1))
	require.Len(t, got, 1)
	require.NotNil(t, got[0].Text)
	assert.Empty(t, *got[0].Text)
	assert.NotNil(t, got[0].Words)
	assert.Empty(t, got[0].Words)
}

// TestPartialUtteranceIgnored: a client that leaves mid-utterance gets no
// result for it, and the server counts nothing as lost.
func TestPartialUtteranceIgnored(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{})
	c := dial(t, srv.URL(), nil)
	pcm := speech("Hello world")
	_, err := c.send(t.Context(), pcm[:ttspool.SampleRate/2], frameBytes, 0)
	require.NoError(t, err)
	require.NoError(t, c.conn.Close(websocket.StatusNormalClosure, ""))
	require.Eventually(t, func() bool { return len(srv.liveSessions()) == 0 }, patience, 10*time.Millisecond)
	assert.Equal(t, Stats{Connections: 1}, srv.Stats())
}

func (s *Server) liveSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*session(nil), s.live...)
}

func TestWordErrorRate(t *testing.T) {
	t.Parallel()
	want := voice.Words(textA)
	for _, rate := range []float64{0, 0.2, 0.5, 1} {
		t.Run(fmt.Sprint("wer=", rate), func(t *testing.T) {
			t.Parallel()
			srv := start(t, Config{WordErrorRate: rate, Seed: 7})
			c := dial(t, srv.URL(), nil)
			_, err := c.send(t.Context(), speech(textA), frameBytes, 0)
			require.NoError(t, err)
			var got []string
			for _, r := range results(c.collect(t, 3, 3)) {
				got = append(got, words(r)...)
			}
			require.Len(t, got, len(want))
			subs := 0
			for i := range want {
				if got[i] != want[i] {
					subs++
				}
			}
			assert.InDelta(t, float64(len(want))*rate, subs, 1, "%d of %d words substituted", subs, len(want))
		})
	}
}

func TestDrop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rate float64
		want []int // which of the three sentences get a result
	}{
		{0, []int{0, 1, 2}},
		{0.5, []int{0, 2}},
		{1, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("drop=", tc.rate), func(t *testing.T) {
			t.Parallel()
			srv := start(t, Config{DropRate: tc.rate})
			c := dial(t, srv.URL(), nil)
			_, err := c.send(t.Context(), speech(textA), frameBytes, 0)
			require.NoError(t, err)
			msgs := c.collect(t, 3, len(tc.want))
			require.Eventually(t, func() bool { return srv.Stats().Batches > 0 && srv.Stats().Dropped+srv.Stats().Results == 3 },
				patience, 10*time.Millisecond)
			c.quiet(t, 200*time.Millisecond)
			sents := voice.Sentences(textA)
			got := results(msgs)
			require.Len(t, got, len(tc.want))
			for i, k := range tc.want {
				assert.Equal(t, sents[k], words(got[i]))
			}
			assert.Equal(t, int64(3-len(tc.want)), srv.Stats().Dropped)
		})
	}
}

func TestMalformed(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{MalformedRate: 0.5})
	c := dial(t, srv.URL(), nil)
	_, err := c.send(t.Context(), speech(textA), frameBytes, 0)
	require.NoError(t, err)
	msgs := c.collect(t, 3, 3)
	var bad []bool
	for _, m := range msgs {
		if !m.queued {
			bad = append(bad, m.malformed)
		}
	}
	assert.Equal(t, []bool{false, true, false}, bad)
	assert.Equal(t, int64(1), srv.Stats().Malformed)
	res := srv.Sessions()[0].Results
	require.Len(t, res, 3)
	assert.True(t, res[1].Malformed)
	assert.Equal(t, voice.Sentences(textA)[1], voice.Words(res[1].Text))
}

// TestLeak: with two sessions, each one's second result goes to the other.
func TestLeak(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{LeakRate: 0.5})
	a := dial(t, srv.URL(), nil)
	b := dial(t, srv.URL(), nil)
	var wg sync.WaitGroup
	for _, s := range []struct {
		c    *client
		text string
	}{{a, textA}, {b, textB}} {
		wg.Go(func() {
			_, err := s.c.send(t.Context(), speech(s.text), frameBytes, 0)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	gotA := results(a.collect(t, 3, 3))
	gotB := results(b.collect(t, 3, 3))

	sa, sb := voice.Sentences(textA), voice.Sentences(textB)
	texts := func(rs []wireResult) [][]string {
		var out [][]string
		for _, r := range rs {
			out = append(out, words(r))
		}
		return out
	}
	assert.ElementsMatch(t, [][]string{sa[0], sb[1], sa[2]}, texts(gotA))
	assert.ElementsMatch(t, [][]string{sb[0], sa[1], sb[2]}, texts(gotB))
	assert.Equal(t, int64(2), srv.Stats().Leaked)

	var origins [2][]int
	for i, l := range srv.Sessions() {
		for _, r := range l.Results {
			origins[i] = append(origins[i], r.Origin)
		}
	}
	assert.ElementsMatch(t, []int{0, 1, 0}, origins[0])
	assert.ElementsMatch(t, []int{1, 0, 1}, origins[1])
}

// TestLeakAlone: a lone session keeps its results.
func TestLeakAlone(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{LeakRate: 1})
	c := dial(t, srv.URL(), nil)
	_, err := c.send(t.Context(), speech(textA), frameBytes, 0)
	require.NoError(t, err)
	assert.Len(t, results(c.collect(t, 3, 3)), 3)
	assert.Zero(t, srv.Stats().Leaked)
}

func TestCloseAfter(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{CloseAfter: 2 * time.Second})
	c := dial(t, srv.URL(), nil)
	pcm := speech(textA)
	c.send(t.Context(), pcm, frameBytes, 0) // fails once the server has closed
	var err error
	select {
	case err = <-c.done:
		c.done <- err
	case <-time.After(patience):
		require.FailNow(t, "connection not closed")
	}
	assert.Equal(t, websocket.StatusInternalError, websocket.CloseStatus(err), "%v", err)
	// The close came at 2 s of audio: the first sentence (3.3 s) was never cut.
	assert.Empty(t, srv.Sessions()[0].Utterances)
}

func TestAPIKey(t *testing.T) {
	t.Parallel()
	const key = "s3cret"
	srv := start(t, Config{APIKey: key})
	tests := []struct {
		name   string
		header string
		ok     bool
	}{
		{"no header", "", false},
		{"wrong key", "Bearer nope", false},
		{"no scheme", key, false},
		{"lower-case scheme", "bearer " + key, false},
		{"right key", "Bearer " + key, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			conn, resp, err := websocket.Dial(t.Context(), srv.URL(), &websocket.DialOptions{HTTPHeader: h})
			if !tc.ok {
				require.Error(t, err)
				require.NotNil(t, resp)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode)
				return
			}
			require.NoError(t, err)
			conn.CloseNow()
		})
	}
	assert.Equal(t, int64(4), srv.Stats().Refused)

	c := dial(t, srv.URL(), http.Header{"Authorization": {"Bearer " + key}})
	_, err := c.send(t.Context(), speech("Open sesame."), frameBytes, 0)
	require.NoError(t, err)
	got := results(c.collect(t, 1, 1))
	assert.Equal(t, []string{"open", "sesame"}, words(got[0]))
}

// TestBatching: utterances of concurrent sessions share batches, at most
// MaxBatch at a time. The 12 utterances of four sessions streaming at once
// are cut within a fraction of the 1 s batch window.
func TestBatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		maxBatch               int
		minBatches, maxBatches int64
	}{
		{16, 1, 4}, // shared: far fewer batches than utterances
		{2, 6, 12}, // capped: never more than two at a time
		{1, 12, 12},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint("max_batch=", tc.maxBatch), func(t *testing.T) {
			t.Parallel()
			srv := start(t, Config{MaxBatch: tc.maxBatch, BatchWindow: time.Second, Base: time.Millisecond})
			var clients []*client
			for range 4 {
				clients = append(clients, dial(t, srv.URL(), nil))
			}
			pcm := speech(textA)
			var wg sync.WaitGroup
			for _, c := range clients {
				wg.Go(func() {
					_, err := c.send(t.Context(), pcm, frameBytes, 0)
					assert.NoError(t, err)
				})
			}
			wg.Wait()
			for _, c := range clients {
				got := results(c.collect(t, 3, 3))
				for i, s := range voice.Sentences(textA) {
					assert.Equal(t, s, words(got[i]))
				}
			}
			b := srv.Stats().Batches
			assert.GreaterOrEqual(t, b, tc.minBatches)
			assert.LessOrEqual(t, b, tc.maxBatches)
		})
	}
}

func TestBatchLatency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		audio time.Duration
		want  time.Duration
	}{
		{"defaults, no audio", Config{}, 0, 30 * time.Millisecond},
		{"defaults, 1 s", Config{}, time.Second, 55 * time.Millisecond},
		{"defaults, 16 utterances of 3 s", Config{}, 48 * time.Second, 1230 * time.Millisecond},
		{"scaled", Config{LatencyScale: 2}, time.Second, 110 * time.Millisecond},
		{"custom", Config{Base: 10 * time.Millisecond, PerAudioSecond: 100 * time.Millisecond}, 500 * time.Millisecond, 60 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.cfg.BatchLatency(tc.audio))
		})
	}
	// Grows with the batch: n utterances of 2 s each.
	prev := time.Duration(0)
	for n := 1; n <= 16; n++ {
		l := Config{}.BatchLatency(time.Duration(n) * 2 * time.Second)
		assert.Greater(t, l, prev)
		prev = l
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	srv, err := New(Config{})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
	c := dial(t, url, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go c.send(ctx, speech(textA), frameBytes, 10*time.Millisecond)
	c.collect(t, 1, 0)

	require.NoError(t, srv.Close())
	select {
	case err := <-c.done:
		c.done <- err
		assert.Error(t, err)
	case <-time.After(patience):
		t.Fatal("session not ended by Close")
	}
	require.NoError(t, srv.Close(), "a second Close")

	resp, err := http.Get(hs.URL + "/ws")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, err = http.Get(hs.URL + "/other")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestListen(t *testing.T) {
	t.Parallel()
	_, err := Listen("127.0.0.1:0", Config{DropRate: 2})
	assert.ErrorContains(t, err, "DropRate")
	_, err = Listen("no-port", Config{})
	assert.ErrorContains(t, err, "listen")

	r, err := Listen(":0", Config{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(r.URL(), "ws://127.0.0.1:"), r.URL())
	assert.True(t, strings.HasSuffix(r.URL(), "/ws"), r.URL())
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "a second Close")
}

// TestFullQueueStopsReading fills a queue of one with a slow worker: the
// third utterance's submit waits, and with it the session's reader, so the
// fourth utterance is cut only once the worker has taken the second, about
// one batch (1 s) later, although all the audio was sent at once. Every
// result still arrives.
func TestFullQueueStopsReading(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{QueueSize: 1, Base: time.Second})
	c := dial(t, srv.URL(), nil)
	pcm := append(append([]int16(nil), speech(textA)...), speech(textB)...)
	_, err := c.send(t.Context(), pcm, frameBytes, 0)
	require.NoError(t, err)
	msgs := c.collect(t, 6, 6)
	assert.Len(t, results(msgs), 6)
	assert.Positive(t, srv.Stats().QueueFull)
	utts := srv.Sessions()[0].Utterances
	require.Len(t, utts, 6)
	assert.GreaterOrEqual(t, utts[3].Queued.Sub(utts[2].Queued), 800*time.Millisecond,
		"the reader waited for room before it could cut the next utterance")
}

// TestKeepSessions: a server keeps the logs of its latest KeepSessions
// sessions only, with IDs that keep counting.
func TestKeepSessions(t *testing.T) {
	t.Parallel()
	srv := start(t, Config{KeepSessions: 3, Base: time.Nanosecond, PerAudioSecond: time.Nanosecond, BatchWindow: time.Nanosecond})
	texts := []string{"Zero.", "One.", "Two.", "Three.", "Four."}
	for _, text := range texts {
		c := dial(t, srv.URL(), nil)
		_, err := c.send(t.Context(), speech(text), frameBytes, 0)
		require.NoError(t, err)
		// A result means the server registered the session: the next one
		// is accepted after it.
		c.collect(t, 1, 1)
		require.NoError(t, c.conn.Close(websocket.StatusNormalClosure, ""))
	}
	logs := srv.Sessions()
	require.Len(t, logs, 3)
	for i, l := range logs {
		assert.Equal(t, 2+i, l.ID)
		require.Len(t, l.Results, 1, "session %d", l.ID)
		assert.Equal(t, texts[l.ID], l.Results[0].Text)
	}
	st := srv.Stats()
	assert.Equal(t, int64(5), st.Connections)
	assert.Equal(t, int64(2), st.SessionsForgotten)
}
