package harness

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Progress counts the sessions of the running level by state. Sessions
// update it with single atomic adds, so it costs nothing on the sending
// path; Render draws it from its own goroutine. Safe for concurrent use.
type Progress struct {
	Total, Connecting, Streaming, Waiting, Done atomic.Int64
}

func (p *Progress) reset(total int) {
	p.Total.Store(int64(total))
	p.Connecting.Store(0)
	p.Streaming.Store(0)
	p.Waiting.Store(0)
	p.Done.Store(0)
}

func (p *Progress) add(counter *atomic.Int64, delta int64) { counter.Add(delta) }

// String is the one-line view of the counters.
func (p *Progress) String() string {
	return fmt.Sprintf("%d sessions: %d connecting, %d streaming, %d waiting, %d done",
		p.Total.Load(), p.Connecting.Load(), p.Streaming.Load(), p.Waiting.Load(), p.Done.Load())
}

// Render redraws the counters on w every interval (a carriage return, no
// newline) until ctx ends, then clears the line and writes resume: the
// text the progress line overwrote, if any. Run it on its own goroutine, so
// a slow terminal can never delay a frame.
func (p *Progress) Render(ctx context.Context, w io.Writer, label, resume string, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			if last != "" {
				fmt.Fprintf(w, "\r%*s\r%s", len(last), "", resume)
			}
			return
		case <-t.C:
			line := label + " " + p.String()
			if line != last {
				pad := max(len(last)-len(line), 0)
				fmt.Fprintf(w, "\r%s%*s", line, pad, "")
				last = line
			}
		}
	}
}
