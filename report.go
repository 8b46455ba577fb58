// Package sttbench is the benchmark's entry point: `go test -bench .` in this
// directory runs BenchmarkStreaming (bench_test.go). This file turns each
// level's figures into a row of the summary table and the CSV.
package sttbench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/internal/stats"
)

// Float is a CSV/table value that may be missing (NaN): it is written as an
// empty CSV cell and "-" in the table, never as a misleading zero.
type Float float64

// None is the missing value.
var None = Float(math.NaN())

// Valid reports whether f holds a value.
func (f Float) Valid() bool { return !math.IsNaN(float64(f)) }

// MarshalCSV writes f with at most 4 decimals, or an empty cell.
func (f Float) MarshalCSV() (string, error) {
	if !f.Valid() {
		return "", nil
	}
	return strconv.FormatFloat(math.Round(float64(f)*1e4)/1e4, 'f', -1, 64), nil
}

// optionalFloat is *v, or None when v is nil.
func optionalFloat(v *float64) Float {
	if v == nil {
		return None
	}
	return Float(*v)
}

func (f Float) format(verb string) string {
	if !f.Valid() {
		return "-"
	}
	return fmt.Sprintf(verb, float64(f))
}

// Row is one concurrency level's line in the table and the CSV. The first
// twelve columns keep the names of the tool this suite replaces; later
// columns are additions.
type Row struct {
	Concurrency   int   `csv:"concurrency"`
	EOSP50        Float `csv:"eos_p50"`
	EOSP95        Float `csv:"eos_p95"`
	EOSMean       Float `csv:"eos_mean"`
	AudioDuration Float `csv:"audio_duration_s"`
	WER           Float `csv:"wer_pct"`
	// Cancelled counts failed plus errored sessions (the old tool's name).
	Cancelled   int   `csv:"cancelled"`
	Total       int   `csv:"total"`
	GPUUtilP95  Float `csv:"gpu_util_p95"`
	GPUUtilMean Float `csv:"gpu_util_mean"`
	VRAMPeak    Float `csv:"vram_peak_mib"`
	VRAMMean    Float `csv:"vram_mean_mib"`

	Leaks           int   `csv:"leaks"`
	Substitutions   int   `csv:"substitutions"`
	Deletions       int   `csv:"deletions"`
	Insertions      int   `csv:"insertions"`
	RefWords        int   `csv:"ref_words"`
	Incomplete      int   `csv:"incomplete"`
	OutOfOrder      int   `csv:"out_of_order"`
	EOSN            int   `csv:"eos_n"`
	EOSNegative     int   `csv:"eos_negative"`
	Rounds          int   `csv:"rounds"`
	SendLagMaxMs    Float `csv:"send_lag_max_ms"`
	SendLagP99Ms    Float `csv:"send_lag_p99_ms"`
	ClientSaturated bool  `csv:"client_saturated"`
	GPUSamples      int   `csv:"gpu_samples"`
	ServiceErrors   int   `csv:"service_errors"`
	WriteBlockMaxMs Float `csv:"write_block_max_ms"`
	// ClientLagWarning is set when the send-lag p99 passed LagWarning.
	ClientLagWarning bool `csv:"client_lag_warning"`
	// WERRaw is the WER of raw words (wer.RawWords), beside the
	// normalized WER; Normalizer is the version that scored WER.
	WERRaw     Float  `csv:"wer_raw_pct"`
	Normalizer string `csv:"normalizer"`
	// SLOOK is "true" or "false" for a level a capacity search judged
	// against -slo, empty for any other.
	SLOOK string `csv:"slo_ok"`
	// HostStealPct is the share of the load host's CPU time its hypervisor
	// took while the level streamed; ProcessCPUPct this process's CPU as a
	// share of one core. Empty where not measured.
	HostStealPct  Float `csv:"host_steal_pct"`
	ProcessCPUPct Float `csv:"process_cpu_pct"`
	// Capacity and CapacityOutcome are, on each level a capacity search
	// probed, the search's answer (CapacityResult.Capacity: the highest
	// level found ok, 0 for none) and its outcome (found, below_min,
	// at_least_max, interrupted); empty on any other.
	Capacity        string `csv:"capacity"`
	CapacityOutcome string `csv:"capacity_outcome"`
}

// StealWarning is the share of the load host's CPU time, in percent,
// taken by its hypervisor during a level, from which the notes say so.
const StealWarning = 5.0

// LagWarning is the send-lag p99 past which a level's frames left late
// enough to shift its latency figures visibly: the bound this client holds
// itself to, a twentieth of a frame.
const LagWarning = 5 * time.Millisecond

// WriteCSV writes the rows with a header line.
func WriteCSV(w io.Writer, rows []Row) error {
	if err := gocsv.Marshal(rows, w); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// WriteCSVFile writes the rows to path, replacing it only once complete.
// The file gets ordinary permissions (0644 less the umask).
func WriteCSVFile(path string, rows []Row) error {
	if err := writeFileAtomic(path, func(w io.Writer) error { return WriteCSV(w, rows) }); err != nil {
		return fmt.Errorf("write CSV %s: %w", path, err)
	}
	return nil
}

// WriteTable prints the summary table: latency in seconds (over the ok
// sessions), WER in percent, GPU utilisation in percent, VRAM in MiB,
// incomplete sessions, failures as failed/total, and how late this client
// sent its frames (send lag p99 and max, in ms).
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	io.WriteString(tw, "Conc\tEOS p50\tEOS p95\tEOS mean\tAudio Dur\tWER%\tGPU%p95\tGPU%mean\tVRAM peak\tVRAM mean\tLeak\tIncomplete\tFail\tLag p99\tLag max\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d/%d\t%s\t%s\t\n",
			r.Concurrency,
			r.EOSP50.format("%.3fs"), r.EOSP95.format("%.3fs"), r.EOSMean.format("%.3fs"),
			r.AudioDuration.format("%.2fs"), r.WER.format("%.2f"),
			r.GPUUtilP95.format("%.0f"), r.GPUUtilMean.format("%.1f"),
			r.VRAMPeak.format("%.0f MiB"), r.VRAMMean.format("%.0f MiB"),
			r.Leaks, r.Incomplete, r.Cancelled, r.Total,
			r.SendLagP99Ms.format("%.1fms"), r.SendLagMaxMs.format("%.1fms"))
	}
	return tw.Flush()
}

// NewRow makes a level's row from its summary and the GPU samples of its
// rounds (SM utilisation in %, VRAM in MiB; empty when there were none).
func NewRow(s LevelSummary, gpuUtil, vram []float64) Row {
	r := Row{
		Concurrency:     s.Concurrency,
		EOSP50:          Float(s.EOSP50),
		EOSP95:          Float(s.EOSP95),
		EOSMean:         Float(s.EOSMean),
		AudioDuration:   Float(s.AudioDuration),
		WER:             None,
		Cancelled:       s.Failures,
		Total:           s.Sessions,
		GPUUtilP95:      Float(stats.Percentile(gpuUtil, 95)),
		GPUUtilMean:     Float(stats.Mean(gpuUtil)),
		VRAMPeak:        Float(stats.Max(vram)),
		VRAMMean:        Float(stats.Mean(vram)),
		Leaks:           s.Leaks,
		Substitutions:   s.Words.Substitutions,
		Deletions:       s.Words.Deletions,
		Insertions:      s.Words.Insertions,
		RefWords:        s.Words.RefWords(),
		Incomplete:      s.Incomplete,
		OutOfOrder:      s.OutOfOrder,
		EOSN:            s.LatencyN,
		EOSNegative:     s.NegativeLatencies,
		Rounds:          s.Rounds,
		SendLagMaxMs:    None,
		SendLagP99Ms:    None,
		ClientSaturated: s.Saturated,
		GPUSamples:      len(gpuUtil),
		ServiceErrors:   s.ServiceErrors,
		WriteBlockMaxMs: None,
		WERRaw:          None,
		Normalizer:      NormalizerVersion,
		HostStealPct:    optionalFloat(s.HostStealPct),
		ProcessCPUPct:   optionalFloat(s.ProcessCPUPct),
	}
	if s.Words.RefWords() > 0 {
		r.WER = Float(s.WER)
	}
	if s.WordsRaw.RefWords() > 0 {
		r.WERRaw = Float(s.WERRaw)
	}
	if s.MaxLag > 0 || s.P99Lag > 0 {
		r.SendLagMaxMs = Float(s.MaxLag.Seconds() * 1000)
		r.SendLagP99Ms = Float(s.P99Lag.Seconds() * 1000)
		r.WriteBlockMaxMs = Float(s.MaxWrite.Seconds() * 1000)
		r.ClientLagWarning = s.P99Lag > LagWarning
	}
	return r
}

// WriteNotes prints, under the table, what a level's figures alone do not
// say: a client that fell behind, a service that pushed back, sessions
// left out of the latency figures, leaks, and the reason of every session
// that is not ok, grouped and counted.
func WriteNotes(w io.Writer, levels []LevelSummary) {
	const leaksShown = 3
	for _, s := range levels {
		n := s.Concurrency
		if s.Saturated {
			fmt.Fprintf(w, "conc=%d: this client fell behind its send schedule by up to %.0f ms of its own (more than one frame): "+
				"its figures describe this machine as much as the service; use fewer streams per client machine\n",
				n, ms(s.MaxClientLag))
		}
		if !s.Saturated && s.P99Lag > LagWarning {
			fmt.Fprintf(w, "conc=%d: frames left late: send lag p99 %.1f ms, max %.1f ms, over the %.0f ms this client holds itself to "+
				"(a blocked write, noted below when there was one, counts too): EOS figures include that delay\n",
				n, ms(s.P99Lag), ms(s.MaxLag), ms(LagWarning))
		}
		if v := s.HostStealPct; v != nil && *v >= StealWarning {
			fmt.Fprintf(w, "conc=%d: this machine's hypervisor took %.1f %% of its CPU time while the level streamed (steal): "+
				"frames and result stamps waited meanwhile, so send lag and EOS figures include it; a dedicated load host measures closer to the service\n",
				n, *v)
		}
		if s.MaxWrite > max(s.Frame, harness.DefaultFrame) {
			fmt.Fprintf(w, "conc=%d: the service stopped reading audio for up to %.0f ms (a frame write blocked): "+
				"it pushes back when it cannot keep up, and frames behind it left late\n", n, ms(s.MaxWrite))
		}
		if s.Incomplete > 0 {
			if 2*s.Incomplete > s.Sessions {
				fmt.Fprintf(w, "conc=%d: %d of %d sessions did not get every result: the service is overloaded or dropping results\n",
					n, s.Incomplete, s.Sessions)
			} else if s.LatencyN == 0 {
				fmt.Fprintf(w, "conc=%d: %d of %d sessions did not get every result, and no session had a result to time: there is no EOS figure\n",
					n, s.Incomplete, s.Sessions)
			} else {
				fmt.Fprintf(w, "conc=%d: %d of %d sessions did not get every result; EOS figures are over the %d ok %s\n",
					n, s.Incomplete, s.Sessions, s.LatencyN, plural(s.LatencyN, "session"))
			}
		}
		for _, l := range s.LeakExamples[:min(leaksShown, len(s.LeakExamples))] {
			fmt.Fprintf(w, "conc=%d: leak: %s\n", n, l)
		}
		for _, rc := range s.Reasons {
			fmt.Fprintf(w, "conc=%d: %d %s: %s (first at %.1f s)\n", n, rc.Count, plural(rc.Count, "session"), rc.Reason, rc.FirstAt.Seconds())
			if rc.Example != "" {
				fmt.Fprintf(w, "  e.g. %s\n", rc.Example)
			}
		}
	}
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
