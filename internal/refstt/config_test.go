package refstt

import (
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query   string
		want    Config
		wantErr []string // substrings of the error
	}{
		{query: "", want: Config{}},
		{
			query: "wer=0.1&latency=2&drop=0.2&leak=0.5&close=3s&malformed=0.2&api_key=k3y&base=30ms&per_sec=8ms&batch_window=50ms&max_batch=4&queue=64&seed=9",
			want: Config{
				WordErrorRate: 0.1, LatencyScale: 2, DropRate: 0.2, LeakRate: 0.5, CloseAfter: 3 * time.Second,
				MalformedRate: 0.2, APIKey: "k3y", Base: 30 * time.Millisecond, PerAudioSecond: 8 * time.Millisecond,
				BatchWindow: 50 * time.Millisecond, MaxBatch: 4, QueueSize: 64, Seed: 9,
			},
		},
		{query: "wer=1&drop=0&close=0s", want: Config{WordErrorRate: 1}},
		{query: "wer=abc", wantErr: []string{`"wer"`, "fraction between 0 and 1", `"abc"`}},
		{query: "wer=1.5", wantErr: []string{`"wer"`, "fraction"}},
		{query: "drop=-0.1", wantErr: []string{`"drop"`}},
		{query: "leak=NaN", wantErr: []string{`"leak"`}},
		{query: "malformed=", wantErr: []string{`"malformed"`}},
		{query: "latency=-1", wantErr: []string{`"latency"`, "multiplier"}},
		{query: "latency=Inf", wantErr: []string{`"latency"`}},
		{query: "close=3", wantErr: []string{`"close"`, "duration", "3s"}},
		{query: "base=-5ms", wantErr: []string{`"base"`, "duration"}},
		{query: "per_sec=fast", wantErr: []string{`"per_sec"`}},
		{query: "max_batch=0", wantErr: []string{`"max_batch"`, "whole number"}},
		{query: "queue=-1", wantErr: []string{`"queue"`, "whole number"}},
		{query: "seed=-1", wantErr: []string{`"seed"`}},
		{query: "api_key=", wantErr: []string{`"api_key"`}},
		{query: "wer=0.1&wer=0.2", wantErr: []string{`"wer"`, "2 times"}},
		{query: "word_error_rate=0.1", wantErr: []string{`"word_error_rate"`, "accepted:", "wer"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			got, err := ParseConfig(q)
			if tc.wantErr != nil {
				require.Error(t, err)
				for _, s := range tc.wantErr {
					assert.ErrorContains(t, err, s)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseConfigHidesKey(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig(url.Values{"api_key": {"secret"}, "bogus": {"1"}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero", Config{}, ""},
		{"all faults", Config{WordErrorRate: 1, DropRate: 1, LeakRate: 1, MalformedRate: 1, CloseAfter: time.Second}, ""},
		{"negative base", Config{Base: -1}, "Base"},
		{"negative per-second", Config{PerAudioSecond: -1}, "PerAudioSecond"},
		{"negative window", Config{BatchWindow: -1}, "BatchWindow"},
		{"negative close", Config{CloseAfter: -1}, "CloseAfter"},
		{"negative scale", Config{LatencyScale: -1}, "LatencyScale"},
		{"NaN scale", Config{LatencyScale: math.NaN()}, "LatencyScale"},
		{"negative batch", Config{MaxBatch: -1}, "MaxBatch"},
		{"negative keep", Config{KeepSessions: -1}, "KeepSessions"},
		{"wer above 1", Config{WordErrorRate: 1.01}, "WordErrorRate"},
		{"NaN drop", Config{DropRate: math.NaN()}, "DropRate"},
		{"negative leak", Config{LeakRate: -0.1}, "LeakRate"},
		{"malformed above 1", Config{MalformedRate: 2}, "MalformedRate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
			_, err = New(tc.cfg)
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestAccumulator(t *testing.T) {
	t.Parallel()
	// The hits are written out by hand: after n events, floor(n*rate) hits.
	tests := []struct {
		rate     float64
		hitsAt   []int // the hit events among the first 10, from 1
		hits1000 int
	}{
		{0, nil, 0},
		{0.1, []int{10}, 100},
		{0.2, []int{5, 10}, 200},
		{1.0 / 3, []int{3, 6, 9}, 333},
		{0.5, []int{2, 4, 6, 8, 10}, 500},
		{0.7, []int{2, 3, 5, 6, 8, 9, 10}, 700},
		{1, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1000},
	}
	for _, tc := range tests {
		a := accumulator{rate: tc.rate}
		var hitsAt []int
		for n := 1; n <= 1000; n++ {
			if a.next() && n <= 10 {
				hitsAt = append(hitsAt, n)
			}
		}
		assert.Equal(t, tc.hitsAt, hitsAt, "rate %v", tc.rate)
		assert.Equal(t, tc.hits1000, a.hits, "rate %v after 1000", tc.rate)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("wer=0.1&latency=2&drop=0.2&leak=0.5&close=3s&malformed=0.2&api_key=k&base=30ms&per_sec=8ms")
	f.Add("max_batch=3&seed=1&batch_window=1h")
	f.Add("wer=1e-300&latency=1e300")
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		cfg, err := ParseConfig(q)
		if err != nil {
			return
		}
		require.NoError(t, cfg.Validate())
		assert.GreaterOrEqual(t, cfg.BatchLatency(time.Second), time.Duration(0))
	})
}
