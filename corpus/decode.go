package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mewkiz/flac"
	"github.com/sttbench/sttbench/ttspool"
)

// Limits on what DecodeFLAC accepts, as ttspool's WAV decoder has.
const (
	minRate     = 1000
	maxRate     = 768000
	maxChannels = 8 // FLAC's own limit
)

// DecodeFile reads an audio file, WAV or FLAC by its content (not its
// name), into floats at full scale ±1 at the file's rate and channels.
func DecodeFile(path string) (ttspool.Audio, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ttspool.Audio{}, err
	}
	switch {
	case bytes.HasPrefix(b, []byte("RIFF")):
		return ttspool.DecodeWAV(b)
	case bytes.HasPrefix(b, []byte("fLaC")):
		return DecodeFLAC(b)
	}
	return ttspool.Audio{}, fmt.Errorf("%w (starts with %q)", errNotAudio, b[:min(len(b), 8)])
}

// DecodeFLAC decodes a FLAC stream of any bit depth (4 to 32 bits) and up
// to 8 channels, with github.com/mewkiz/flac.
func DecodeFLAC(b []byte) (ttspool.Audio, error) {
	s, err := flac.New(bytes.NewReader(b))
	if err != nil {
		return ttspool.Audio{}, fmt.Errorf("bad FLAC: %w", err)
	}
	defer s.Close()
	info := s.Info
	rate, channels, bits := int(info.SampleRate), int(info.NChannels), int(info.BitsPerSample)
	switch {
	case rate < minRate || rate > maxRate:
		return ttspool.Audio{}, fmt.Errorf("bad FLAC: unsupported sample rate %d Hz (want %d to %d)", rate, minRate, maxRate)
	case channels < 1 || channels > maxChannels:
		return ttspool.Audio{}, fmt.Errorf("bad FLAC: unsupported channel count %d", channels)
	case bits < 4 || bits > 32:
		return ttspool.Audio{}, fmt.Errorf("bad FLAC: unsupported %d bits per sample", bits)
	}
	scale := float64(int64(1) << (bits - 1))
	out := make([]float64, 0, int(info.NSamples)*channels)
	for {
		f, err := s.ParseNext()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return ttspool.Audio{}, fmt.Errorf("bad FLAC: frame after %d samples: %w", len(out)/channels, err)
		}
		if len(f.Subframes) != channels {
			return ttspool.Audio{}, fmt.Errorf("bad FLAC: a frame of %d channels in a %d-channel stream", len(f.Subframes), channels)
		}
		n := f.Subframes[0].NSamples
		for i := range n {
			for ch := range channels {
				out = append(out, float64(f.Subframes[ch].Samples[i])/scale)
			}
		}
	}
	if len(out) == 0 {
		return ttspool.Audio{}, errors.New("bad FLAC: zero samples")
	}
	return ttspool.Audio{Rate: rate, Channels: channels, Samples: out}, nil
}

// durationSlack is how far a manifest's duration may be from the file's
// before it is flagged: more than rounding, less than a lost word.
const durationSlack = 100 * time.Millisecond

// Build decodes every utterance into a Clip, in order, on every core:
// resampled to 16 kHz mono and trimmed (ttspool.ClipFromAudio), with the
// utterance's SpeechEnd, when given, in place of the energy rule's. The
// first file that cannot be read, decoded or trimmed stops it with an error
// naming the file and where it was listed. warnings flags a manifest
// duration that is not the file's.
func Build(ctx context.Context, utts []Utterance) (clips []ttspool.Clip, warnings []string, err error) {
	clips = make([]ttspool.Clip, len(utts))
	errs := make([]error, len(utts))
	warn := make([]string, len(utts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(utts)) {
		wg.Go(func() {
			for i := range jobs {
				clips[i], warn[i], errs[i] = build(utts[i])
			}
		})
	}
feed:
	for i := range utts {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var endless []string
	for i, e := range errs {
		if e != nil {
			return nil, nil, e
		}
		if warn[i] != "" {
			warnings = append(warnings, warn[i])
		}
		// Within one 10 ms energy frame of the end: the last sample of a
		// waveform cut mid-word may itself be a zero crossing.
		if utts[i].SpeechEnd == 0 && clips[i].Duration()-clips[i].SpeechEnd < 10*time.Millisecond {
			endless = append(endless, utts[i].Path)
		}
	}
	if len(endless) > 0 {
		warnings = append(warnings, endlessWarning(endless, len(utts)))
	}
	return clips, warnings, nil
}

// endlessWarning says that the energy rule found speech up to the last
// sample of some recordings, naming the first few.
func endlessWarning(paths []string, total int) string {
	const shown = 3
	names := strings.Join(paths[:min(shown, len(paths))], ", ")
	if len(paths) > shown {
		names += fmt.Sprintf(" and %d more", len(paths)-shown)
	}
	return fmt.Sprintf("%d of %d recordings have no trailing silence by the energy rule (%s): they end in speech, or their noise floor is within 40 dB of the speech, "+
		"so their end of speech is taken at the last sample and EOS latency is measured from there; "+
		"if they have silence at the end, give speech_end (seconds, from word timestamps) in a -manifest", len(paths), total, names)
}

func build(u Utterance) (ttspool.Clip, string, error) {
	where := u.Path
	if u.Origin != u.Path {
		where = fmt.Sprintf("%s (%s)", u.Path, u.Origin)
	}
	a, err := DecodeFile(u.Path)
	if err != nil {
		return ttspool.Clip{}, "", fmt.Errorf("audio %s: %w", where, err)
	}
	c, err := ttspool.ClipFromAudio(u.Text, a, u.SpeechEnd)
	if err != nil {
		return ttspool.Clip{}, "", fmt.Errorf("audio %s: %w", where, err)
	}
	warning := ""
	if u.Duration > 0 {
		got := time.Duration(a.Frames()) * time.Second / time.Duration(a.Rate)
		if d := got - u.Duration; d > durationSlack || d < -durationSlack {
			warning = fmt.Sprintf("%s: duration %.3f s, but %s holds %.3f s of audio: is it the file the text (and any speech_end) was written for?",
				u.Origin, u.Duration.Seconds(), u.Path, got.Seconds())
		}
	}
	return c, warning, nil
}
