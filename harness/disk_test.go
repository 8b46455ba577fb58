package harness

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sttbench/sttbench/internal/reftts"
	"github.com/sttbench/sttbench/ttspool"
)

// diskClips builds clips streamed from their cache files with the
// reference TTS.
func diskClips(t *testing.T, texts ...string) []ttspool.Clip {
	t.Helper()
	tts, err := reftts.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer tts.Close()
	clips, err := ttspool.Build(context.Background(), ttspool.Config{URL: tts.URL(), CacheDir: t.TempDir(), StreamFromCache: true}, texts)
	require.NoError(t, err)
	for _, c := range clips {
		_, ok := c.OnDisk()
		require.True(t, ok)
	}
	return clips
}

// TestStreamFromDiskSendsTheClipExactly: a clip read from its cache file as
// it streams (chunk after chunk, in frames that do not divide the chunk)
// reaches the service byte for byte as the in-memory clip would, zero-padded
// in its last frame, then the trailing silence.
func TestStreamFromDiskSendsTheClipExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("streams speech in real time")
	}
	t.Parallel()
	clip := diskClips(t, "Turn left past the red barn.")[0]
	pcm := clip.PCMBytes()
	require.NotEmpty(t, pcm)
	const frame = 60 * time.Millisecond // 1920 bytes: 8 frames to a 16000-byte chunk, 15360 bytes
	frameBytes := int(frame*ttspool.SampleRate/time.Second) * bytesPerSample
	speechFrames := (len(pcm) + frameBytes - 1) / frameBytes
	srv := newTranscribingServer(t, speechFrames, "turn left past the red barn")
	res := runOne(t, SessionConfig{URL: srv.url(), Frame: frame, TrailingSilence: 300 * time.Millisecond}, clip)
	require.Equal(t, OK, res.Outcome, res.Err)
	assert.Equal(t, clip.Duration(), res.AudioDuration)
	var all []byte
	for _, a := range srv.frames() {
		require.Len(t, a.data, frameBytes)
		all = append(all, a.data...)
	}
	want := append(append([]byte(nil), pcm...), make([]byte, speechFrames*frameBytes-len(pcm)+5*frameBytes)...)
	require.Equal(t, len(want), len(all), "speech frames, then 300 ms of silence")
	assert.Equal(t, want, all)
	assert.Equal(t, res.Start.Add(clip.SpeechEnd), res.EOS)
	path, _ := clip.OnDisk()
	assert.Zero(t, openFilesOf(t, path), "the session closed its clip's file")
}

// openFilesOf counts this process's descriptors open on path (Linux; 0
// elsewhere).
func openFilesOf(t *testing.T, path string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Logf("no /proc/self/fd: %v", err)
		return 0
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && target == path {
			n++
		}
	}
	return n
}

// TestStreamFromDiskLostEntryIsASessionError: a cache entry removed before
// its clip streams fails that session with a reason naming the cause; the
// level goes on.
func TestStreamFromDiskLostEntryIsASessionError(t *testing.T) {
	t.Parallel()
	clips := diskClips(t, "Turn left past the red barn.", "The ferry leaves at noon.")
	path, _ := clips[0].OnDisk()
	require.NoError(t, os.Remove(path))
	// The server answers once the second clip's speech is in, as a service does.
	speech := clips[1].PCMBytes()
	frameBytes := DefaultFrameSamples * bytesPerSample
	srv := newTranscribingServer(t, (len(speech)+frameBytes-1)/frameBytes, "the ferry leaves at noon")
	lr, err := RunLevel(t.Context(), LevelConfig{Session: SessionConfig{URL: srv.url(), IdleTimeout: 300 * time.Millisecond, ResultTimeout: 10 * time.Second}}, clips)
	require.NoError(t, err)
	require.Len(t, lr.Sessions, 2)
	lost := lr.Sessions[0]
	assert.Equal(t, Errored, lost.Outcome)
	assert.Equal(t, "the clip's audio could not be read from its cache entry", lost.Reason)
	assert.Contains(t, lost.Err, "the clip's audio: open the clip's cache entry")
	assert.Zero(t, lost.FramesSent)
	assert.Equal(t, OK, lr.Sessions[1].Outcome, lr.Sessions[1].Err)
	kept, _ := clips[1].OnDisk()
	assert.Zero(t, openFilesOf(t, kept), "the session closed its clip's file")
}

// TestStreamFromDiskStaggersReadsAcrossSessions: the sessions of a level read
// their cache files at different frames (session i's first chunk falls short
// of a whole one by i modulo the frames in a chunk), and every one of them
// still hands out the clip's frames byte for byte.
func TestStreamFromDiskStaggersReadsAcrossSessions(t *testing.T) {
	t.Parallel()
	clip := diskClips(t, "The ferry leaves at noon from the north pier.")[0]
	p := prepare(clip, SessionConfig{}.withDefaults())
	inMemory := newFrames(clip.PCMBytes(), p.frames-p.stream.speechFrames, p.stream.size)
	chunk := readAheadBytes / p.stream.size
	require.Equal(t, 5, chunk, "100 ms frames, half a second to a chunk")
	require.Greater(t, p.stream.speechFrames, 2*chunk, "a clip long enough for several chunks")

	// readsOf streams the clip as session `session` would and returns the
	// frames at which it read from the file.
	readsOf := func(session int) []int {
		src, err := p.stream.open(session)
		require.NoError(t, err)
		defer src.close()
		var reads []int
		for i := range p.frames {
			before := [2]int{src.first, src.count}
			require.NoError(t, src.ready(i))
			if i == 0 || [2]int{src.first, src.count} != before {
				reads = append(reads, i)
			}
			require.Equal(t, inMemory.frame(i), src.frame(i), "session %d, frame %d", session, i)
		}
		return reads
	}
	secondRead := map[int]int{}
	for session := range chunk {
		reads := readsOf(session)
		want := []int{0}
		for i := chunk - session; i < p.stream.speechFrames; i += chunk {
			want = append(want, i)
		}
		assert.Equal(t, want, reads, "session %d", session)
		secondRead[reads[1]] = session
	}
	assert.Len(t, secondRead, chunk, "each of %d sessions in a row reads at a frame of its own", chunk)
	assert.Equal(t, readsOf(0), readsOf(chunk), "the stagger repeats every %d sessions", chunk)
}
