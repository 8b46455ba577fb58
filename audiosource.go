package sttbench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sttbench/sttbench/corpus"
	"github.com/sttbench/sttbench/ttspool"
)

// Audio sources. Besides a Chatterbox-compatible TTS service (and the
// built-in reference TTS), the benchmark streams speech spoken locally by
// espeak-ng (-tts-url espeak) or recordings (-audio DIR, -manifest FILE).
// Every source ends as ttspool Clips: 16 kHz mono int16, trimmed, with an
// end of speech.

// isEspeak reports whether -tts-url asks for local espeak-ng speech.
func isEspeak(u string) bool { return u == "espeak" }

// parseAudioSource reads and checks -audio, -manifest and -shuffle-seed.
func parseAudioSource(c *Config, value func(string) string, bad func(name, msg string)) {
	c.Audio, c.Manifest = strings.TrimSpace(value("audio")), strings.TrimSpace(value("manifest"))
	switch {
	case c.Audio != "" && c.Manifest != "":
		bad("manifest", "give -audio or -manifest, not both")
	case (c.Audio != "" || c.Manifest != "") && strings.TrimSpace(value("texts")) != "":
		bad("texts", "recordings bring their own reference texts (-audio's NAME.txt, the manifest's text): leave -texts out")
	}
	if s := strings.TrimSpace(value("shuffle-seed")); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		switch {
		case err != nil:
			bad("shuffle-seed", "must be a non-negative integer")
		case c.Audio == "" && c.Manifest == "":
			bad("shuffle-seed", "shuffles recordings: give -audio or -manifest too, or leave it empty")
		}
		c.Shuffle, c.ShuffleSeed = true, seed
	}
}

// espeakVoice is the espeak-ng voice for cfg: -voice, unless it was left
// at the Chatterbox default, which espeak-ng does not have.
func espeakVoice(cfg Config) string {
	if cfg.Voice == "" || cfg.Voice == ttspool.DefaultVoice {
		return ttspool.DefaultEspeakVoice
	}
	return cfg.Voice
}

// audioSource names where the run's audio comes from, for the record's
// header: "tts http://host:8004/tts (voice Emily.wav, seed 42)",
// "tts embedded", "espeak en-us", "audio DIR", "manifest FILE".
func audioSource(cfg Config) string {
	var s string
	switch {
	case cfg.Audio != "":
		s = "audio " + cfg.Audio
	case cfg.Manifest != "":
		s = "manifest " + cfg.Manifest
	case isEspeak(cfg.TTSURL):
		return "espeak " + espeakVoice(cfg)
	case isEmbedded(cfg.TTSURL):
		return "tts embedded"
	default:
		return fmt.Sprintf("tts %s (voice %s, seed %d)", cfg.TTSURL, cfg.Voice, cfg.Seed)
	}
	if cfg.Shuffle {
		s += fmt.Sprintf(" (shuffled, seed %d)", cfg.ShuffleSeed)
	}
	return s
}

// RecordAudio is the record's "audio" line, written once the clips are
// ready (after the header, before the first session): what was streamed,
// as one digest, so two runs can be checked to have streamed the same
// audio to the same sessions. A capacity search writes it again before
// each probe that needs more clips than the earlier ones; the last line
// covers every clip.
type RecordAudio struct {
	Kind string `json:"kind"` // "audio"
	// Source is the audio source, as in the header, with what was learnt
	// preparing it: "espeak en-us (espeak-ng 1.51)".
	Source string `json:"source"`
	// Clips is the number of clips: one per session of the largest level
	// (of a search: the largest probed so far).
	Clips int `json:"clips"`
	// SHA256 is ttspool.ClipsDigest of the clips: the SHA-256 of the
	// audio_sha256 of sessions 0, 1, ... of the largest level, each
	// followed by a newline.
	SHA256 string `json:"sha256"`
}

// WriteAudio appends the audio line and flushes it to the file.
func (rw *RecordWriter) WriteAudio(a RecordAudio) error {
	a.Kind = "audio"
	if err := rw.line(a); err != nil {
		return err
	}
	return rw.flush()
}

// recordAudio writes the prepared clips' audio line to the run record.
func (r *Run) recordAudio() {
	if r.rec == nil {
		return
	}
	source := r.audioSource
	if source == "" {
		source = audioSource(r.Config)
	}
	if err := r.rec.WriteAudio(RecordAudio{Source: source, Clips: len(r.clips), SHA256: ttspool.ClipsDigest(r.clips)}); err != nil {
		fmt.Fprintf(r.Warn, "sttbench: warning: the run record stopped: %v; the table and CSV still cover every level\n", err)
		r.rec.Close()
		r.rec = nil
	}
}

// prepareRecordings reads -audio or -manifest and returns one clip per
// session: session i speaks recording i, recordings repeating (with the
// warning texts get) when there are more sessions than recordings.
func (r *Run) prepareRecordings(sessions int) ([]ttspool.Clip, error) {
	flag, what := "-audio", r.Config.Audio
	var utts []corpus.Utterance
	var err error
	if what != "" {
		utts, err = corpus.LoadDir(what)
	} else {
		flag, what = "-manifest", r.Config.Manifest
		utts, err = corpus.LoadManifest(what)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w\nFix it, or leave %s out to stream synthesized speech", flag, what, err, flag)
	}
	if r.Config.Shuffle {
		utts = corpus.Shuffle(utts, r.Config.ShuffleSeed)
	}
	if r.Config.Load.open() {
		// An open model's sessions cycle through every recording (and a
		// soak needs one per session it keeps in flight), not through as
		// many as there are built-in texts.
		sessions = max(len(utts), r.Config.Load.Concurrency, 1)
	}
	used := utts[:min(sessions, len(utts))]
	for _, w := range corpus.Duplicates(used) {
		fmt.Fprintf(r.Warn, "sttbench: warning: %s\n", w)
	}
	texts := make([]string, len(used))
	for i, u := range used {
		texts[i] = u.Text
	}
	if _, warning := ttspool.Texts(texts, sessions); warning != "" {
		fmt.Fprintf(r.Warn, "sttbench: warning: %s\n", warning)
	}
	fmt.Fprintf(r.Warn, "audio: preparing %d of %d recordings (%s %s)\n", len(used), len(utts), flag, what)
	began := time.Now()
	clips, warnings, err := corpus.Build(r.ctx, used)
	switch {
	case err != nil && r.ctx.Err() != nil:
		return nil, errors.New("interrupted while preparing audio; no level was run")
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", flag, what, err)
	}
	for _, w := range warnings {
		fmt.Fprintf(r.Warn, "sttbench: warning: %s\n", w)
	}
	fmt.Fprintf(r.Warn, "audio: %d %s ready in %.1fs\n", len(clips), plural(len(clips), "clip"), time.Since(began).Seconds())
	out := make([]ttspool.Clip, sessions)
	for i := range out {
		out[i] = clips[i%len(clips)]
	}
	if r.sched.sharded {
		// A shard streams only its own sessions' recordings.
		var mine []ttspool.Clip
		for _, i := range r.Config.shardOf(len(out)) {
			mine = append(mine, out[i])
		}
		out = mine
	}
	return out, nil
}

// espeakClips speaks texts with espeak-ng, through the clip cache.
func (r *Run) espeakClips(texts []string) ([]ttspool.Clip, error) {
	cfg := ttspool.EspeakConfig{Voice: espeakVoice(r.Config), CacheDir: r.Config.CacheDir, Progress: r.Progress}
	if r.Progress == nil {
		cfg.Progress, cfg.ProgressLines = r.Warn, true
		fmt.Fprintf(r.Warn, "espeak: preparing %d %s (voice %s, cache: %s)\n", len(texts), plural(len(texts), "clip"), cfg.Voice, r.Config.CacheDir)
	}
	began := time.Now()
	clips, version, err := ttspool.BuildEspeak(r.ctx, cfg, texts)
	switch {
	case err != nil && r.ctx.Err() != nil:
		return nil, errors.New("interrupted while preparing audio; no level was run")
	case errors.Is(err, ttspool.ErrNoEspeak):
		return nil, fmt.Errorf("-tts-url espeak: %w", err)
	case err != nil:
		return nil, fmt.Errorf("-tts-url espeak: %w\nCheck -voice (espeak-ng --voices lists the voices)", err)
	}
	r.audioSource = fmt.Sprintf("espeak %s (espeak-ng %s)", cfg.Voice, version)
	if r.Progress == nil {
		fmt.Fprintf(r.Warn, "espeak: %d %s ready in %.1fs\n", len(clips), plural(len(clips), "clip"), time.Since(began).Seconds())
	}
	return clips, nil
}
