package ttspool

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBuildStreamFromCache: clips streamed from the cache hold no audio in
// memory, yet read back the same bytes, hash and length as clips held in
// memory, whether they were just synthesized or found in the cache.
func TestBuildStreamFromCache(t *testing.T) {
	fake := newFakeTTS(t)
	fake.wav = fixtureFor(t)
	srv := fake.start()
	texts := []string{"Seven ducks in Oslo.", "Oslo.", "Seven ducks in Oslo."}
	cfg := testConfig(t, srv.URL+"/tts")
	inMemory, err := Build(t.Context(), cfg, texts)
	require.NoError(t, err)

	cfg.StreamFromCache = true
	fresh := testConfig(t, srv.URL+"/tts")
	fresh.StreamFromCache = true
	for name, c := range map[string]Config{"from the cache": cfg, "just synthesized": fresh} {
		t.Run(name, func(t *testing.T) {
			clips, err := Build(t.Context(), c, texts)
			require.NoError(t, err)
			for i, clip := range clips {
				path, ok := clip.OnDisk()
				require.True(t, ok, "clip %d", i)
				assert.Equal(t, c.CacheDir, filepath.Dir(path))
				assert.Nil(t, clip.PCM, "clip %d holds no samples in memory", i)
				want := inMemory[i]
				assert.Equal(t, want.Text, clip.Text)
				assert.Equal(t, want.SpeechEnd, clip.SpeechEnd)
				assert.Equal(t, want.Samples(), clip.Samples())
				assert.Equal(t, want.Duration(), clip.Duration())
				assert.Equal(t, ClipSHA256(want), ClipSHA256(clip))
				assert.Equal(t, want.PCMBytes(), clip.PCMBytes())
				a, err := clip.OpenAudio()
				require.NoError(t, err)
				got, err := io.ReadAll(io.NewSectionReader(a, 0, int64(2*clip.Samples())+100))
				require.NoError(t, err)
				require.NoError(t, a.Close())
				assert.Equal(t, want.PCMBytes(), got, "clip %d: exactly its audio, nothing of the file around it", i)
			}
			p0, _ := clips[0].OnDisk()
			p2, _ := clips[2].OnDisk()
			assert.Equal(t, p0, p2, "a repeated text shares its entry")
		})
	}
}

// TestOpenAudioNoticesAReplacedEntry: an entry rewritten after the clip was
// read, as a second run on the same cache does, still plays when it holds
// the same audio; with other audio it is an error naming the file, never
// that audio. A removed entry is an error too.
func TestOpenAudioNoticesAReplacedEntry(t *testing.T) {
	fake := newFakeTTS(t)
	fake.wav = fixtureFor(t)
	srv := fake.start()
	cfg := testConfig(t, srv.URL+"/tts")
	cfg.StreamFromCache = true
	clips, err := Build(t.Context(), cfg, []string{"Oslo."})
	require.NoError(t, err)
	clip := clips[0]
	want := clip.PCMBytes()
	path, _ := clip.OnDisk()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	replace := func(b []byte) {
		tmp := path + ".new"
		require.NoError(t, os.WriteFile(tmp, b, 0o644))
		require.NoError(t, os.Rename(tmp, path))
	}

	replace(b)
	assert.Equal(t, want, clip.PCMBytes(), "the same audio, stored again")

	other := append([]byte(nil), b...)
	at := bytes.Index(other, []byte("data")) + 8 + 100 // a sample's byte, past the chunk header
	other[at] ^= 0x55
	replace(other)
	_, err = clip.OpenAudio()
	require.ErrorContains(t, err, path+" was replaced during the run (it holds other audio)")
	assert.Nil(t, clip.PCMBytes())

	require.NoError(t, os.Remove(path))
	_, err = clip.OpenAudio()
	require.ErrorContains(t, err, "open the clip's cache entry")
}
