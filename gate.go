package sttbench

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// GateResult is one level's row and the bounds it breached, one line each.
type GateResult struct {
	Row      Row
	Breaches []string
}

// Gate runs every configured level once and judges each against the
// -wer-max, -leak-max, -fail-max and -eos-p95-max bounds.
func (r *Run) Gate(ctx context.Context) ([]GateResult, error) {
	rows, err := r.Ramp(ctx)
	results := make([]GateResult, len(rows))
	for i, row := range rows {
		results[i] = GateResult{Row: row, Breaches: gateViolations(row, r.Config)}
	}
	return results, err
}

// gateViolations bounds a level's figures. Each breached bound is one
// line: level, metric, value, bound, flag.
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
