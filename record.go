package sttbench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/sttbench/sttbench/harness"
	"github.com/sttbench/sttbench/wer"
)

// NormalizerVersion names the WER normalizer that scores this build's
// reports; a record made with another is re-scored with this one.
const NormalizerVersion = wer.NormalizerVersion

// RecordSchema is the version of the run record's line format. It changes
// when a reader of the old format would misread the new one.
const RecordSchema = 1

// A run record is a JSONL file written as the run goes: one header line,
// then per round of a level one line per session and a closing "round"
// line (with the GPU samples taken meanwhile). A round counts only once its
// closing line is there, so a record cut short (a killed run, a full disk)
// still reads: its complete rounds report, the rest is named and skipped.
// Times are RFC 3339 with nanoseconds; durations are integer nanoseconds.

// RecordHeader is the first line of a run record.
type RecordHeader struct {
	Kind   string `json:"kind"` // "header"
	Schema int    `json:"schema"`
	// Tool is the module version of the benchmark (debug.ReadBuildInfo).
	Tool string `json:"tool"`
	// Normalizer is the version of the WER normalizer that scored the run.
	Normalizer string    `json:"normalizer"`
	Start      time.Time `json:"start"`
	Host       string    `json:"host"`
	// Flags holds every flag's value by name, the API key left out.
	Flags  map[string]string `json:"flags"`
	Levels []int             `json:"levels"`
	// Shard says which shard of a sharded run (-shard) this record holds;
	// nil when the run was not sharded.
	Shard *RecordShard `json:"shard,omitempty"`
	// Load is the load model that produced the record (absent: ramp).
	Load LoadParams `json:"load"`
	// AudioSource names where the audio came from (audioSource); the
	// "audio" line that follows once the clips are ready adds their digest.
	AudioSource string `json:"audio_source,omitempty"`
}

// recordSession is one session line.
type recordSession struct {
	Kind  string `json:"kind"` // "session"
	Level int    `json:"level"`
	Round int    `json:"round"`
	harness.SessionResult
}

// recordRound closes one round of a level.
type recordRound struct {
	Kind     string           `json:"kind"` // "round"
	Level    int              `json:"level"`
	Round    int              `json:"round"`
	Start    time.Time        `json:"start"`
	End      time.Time        `json:"end"`
	Sessions int              `json:"sessions"`
	GPU      []RecordedGPU    `json:"gpu"`
	Host     harness.HostLoad `json:"host"`
	// The round's WER as scored when it was written, normalized (by
	// Normalizer) and raw; null without reference words. A report
	// re-scores the sessions and does not read these.
	Normalizer string   `json:"normalizer"`
	WERPct     *float64 `json:"wer_pct"`
	WERRawPct  *float64 `json:"wer_raw_pct"`
}

// RecordedGPU is one dmon sample as recorded; a figure the board did not
// report is null.
type RecordedGPU struct {
	At    time.Time `json:"at"`
	SM    *float64  `json:"sm_pct"`
	FBMiB *float64  `json:"fb_mib"`
}

// Round is one run of a level: its sessions and what the GPU did meanwhile.
type Round struct {
	Level harness.LevelResult
	GPU   []RecordedGPU
}

// gpuFigures returns the SM utilisation (%) and VRAM (MiB) of samples,
// leaving out what the board did not report.
func gpuFigures(samples []RecordedGPU) (util, vram []float64) {
	for _, s := range samples {
		if s.SM != nil {
			util = append(util, *s.SM)
		}
		if s.FBMiB != nil {
			vram = append(vram, *s.FBMiB)
		}
	}
	return util, vram
}

// optional is v, or nil when v is NaN (not reported).
func optional(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

// RecordWriter appends a run's rounds to its record as they end. It is not
// safe for concurrent use.
type RecordWriter struct {
	f      *os.File
	w      *bufio.Writer
	path   string
	rounds map[int]int // rounds written per level
}

// CreateRecord creates (or truncates) the record at path and writes its
// header.
func CreateRecord(path string, h RecordHeader) (*RecordWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create record: %w", err)
	}
	rw := &RecordWriter{f: f, w: bufio.NewWriter(f), path: path, rounds: map[int]int{}}
	h.Kind, h.Schema = "header", RecordSchema
	if err := rw.line(h); err != nil {
		f.Close()
		return nil, err
	}
	return rw, rw.flush()
}

// WriteRound appends one round of level n and flushes it to the file.
func (rw *RecordWriter) WriteRound(n int, r Round) error {
	idx := rw.rounds[n]
	rw.rounds[n]++
	for _, s := range r.Level.Sessions {
		if err := rw.line(recordSession{Kind: "session", Level: n, Round: idx, SessionResult: s}); err != nil {
			return err
		}
	}
	end := recordRound{Kind: "round", Level: n, Round: idx, Start: r.Level.Start, End: r.Level.End,
		Sessions: len(r.Level.Sessions), GPU: r.GPU, Host: r.Level.Host, Normalizer: NormalizerVersion}
	if sum := Summarize(n, []harness.LevelResult{r.Level}); sum.Words.RefWords() > 0 {
		end.WERPct, end.WERRawPct = optional(sum.WER), optional(sum.WERRaw)
	}
	if end.GPU == nil {
		end.GPU = []RecordedGPU{}
	}
	if err := rw.line(end); err != nil {
		return err
	}
	return rw.flush()
}

// Close flushes and closes the file.
func (rw *RecordWriter) Close() error {
	err := rw.flush()
	if cerr := rw.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write record %s: %w", rw.path, cerr)
	}
	return err
}

func (rw *RecordWriter) line(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write record %s: %w", rw.path, err)
	}
	data = append(data, '\n')
	if _, err := rw.w.Write(data); err != nil {
		return fmt.Errorf("write record %s: %w", rw.path, err)
	}
	return nil
}

func (rw *RecordWriter) flush() error {
	if err := rw.w.Flush(); err != nil {
		return fmt.Errorf("write record %s: %w", rw.path, err)
	}
	return nil
}

// Record is a run record read back: its header and its complete rounds
// by level, levels in the order first recorded.
type Record struct {
	Header  RecordHeader
	Levels  []int
	ByLevel map[int][]Round
	// Skipped says what could not be used: a torn last line, a round
	// whose closing line is missing.
	Skipped []string
	// Capacity holds the answers of capacity searches ("capacity" lines).
	Capacity []CapacityResult
	// Audio is the record's audio line; nil in a record without one.
	Audio *RecordAudio
	// Path is the file the record was read from (ReadRecord).
	Path string
	// Gaps says, in a merged record, which records lack rounds that
	// others hold (a run cut short, a shard not given): MergeRecords.
	Gaps []string
}

// ReadRecord reads the record at path.
func ReadRecord(path string) (*Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read record: %w", err)
	}
	defer f.Close()
	rec, err := readRecord(f)
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", path, err)
	}
	rec.Path = path
	return rec, nil
}

type roundKey struct{ level, round int }

func readRecord(r io.Reader) (*Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	rec := &Record{ByLevel: map[int][]Round{}}
	open := map[roundKey][]harness.SessionResult{}
	var order []roundKey
	line := 0
	for sc.Scan() {
		line++
		data := sc.Bytes()
		var kind struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(data, &kind); err != nil {
			// Only the last line can be torn by a run that was cut short.
			rec.Skipped = append(rec.Skipped, fmt.Sprintf("line %d is not a complete JSON line (a run cut short?): skipped", line))
			continue
		}
		switch {
		case line == 1 && kind.Kind != "header":
			return nil, errors.New("line 1 is not a record header: is this an sttbench run record?")
		case kind.Kind == "header":
			if line != 1 {
				return nil, fmt.Errorf("line %d: a second header", line)
			}
			if err := json.Unmarshal(data, &rec.Header); err != nil {
				return nil, fmt.Errorf("line 1: %w", err)
			}
			if rec.Header.Schema != RecordSchema {
				return nil, fmt.Errorf("record schema %d, this sttbench reads schema %d", rec.Header.Schema, RecordSchema)
			}
		case kind.Kind == "audio":
			rec.Audio = &RecordAudio{}
			if err := json.Unmarshal(data, rec.Audio); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
		case kind.Kind == "session":
			var s recordSession
			if err := json.Unmarshal(data, &s); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			k := roundKey{s.Level, s.Round}
			if _, ok := open[k]; !ok {
				order = append(order, k)
			}
			open[k] = append(open[k], s.SessionResult)
		case kind.Kind == "round":
			var end recordRound
			if err := json.Unmarshal(data, &end); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			k := roundKey{end.Level, end.Round}
			sessions := open[k]
			if len(sessions) != end.Sessions {
				return nil, fmt.Errorf("line %d: conc=%d round %d closes %d sessions, %d recorded", line, end.Level, end.Round, end.Sessions, len(sessions))
			}
			delete(open, k)
			if _, ok := rec.ByLevel[end.Level]; !ok {
				rec.Levels = append(rec.Levels, end.Level)
			}
			rec.ByLevel[end.Level] = append(rec.ByLevel[end.Level], Round{
				Level: harness.LevelResult{Concurrency: end.Level, Sessions: sessions, Start: end.Start, End: end.End, Host: end.Host},
				GPU:   end.GPU,
			})
		case kind.Kind == "capacity":
			var c CapacityResult
			if err := json.Unmarshal(data, &c); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			rec.Capacity = append(rec.Capacity, c)
		default:
			return nil, fmt.Errorf("line %d: unknown kind %q", line, kind.Kind)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if line == 0 {
		return nil, errors.New("empty file")
	}
	for _, k := range order {
		if s, ok := open[k]; ok {
			rec.Skipped = append(rec.Skipped, fmt.Sprintf("%s never completed (%d %s recorded): skipped",
				rec.Header.Load.roundName(k.level, k.round), len(s), plural(len(s), "session")))
		}
	}
	return rec, nil
}

// MergeOptions says how MergeRecords treats rounds that some records lack.
type MergeOptions struct {
	// Partial keeps a round that some record lacks, with the sessions of
	// the records that hold it; by default it is left out.
	Partial bool
}

// MergeRecords joins records of one run made at the same time on several
// load hosts: round i of a level is the sessions of round i of every
// record, so percentiles come from the merged sessions. Records whose
// schema or levels differ are an error, and so are shards (-shard) of
// different runs, one shard twice or one record twice; shards' sessions
// come in the order of their index in the level.
//
// A merged round counts only once every record, and every shard of a
// sharded run, holds it: a record cut short (or a shard not given) would
// otherwise drop its sessions from the figures without a word, and the
// missing ones are most often the worst. Such rounds are left out, or kept
// with opts.Partial; either way Gaps names what each record lacks.
func MergeRecords(recs []*Record, opts MergeOptions) (*Record, error) {
	if len(recs) == 0 {
		return nil, errors.New("merge records: none given")
	}
	if err := checkSameRun(recs); err != nil {
		return nil, err
	}
	for i, r := range recs {
		// A search picks its levels from its own verdicts, so two searches'
		// probes are no shards of one run.
		if search := r.Header.Flags["search"]; search != "" && len(recs) > 1 {
			return nil, fmt.Errorf("merge records: record %d is a capacity search (-search %s), which runs from one load host and merges with no other record: report it on its own, or compare searches with -compare", i+1, search)
		}
	}
	if err := checkShards(recs); err != nil {
		return nil, err
	}
	out := &Record{Header: recs[0].Header, ByLevel: map[int][]Round{}}
	for i, r := range recs {
		if !slices.Equal(r.Header.Levels, out.Header.Levels) {
			return nil, fmt.Errorf("merge records: record %d was set to levels %v (-concurrency), record 1 to %v: only records of one run merge", i+1, r.Header.Levels, out.Header.Levels)
		}
		if err := sameLoad(r.Header.Load, out.Header.Load); err != nil {
			return nil, fmt.Errorf("merge records: record %d %w", i+1, err)
		}
		// How the audio was sent changes what is measured.
		for _, f := range []string{"frame", "phase"} {
			if a, b := r.Header.Flags[f], out.Header.Flags[f]; a != b {
				return nil, fmt.Errorf("merge records: record %d ran with -%s %q, record 1 with %q: only records of one run merge", i+1, f, a, b)
			}
		}
		out.Skipped = append(out.Skipped, r.Skipped...)
		out.Capacity = append(out.Capacity, r.Capacity...)
		for _, n := range r.Levels {
			if _, ok := out.ByLevel[n]; !ok {
				out.Levels = append(out.Levels, n)
			}
			for j, round := range r.ByLevel[n] {
				if j == len(out.ByLevel[n]) {
					out.ByLevel[n] = append(out.ByLevel[n], Round{Level: harness.LevelResult{Concurrency: n, Start: round.Level.Start, End: round.Level.End}})
				}
				m := &out.ByLevel[n][j]
				m.Level.Sessions = append(m.Level.Sessions, round.Level.Sessions...)
				m.GPU = append(m.GPU, round.GPU...)
				if round.Level.Start.Before(m.Level.Start) {
					m.Level.Start = round.Level.Start
				}
				if round.Level.End.After(m.Level.End) {
					m.Level.End = round.Level.End
				}
				// Each shard's host is its own: the merged round keeps the busiest.
				m.Level.Host.StealPct = maxOf(m.Level.Host.StealPct, round.Level.Host.StealPct)
				m.Level.Host.ProcessCPUPct = maxOf(m.Level.Host.ProcessCPUPct, round.Level.Host.ProcessCPUPct)
			}
		}
	}
	if out.Header.Shard != nil {
		if err := sortShardSessions(out); err != nil {
			return nil, err
		}
	}
	var sameSchedule []string
	if out.Header.Load.Model == LoadArrivals && len(recs) > 1 {
		out.Header.Load, sameSchedule = mergeArrivals(recs)
	}
	out.Gaps = append(mergeGaps(recs, out, opts.Partial), sameSchedule...)
	if !opts.Partial {
		keepCompleteRounds(recs, out)
	}
	return out, nil
}

// checkSameRun reports a record given twice: two records of one host that
// started at the same moment (and hold the same shard) are copies of one.
func checkSameRun(recs []*Record) error {
	for i, a := range recs {
		for j := i + 1; j < len(recs); j++ {
			b := recs[j].Header
			if a.Header.Start.IsZero() || !a.Header.Start.Equal(b.Start) || a.Header.Host != b.Host ||
				shardName(a.Header.Shard) != shardName(b.Shard) {
				continue
			}
			return fmt.Errorf("merge records: records %d and %d are the same run (host %q, started %s): give each record once",
				i+1, j+1, b.Host, b.Start.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// keepCompleteRounds drops from out the rounds some record lacks, and the
// levels left with none; a shard not given leaves none.
func keepCompleteRounds(recs []*Record, out *Record) {
	complete := len(MissingShards(recs)) == 0
	var levels []int
	for _, n := range out.Levels {
		held := len(out.ByLevel[n])
		for _, r := range recs {
			held = min(held, len(r.ByLevel[n]))
		}
		if complete && held > 0 {
			out.ByLevel[n] = out.ByLevel[n][:held]
			levels = append(levels, n)
			continue
		}
		delete(out.ByLevel, n)
	}
	out.Levels = levels
}

// mergeGaps names, per record that lacks rounds others hold and per shard
// not given, what it lacks and what the report does about it.
func mergeGaps(recs []*Record, out *Record, partial bool) []string {
	effect := "those rounds are left out of the report, the other records' sessions of them too " +
		"(pass -partial to report them from the records that hold them)"
	if partial {
		effect = "the report's rounds of them hold only the sessions of the records that have them"
	}
	var gaps []string
	for i, r := range recs {
		var lacks []string
		for _, n := range out.Levels {
			have, all := len(r.ByLevel[n]), len(out.ByLevel[n])
			switch {
			case have == all:
			case have == 0 && r.Header.Load.open():
				lacks = append(lacks, "every minute")
			case have == 0:
				lacks = append(lacks, fmt.Sprintf("conc=%d", n))
			case r.Header.Load.open():
				lacks = append(lacks, fmt.Sprintf("minute %d on", have))
			default:
				lacks = append(lacks, fmt.Sprintf("conc=%d from round %d", n, have))
			}
		}
		if len(lacks) > 0 {
			gaps = append(gaps, fmt.Sprintf("%s lacks rounds the others hold (%s): its run was cut short, or ended early; %s",
				recordName(i, r), strings.Join(lacks, ", "), effect))
		}
	}
	if missing := MissingShards(recs); len(missing) > 0 {
		effect := "every round lacks their sessions, so nothing is reported; give every shard's record " +
			"(or pass -partial to report the shards given)"
		if partial {
			effect = "the report covers only the sessions of the shards given"
		}
		gaps = append(gaps, fmt.Sprintf("shard(s) %v of %d not given: %s", missing, recs[0].Header.Shard.Count, effect))
	}
	return gaps
}

// recordName is how a gap names record i: its file, and its shard.
func recordName(i int, r *Record) string {
	name := fmt.Sprintf("record %d", i+1)
	if r.Path != "" {
		name = r.Path
	}
	if r.Header.Shard != nil {
		name += " (shard " + r.Header.Shard.String() + ")"
	}
	return name
}

// maxOf is the larger of two figures that may be unknown (nil).
func maxOf(a, b *float64) *float64 {
	if a == nil || (b != nil && *b > *a) {
		return b
	}
	return a
}

// toolVersion is the benchmark's module version, or "(devel)".
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value
			}
		}
		return v
	}
	return "unknown"
}

// canonical is r as a record stores it and a reader gets it back (wall
// clock times, no monotonic readings), so that the run's own report and a
// report from its record compute the same figures.
func canonical(r harness.SessionResult) harness.SessionResult {
	data, err := json.Marshal(r)
	if err != nil {
		return r
	}
	var back harness.SessionResult
	if json.Unmarshal(data, &back) != nil {
		return r
	}
	return back
}

// LevelRow joins a level's rounds and the GPU samples taken meanwhile.
func LevelRow(n int, rounds []Round) Row {
	levels := make([]harness.LevelResult, len(rounds))
	var gpu []RecordedGPU
	for i, r := range rounds {
		levels[i] = r.Level
		gpu = append(gpu, r.GPU...)
	}
	util, vram := gpuFigures(gpu)
	return NewRow(Summarize(n, levels), util, vram)
}

// Report prints the table and the notes under it for the levels given, in
// order, and returns their rows.
func Report(w io.Writer, levels []int, byLevel map[int][]Round) ([]Row, error) {
	rows := make([]Row, 0, len(levels))
	sums := make([]LevelSummary, 0, len(levels))
	for _, n := range levels {
		rows = append(rows, LevelRow(n, byLevel[n]))
		results := make([]harness.LevelResult, len(byLevel[n]))
		for i, r := range byLevel[n] {
			results[i] = r.Level
		}
		sums = append(sums, Summarize(n, results))
	}
	if err := WriteTable(w, rows); err != nil {
		return rows, err
	}
	WriteNotes(w, sums)
	return rows, nil
}
