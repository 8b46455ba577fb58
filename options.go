package sttbench

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sttbench/sttbench/harness"
)

// Option describes one command-line flag of the benchmark and the
// environment variable that supplies its default.
type Option struct {
	Name, Env, Default, Usage string
	// Bool marks a flag that may be given without a value (-probe).
	Bool bool
	// Secret marks a flag whose value is never shown, not even as the
	// default that -help prints from the environment.
	Secret bool
}

// Options is the benchmark's whole command line, one entry per flag. The
// README's flag table is written from the same list.
var Options = []Option{
	{Name: "stt-url", Env: "STT_URL", Default: "ws://localhost:8000/ws",
		Usage: "STT WebSocket URL; `embedded` (optionally `embedded?wer=0.1&leak=0.5...`) starts the built-in reference service"},
	{Name: "tts-url", Env: "TTS_URL", Default: "http://localhost:8004/tts",
		Usage: "Chatterbox-compatible TTS URL (POST /tts); `embedded` starts the built-in reference TTS; `espeak` speaks the texts locally with espeak-ng"},
	{Name: "api-key", Env: "STT_API_KEY", Secret: true, Usage: "sent as `Authorization: Bearer <key>`; never printed or written"},
	{Name: "concurrency", Env: "STTBENCH_CONCURRENCY", Default: "1,5,10,20,30,40", Usage: "comma-separated concurrency levels"},
	{Name: "output", Env: "STTBENCH_OUTPUT", Default: "benchmark_results.csv", Usage: "CSV file written after the run (`-` or empty: none)"},
	{Name: "record", Env: "STTBENCH_RECORD", Usage: "the run record, JSONL written as the run goes (default: beside -output, .jsonl; `-`: none); re-report it with `sttbench report`"},
	{Name: "sessions-out", Env: "STTBENCH_SESSIONS_OUT", Usage: "old name of -record, kept as an alias"},
	{Name: "result-timeout", Env: "STTBENCH_RESULT_TIMEOUT", Default: "30s", Usage: "hard cap on waiting for results after the last frame, also while results are owed"},
	{Name: "idle-timeout", Env: "STTBENCH_IDLE_TIMEOUT", Default: "5s", Usage: "once every queued utterance has its result (and a clip with speech has had an answer after its last speech frame), stop when no message came for this long (after the last frame)"},
	{Name: "write-timeout", Env: "STTBENCH_WRITE_TIMEOUT", Default: "5s", Usage: "a frame write blocked this long (the service stopped reading audio) ends the session as an error"},
	{Name: "level-pause", Env: "STTBENCH_LEVEL_PAUSE", Default: "2.5s", Usage: "pause between concurrency levels, so one level's tail does not load the next"},
	{Name: "frame", Env: "STTBENCH_FRAME", Default: "100ms", Usage: "audio per binary frame, as your clients send it: 10ms to 1s, a whole number of 16 kHz samples (20ms is 320 samples; Parakeet's 512-sample windows fit 32ms, 64ms, 96ms)"},
	{Name: "phase", Env: "STTBENCH_PHASE", Default: "spread", Usage: "stream start phases: `spread` (session i of n starts i/n of a frame after the level's origin, as independent callers do) or `aligned` (one origin for all: every frame of a tick leaves in one burst, a worst case)"},
	{Name: "probe", Env: "STTBENCH_PROBE", Default: "false", Bool: true, Usage: "run one verbose session, print its timeline and a verdict, then exit"},
	{Name: "texts", Env: "STTBENCH_TEXTS", Usage: "reference texts file, one per line; session i speaks text i (empty: the built-in set, testdata/reference_texts.txt compiled in)"},
	{Name: "voice", Env: "STTBENCH_VOICE", Default: "Emily.wav", Usage: "TTS predefined voice; with -tts-url espeak, the espeak-ng voice (e.g. en-gb; the default Emily.wav means en-us)"},
	{Name: "audio", Env: "STTBENCH_AUDIO", Usage: "directory of recordings to stream instead of synthesized speech: NAME.wav or NAME.flac, each with NAME.txt holding its reference text; session i speaks recording i, in name order"},
	{Name: "manifest", Env: "STTBENCH_MANIFEST", Usage: "NeMo manifest of recordings to stream instead of synthesized speech: JSON lines with audio_filepath (relative to the manifest), text, optional duration and speech_end (seconds)"},
	{Name: "shuffle-seed", Env: "STTBENCH_SHUFFLE_SEED", Usage: "with -audio or -manifest: use the recordings in an order shuffled by this seed (empty: file order)"},
	{Name: "seed", Env: "STTBENCH_SEED", Default: "42", Usage: "TTS seed (fixed, so clips are reproducible and cacheable)"},
	{Name: "tts-timeout", Env: "STTBENCH_TTS_TIMEOUT", Default: "2m", Usage: "longest wait for the TTS service's answer to one clip, connection to last byte"},
	{Name: "cache-dir", Env: "STTBENCH_CACHE_DIR", Default: ".sttbench-cache", Usage: "disk cache of synthesized clips"},
	{Name: "gpu-id", Env: "STTBENCH_GPU_ID", Usage: "GPU index or UUID to monitor; skips detection"},
	{Name: "gpu-hint", Env: "STTBENCH_GPU_HINT", Default: "parakeet,nemo,uvicorn", Usage: "words that mark the STT process's command line, for GPU detection"},
	{Name: "nvidia-smi", Env: "STTBENCH_NVIDIA_SMI", Usage: "nvidia-smi path or command line, e.g. `ssh gpu-host nvidia-smi` to sample the STT host's GPU (default: nvidia-smi from PATH)"},
	{Name: "wer-max", Env: "STTBENCH_WER_MAX", Default: "5.0", Usage: "TestGate: highest acceptable WER % of any level"},
	{Name: "leak-max", Env: "STTBENCH_LEAK_MAX", Default: "0", Usage: "TestGate: most sessions with leaked text per level"},
	{Name: "fail-max", Env: "STTBENCH_FAIL_MAX", Default: "0", Usage: "TestGate: most failed or errored sessions per level"},
	{Name: "eos-p95-max", Env: "STTBENCH_EOS_P95_MAX", Usage: "TestGate: highest acceptable EOS p95 (e.g. 800ms; empty: off)"},
	{Name: "shard", Env: "STTBENCH_SHARD", Usage: "run shard `I/N` (0-based) of a run split over N load hosts: the sessions i with i % N == I of each level (empty: off)"},
	{Name: "start-at", Env: "STTBENCH_START_AT", Usage: "RFC 3339 time the first round starts (the run waits), later rounds one -slot apart, so that shards run each level together; -load soak and arrivals start then (empty: at once)"},
	{Name: "slot", Env: "STTBENCH_SLOT", Usage: "with -start-at: time from one round's start to the next, the same for every shard (empty: derived per level from the timeouts, the level pause and the longest text)"},
	{Name: "load", Env: "STTBENCH_LOAD", Default: "ramp", Usage: "load model: `ramp` (each -concurrency level in turn), `soak` (-concurrency sessions kept in flight for -duration), `arrivals` (Poisson arrivals at -rate for -duration)"},
	{Name: "duration", Env: "STTBENCH_DURATION", Usage: "-load soak and arrivals: how long to keep sessions in flight or arriving (e.g. 10m); required with them"},
	{Name: "rate", Env: "STTBENCH_RATE", Usage: "-load arrivals: mean session arrivals per second (e.g. 2 or 0.5); required with it"},
	{Name: "arrival-seed", Env: "STTBENCH_ARRIVAL_SEED", Default: "1", Usage: "-load arrivals: seed of the arrival schedule (the same seed, rate and duration give the same schedule)"},
	{Name: "slo", Env: "STTBENCH_SLO", Usage: "TestCapacity: the bounds a level must meet, e.g. `eos_p95<=800ms,wer<=5,fail<=0` (eos_p50, eos_p95, eos_mean, wer, fail, leak)"},
	{Name: "search", Env: "STTBENCH_SEARCH", Usage: "TestCapacity: find the highest concurrency in MIN..MAX (e.g. 1..64) that meets -slo"},
	{Name: "plots", Env: "STTBENCH_PLOTS", Usage: "directory for PNG pictures of the run (EOS, WER, GPU, send lag against concurrency; EOS distribution per level), written after the run beside the CSV (empty: none); created if missing, its parent must exist"},
}

// Config is the parsed, validated command line.
type Config struct {
	STTURL, TTSURL, APIKey string
	Levels                 []int
	Output                 string
	// Record is the run record's path, resolved: empty when off.
	Record string
	// SessionsOutAlias is set when the record was named with the old
	// -sessions-out flag.
	SessionsOutAlias bool
	// Flags holds every flag's value by name, secrets left out, for the
	// record's header.
	Flags         map[string]string
	ResultTimeout time.Duration
	IdleTimeout   time.Duration
	WriteTimeout  time.Duration
	LevelPause    time.Duration
	// Aligned starts every stream of a level on one origin (-phase aligned).
	Aligned bool
	// Frame is the audio time of one binary frame (-frame).
	Frame time.Duration
	// TTSTimeout bounds one TTS request (ttspool.Config.HTTPTimeout).
	TTSTimeout time.Duration
	Probe      bool
	// Texts is the reference texts file; empty means the built-in set.
	Texts, Voice, CacheDir string
	Seed                   int
	GPUID, NvidiaSMI       string
	GPUHints               []string
	WERMax                 float64
	LeakMax, FailMax       int
	// EOSP95Max is zero when the bound is off.
	EOSP95Max time.Duration
	// ShardIndex of ShardCount is the shard this run streams (-shard);
	// ShardCount is 0 when not sharded. StartAt is zero when rounds start at
	// once; Slot is zero when derived per level (shard.go).
	ShardIndex, ShardCount int
	StartAt                time.Time
	Slot                   time.Duration
	// Load is the load model (-load) and its parameters.
	Load LoadParams
	// SLO and SearchMin..SearchMax are TestCapacity's -slo and -search;
	// SearchMax is zero when there is no search.
	SLO                  SLO
	SearchMin, SearchMax int
	// Audio is a directory of recordings and Manifest a NeMo manifest of
	// them (-audio, -manifest); both empty means synthesized speech.
	Audio, Manifest string
	// Shuffle uses the recordings in an order drawn from ShuffleSeed.
	Shuffle     bool
	ShuffleSeed uint64
	// Plots is the directory of the run's pictures (-plots); empty: none.
	Plots string
}

// DefaultValue is the flag's default: the environment variable when set,
// else the built-in default.
func (o Option) DefaultValue() string {
	if v, ok := os.LookupEnv(o.Env); ok {
		return v
	}
	return o.Default
}

// builtinDefault is the built-in default of the option named name: a
// value that differs from it was given, on the command line or through
// the environment.
func builtinDefault(name string) string {
	for _, o := range Options {
		if o.Name == name {
			return o.Default
		}
	}
	return ""
}

// ParseConfig parses the flag values (by flag name) into a Config and
// rejects anything invalid before a single session runs. Each error names
// the flag, its environment variable and what is accepted.
func ParseConfig(value func(name string) string) (Config, error) {
	var errs []error
	bad := func(name, msg string) {
		env, shown := "", strconv.Quote(value(name))
		for _, o := range Options {
			if o.Name == name {
				env = o.Env
				if o.Secret {
					shown = "(value hidden)"
				}
			}
		}
		errs = append(errs, fmt.Errorf("invalid -%s %s (or %s): %s", name, shown, env, msg))
	}
	c := Config{
		STTURL: strings.TrimSpace(value("stt-url")), TTSURL: strings.TrimSpace(value("tts-url")),
		APIKey: value("api-key"), Output: value("output"), Record: value("record"),
		Texts: value("texts"), Voice: value("voice"), CacheDir: value("cache-dir"),
		GPUID: strings.TrimSpace(value("gpu-id")), NvidiaSMI: value("nvidia-smi"),
	}
	if c.STTURL == "" {
		bad("stt-url", "empty; give ws://HOST:PORT/ws or embedded")
	} else if !isEmbedded(c.STTURL) && !strings.HasPrefix(c.STTURL, "ws://") && !strings.HasPrefix(c.STTURL, "wss://") {
		bad("stt-url", "must start with ws:// or wss://, or be embedded")
	}
	if c.TTSURL == "" {
		bad("tts-url", "empty; give http://HOST:PORT/tts or embedded")
	} else if !isEmbedded(c.TTSURL) && !isEspeak(c.TTSURL) && !strings.HasPrefix(c.TTSURL, "http://") && !strings.HasPrefix(c.TTSURL, "https://") {
		bad("tts-url", "must start with http:// or https://, or be embedded or espeak")
	}
	parseAudioSource(&c, value, bad)
	levels, err := parseLevels(value("concurrency"))
	if err != nil {
		bad("concurrency", err.Error())
	}
	c.Levels = levels
	parseLoad(value, &c, bad)
	duration := func(name string, allowEmpty bool) time.Duration {
		s := strings.TrimSpace(value(name))
		if s == "" && allowEmpty {
			return 0
		}
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			bad(name, "not a duration; write e.g. 30s or 500ms")
		case d <= 0 && !(name == "level-pause" && d == 0):
			bad(name, "must be positive")
		}
		return d
	}
	c.ResultTimeout = duration("result-timeout", false)
	c.IdleTimeout = duration("idle-timeout", false)
	c.WriteTimeout = duration("write-timeout", false)
	c.LevelPause = duration("level-pause", false)
	c.TTSTimeout = duration("tts-timeout", false)
	c.EOSP95Max = duration("eos-p95-max", true)
	if c.Frame, err = time.ParseDuration(value("frame")); err != nil {
		bad("frame", "not a duration; write e.g. 100ms or 20ms")
	} else if _, whole := harness.FrameSamples(c.Frame); !whole || c.Frame < harness.MinFrame || c.Frame > harness.MaxFrame {
		bad("frame", "must be 10ms to 1s and a whole number of 16 kHz samples (a multiple of 62.5µs), e.g. 20ms, 32ms or 100ms")
	}
	c.Plots = strings.TrimSpace(value("plots"))
	switch value("phase") {
	case "spread":
	case "aligned":
		c.Aligned = true
	default:
		bad("phase", "must be spread or aligned")
	}
	if c.Probe, err = strconv.ParseBool(value("probe")); err != nil {
		bad("probe", "not a boolean")
	}
	if c.Seed, err = strconv.Atoi(value("seed")); err != nil || c.Seed <= 0 {
		bad("seed", "must be a positive integer (0 and -1 mean random to Chatterbox)")
	}
	if c.WERMax, err = strconv.ParseFloat(value("wer-max"), 64); err != nil || c.WERMax < 0 {
		bad("wer-max", "must be a percentage >= 0, e.g. 5.0")
	}
	for name, dst := range map[string]*int{"leak-max": &c.LeakMax, "fail-max": &c.FailMax} {
		if *dst, err = strconv.Atoi(value(name)); err != nil || *dst < 0 {
			bad(name, "must be an integer >= 0")
		}
	}
	if c.SLO, err = ParseSLO(value("slo")); err != nil {
		bad("slo", err.Error())
	}
	if c.SearchMin, c.SearchMax, err = parseSearch(value("search")); err != nil {
		bad("search", err.Error())
	} else if c.SearchMax > 0 && strings.TrimSpace(value("slo")) == "" {
		bad("search", "needs -slo (or STTBENCH_SLO), the bounds each probed level is judged by, e.g. -slo 'eos_p95<=800ms,wer<=5'")
	}
	if c.Load.open() {
		// A capacity search probes ramp levels; a soak or arrivals run has none.
		for _, name := range []string{"slo", "search"} {
			if strings.TrimSpace(value(name)) != "" {
				bad(name, "a capacity search probes -load ramp levels, not -load "+c.Load.Model+": drop -load, or drop -slo and -search")
			}
		}
	}
	for _, h := range strings.Split(value("gpu-hint"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			c.GPUHints = append(c.GPUHints, strings.ToLower(h))
		}
	}
	parseShardConfig(&c, value, bad)
	if c.SearchMax > 0 && strings.TrimSpace(value("concurrency")) != builtinDefault("concurrency") {
		bad("concurrency", "does not apply beside -search: the capacity search picks its own levels in MIN..MAX; run the benchmark or TestGate at these levels in a go test invocation of their own")
	}
	if c.SearchMax > 0 && (c.ShardCount > 0 || !c.StartAt.IsZero()) {
		// Each probe is chosen from the verdict of the one before, which
		// shards that never talk to each other cannot share.
		bad("search", "a capacity search picks each level from the verdict of the last, which shards cannot agree on: run it from one load host, without -shard and -start-at")
	}
	if old := value("sessions-out"); old != "" && c.Record == "" {
		c.Record, c.SessionsOutAlias = old, true
	}
	switch c.Record {
	case "-":
		c.Record = ""
	case "":
		c.Record = defaultRecordPath(c.Output)
	}
	c.Flags = map[string]string{}
	for _, o := range Options {
		if !o.Secret {
			c.Flags[o.Name] = value(o.Name)
		}
	}
	return c, errors.Join(errs...)
}

// defaultRecordPath is the record beside the CSV: its name with .jsonl
// for the extension, or benchmark_results.jsonl when there is no CSV.
func defaultRecordPath(output string) string {
	if output == "" || output == "-" {
		return "benchmark_results.jsonl"
	}
	return strings.TrimSuffix(output, filepath.Ext(output)) + ".jsonl"
}

// parseLevels reads "1,5,10" into positive, distinct levels in the given order.
func parseLevels(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no levels; write e.g. 1,5,10")
	}
	var levels []int
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", strings.TrimSpace(part))
		}
		if n <= 0 {
			return nil, fmt.Errorf("level %d must be at least 1", n)
		}
		if seen[n] {
			return nil, fmt.Errorf("level %d is listed twice", n)
		}
		seen[n] = true
		levels = append(levels, n)
	}
	return levels, nil
}

// isEmbedded reports whether a URL flag asks for a built-in reference service.
func isEmbedded(u string) bool {
	return u == "embedded" || strings.HasPrefix(u, "embedded?")
}

// Flags binds Options to a flag set, one flag each, with its environment
// variable as the default.
type Flags struct {
	fs     *flag.FlagSet
	values map[string]*flagValue
}

// BindFlags defines every option as a flag of fs.
func BindFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: map[string]*flagValue{}}
	for _, o := range Options {
		v := &flagValue{value: o.DefaultValue(), isBool: o.Bool, secret: o.Secret}
		f.values[o.Name] = v
		fs.Var(v, o.Name, fmt.Sprintf("%s (env %s)", o.Usage, o.Env))
	}
	return f
}

// Config parses the flags' values; call it after the flag set is parsed.
func (f *Flags) Config() (Config, error) {
	return ParseConfig(func(name string) string { return f.values[name].value })
}

// Given reports whether the user set the option named name, on the command
// line or through its environment variable.
func (f *Flags) Given(name string) bool {
	for _, o := range Options {
		if _, ok := os.LookupEnv(o.Env); ok && o.Name == name {
			return true
		}
	}
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// flagValue is a string flag that can also act as a boolean flag (-probe).
// A secret one (-api-key) shows as empty, so -help never prints a key
// taken from the environment as its default.
type flagValue struct {
	value          string
	isBool, secret bool
}

func (f *flagValue) String() string {
	if f.secret {
		return ""
	}
	return f.value
}

func (f *flagValue) Set(s string) error { f.value = s; return nil }
func (f *flagValue) IsBoolFlag() bool   { return f.isBool }
