package harness

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
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

// BenchmarkTimerFloor is the lateness this host gives any Go program with a
// goroutine per stream: n goroutines sleeping to deadlines 100 ms apart,
// their phases spread over one period as a level's sessions are, with no
// I/O at all. A BenchmarkLevelSendLag figure close to this one means the
// client adds nothing of its own; on a 2-core VM this floor was p99 2.3-3.8
// ms, max 7-15 ms at n=1000.
//
//	go test -run XXX -bench TimerFloor -benchtime 1x ./harness
func BenchmarkTimerFloor(b *testing.B) {
	const period, ticks = DefaultFrame, 50
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			var all []time.Duration
			for b.Loop() {
				origin := time.Now().Add(50 * time.Millisecond)
				lags := make([][]time.Duration, n)
				var wg sync.WaitGroup
				for g := range n {
					wg.Go(func() {
						start := origin.Add(time.Duration(int64(period) * int64(g) / int64(n)))
						t := time.NewTimer(time.Hour)
						defer t.Stop()
						lags[g] = make([]time.Duration, 0, ticks)
						for i := range ticks {
							due := start.Add(time.Duration(i+1) * period)
							t.Reset(time.Until(due))
							<-t.C
							lags[g] = append(lags[g], time.Since(due))
						}
					})
				}
				wg.Wait()
				for _, l := range lags {
					all = append(all, l...)
				}
			}
			slices.Sort(all)
			b.ReportMetric(float64(all[len(all)*99/100])/1e6, "lag-p99-ms")
			b.ReportMetric(float64(all[len(all)-1])/1e6, "lag-max-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
