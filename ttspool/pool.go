package ttspool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// Defaults for the zero values of Config.
const (
	// DefaultVoice is one of Chatterbox TTS Server's predefined voices.
	DefaultVoice = "Emily.wav"
	// DefaultSeed fixes the synthesis so reruns produce, and cache, the
	// same speech.
	DefaultSeed = 42
	// DefaultCacheDir is relative to the working directory.
	DefaultCacheDir = ".sttbench-cache"
	// DefaultConcurrency is the number of TTS requests in flight: enough to
	// keep a GPU TTS busy without queueing a long tail of timeouts.
	DefaultConcurrency = 5
	// DefaultHTTPTimeout bounds one TTS request, connection to last byte.
	// Generating 14 s of speech takes a few seconds on a GPU and can take a
	// minute on a CPU fallback with several requests queued.
	DefaultHTTPTimeout = 2 * time.Minute
)

// Config says where and how to synthesize clips. The zero value of every
// field but URL means its default. A Config is a plain value; Build does not
// modify it.
type Config struct {
	// URL is the TTS endpoint, e.g. http://localhost:8004/tts. Required.
	URL string
	// CacheID names the service in cache keys in place of URL. A service
	// whose address changes from run to run but whose speech does not (the
	// built-in reference TTS on a random port) passes a stable name, e.g.
	// "reftts", so its clips are synthesized once; "" means URL.
	CacheID string
	// Voice is the predefined voice file name; "" means DefaultVoice.
	Voice string
	// Seed is the generation seed; 0 means DefaultSeed. Negative seeds are
	// invalid: Chatterbox TTS Server treats 0 and -1 as "random", which
	// would make the cache lie about what the service says.
	Seed int
	// CacheDir holds synthesized clips; "" means DefaultCacheDir. It is
	// created if missing.
	CacheDir string
	// StreamFromCache returns clips that keep their audio in their cache
	// files, read as they are streamed (Clip.OpenAudio), instead of in
	// memory: a level of a thousand distinct clips then holds none of their
	// audio. An entry must keep its audio until its clips are streamed.
	StreamFromCache bool
	// Concurrency is the most TTS requests in flight at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// HTTPTimeout bounds each TTS request; 0 means DefaultHTTPTimeout.
	HTTPTimeout time.Duration
	// Progress receives a progress line redrawn with \r and ended with a
	// newline (callers pass os.Stderr); nil means no progress output.
	Progress io.Writer
	// ProgressLines makes Progress receive whole lines instead, one each
	// time another tenth of the clips is ready (one per clip when there
	// are fewer than ten), for a log or a pipe rather than a terminal.
	ProgressLines bool
}

// Validate reports the first invalid field, taking zero values as their
// defaults.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("ttspool config: URL is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("ttspool config: URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("ttspool config: URL %q is not an absolute http(s) URL", c.URL)
	}
	if c.Seed < 0 {
		return fmt.Errorf("ttspool config: Seed %d is negative (random in Chatterbox; use a fixed positive seed)", c.Seed)
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("ttspool config: Concurrency %d is negative", c.Concurrency)
	}
	if c.HTTPTimeout < 0 {
		return fmt.Errorf("ttspool config: HTTPTimeout %v is negative", c.HTTPTimeout)
	}
	return nil
}

// withDefaults returns c with zero values replaced by defaults.
func (c Config) withDefaults() Config {
	if c.Voice == "" {
		c.Voice = DefaultVoice
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.CacheDir == "" {
		c.CacheDir = DefaultCacheDir
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// Build returns one Clip per text, in text order (clip i speaks texts[i]),
// taking each from the disk cache or, on a miss, from the TTS service with at
// most cfg.Concurrency requests in flight, and caching what it synthesizes.
// Repeated texts are synthesized once and share their Clip. A corrupt cache
// entry is regenerated and counted on the progress line. The first failure
// cancels the remaining work and is returned, naming the URL, the clip's
// number and its text (a request that outlives HTTPTimeout wraps ErrTimeout);
// a canceled ctx returns its cause.
// Build is safe for concurrent use, also by several processes sharing a
// cache directory.
func Build(ctx context.Context, cfg Config, texts []string) ([]Clip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ttspool build: %w", err)
	}
	cfg = cfg.withDefaults()
	for i, t := range texts {
		if t == "" {
			return nil, fmt.Errorf("ttspool build: text %d is empty", i)
		}
	}
	if len(texts) == 0 {
		return []Clip{}, nil
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("ttspool build: cache dir: %w", err)
	}

	// A transport of our own, so its idle connections close when we are
	// done instead of lingering in http.DefaultTransport.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.Concurrency
	defer tr.CloseIdleConnections()
	b := &builder{
		cfg:      cfg,
		cache:    clipCache{dir: cfg.CacheDir},
		client:   &ttsClient{url: cfg.URL, voice: cfg.Voice, seed: cfg.Seed, http: &http.Client{Transport: tr, Timeout: cfg.HTTPTimeout}},
		total:    distinct(texts),
		requests: make(chan struct{}, cfg.Concurrency),
	}

	if !cfg.ProgressLines {
		b.progress()
	}
	// Decoding and resampling (most of a clip's CPU time) run on every
	// core; only the requests themselves are bounded by Concurrency.
	out, err := buildEach(ctx, texts, max(cfg.Concurrency, runtime.GOMAXPROCS(0)), b.clip)
	if !cfg.ProgressLines {
		fmt.Fprintln(cfg.Progress)
	}
	if err != nil {
		return nil, fmt.Errorf("ttspool build: %w", err)
	}
	return out, nil
}

// distinct counts the different texts.
func distinct(texts []string) int {
	seen := make(map[string]bool, len(texts))
	for _, t := range texts {
		seen[t] = true
	}
	return len(seen)
}

// buildEach makes the clip of each distinct text once, with up to workers
// calls of build at a time, and returns one clip per text, in text order
// (repeated texts share their clip). The first failure cancels the rest and
// is returned as "clip k of n: ..."; a canceled ctx returns its cause.
func buildEach(ctx context.Context, texts []string, workers int, build func(context.Context, string) (Clip, error)) ([]Clip, error) {
	var unique []string
	first := make(map[string]int, len(texts))
	slots := make([]int, len(texts))
	for i, t := range texts {
		u, ok := first[t]
		if !ok {
			u = len(unique)
			first[t] = u
			unique = append(unique, t)
		}
		slots[i] = u
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	clips := make([]Clip, len(unique))
	errs := make([]error, len(unique))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(unique)) {
		wg.Go(func() {
			for i := range jobs {
				clips[i], errs[i] = build(ctx, unique[i])
				if errs[i] != nil {
					errs[i] = fmt.Errorf("clip %d of %d: %w", i+1, len(unique), errs[i])
					cancel(errs[i])
				}
			}
		})
	}
	fed := 0
feed:
	for ; fed < len(unique); fed++ {
		select {
		case jobs <- fed:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	// Judge by the work, not by ctx alone: a deadline that passes after the
	// last clip is done does not spoil the result.
	complete := fed == len(unique)
	for _, err := range errs {
		complete = complete && err == nil
	}
	if !complete {
		// The cause is the first failure, ours or the caller's.
		return nil, context.Cause(ctx)
	}
	out := make([]Clip, len(texts))
	for i, u := range slots {
		out[i] = clips[u]
	}
	return out, nil
}

// builder holds what Build's workers share. mu guards the counters and
// serializes progress writes, so progress lines come in order.
type builder struct {
	cfg    Config
	cache  clipCache
	client *ttsClient
	total  int
	// requests holds a token per TTS request in flight.
	requests chan struct{}

	mu                    sync.Mutex
	done, cached, rebuilt int
}

// clip returns the clip for text from the cache or the TTS service.
func (b *builder) clip(ctx context.Context, text string) (Clip, error) {
	if err := ctx.Err(); err != nil {
		return Clip{}, err
	}
	id := b.cfg.CacheID
	if id == "" {
		id = b.cfg.URL
	}
	key := cacheKey(id, b.cfg.Voice, b.cfg.Seed, text)
	load := b.cache.load
	if b.cfg.StreamFromCache {
		load = b.cache.loadOnDisk
	}
	c, err := load(key, text)
	if err == nil {
		b.finished(true)
		return c, nil
	}
	// errCacheMiss is the common case; any other load error is a corrupt
	// entry, rebuilt and overwritten below, and counted so it shows.
	if !errors.Is(err, errCacheMiss) {
		b.mu.Lock()
		b.rebuilt++
		b.mu.Unlock()
	}
	select {
	case b.requests <- struct{}{}:
	case <-ctx.Done():
		return Clip{}, context.Cause(ctx)
	}
	wav, err := b.client.synthesize(ctx, text)
	<-b.requests
	if err != nil {
		return Clip{}, err
	}
	c, err = DecodeClip(text, wav)
	if err != nil {
		return Clip{}, fmt.Errorf("tts POST %s: %w", b.cfg.URL, err)
	}
	if err := b.cache.store(key, c); err != nil {
		return Clip{}, fmt.Errorf("clip %q: %w", abbrev.String(text, 40), err)
	}
	if b.cfg.StreamFromCache {
		if c, err = b.cache.loadOnDisk(key, text); err != nil {
			return Clip{}, fmt.Errorf("clip %q: %w", abbrev.String(text, 40), err)
		}
	}
	b.finished(false)
	return c, nil
}

// finished counts one more clip ready and reports progress: a redrawn line,
// or in ProgressLines mode a line each time done reaches another tenth.
func (b *builder) finished(cached bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done++
	if cached {
		b.cached++
	}
	if !b.cfg.ProgressLines {
		b.redraw()
		return
	}
	if b.done*10/b.total > (b.done-1)*10/b.total {
		fmt.Fprintf(b.cfg.Progress, "%s\n", b.status())
	}
}

// progress redraws the progress line.
func (b *builder) progress() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.redraw()
}

func (b *builder) redraw() { fmt.Fprintf(b.cfg.Progress, "\r%s", b.status()) }

// status is the progress text, "tts: 3/10 clips (1 cached)"; mu held.
func (b *builder) status() string {
	rebuilt := ""
	if b.rebuilt > 0 {
		rebuilt = fmt.Sprintf(", %d corrupt rebuilt", b.rebuilt)
	}
	return fmt.Sprintf("tts: %d/%d clips (%d cached%s)", b.done, b.total, b.cached, rebuilt)
}
