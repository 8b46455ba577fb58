package refstt

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a reference STT server. The zero value is a healthy
// service with the default latency model and no faults; every zero field
// means the default written on it.
//
// The fault rates are exact, not random: each session keeps a counter per
// fault, and after n events floor(n*rate) of them have been faulted, so a
// test can predict exactly which results are affected.
type Config struct {
	// Base is the fixed time one batch takes. Zero means 30 ms; use a tiny
	// value such as 1ns for an (almost) instant service.
	Base time.Duration
	// PerAudioSecond is the time added per second of audio in a batch.
	// Zero means 25 ms.
	PerAudioSecond time.Duration
	// LatencyScale multiplies the modelled batch time: 2 is a service twice
	// as slow. Zero means 1.
	LatencyScale float64
	// BatchWindow is how long the shared worker waits, from the arrival of
	// the first pending utterance, for more utterances to batch with it.
	// Zero means 100 ms.
	BatchWindow time.Duration
	// MaxBatch is the most utterances one batch holds. Zero means 16.
	MaxBatch int
	// QueueSize bounds the utterances waiting for the worker, shared by all
	// sessions, as the Parakeet service's queue of 64 does: when it is
	// full, a session's reader waits for room, so the service stops reading
	// audio and TCP back-pressure reaches the client's writes. Zero means
	// unbounded.
	QueueSize int
	// PerMessageWindows makes the server cut each binary message into VAD
	// windows of its own and drop the remainder, as the Parakeet service
	// does with its 512-sample windows: a frame that is not a whole number
	// of windows loses its tail, and one shorter than a window is lost
	// whole. False carries the remainder into the next message, as a
	// continuous stream would.
	PerMessageWindows bool

	// WordErrorRate is the fraction (0..1) of recognized words replaced by a
	// different real word, counted over each session's words.
	WordErrorRate float64
	// DropRate is the fraction (0..1) of each session's results never sent
	// (their {"status":"queued"} was sent).
	DropRate float64
	// LeakRate is the fraction (0..1) of each session's results delivered
	// to another connected session instead of their own. Results produced
	// while no other session is connected are not counted.
	LeakRate float64
	// CloseAfter makes the server close each connection (status 1011) once
	// it has received this much audio. Zero means never.
	CloseAfter time.Duration
	// MalformedRate is the fraction (0..1) of each session's result
	// messages sent as invalid JSON (a truncated object).
	MalformedRate float64
	// APIKey, when not empty, makes the handshake require the header
	// "Authorization: Bearer <APIKey>"; others are refused with 403.
	APIKey string
	// Seed chooses the replacement words of WordErrorRate. Zero is a seed
	// like any other.
	Seed uint64

	// KeepSessions is how many session logs the server keeps for
	// Server.Sessions: those of the latest sessions, so that a long-running
	// server does not grow without bound. Older logs are dropped and
	// counted in Stats.SessionsForgotten. Zero means DefaultKeepSessions.
	KeepSessions int
}

// Defaults of the latency model and batching; see Config.
const (
	DefaultBase           = 30 * time.Millisecond
	DefaultPerAudioSecond = 25 * time.Millisecond
	DefaultBatchWindow    = 100 * time.Millisecond
	DefaultMaxBatch       = 16
	DefaultKeepSessions   = 10000
)

// Validate reports the first invalid field: negative durations or sizes,
// rates outside 0..1, a negative or non-finite LatencyScale.
func (c Config) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Base", c.Base}, {"PerAudioSecond", c.PerAudioSecond}, {"BatchWindow", c.BatchWindow}, {"CloseAfter", c.CloseAfter}} {
		if d.v < 0 {
			return fmt.Errorf("refstt: %s is %v, want >= 0", d.name, d.v)
		}
	}
	if c.LatencyScale < 0 || math.IsNaN(c.LatencyScale) || math.IsInf(c.LatencyScale, 0) {
		return fmt.Errorf("refstt: LatencyScale is %v, want a finite value >= 0", c.LatencyScale)
	}
	if c.MaxBatch < 0 {
		return fmt.Errorf("refstt: MaxBatch is %d, want >= 0", c.MaxBatch)
	}
	if c.QueueSize < 0 {
		return fmt.Errorf("refstt: QueueSize is %d, want >= 0", c.QueueSize)
	}
	if c.KeepSessions < 0 {
		return fmt.Errorf("refstt: KeepSessions is %d, want >= 0", c.KeepSessions)
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"WordErrorRate", c.WordErrorRate}, {"DropRate", c.DropRate}, {"LeakRate", c.LeakRate}, {"MalformedRate", c.MalformedRate}} {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("refstt: %s is %v, want a fraction between 0 and 1", r.name, r.v)
		}
	}
	return nil
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Base == 0 {
		c.Base = DefaultBase
	}
	if c.PerAudioSecond == 0 {
		c.PerAudioSecond = DefaultPerAudioSecond
	}
	if c.LatencyScale == 0 {
		c.LatencyScale = 1
	}
	if c.BatchWindow == 0 {
		c.BatchWindow = DefaultBatchWindow
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.KeepSessions == 0 {
		c.KeepSessions = DefaultKeepSessions
	}
	return c
}

// BatchLatency returns the modelled processing time of one batch holding
// audio seconds of audio in all: (Base + PerAudioSecond*seconds) *
// LatencyScale, with zero fields at their defaults.
func (c Config) BatchLatency(audio time.Duration) time.Duration {
	c = c.withDefaults()
	d := (float64(c.Base) + float64(c.PerAudioSecond)*audio.Seconds()) * c.LatencyScale
	if d >= math.MaxInt64 { // absurd knobs saturate rather than wrap around
		return math.MaxInt64
	}
	return time.Duration(max(d, 0))
}

// Param is one knob of the reference STT: a query parameter of ParseConfig
// and, spelled the same, a flag of cmd/sttbench-ref. Params lists them all.
type Param struct {
	Name    string // the query parameter and flag name, such as "per_sec"
	Form    string // the values accepted, for help and error messages
	Default string // what the zero value means, in words
	Usage   string // what the knob does
	set     func(c *Config, v string) error
}

// Set parses v into the field of c that p configures. The error says which
// form p accepts.
func (p Param) Set(c *Config, v string) error {
	if err := p.set(c, v); err != nil {
		return fmt.Errorf("want %s, got %q", p.Form, v)
	}
	return nil
}

// params is the one table of knobs, in the order README lists them.
var params = []Param{
	{"wer", "a fraction between 0 and 1 such as 0.1", "0", "fraction of recognized words replaced by another word",
		floatParam(func(c *Config) *float64 { return &c.WordErrorRate }, 1)},
	{"drop", "a fraction between 0 and 1 such as 0.2", "0", "fraction of results never sent after their queued notice",
		floatParam(func(c *Config) *float64 { return &c.DropRate }, 1)},
	{"leak", "a fraction between 0 and 1 such as 0.5", "0", "fraction of results delivered to another connected session",
		floatParam(func(c *Config) *float64 { return &c.LeakRate }, 1)},
	{"malformed", "a fraction between 0 and 1 such as 0.2", "0", "fraction of result messages sent as invalid JSON",
		floatParam(func(c *Config) *float64 { return &c.MalformedRate }, 1)},
	{"close", "a duration of audio such as 3s (0 = never)", "never", "close each connection (status 1011) after this much audio",
		durationParam(func(c *Config) *time.Duration { return &c.CloseAfter })},
	{"latency", "a multiplier >= 0 such as 2", "1", "multiply the modelled processing time",
		floatParam(func(c *Config) *float64 { return &c.LatencyScale }, math.Inf(1))},
	{"base", "a duration such as 30ms", DefaultBase.String(), "fixed processing time of one batch",
		durationParam(func(c *Config) *time.Duration { return &c.Base })},
	{"per_sec", "a duration such as 25ms (per second of audio)", DefaultPerAudioSecond.String(), "processing time added per second of audio in a batch",
		durationParam(func(c *Config) *time.Duration { return &c.PerAudioSecond })},
	{"batch_window", "a duration such as 100ms", DefaultBatchWindow.String(), "how long the single worker gathers a batch",
		durationParam(func(c *Config) *time.Duration { return &c.BatchWindow })},
	{"max_batch", "a whole number >= 1 such as 16", strconv.Itoa(DefaultMaxBatch), "most utterances in one batch",
		intParam(func(c *Config) *int { return &c.MaxBatch }, 1)},
	{"queue", "a whole number >= 0 such as 64 (0 = unbounded)", "unbounded", "most utterances waiting for the worker, shared by all connections; when full, reading audio waits",
		intParam(func(c *Config) *int { return &c.QueueSize }, 0)},
	{"window", "512, the VAD window in samples, or 0", "0 (windows span messages)", "cut each binary message into 512-sample windows of its own and drop the rest, as the Parakeet service does",
		func(c *Config, v string) error {
			switch v {
			case "0":
				c.PerMessageWindows = false
			case strconv.Itoa(vadWindow):
				c.PerMessageWindows = true
			default:
				return errBadValue
			}
			return nil
		}},
	{"keep_sessions", "a whole number >= 1 such as 100", strconv.Itoa(DefaultKeepSessions), "session logs kept for tests, the latest ones",
		intParam(func(c *Config) *int { return &c.KeepSessions }, 1)},
	{"api_key", "any non-empty string", "none", "refuse handshakes without \"Authorization: Bearer KEY\" (403)",
		func(c *Config, v string) error {
			if v == "" {
				return errBadValue
			}
			c.APIKey = v
			return nil
		}},
	{"seed", "a whole number >= 0 such as 42", "0", "choice of replacement words",
		func(c *Config, v string) error {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return errBadValue
			}
			c.Seed = n
			return nil
		}},
}

// Params returns every knob, in a fixed order.
func Params() []Param { return slices.Clone(params) }

var errBadValue = errors.New("bad value")

func durationParam(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errBadValue
		}
		*field(c) = d
		return nil
	}
}

func intParam(field func(*Config) *int, minV int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < minV {
			return errBadValue
		}
		*field(c) = n
		return nil
	}
}

func floatParam(field func(*Config) *float64, maxV float64) func(*Config, string) error {
	return func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f >= 0 && f <= maxV) || math.IsInf(f, 0) {
			return errBadValue
		}
		*field(c) = f
		return nil
	}
}

// ParseConfig builds a Config from URL query parameters, so a service can be
// described in one string such as "embedded?wer=0.1&latency=2". The
// parameters are those of Params. Absent parameters keep their zero value.
// The error names the offending parameter and the form it accepts.
func ParseConfig(q url.Values) (Config, error) {
	var c Config
	names := slices.Sorted(maps.Keys(q))
	for _, name := range names {
		i := slices.IndexFunc(params, func(p Param) bool { return p.Name == name })
		if i < 0 {
			return Config{}, fmt.Errorf("refstt: unknown parameter %q; accepted: %s", name, strings.Join(paramNames(), ", "))
		}
		vs := q[name]
		if len(vs) != 1 {
			return Config{}, fmt.Errorf("refstt: parameter %q given %d times, want once", name, len(vs))
		}
		if err := params[i].Set(&c, vs[0]); err != nil {
			return Config{}, fmt.Errorf("refstt: parameter %q: %w", name, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func paramNames() []string {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.Name
	}
	slices.Sort(names)
	return names
}
