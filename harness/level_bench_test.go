package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sttbench/sttbench/ttspool"
)

// BenchmarkLevelSendLag streams one level of n sessions of a 2 s clip to a
// sink on loopback that reads every frame and answers each session with
// one result after its last speech frame, and reports how late this client
// sent its frames (p99 and max over every frame) and the bytes allocated
// per session. The sink runs in this process, so the figures include its
// share of the CPU: compare runs of this benchmark with each other; the
// figures in the README come from a sink in another process, on its own
// core.
//
//	go test -run XXX -bench LevelSendLag -benchtime 1x ./harness
func BenchmarkLevelSendLag(b *testing.B) {
	const speechFrames = 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		for n := 1; ; n++ {
			if _, _, err := c.Read(r.Context()); err != nil {
				return
			}
			if n == speechFrames {
				c.Write(r.Context(), websocket.MessageText, []byte(`{"status":"queued"}`))
				c.Write(r.Context(), websocket.MessageText, []byte(`{"text":"hello there general kenobi"}`))
			}
		}
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	clip := toneClip(speechFrames*DefaultFrame-10*time.Millisecond, 0)

	for _, n := range []int{100, 500, 1000} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			clips := make([]ttspool.Clip, n)
			for i := range clips {
				clips[i] = clip
			}
			cfg := LevelConfig{Session: SessionConfig{URL: url, IdleTimeout: 300 * time.Millisecond}, MaxDialsInFlight: 64}
			var lags []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				lr, err := RunLevel(b.Context(), cfg, clips)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range lr.Sessions {
					if s.Outcome != OK {
						b.Fatalf("session %d: %s: %s", s.Index, s.Outcome, s.Reason)
					}
					lags = append(lags, s.SendLags...)
				}
			}
			slices.Sort(lags)
			b.ReportMetric(float64(lags[len(lags)*99/100])/1e6, "lag-p99-ms")
			b.ReportMetric(float64(lags[len(lags)-1])/1e6, "lag-max-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
