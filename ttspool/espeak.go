package ttspool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// DefaultEspeakVoice is the espeak-ng voice used when none is named.
const DefaultEspeakVoice = "en-us"

// ErrNoEspeak is wrapped by the error of BuildEspeak (and EspeakVersion)
// when the espeak-ng binary cannot be found or run.
var ErrNoEspeak = errors.New("espeak-ng is not installed")

// EspeakConfig says how to synthesize clips locally with espeak-ng. The
// zero value of every field means its default.
type EspeakConfig struct {
	// Binary is the espeak-ng executable, a path or a name looked up in
	// PATH; "" means "espeak-ng".
	Binary string
	// Voice is the espeak-ng voice (espeak-ng --voices lists them, e.g.
	// en-us, en-gb, de); "" means DefaultEspeakVoice.
	Voice string
	// CacheDir, Progress and ProgressLines are as in Config.
	CacheDir      string
	Progress      io.Writer
	ProgressLines bool
}

func (c EspeakConfig) withDefaults() EspeakConfig {
	if c.Binary == "" {
		c.Binary = "espeak-ng"
	}
	if c.Voice == "" {
		c.Voice = DefaultEspeakVoice
	}
	if c.CacheDir == "" {
		c.CacheDir = DefaultCacheDir
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return c
}

// espeakInstallHint says how to get the binary.
const espeakInstallHint = "install it (Debian/Ubuntu: apt-get install espeak-ng; macOS: brew install espeak-ng) or use another audio source"

// EspeakVersion runs `espeak-ng --version` and returns its version, e.g.
// "1.51". A binary that cannot be found or run is an error wrapping
// ErrNoEspeak that says how to install it.
func EspeakVersion(ctx context.Context, binary string) (string, error) {
	if binary == "" {
		binary = "espeak-ng"
	}
	path, err := exec.LookPath(binary)
	if err != nil {
		return "", fmt.Errorf("%w (%s not found): %s", ErrNoEspeak, binary, espeakInstallHint)
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil && ctx.Err() != nil {
		return "", context.Cause(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("%w (%s --version: %v): %s", ErrNoEspeak, path, err, espeakInstallHint)
	}
	// "eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/..."
	s := strings.TrimSpace(string(out))
	if _, rest, ok := strings.Cut(s, ":"); ok {
		if f := strings.Fields(rest); len(f) > 0 {
			return f[0], nil
		}
	}
	return "", fmt.Errorf("%w (%s --version printed %q, not a version): %s", ErrNoEspeak, path, abbrev.String(s, 60), espeakInstallHint)
}

// BuildEspeak returns one Clip per text, in text order, as Build does, but
// speaks the texts locally with espeak-ng, one subprocess per clip (the
// text on its standard input, the WAV on its standard output), on every
// core. The WAV goes through DecodeClip (decoding, resampling, trimming)
// and the disk cache like a TTS answer, keyed by the espeak-ng version, the
// voice and the text: espeak-ng speaks a text the same way every time.
//
// The binary and the voice are checked first, before any clip: a missing
// binary wraps ErrNoEspeak and says how to install it; an unknown voice
// names it. version is the espeak-ng version that spoke (or cached) the
// clips, e.g. "1.51".
func BuildEspeak(ctx context.Context, cfg EspeakConfig, texts []string) (clips []Clip, version string, err error) {
	cfg = cfg.withDefaults()
	for i, t := range texts {
		if t == "" {
			return nil, "", fmt.Errorf("espeak build: text %d is empty", i)
		}
	}
	version, err = EspeakVersion(ctx, cfg.Binary)
	if err != nil {
		return nil, "", fmt.Errorf("espeak build: %w", err)
	}
	if len(texts) == 0 {
		return []Clip{}, version, nil
	}
	path, _ := exec.LookPath(cfg.Binary)
	// One short utterance tries the voice, so a misspelt one fails here
	// with espeak-ng's own message, not on clip 1 of 1000.
	if _, err := espeak(ctx, path, cfg.Voice, "test"); err != nil {
		return nil, "", fmt.Errorf("espeak build: voice %q: %w", cfg.Voice, err)
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o755); err != nil {
		return nil, "", fmt.Errorf("espeak build: cache dir: %w", err)
	}

	cache := clipCache{dir: cfg.CacheDir}
	id := "espeak-ng " + version
	p := &espeakProgress{cfg: cfg, total: distinct(texts)}
	if !cfg.ProgressLines {
		p.redraw()
	}
	clips, err = buildEach(ctx, texts, runtime.GOMAXPROCS(0), func(ctx context.Context, text string) (Clip, error) {
		key := cacheKey(id, cfg.Voice, 0, text)
		if c, err := cache.load(key, text); err == nil {
			p.finished(true)
			return c, nil
		}
		wav, err := espeak(ctx, path, cfg.Voice, text)
		if err != nil {
			return Clip{}, fmt.Errorf("%q: %w", abbrev.String(text, 40), err)
		}
		c, err := DecodeClip(text, wav)
		if err == nil {
			err = cache.store(key, c)
		}
		if err != nil {
			return Clip{}, fmt.Errorf("%q: %w", abbrev.String(text, 40), err)
		}
		p.finished(false)
		return c, nil
	})
	if !cfg.ProgressLines {
		fmt.Fprintln(cfg.Progress)
	}
	if err != nil {
		return nil, "", fmt.Errorf("espeak build: %w", err)
	}
	return clips, version, nil
}

// espeak speaks text with the espeak-ng at path and returns its WAV. The
// text goes on standard input, so a text that starts with "-" is spoken,
// not taken for an option.
func espeak(ctx context.Context, path, voice, text string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, path, "-v", voice, "--stdin", "--stdout")
	cmd.Stdin = strings.NewReader(text)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("espeak-ng -v %s: %s", voice, abbrev.String(msg, 200))
	}
	return stdout.Bytes(), nil
}

// espeakProgress reports clips ready, as Build's progress does.
type espeakProgress struct {
	cfg          EspeakConfig
	total        int
	mu           sync.Mutex
	done, cached int
}

func (p *espeakProgress) finished(cached bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if cached {
		p.cached++
	}
	if !p.cfg.ProgressLines {
		fmt.Fprintf(p.cfg.Progress, "\r%s", p.status())
		return
	}
	if p.done*10/p.total > (p.done-1)*10/p.total {
		fmt.Fprintf(p.cfg.Progress, "%s\n", p.status())
	}
}

func (p *espeakProgress) redraw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.cfg.Progress, "\r%s", p.status())
}

func (p *espeakProgress) status() string {
	return fmt.Sprintf("espeak: %d/%d clips (%d cached)", p.done, p.total, p.cached)
}
