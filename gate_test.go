package sttbench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Gate bounds a level's figures. Each breached bound is one line: level,
// metric, value, bound, flag.
func gateViolations(r Row, cfg Config) []string {
	var out []string
	breach := func(metric, value, bound, flag string) {
		out = append(out, fmt.Sprintf("conc=%d: %s %s exceeds the bound %s (%s)", r.Concurrency, metric, value, bound, flag))
	}
	if r.WER.Valid() && float64(r.WER) > cfg.WERMax {
		breach("WER", fmt.Sprintf("%.2f %%", float64(r.WER)), fmt.Sprintf("%.2f %%", cfg.WERMax), "-wer-max")
	}
	if r.Leaks > cfg.LeakMax {
		breach("leaked sessions", strconv.Itoa(r.Leaks), strconv.Itoa(cfg.LeakMax), "-leak-max")
	}
	if r.Cancelled > cfg.FailMax {
		breach("failed sessions", fmt.Sprintf("%d of %d", r.Cancelled, r.Total), strconv.Itoa(cfg.FailMax), "-fail-max")
	}
	if cfg.EOSP95Max > 0 {
		switch {
		case !r.EOSP95.Valid():
			breach("EOS p95", "(no transcript to time)", cfg.EOSP95Max.String(), "-eos-p95-max")
		case time.Duration(float64(r.EOSP95)*float64(time.Second)) > cfg.EOSP95Max:
			breach("EOS p95", fmt.Sprintf("%.3fs", float64(r.EOSP95)), cfg.EOSP95Max.String(), "-eos-p95-max")
		}
	}
	return out
}

// gate runs every configured level once and returns each level's row and
// the bounds it breached.
func (s *suite) gate(ctx context.Context) ([]Row, [][]string, error) {
	if err := s.setup(); err != nil {
		return nil, nil, err
	}
	var rows []Row
	var breaches [][]string
	for _, n := range s.cfg.Levels {
		s.pause(ctx)
		r, err := s.level(ctx, n, "")
		if err != nil {
			return rows, breaches, err
		}
		if ctx.Err() != nil {
			return rows, breaches, fmt.Errorf("interrupted during conc=%d: %w", n, context.Cause(ctx))
		}
		row := s.record(n, []Round{r})
		rows = append(rows, row)
		breaches = append(breaches, gateViolations(row, s.cfg))
	}
	return rows, breaches, nil
}

// sttURLGiven reports whether the user named an STT service: the gate
// runs only against a service someone asked for.
func sttURLGiven() bool {
	if _, ok := os.LookupEnv("STT_URL"); ok {
		return true
	}
	given := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "stt-url" {
			given = true
		}
	})
	return given
}

// TestGate fails when any configured level breaches -wer-max, -leak-max,
// -fail-max or -eos-p95-max. Run it as `make gate` or
// `go test -run TestGate -stt-url ... -tts-url ...`; it is skipped unless an
// STT service is named (flag or STT_URL; `embedded` for the reference one).
func TestGate(t *testing.T) {
	if !sttURLGiven() {
		t.Skip("no STT service named: pass -stt-url (or STT_URL); embedded runs the reference service")
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	defer context.AfterFunc(run.ctx, cancel)()
	rows, breaches, err := run.gate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		t.Run("conc="+strconv.Itoa(row.Concurrency), func(t *testing.T) {
			t.Logf("WER %s %%, %d/%d failed, %d leaked, EOS p95 %s s", row.WER.format("%.2f"), row.Cancelled, row.Total, row.Leaks, row.EOSP95.format("%.3f"))
			if len(breaches[i]) > 0 {
				t.Error("gate breached:\n" + strings.Join(breaches[i], "\n"))
			}
		})
	}
}
