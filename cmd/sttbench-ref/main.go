// Command sttbench-ref runs the reference services of sttbench as one
// program, for any client: a streaming STT speaking the Parakeet WebSocket
// protocol (refstt) and a TTS answering Chatterbox requests (reftts). The
// STT's knobs are flags named exactly like the query parameters of an
// "embedded?..." STT URL (the table in README); it stops on SIGINT or SIGTERM.
//
//	sttbench-ref -stt-addr 127.0.0.1:8000 -tts-addr 127.0.0.1:8004 -wer 0.1 -latency 2 -per_sec 40ms
//
// The flags' earlier spellings -latency-scale, -per-sec, -batch-window,
// -max-batch, -close-after and -api-key are still accepted.
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

// oldSpelling maps a knob to the flag name it had before flags took the
// query parameters' names; both are accepted.
var oldSpelling = map[string]string{
	"latency":      "latency-scale",
	"per_sec":      "per-sec",
	"batch_window": "batch-window",
	"max_batch":    "max-batch",
	"close":        "close-after",
	"api_key":      "api-key",
}

// run starts both services as args configure them, prints their URLs on
// stdout and serves until ctx is cancelled. The API key comes from -api_key
// or else $STT_API_KEY, and is never printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sttbench-ref", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sttAddr := fs.String("stt-addr", "127.0.0.1:8000", "`address` of the STT service (WebSocket at /ws)")
	ttsAddr := fs.String("tts-addr", "127.0.0.1:8004", "`address` of the TTS service (POST /tts)")
	var cfg refstt.Config
	for _, p := range refstt.Params() {
		if p.Name == "api_key" {
			continue // below: it has an environment fallback
		}
		set := func(v string) error { return p.Set(&cfg, v) }
		fs.Func(p.Name, fmt.Sprintf("%s: %s (default %s)", p.Usage, p.Form, p.Default), set)
		if old, ok := oldSpelling[p.Name]; ok {
			fs.Func(old, "the earlier spelling of -"+p.Name, set)
		}
	}
	apiKey := fs.String("api_key", "", "require `key` as \"Authorization: Bearer key\" (default $STT_API_KEY)")
	fs.StringVar(apiKey, oldSpelling["api_key"], "", "the earlier spelling of -api_key")
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
