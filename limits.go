package sttbench

import (
	"fmt"
	"time"
)

// streamPeak is the most sessions a run may have in flight at once, named
// for an error, with the advice on how to split the load.
type streamPeak struct {
	sessions int
	// name is what the sessions are, e.g. "conc=500".
	name string
	// split says how to spread the load over more load hosts.
	split string
}

// files is how many open files the peak needs: a socket and a clip file
// per session, a second socket with the embedded service, and the rest
// (the binary's own files, the TTS, dmon).
func (p streamPeak) files(embedded bool) uint64 {
	perSession := 2
	if embedded {
		perSession = 3
	}
	return uint64(p.sessions*perSession + 256)
}

// peakOf is the peak of a ramp level of n sessions, or of a soak; zero for
// arrivals, whose peak is known from their schedule once the clips are
// ready (arrivalsPeak).
func (r *Run) peakOf(n int) streamPeak {
	c := r.Config
	switch {
	case c.Load.Model == LoadSoak:
		return streamPeak{c.Load.Concurrency, fmt.Sprintf("-load soak -concurrency %d", c.Load.Concurrency),
			"run several load hosts, each with a share of the sessions"}
	case c.Load.Model == LoadArrivals:
		return streamPeak{}
	case c.SearchMax > 0:
		return streamPeak{n, fmt.Sprintf("the top of -search %d..%d (conc=%d)", c.SearchMin, c.SearchMax, n),
			"search a lower range (-search MIN..MAX)"}
	case c.ShardCount > 0:
		share := (n + c.ShardCount - 1) / c.ShardCount
		return streamPeak{share, fmt.Sprintf("shard %d/%d's share of conc=%d (%d sessions)", c.ShardIndex, c.ShardCount, n, share),
			"split the run over more shards (-shard)"}
	}
	return streamPeak{n, fmt.Sprintf("conc=%d", n), "split the run over load hosts with -shard"}
}

// arrivalsPeak bounds the sessions of an arrival schedule in flight at
// once: the most arrivals within any span as long as a session may last.
func arrivalsPeak(rate float64, schedule []time.Duration, lifetime time.Duration) streamPeak {
	most := 0
	for i, j := 0, 0; j < len(schedule); j++ {
		for schedule[j]-schedule[i] >= lifetime {
			i++
		}
		most = max(most, j-i+1)
	}
	return streamPeak{most, fmt.Sprintf("-load arrivals -rate %g may have %d sessions in flight at once (the most arrivals of its schedule within %v, the longest a session may last), which",
		rate, most, lifetime.Round(time.Second)),
		"run several load hosts, each at a share of the rate with its own -arrival-seed"}
}
