// Package reftts is a reference text-to-speech service that answers the
// request of a Chatterbox TTS server at /tts with a WAV of voice.Synthesize,
// for tests and demos of the benchmark without a GPU.
//
// Request: POST /tts with a JSON body
//
//	{"text":"Hello world.","voice_mode":"predefined","predefined_voice_id":"Emily.wav","output_format":"wav","seed":42}
//
// Response: 200 with Content-Type audio/wav, 24 kHz mono 16-bit PCM. Errors
// are JSON {"detail":"..."}: 400 for a body that is not such JSON, an empty
// text or an output_format other than wav; 405 for other methods. Fields
// other than text and output_format are accepted and ignored: the voice
// has one speaker and no randomness.
package reftts

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sttbench/sttbench/internal/serve"
	"github.com/sttbench/sttbench/internal/voice"
	"github.com/sttbench/sttbench/ttspool"
)

// SampleRate is the rate of the WAV the service returns, in samples per
// second: Chatterbox's.
const SampleRate = 24000

// maxBody bounds a request body; a benchmark text is a few hundred bytes.
const maxBody = 1 << 20

// Request is the body of a Chatterbox /tts request.
type Request struct {
	Text              string `json:"text"`
	VoiceMode         string `json:"voice_mode"`
	PredefinedVoiceID string `json:"predefined_voice_id"`
	OutputFormat      string `json:"output_format"` // "wav" or empty (meaning wav)
	Seed              int64  `json:"seed"`
}

// New returns the handler of the service: POST /tts. It is safe for
// concurrent use and holds no resources.
func New() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/tts", serveTTS)
	return mux
}

func serveTTS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "method not allowed: use POST")
		return
	}
	var req Request
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid JSON body: data after the object")
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		writeError(w, http.StatusBadRequest, "text is empty")
		return
	}
	if f := strings.ToLower(req.OutputFormat); f != "" && f != "wav" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("output_format %q is not supported: use wav", req.OutputFormat))
		return
	}
	wav := ttspool.EncodeWAV(voice.Synthesize(req.Text, SampleRate), SampleRate)
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Length", fmt.Sprint(len(wav)))
	w.Write(wav)
}

func writeError(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"detail": detail})
}

// Running is the service listening on a TCP address.
type Running struct {
	http *serve.Server
}

// Listen starts the service on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string) (*Running, error) {
	hs, err := serve.Listen(addr, New())
	if err != nil {
		return nil, fmt.Errorf("reftts: listen: %w", err)
	}
	return &Running{http: hs}, nil
}

// URL returns the endpoint of the service, http://HOST:PORT/tts.
func (r *Running) URL() string { return "http://" + r.http.Addr() + "/tts" }

// Close stops the service, letting requests in progress finish for up to
// 5 s, and waits for it. Later calls return the first call's result.
func (r *Running) Close() error {
	if err := r.http.Shutdown(5 * time.Second); err != nil {
		return fmt.Errorf("reftts: close: %w", err)
	}
	return nil
}
