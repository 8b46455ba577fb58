//go:build linux

package harness

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/sys/unix"

	"github.com/sttbench/sttbench/internal/hostcpu"
	"github.com/sttbench/sttbench/ttspool"
)

// The client benchmarks stream to a sink in a child process (this test
// binary again, asked by sinkEnv), so that their CPU figures are the
// client's alone and the sink competes for no core the client may use: run
// them under taskset (taskset -c 0 go test ...) and the sink is moved to a
// CPU outside the client's set, as a service on its own core would be.
//
//	taskset -c 0 go test -run XXX -bench 'LevelSendLag|WriterFloor|TimerFloor' -benchtime 1x ./harness
const sinkEnv = "STTBENCH_HARNESS_SINK"

// benchSpeechFrames is the clip length of the client benchmarks (10 s):
// long enough that the dials and closes, counted in the CPU per frame, are
// a small part of it.
const benchSpeechFrames = 100

func TestMain(m *testing.M) {
	if os.Getenv(sinkEnv) != "" {
		serveSink()
		return
	}
	os.Exit(m.Run())
}

// serveSink is the child process: a WebSocket sink on loopback that reads
// every frame and answers each session once, with a queued message and a
// result, after the frame its URL's "answers" asks for:
//
//   - spread (the default): session k, in the order the sink accepted them,
//     after frame 1+k%100, so that a level's answers come evenly over its
//     clip, as those of a level of distinct texts do, whose speech ends at
//     different times;
//   - together: every session after its last speech frame, so that all of a
//     level's answers come in one frame period while its silence tail still
//     streams, the worst case for a client that must read them on the core
//     it sends from.
//
// It prints its URL and serves until its stdin closes, so it never
// outlives the benchmark.
func serveSink() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sink:", err)
		os.Exit(1)
	}
	fmt.Println("ws://" + l.Addr().String() + "/ws")
	var accepted atomic.Int64
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answerAt := benchSpeechFrames
		if r.URL.Query().Get("answers") != "together" {
			answerAt = 1 + int(accepted.Add(1)-1)%benchSpeechFrames
		}
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 20)
		// Each frame is drained, not copied out: at 5000 streams the sink
		// reads 50,000 frames a second on one core, and a fresh buffer per
		// frame made it the bottleneck of the benchmark.
		for n := 1; ; n++ {
			_, frame, err := c.Reader(r.Context())
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, frame); err != nil {
				return
			}
			if n == answerAt {
				c.Write(r.Context(), websocket.MessageText, []byte(`{"status":"queued"}`))
				c.Write(r.Context(), websocket.MessageText, []byte(`{"text":"hello there general kenobi"}`))
			}
		}
	}))
	io.Copy(io.Discard, os.Stdin)
}

// startSink starts the sink process, moved to a CPU this process may not
// use when there is one, and returns its URL. It is stopped when b ends.
func startSink(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), sinkEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start the sink process: %v", err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("the sink process did not say its address: %v", err)
	}
	if cpu, ok := pinOutside(cmd.Process.Pid); ok {
		b.Logf("sink on CPU %d, outside this process's CPUs", cpu)
	} else {
		b.Logf("sink shares this process's CPUs: run under taskset to keep them apart")
	}
	return strings.TrimSpace(url)
}

// pinOutside moves every thread of process pid to the highest-numbered CPU
// outside this process's affinity set, if the machine has one. Threads the
// process starts later inherit the set from the thread that starts them.
func pinOutside(pid int) (int, bool) {
	var mine unix.CPUSet
	if unix.SchedGetaffinity(0, &mine) != nil {
		return 0, false
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, false
	}
	for cpu := 1023; cpu >= 0; cpu-- {
		if mine.IsSet(cpu) {
			continue
		}
		var set unix.CPUSet
		set.Set(cpu)
		if unix.SchedSetaffinity(pid, &set) != nil { // fails for a CPU that is not there
			continue
		}
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				unix.SchedSetaffinity(tid, &set)
			}
		}
		return cpu, true
	}
	return 0, false
}

// cpuSince is the CPU this process has used since the reading start.
func cpuSince(b *testing.B, start hostcpu.Reading) time.Duration {
	cpu, ok := hostcpu.ProcessCPU(start, hostcpu.Read())
	if !ok {
		b.Fatal("this process's CPU time cannot be read")
	}
	return cpu
}

// reportClient reports the lag percentiles of every frame, the largest lag
// of a session's first frame (how well the level's start holds), and the CPU
// used per frame sent and as a share of one core while n streams sent
// those frames. The CPU of the dials, closes and idle windows is counted in
// and their time is not, so the share is an upper bound.
func reportClient(b *testing.B, n int, lags, firstLags []time.Duration, cpu time.Duration) {
	streaming := time.Duration(len(lags)/n) * DefaultFrame
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)*99/100])/1e6, "lag-p99-ms")
	b.ReportMetric(float64(lags[len(lags)-1])/1e6, "lag-max-ms")
	b.ReportMetric(float64(slices.Max(firstLags))/1e6, "first-lag-max-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(lags)), "cpu-us/frame")
	b.ReportMetric(100*cpu.Seconds()/streaming.Seconds(), "cpu-%")
	b.ReportMetric(0, "ns/op")
}

var benchLevels = []int{100, 500, 1000, 5000}

// needFiles skips a level this process cannot open enough connections for.
// The Go runtime has already raised the soft limit to the hard one.
func needFiles(b *testing.B, streams int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(streams)+256 {
		b.Skipf("%d streams need about %d open files, and this process may open %d: raise the hard limit (ulimit -Hn)", streams, streams+256, lim.Cur)
	}
}

// BenchmarkLevelSendLag streams one level of n sessions of a 10 s clip to
// the sink process and reports how late this client sent its frames (p99
// and max over every frame), its CPU per frame and as a share of a core
// (dials and closes included), and the bytes allocated per session. Each
// level runs with the sink's answers spread over the clip and with all of
// them together (see serveSink). Compare it with BenchmarkWriterFloor of
// the same sitting: what is above that floor is this client's own cost.
func BenchmarkLevelSendLag(b *testing.B) {
	url := startSink(b)
	clip := toneClip(benchSpeechFrames*DefaultFrame-10*time.Millisecond, 0)
	for _, n := range benchLevels {
		for _, answers := range []string{"spread", "together"} {
			b.Run(fmt.Sprintf("streams=%d/answers=%s", n, answers), func(b *testing.B) {
				clips := make([]ttspool.Clip, n)
				for i := range clips {
					clips[i] = clip
				}
				needFiles(b, n)
				// The default idle window is enough even when the sink's
				// core fills and its answers come late: a session with
				// speech waits for its answer before the window applies.
				cfg := LevelConfig{Session: SessionConfig{URL: url + "?answers=" + answers}, MaxDialsInFlight: 64}
				var lags, firstLags []time.Duration
				var cpu time.Duration
				b.ReportAllocs()
				for b.Loop() {
					cpu0 := hostcpu.Read()
					lr, err := RunLevel(b.Context(), cfg, clips)
					cpu += cpuSince(b, cpu0)
					if err != nil {
						b.Fatal(err)
					}
					for _, s := range lr.Sessions {
						if s.Outcome != OK {
							b.Fatalf("session %d: %s: %s", s.Index, s.Outcome, s.Reason)
						}
						lags = append(lags, s.SendLags...)
						firstLags = append(firstLags, s.SendLags[0])
					}
				}
				reportClient(b, n, lags, firstLags, cpu)
			})
		}
	}
}

// BenchmarkWriterFloor is what the same level costs with nothing but
// coder/websocket: n connections to the sink process, each writing the
// same frames on the same schedule (phases spread over one period), with
// no reader, no result handling and no record. It is the floor of the
// library, the Go runtime and this host's kernel under
// BenchmarkLevelSendLag's figures.
func BenchmarkWriterFloor(b *testing.B) {
	url := startSink(b)
	frames := prepare(toneClip(benchSpeechFrames*DefaultFrame-10*time.Millisecond, 0), SessionConfig{}.withDefaults()).frames
	payload := make([]byte, DefaultFrameSamples*bytesPerSample)
	for _, n := range benchLevels {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			needFiles(b, n)
			var all, first []time.Duration
			var cpu time.Duration
			for b.Loop() {
				cpu0 := hostcpu.Read()
				conns := make([]*websocket.Conn, n)
				sem := make(chan struct{}, 64)
				var wg sync.WaitGroup
				for i := range conns {
					wg.Go(func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						c, _, err := websocket.Dial(b.Context(), url, nil)
						if err != nil {
							b.Error(err)
							return
						}
						conns[i] = c
					})
				}
				wg.Wait()
				if b.Failed() {
					b.FailNow()
				}
				// Released together, as RunLevel releases its senders.
				var origin time.Time
				begin := make(chan struct{})
				var ready sync.WaitGroup
				lags := make([][]time.Duration, n)
				for i, c := range conns {
					ready.Add(1)
					wg.Go(func() {
						defer c.CloseNow()
						t := time.NewTimer(time.Hour)
						defer t.Stop()
						lags[i] = make([]time.Duration, 0, frames)
						ready.Done()
						<-begin
						start := origin.Add(time.Duration(int64(DefaultFrame) * int64(i) / int64(n)))
						for f := range frames {
							due := frameDue(start, f, DefaultFrame)
							if wait := time.Until(due); wait > 0 {
								t.Reset(wait)
								<-t.C
							}
							lags[i] = append(lags[i], time.Since(due))
							if err := c.Write(b.Context(), websocket.MessageBinary, payload); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				ready.Wait()
				origin = time.Now().Add(startLead(n))
				close(begin)
				wg.Wait()
				cpu += cpuSince(b, cpu0)
				for _, l := range lags {
					all = append(all, l...)
					first = append(first, l[0])
				}
			}
			reportClient(b, n, all, first, cpu)
		})
	}
}

// BenchmarkTimerFloor is the lateness this host gives any Go program with a
// goroutine per stream: n goroutines sleeping to deadlines 100 ms apart,
// their phases spread over one period as a level's sessions are, with no
// I/O at all. A BenchmarkLevelSendLag figure close to this one means the
// client adds nothing of its own; on a 2-core VM this floor was p99 2.3-3.8
// ms, max 7-19 ms at n=1000.
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
