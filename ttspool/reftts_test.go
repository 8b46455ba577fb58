package ttspool_test

import (
	"context"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/sttbench/sttbench/internal/reftts"
	"github.com/sttbench/sttbench/ttspool"
)

// countingRefTTS serves the built-in reference TTS on a fresh loopback port
// and counts its requests.
func countingRefTTS(t testing.TB) (url string, requests *atomic.Int64) {
	requests = new(atomic.Int64)
	h := reftts.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/tts", requests
}

// TestBuildCacheIDIgnoresPort: two reference TTS servers on different ports
// with the same CacheID share cache entries, so the second build sends no
// request at all; without a CacheID the URL keys the cache as before.
func TestBuildCacheIDIgnoresPort(t *testing.T) {
	texts := []string{"Maria flew to Lisbon on Tuesday.", "Ahmed counted 42 swans near Pier Seven."}
	dir := t.TempDir()
	url1, n1 := countingRefTTS(t)
	url2, n2 := countingRefTTS(t)
	if url1 == url2 {
		t.Fatal("servers share a URL")
	}
	first, err := ttspool.Build(context.Background(), ttspool.Config{URL: url1, CacheID: "reftts", CacheDir: dir}, texts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ttspool.Build(context.Background(), ttspool.Config{URL: url2, CacheID: "reftts", CacheDir: dir}, texts)
	if err != nil {
		t.Fatal(err)
	}
	if n1.Load() != int64(len(texts)) || n2.Load() != 0 {
		t.Errorf("requests: first server %d, second %d; want %d and 0", n1.Load(), n2.Load(), len(texts))
	}
	for i := range texts {
		if string(first[i].PCMBytes()) != string(second[i].PCMBytes()) {
			t.Errorf("clip %d differs between the builds", i)
		}
	}
	// No CacheID: the URL is the identity, and a new port misses.
	if _, err := ttspool.Build(context.Background(), ttspool.Config{URL: url2, CacheDir: dir}, texts); err != nil {
		t.Fatal(err)
	}
	if n2.Load() != int64(len(texts)) {
		t.Errorf("without CacheID the second server got %d requests, want %d", n2.Load(), len(texts))
	}
}

// TestClipPCMBytes: built clips carry their little-endian encoding, the
// same slice every call (shared, not re-encoded), from the TTS and from the
// cache alike.
func TestClipPCMBytes(t *testing.T) {
	url, _ := countingRefTTS(t)
	dir := t.TempDir()
	texts := []string{"Is the ferry to Dublin still running?"}
	for _, run := range []string{"synthesized", "cached"} {
		clips, err := ttspool.Build(context.Background(), ttspool.Config{URL: url, CacheDir: dir}, texts)
		if err != nil {
			t.Fatal(err)
		}
		c := clips[0]
		b := c.PCMBytes()
		if len(b) != 2*len(c.PCM) {
			t.Fatalf("%s: %d bytes for %d samples", run, len(b), len(c.PCM))
		}
		for i, s := range c.PCM {
			if int16(binary.LittleEndian.Uint16(b[2*i:])) != s {
				t.Fatalf("%s: sample %d encoded wrong", run, i)
			}
		}
		if &c.PCMBytes()[0] != &b[0] {
			t.Errorf("%s: PCMBytes re-encodes on every call", run)
		}
		if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 && unsafe.Pointer(&c.PCM[0]) != unsafe.Pointer(&b[0]) {
			t.Errorf("%s: the samples are held twice, as PCM and as bytes", run)
		}
	}
	// A hand-made clip still encodes.
	if got := (ttspool.Clip{PCM: []int16{1, -2}}).PCMBytes(); string(got) != "\x01\x00\xfe\xff" {
		t.Errorf("hand-made clip: % x", got)
	}
}
