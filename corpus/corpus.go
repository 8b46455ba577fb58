// Package corpus reads recorded speech to benchmark with: a directory of
// NAME.wav (or NAME.flac) files beside NAME.txt reference texts, or a NeMo
// manifest (JSON lines with audio_filepath, text, duration and an optional
// speech_end). It turns the recordings into ttspool Clips through the same
// resampling and trimming as synthesized speech.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
	"github.com/sttbench/sttbench/ttspool"
)

// Utterance is one recording and the words it speaks.
type Utterance struct {
	// Path is the audio file (.wav or .flac), as given or resolved.
	Path string
	// Text is the reference text.
	Text string
	// SpeechEnd, when positive, is where the speaker stopped, from the
	// start of the file (a manifest's speech_end); zero lets the energy
	// rule find it.
	SpeechEnd time.Duration
	// Duration is the manifest's duration of the file; zero when not given.
	Duration time.Duration
	// Origin names where the utterance was listed, for messages:
	// "manifest.json line 3", or the text file of a directory entry.
	Origin string
}

// audioExts are the audio file types read, in the order they are looked for.
var audioExts = []string{".wav", ".flac"}

// LoadDir lists the utterances of dir: every NAME.wav or NAME.flac with a
// NAME.txt beside it holding the reference text, in order of NAME. Other
// files, and hidden ones, are ignored. An audio file without its text, a
// text without its audio, NAME.wav and NAME.flac both, an empty text, or a
// directory with no utterances is an error naming the file.
func LoadDir(dir string) ([]Utterance, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audio dir: %w", err)
	}
	audio := map[string]string{} // NAME → file name
	texts := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		// Hidden files (macOS's ._NAME.wav beside NAME.wav) are not recordings.
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		stem := strings.TrimSuffix(name, filepath.Ext(name))
		switch {
		case ext == ".txt":
			texts[stem] = true
		case slices.Contains(audioExts, ext):
			if prev, ok := audio[stem]; ok {
				return nil, fmt.Errorf("audio dir %s: %s and %s are both there: keep one", dir, prev, name)
			}
			audio[stem] = name
		}
	}
	var stems []string
	for stem := range audio {
		stems = append(stems, stem)
	}
	for stem := range texts {
		if _, ok := audio[stem]; !ok {
			return nil, fmt.Errorf("audio dir %s: %s.txt has no audio beside it (want %s.wav or %s.flac)", dir, stem, stem, stem)
		}
	}
	if len(stems) == 0 {
		return nil, fmt.Errorf("audio dir %s: no NAME.wav or NAME.flac files with a NAME.txt beside them", dir)
	}
	sort.Strings(stems)
	utts := make([]Utterance, 0, len(stems))
	for _, stem := range stems {
		txt := filepath.Join(dir, stem+".txt")
		if !texts[stem] {
			return nil, fmt.Errorf("audio dir %s: %s has no reference text: write it to %s", dir, audio[stem], txt)
		}
		b, err := os.ReadFile(txt)
		if err != nil {
			return nil, fmt.Errorf("audio dir: %w", err)
		}
		text := strings.Join(strings.Fields(string(b)), " ")
		if text == "" {
			return nil, fmt.Errorf("audio dir: %s is empty: it must hold the words %s speaks", txt, audio[stem])
		}
		utts = append(utts, Utterance{Path: filepath.Join(dir, audio[stem]), Text: text, Origin: txt})
	}
	return utts, nil
}

// manifestLine is one line of a NeMo manifest. Other fields are ignored.
type manifestLine struct {
	AudioFilepath *string  `json:"audio_filepath"`
	Text          *string  `json:"text"`
	Duration      *float64 `json:"duration"`
	SpeechEnd     *float64 `json:"speech_end"`
}

// LoadManifest reads the NeMo manifest at path; see ParseManifest. Relative
// audio paths are resolved against the manifest's directory, and every
// audio file must exist.
func LoadManifest(path string) ([]Utterance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer f.Close()
	utts, err := ParseManifest(f, path, filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	for _, u := range utts {
		fi, err := os.Stat(u.Path)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: audio_filepath: %w", u.Origin, err)
		case fi.IsDir():
			return nil, fmt.Errorf("%s: audio_filepath %s is a directory", u.Origin, u.Path)
		}
	}
	return utts, nil
}

// ParseManifest reads a NeMo manifest: one JSON object a line with
// "audio_filepath" (a .wav or .flac file; relative paths are taken against
// dir) and "text" (the reference text), and optionally "duration" and
// "speech_end" (seconds from the start of the file to the end of the last
// word). Blank lines are skipped. A line that is not a JSON object, lacks a
// field, or holds a negative or non-finite figure is an error naming name
// and the line; so is a manifest with no utterances.
func ParseManifest(r io.Reader, name, dir string) ([]Utterance, error) {
	var utts []Utterance
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		origin := fmt.Sprintf("manifest %s line %d", name, n)
		var m manifestLine
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%s: not a JSON object with audio_filepath and text: %v", origin, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: more than one JSON value on the line", origin)
		}
		switch {
		case m.AudioFilepath == nil || strings.TrimSpace(*m.AudioFilepath) == "":
			return nil, fmt.Errorf("%s: no audio_filepath", origin)
		case m.Text == nil:
			return nil, fmt.Errorf("%s: no text", origin)
		}
		text := strings.Join(strings.Fields(*m.Text), " ")
		if text == "" {
			return nil, fmt.Errorf("%s: text is empty: it must hold the words %s speaks", origin, *m.AudioFilepath)
		}
		p := *m.AudioFilepath
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if ext := strings.ToLower(filepath.Ext(p)); !slices.Contains(audioExts, ext) {
			return nil, fmt.Errorf("%s: audio_filepath %s is not a .wav or .flac file", origin, *m.AudioFilepath)
		}
		u := Utterance{Path: p, Text: text, Origin: origin}
		seconds := func(field string, v *float64) (time.Duration, error) {
			if v == nil {
				return 0, nil
			}
			if math.IsNaN(*v) || math.IsInf(*v, 0) || *v <= 0 {
				return 0, fmt.Errorf("%s: %s %v must be a positive number of seconds", origin, field, *v)
			}
			return time.Duration(math.Round(*v * float64(time.Second))), nil
		}
		var err error
		if u.Duration, err = seconds("duration", m.Duration); err != nil {
			return nil, err
		}
		if u.SpeechEnd, err = seconds("speech_end", m.SpeechEnd); err != nil {
			return nil, err
		}
		if u.Duration > 0 && u.SpeechEnd > u.Duration {
			return nil, fmt.Errorf("%s: speech_end %v is past the duration %v", origin, u.SpeechEnd, u.Duration)
		}
		utts = append(utts, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", name, err)
	}
	if len(utts) == 0 {
		return nil, fmt.Errorf("manifest %s: no utterances", name)
	}
	return utts, nil
}

// Shuffle returns utts in an order drawn from seed: the same seed, the same
// order. utts is not modified.
func Shuffle(utts []Utterance, seed uint64) []Utterance {
	out := slices.Clone(utts)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Duplicates returns a warning for each group of utterances whose texts
// are the same but for case, punctuation and spacing, naming their files:
// sessions are told apart by their texts, so a repeat blinds leak
// detection between those sessions. None when every text is its own.
func Duplicates(utts []Utterance) []string {
	groups := map[string][]int{}
	var order []string
	for i, u := range utts {
		k := ttspool.TextKey(u.Text)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var warnings []string
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		names := make([]string, len(g))
		for j, i := range g {
			names[j] = utts[i].Path
		}
		warnings = append(warnings, fmt.Sprintf("%d recordings speak the same reference text %q (%s): cross-session leak detection cannot tell their sessions apart; give each recording a text of its own",
			len(g), abbrev.String(utts[g[0]].Text, 60), strings.Join(names, ", ")))
	}
	return warnings
}

// errNotAudio marks a file that is neither WAV nor FLAC.
var errNotAudio = errors.New("not a WAV or FLAC file")
