package ttspool

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// cacheVersion is hashed into every key. Bump it whenever decoding,
// resampling or trimming changes what a clip holds, so old entries are
// regenerated instead of silently reused.
const cacheVersion = "ttspool-clip-v1"

// metaChunkID is the RIFF chunk in which a cache file stores its Clip's
// text and SpeechEnd. Players skip unknown chunks, so entries stay playable.
const metaChunkID = "stbm"

// clipMeta is the JSON body of the metaChunkID chunk.
type clipMeta struct {
	Text             string `json:"text"`
	SpeechEndSamples int    `json:"speech_end_samples"`
}

// cacheKey identifies one synthesis: the same service (Config.CacheID, or
// the URL), voice, seed and text
// give the same speech. Fields are length-prefixed so no two tuples collide
// by concatenation.
func cacheKey(url, voice string, seed int, text string) string {
	h := sha256.New()
	for _, s := range []string{cacheVersion, url, voice, fmt.Sprint(seed), text} {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// clipCache stores clips as 16 kHz mono 16-bit WAV files named by key.
// It is safe for concurrent use, also across processes: writes go to a
// temporary file renamed into place, so readers see whole entries or none.
type clipCache struct{ dir string }

func (c clipCache) path(key string) string { return filepath.Join(c.dir, key+".wav") }

// errCacheMiss reports that no entry exists for a key.
var errCacheMiss = errors.New("cache miss")

// load returns the cached clip for key. A missing entry is errCacheMiss; any
// other error means the entry is corrupt or unreadable and should be rebuilt.
func (c clipCache) load(key, text string) (Clip, error) {
	b, err := os.ReadFile(c.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return Clip{}, errCacheMiss
	}
	if err != nil {
		return Clip{}, fmt.Errorf("read cache entry: %w", err)
	}
	clip, err := parseCacheEntry(b)
	if err != nil {
		return Clip{}, fmt.Errorf("cache entry %s: %w", c.path(key), err)
	}
	if clip.Text != text {
		return Clip{}, fmt.Errorf("cache entry %s holds text %q, want %q", c.path(key), abbrev.String(clip.Text, 40), abbrev.String(text, 40))
	}
	return clip, nil
}

// loadOnDisk is load for a clip streamed from the cache: it checks the
// whole entry and hashes its audio, but keeps only where the audio lies.
func (c clipCache) loadOnDisk(key, text string) (Clip, error) {
	path := c.path(key)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Clip{}, errCacheMiss
	}
	if err != nil {
		return Clip{}, fmt.Errorf("read cache entry: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Clip{}, fmt.Errorf("read cache entry: %w", err)
	}
	b := make([]byte, fi.Size()) // one allocation, dropped once hashed
	if _, err := io.ReadFull(f, b); err != nil {
		return Clip{}, fmt.Errorf("read cache entry: %w", err)
	}
	clip, data, err := parseCacheParts(b)
	if err != nil {
		return Clip{}, fmt.Errorf("cache entry %s: %w", path, err)
	}
	if clip.Text != text {
		return Clip{}, fmt.Errorf("cache entry %s holds text %q, want %q", path, abbrev.String(clip.Text, 40), abbrev.String(text, 40))
	}
	// data is a slice of b reaching to its end: its capacity says where it starts.
	clip.disk = &diskAudio{path: path, file: fi, offset: int64(cap(b) - cap(data)), size: int64(len(data)), sha256: hexSHA256(data)}
	return clip, nil
}

// parseCacheEntry reads a file written by store, insisting on exactly the
// format store writes.
func parseCacheEntry(b []byte) (Clip, error) {
	clip, data, err := parseCacheParts(b)
	if err != nil {
		return Clip{}, err
	}
	// The data chunk is already the little-endian encoding: keep a copy of
	// it (not the whole file) as the clip's audio.
	return clip.withEncoded(append([]byte(nil), data...)), nil
}

// parseCacheParts is parseCacheEntry without the audio: the clip's text
// and speech end, and the data chunk, a slice of b.
func parseCacheParts(b []byte) (Clip, []byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return Clip{}, nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrBadWAV)
	}
	var (
		f       *wavFormat
		data    []byte
		meta    *clipMeta
		gotData bool
	)
	err := walkChunks(b[12:], func(id string, body []byte, placeholder bool) (bool, error) {
		switch id {
		case "fmt ":
			pf, err := parseFormat(body)
			if err != nil {
				return false, err
			}
			f = &pf
		case metaChunkID:
			var m clipMeta
			if err := json.Unmarshal(body, &m); err != nil {
				return false, fmt.Errorf("metadata chunk: %w", err)
			}
			meta = &m
		case "data":
			if placeholder {
				return false, fmt.Errorf("%w: data chunk without a size", ErrBadWAV)
			}
			data, gotData = body, true
		}
		return false, nil
	})
	switch {
	case err != nil:
		return Clip{}, nil, err
	case f == nil || !gotData || meta == nil:
		return Clip{}, nil, fmt.Errorf("%w: missing fmt, data or metadata chunk", ErrBadWAV)
	case f.tag != formatPCM || f.bits != 16 || f.channels != 1 || f.rate != SampleRate:
		return Clip{}, nil, fmt.Errorf("%w: not %d Hz mono 16-bit PCM", ErrBadWAV, SampleRate)
	case len(data)%2 != 0 || len(data) == 0:
		return Clip{}, nil, fmt.Errorf("%w: data chunk of %d bytes", ErrBadWAV, len(data))
	}
	if samples := len(data) / 2; meta.SpeechEndSamples <= 0 || meta.SpeechEndSamples > samples {
		return Clip{}, nil, fmt.Errorf("speech end %d outside the clip's %d samples", meta.SpeechEndSamples, samples)
	}
	return Clip{Text: meta.Text, SpeechEnd: samplesToDuration(meta.SpeechEndSamples)}, data, nil
}

// store writes clip under key atomically: temp file, sync, rename.
func (c clipCache) store(key string, clip Clip) error {
	meta, err := json.Marshal(clipMeta{
		Text:             clip.Text,
		SpeechEndSamples: int(clip.SpeechEnd * SampleRate / time.Second),
	})
	if err != nil {
		return fmt.Errorf("store cache entry: %w", err)
	}
	tmp, err := createTemp(c.dir, ".tmp-"+key[:16]+"-")
	if err != nil {
		return fmt.Errorf("store cache entry: %w", err)
	}
	// Remove the temp file on every failure path; after a successful
	// rename the name is gone and Remove is a harmless no-op.
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(encodeWAV(clip.PCM, SampleRate, metaChunkID, meta))
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("store cache entry %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), c.path(key)); err != nil {
		return fmt.Errorf("store cache entry: %w", err)
	}
	return nil
}

// createTemp is os.CreateTemp with mode 0644 (less the umask) instead of
// 0600, so a cache shared by several users stays readable to them all.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many collisions", dir)
}
