package refstt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/leakcheck"
	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/internal/voice/voicetest"
	"github.com/sttbench/sttbench/ttspool"
)

// TestMain fails the package when a goroutine of this package, of the
// WebSocket library or of an HTTP server connection outlives the tests by
// more than 5 s.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leakcheck.Goroutines(5*time.Second, "sttbench/internal/refstt.", "coder/websocket", "net/http.(*conn).serve"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Texts of three sentences, each well under the 8 s utterance limit.
const (
	textA = "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs! How vexingly quick daft zebras jump?"
	textB = "Sphinx of black quartz, judge my vow. It's a well-known fact. Five boxing wizards jump quickly."
)

// speech returns text as the benchmark's clips are made: spoken by a TTS at
// 24 kHz, resampled to 16 kHz, and followed by 1 s of silence.
// Tests must not modify the result; each text is rendered once.
func speech(text string) []int16 {
	speechMu.Lock()
	defer speechMu.Unlock()
	if pcm, ok := speechCache[text]; ok {
		return pcm
	}
	pcm := voicetest.Resample(voice.Synthesize(text, 24000), 24000, ttspool.SampleRate)
	pcm = append(pcm, make([]int16, ttspool.SampleRate)...)
	speechCache[text] = pcm
	return pcm
}

var (
	speechMu    sync.Mutex
	speechCache = map[string][]int16{}
)

func pcmBytes(pcm []int16) []byte {
	b := make([]byte, 2*len(pcm))
	for i, v := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func start(t *testing.T, cfg Config) *Running {
	t.Helper()
	r, err := Listen("127.0.0.1:0", cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// wireResult is a server message as a client decodes it.
type wireResult struct {
	Status     string     `json:"status"`
	Text       *string    `json:"text"`
	Confidence float64    `json:"confidence"`
	Words      []wireWord `json:"words"`
}

type wireWord struct {
	Word       string  `json:"word"`
	Start      float64 `json:"start"`
	End        float64 `json:"end"`
	Confidence float64 `json:"confidence"`
}

// message is one message a client received.
type message struct {
	at        time.Time
	raw       []byte
	queued    bool
	malformed bool
	res       wireResult // when neither queued nor malformed
}

// client is a test client: one reader goroutine puts every message on msgs
// and the final read error on done.
type client struct {
	conn *websocket.Conn
	msgs chan message
	done chan error
}

func dial(t *testing.T, url string, header http.Header) *client {
	t.Helper()
	ctx := t.Context()
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	require.NoError(t, err)
	if resp.Body != nil {
		resp.Body.Close()
	}
	conn.SetReadLimit(1 << 20)
	c := &client{conn: conn, msgs: make(chan message, 256), done: make(chan error, 1)}
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				c.done <- err
				return
			}
			m := message{at: time.Now(), raw: data}
			if err := json.Unmarshal(data, &m.res); err != nil {
				m.malformed = true
			} else {
				m.queued = m.res.Status == "queued"
			}
			c.msgs <- m
		}
	}()
	t.Cleanup(func() {
		conn.CloseNow()
		<-c.done
	})
	return c
}

// send writes pcm in binary messages of frameBytes bytes, message i due at
// start + i*pace (all at once when pace is 0), and returns when each was
// sent.
func (c *client) send(ctx context.Context, pcm []int16, frameBytes int, pace time.Duration) ([]time.Time, error) {
	data := pcmBytes(pcm)
	origin := time.Now()
	var sent []time.Time
	for i := 0; len(data) > 0; i++ {
		if pace > 0 {
			t := time.NewTimer(time.Until(origin.Add(time.Duration(i) * pace)))
			select {
			case <-ctx.Done():
				t.Stop()
				return sent, ctx.Err()
			case <-t.C:
			}
		}
		n := min(frameBytes, len(data))
		sent = append(sent, time.Now())
		if err := c.conn.Write(ctx, websocket.MessageBinary, data[:n]); err != nil {
			return sent, err
		}
		data = data[n:]
	}
	return sent, nil
}

// patience is how long a test waits for the server before failing. It is
// generous because a loaded machine running -race is slow; tests pass in a
// small fraction of it.
const patience = 30 * time.Second

// collect reads messages until `queued` queued notices and `results`
// results (malformed ones included) have arrived, failing after patience.
func (c *client) collect(t *testing.T, queued, results int) []message {
	t.Helper()
	var got []message
	nq, nr := 0, 0
	deadline := time.After(patience)
	for nq < queued || nr < results {
		select {
		case m := <-c.msgs:
			got = append(got, m)
			if m.queued {
				nq++
			} else {
				nr++
			}
		case err := <-c.done:
			c.done <- err
			require.FailNow(t, "connection ended", "after %d queued and %d results: %v", nq, nr, err)
		case <-deadline:
			require.FailNow(t, "timed out", "after %d queued and %d results", nq, nr)
		}
	}
	return got
}

// quiet asserts that no message arrives for d.
func (c *client) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-c.msgs:
		t.Errorf("unexpected message %s", m.raw)
	case <-time.After(d):
	}
}

// results returns the well-formed results among msgs, in order.
func results(msgs []message) []wireResult {
	var out []wireResult
	for _, m := range msgs {
		if !m.queued && !m.malformed {
			out = append(out, m.res)
		}
	}
	return out
}

func words(r wireResult) []string {
	if r.Text == nil {
		return nil
	}
	return voice.Words(*r.Text)
}
