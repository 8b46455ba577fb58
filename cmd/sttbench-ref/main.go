// Command sttbench-ref runs the reference services of sttbench as one
// program, for any client: a streaming STT speaking the Parakeet WebSocket
// protocol (refstt) and a TTS answering Chatterbox requests (reftts). The
// STT's fault knobs are flags; it stops on SIGINT or SIGTERM.
//
//	sttbench-ref -stt-addr 127.0.0.1:8000 -tts-addr 127.0.0.1:8004 -wer 0.1 -latency-scale 2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sttbench/sttbench/internal/refstt"
	"github.com/sttbench/sttbench/internal/reftts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "sttbench-ref:", err)
		os.Exit(1)
	}
}

// run starts both services as args configure them, prints their URLs on
// stdout and serves until ctx is cancelled. The API key comes from -api-key
// or else $STT_API_KEY, and is never printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sttbench-ref", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sttAddr := fs.String("stt-addr", "127.0.0.1:8000", "`address` of the STT service (WebSocket at /ws)")
	ttsAddr := fs.String("tts-addr", "127.0.0.1:8004", "`address` of the TTS service (POST /tts)")
	var cfg refstt.Config
	fs.Float64Var(&cfg.WordErrorRate, "wer", 0, "`fraction` (0..1) of words substituted")
	fs.Float64Var(&cfg.LatencyScale, "latency-scale", 1, "`multiplier` of the modelled processing time")
	fs.DurationVar(&cfg.Base, "base", refstt.DefaultBase, "fixed processing time of a batch")
	fs.DurationVar(&cfg.PerAudioSecond, "per-sec", refstt.DefaultPerAudioSecond, "processing time per second of audio in a batch")
	fs.DurationVar(&cfg.BatchWindow, "batch-window", refstt.DefaultBatchWindow, "how long the worker gathers a batch")
	fs.IntVar(&cfg.MaxBatch, "max-batch", refstt.DefaultMaxBatch, "most utterances in a batch")
	fs.IntVar(&cfg.QueueSize, "queue", 0, "most utterances waiting for the worker, shared by all connections; when full, reading audio waits (the Parakeet service uses 64; 0 = unbounded)")
	fs.Float64Var(&cfg.DropRate, "drop", 0, "`fraction` (0..1) of results never sent")
	fs.Float64Var(&cfg.LeakRate, "leak", 0, "`fraction` (0..1) of results sent to another session")
	fs.DurationVar(&cfg.CloseAfter, "close-after", 0, "close each connection after this much audio (0 = never)")
	fs.Float64Var(&cfg.MalformedRate, "malformed", 0, "`fraction` (0..1) of results sent as invalid JSON")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the substituted words")
	apiKey := fs.String("api-key", "", "require `key` as \"Authorization: Bearer key\" (default $STT_API_KEY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.APIKey = *apiKey
	if cfg.APIKey == "" {
		cfg.APIKey = os.Getenv("STT_API_KEY")
	}

	stt, err := refstt.Listen(*sttAddr, cfg)
	if err != nil {
		return fmt.Errorf("start STT: %w", err)
	}
	defer stt.Close()
	tts, err := reftts.Listen(*ttsAddr)
	if err != nil {
		return fmt.Errorf("start TTS: %w", err)
	}
	defer tts.Close()

	auth := ""
	if cfg.APIKey != "" {
		auth = " (API key required)"
	}
	fmt.Fprintf(stdout, "stt: %s%s\ntts: %s\n", stt.URL(), auth, tts.URL())

	<-ctx.Done()
	errSTT := stt.Close()
	errTTS := tts.Close()
	st := stt.Stats()
	fmt.Fprintf(stderr, "stt: %d connections, %d utterances, %d results (%d dropped, %d leaked, %d malformed, %d undelivered); reading waited for a full queue %d times\n",
		st.Connections, st.Utterances, st.Results, st.Dropped, st.Leaked, st.Malformed, st.Undelivered, st.QueueFull)
	return errors.Join(errSTT, errTTS)
}
