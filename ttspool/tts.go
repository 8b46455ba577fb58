package ttspool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// maxWAVBytes bounds a TTS response body. A 14 s clip at 24 kHz float is
// about 1.3 MiB; anything near this limit is a broken server, not speech.
const maxWAVBytes = 64 << 20

// ttsRequest is the JSON body of Chatterbox TTS Server's POST /tts.
type ttsRequest struct {
	Text              string `json:"text"`
	VoiceMode         string `json:"voice_mode"`
	PredefinedVoiceID string `json:"predefined_voice_id"`
	OutputFormat      string `json:"output_format"`
	Seed              int    `json:"seed"`
}

// ttsClient asks a Chatterbox-compatible service for speech. It is safe for
// concurrent use: its fields are read only and http.Client is concurrent.
type ttsClient struct {
	url   string
	voice string
	seed  int
	http  *http.Client
}

// synthesize returns the WAV bytes the service speaks for text. The returned
// error names the URL, the abbreviated text and the problem.
func (c *ttsClient) synthesize(ctx context.Context, text string) ([]byte, error) {
	body, err := json.Marshal(ttsRequest{
		Text:              text,
		VoiceMode:         "predefined",
		PredefinedVoiceID: c.voice,
		OutputFormat:      "wav",
		Seed:              c.seed,
	})
	if err != nil {
		return nil, c.fail(text, "encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, c.fail(text, "new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "audio/wav")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.fail(text, "%w", describeTransportError(ctx, err, c.http.Timeout))
	}
	defer resp.Body.Close()
	wav, err := io.ReadAll(io.LimitReader(resp.Body, maxWAVBytes+1))
	if err != nil {
		return nil, c.fail(text, "read response (HTTP %d): %w", resp.StatusCode, describeTransportError(ctx, err, c.http.Timeout))
	}
	ctype := resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		return nil, c.fail(text, "%w: HTTP %s (Content-Type %q): %q", ErrTTS, resp.Status, ctype, excerpt(wav))
	}
	if len(wav) > maxWAVBytes {
		return nil, c.fail(text, "%w: response larger than %d MiB", ErrTTS, maxWAVBytes>>20)
	}
	if !bytes.HasPrefix(wav, []byte("RIFF")) {
		return nil, c.fail(text, "%w: response is not a WAV (Content-Type %q, %d bytes): %q", ErrTTS, ctype, len(wav), excerpt(wav))
	}
	return wav, nil
}

// ErrTTS is wrapped by errors about what a TTS service answered (status,
// content), as opposed to transport failures or audio that fails to decode.
var ErrTTS = errors.New("unusable TTS response")

// ErrTimeout is wrapped by the error of a request that got no complete
// answer within Config.HTTPTimeout.
var ErrTimeout = errors.New("timed out")

// fail builds an error naming the request.
func (c *ttsClient) fail(text, format string, args ...any) error {
	return fmt.Errorf("tts POST %s (text %q): %w", c.url, abbrev.String(text, 40), fmt.Errorf(format, args...))
}

// describeTransportError turns the HTTP timeout into words that say which
// limit fired, wrapping ErrTimeout and keeping the original error in the
// chain. The caller's own deadline or cancellation is not ours to explain.
func describeTransportError(ctx context.Context, err error, limit time.Duration) error {
	if ctx.Err() != nil {
		return err
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w: no answer within %v (the HTTP timeout): %w", ErrTimeout, limit, err)
	}
	return err
}

// excerpt is the start of a response body for an error message.
func excerpt(b []byte) string {
	const n = 120
	s := strings.ToValidUTF8(string(head(b, n)), "?")
	if len(b) > n {
		s += "…"
	}
	return s
}

// DecodeClip turns the WAV bytes spoken for text into a Clip: decoded, mixed
// down to mono, resampled to SampleRate, converted to int16 with clipping,
// and trimmed (see Trim). Errors name the text and the problem and wrap
// ErrBadWAV or ErrSilent. DecodeClip is safe for concurrent use.
func DecodeClip(text string, wav []byte) (Clip, error) {
	a, err := DecodeWAV(wav)
	if err != nil {
		return Clip{}, fmt.Errorf("decode audio for %q: %w", abbrev.String(text, 40), err)
	}
	pcm := toInt16(Resample(a.Mono(), a.Rate, SampleRate))
	trimmed, end, err := Trim(pcm)
	if err != nil {
		return Clip{}, fmt.Errorf("decode audio for %q: %w", abbrev.String(text, 40), err)
	}
	// Encoded afresh, so the clip does not pin the untrimmed samples in memory.
	return Clip{Text: text, SpeechEnd: end}.withEncoded(encodePCM(trimmed)), nil
}
