package sttbench

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// values returns the defaults of every option with some overridden.
func values(over map[string]string) func(string) string {
	return func(name string) string {
		if v, ok := over[name]; ok {
			return v
		}
		for _, o := range Options {
			if o.Name == name {
				return o.Default
			}
		}
		return ""
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig(values(nil))
	require.NoError(t, err)
	assert.Equal(t, "ws://localhost:8000/ws", c.STTURL)
	assert.Equal(t, "http://localhost:8004/tts", c.TTSURL)
	assert.Equal(t, []int{1, 5, 10, 20, 30, 40}, c.Levels)
	assert.Equal(t, 30*time.Second, c.ResultTimeout)
	assert.Equal(t, 2500*time.Millisecond, c.LevelPause)
	assert.Equal(t, "benchmark_results.csv", c.Output)
	assert.Equal(t, 5.0, c.WERMax)
	assert.Zero(t, c.EOSP95Max)
	assert.Equal(t, []string{"parakeet", "nemo", "uvicorn"}, c.GPUHints)
	assert.False(t, c.Probe)
}

func TestParseConfigRejectsBadValues(t *testing.T) {
	tests := []struct {
		flag, value, want string
	}{
		{"concurrency", "0", "at least 1"},
		{"concurrency", "5,-1", "at least 1"},
		{"concurrency", "five", `"five" is not a number`},
		{"concurrency", "", "no levels"},
		{"concurrency", " , ", "not a number"},
		{"concurrency", "5,5", "listed twice"},
		{"result-timeout", "30", "not a duration"},
		{"result-timeout", "-1s", "positive"},
		{"result-timeout", "0s", "positive"},
		{"idle-timeout", "soon", "not a duration"},
		{"stt-url", "", "empty"},
		{"stt-url", "http://localhost:8000/ws", "ws://"},
		{"tts-url", "localhost:8004", "http://"},
		{"probe", "maybe", "boolean"},
		{"seed", "-1", "positive"},
		{"wer-max", "lots", "percentage"},
		{"leak-max", "-2", ">= 0"},
		{"eos-p95-max", "fast", "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.flag+"="+tt.value, func(t *testing.T) {
			_, err := ParseConfig(values(map[string]string{tt.flag: tt.value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "-"+tt.flag)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseConfigAcceptsEmbeddedAndLists(t *testing.T) {
	c, err := ParseConfig(values(map[string]string{
		"stt-url": "embedded?wer=0.1", "tts-url": "embedded", "concurrency": " 2, 8 ,3",
		"probe": "true", "eos-p95-max": "800ms", "gpu-hint": "Parakeet, ,asr",
	}))
	require.NoError(t, err)
	assert.Equal(t, []int{2, 8, 3}, c.Levels)
	assert.True(t, c.Probe)
	assert.Equal(t, 800*time.Millisecond, c.EOSP95Max)
	assert.Equal(t, []string{"parakeet", "asr"}, c.GPUHints)
}

func TestOptionDefaultComesFromEnvironment(t *testing.T) {
	t.Setenv("STTBENCH_CONCURRENCY", "3,6")
	i := slices.IndexFunc(Options, func(o Option) bool { return o.Name == "concurrency" })
	require.GreaterOrEqual(t, i, 0, "no -concurrency option")
	assert.Equal(t, "3,6", Options[i].DefaultValue())
}

func TestREADMEDocumentsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, o := range Options {
		assert.Contains(t, string(readme), "| `-"+o.Name+"` | `"+o.Env+"` |", "README flag table row for -%s", o.Name)
	}
}
