package ttspool_test

import (
	"context"
	"testing"

	"github.com/sttbench/sttbench/internal/textgen"
	"github.com/sttbench/sttbench/ttspool"
)

// BenchmarkBuildCold prepares 200 clips from the reference TTS into an
// empty cache each iteration: HTTP, synthesis, decode, resample, trim and
// cache write, as a first run does. Profile with -cpuprofile.
func BenchmarkBuildCold(b *testing.B) {
	url, _ := countingRefTTS(b)
	texts := textgen.Generate(200, 1)
	for b.Loop() {
		if _, err := ttspool.Build(context.Background(), ttspool.Config{URL: url, CacheDir: b.TempDir()}, texts); err != nil {
			b.Fatal(err)
		}
	}
}
