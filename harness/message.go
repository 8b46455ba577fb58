package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// readError is a failure of the read side, with a reason worded the same
// for every session it happens to.
type readError struct {
	reason string
	err    error
}

func (e *readError) Error() string {
	if e.err == nil {
		return e.reason
	}
	return e.reason + ": " + e.err.Error()
}

func (e *readError) Unwrap() error { return e.err }

// describeReadError says what a failed Read means for the session. A close
// frame passes through as the websocket.CloseError it is.
func describeReadError(err error) error {
	var ce websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		return &readError{reason: "the service dropped the connection without a close frame", err: err}
	}
	return &readError{reason: "read failed", err: err}
}

// parseMessage decodes one service message. A text key marks a result, an
// error key a failure the service reports; a non-JSON or non-object
// message is a protocol error.
func parseMessage(typ websocket.MessageType, data []byte, at time.Time) (Message, error) {
	m := Message{At: at, Raw: string(data)}
	if typ != websocket.MessageText {
		return m, &readError{reason: "protocol: the service sent a binary message",
			err: fmt.Errorf("%d bytes, expected JSON text", len(data))}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return m, &readError{reason: "protocol: a message from the service is not a JSON object",
			err: fmt.Errorf("%w: %.120q", err, data)}
	}
	if raw, ok := fields["status"]; ok {
		var status string
		if json.Unmarshal(raw, &status) == nil && status == "queued" {
			m.Queued = true
		}
	}
	if raw, ok := fields["error"]; ok && string(raw) != "null" {
		if json.Unmarshal(raw, &m.Error) != nil {
			m.Error = string(raw) // an object or a number: keep it as sent
		}
		if m.Error = strings.TrimSpace(m.Error); m.Error == "" {
			m.Error = "(empty error message)"
		}
	}
	if raw, ok := fields["text"]; ok {
		m.IsResult = true
		if string(raw) != "null" {
			if err := json.Unmarshal(raw, &m.Text); err != nil {
				return m, &readError{reason: `protocol: "text" in a message from the service is not a string`,
					err: fmt.Errorf("%.120q", data)}
			}
		}
		m.Text = strings.TrimSpace(m.Text)
	}
	return m, nil
}
