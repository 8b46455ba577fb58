package serve

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func hello(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") }

// fetch returns the body of a GET of url. It calls no testing function,
// so any goroutine may use it.
func fetch(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func get(t *testing.T, url string) string {
	t.Helper()
	body, err := fetch(url)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestListenClose(t *testing.T) {
	s, err := Listen("127.0.0.1:0", http.HandlerFunc(hello))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %q", s.Addr())
	}
	if got := get(t, "http://"+s.Addr()+"/"); got != "hello" {
		t.Errorf("body %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Shutdown(time.Second); err != nil {
		t.Errorf("a later Shutdown: %v", err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/"); err == nil {
		t.Error("still serving after Close")
	}
}

func TestWildcardAddr(t *testing.T) {
	s, err := Listen(":0", http.HandlerFunc(hello))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Errorf("Addr() = %q, want loopback", s.Addr())
	}
	if got := get(t, "http://"+s.Addr()+"/"); got != "hello" {
		t.Errorf("body %q", got)
	}
}

func TestShutdownWaitsForRequests(t *testing.T) {
	started := make(chan struct{})
	s, err := Listen("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(100 * time.Millisecond)
		io.WriteString(w, "done")
	}))
	if err != nil {
		t.Fatal(err)
	}
	type reply struct {
		body string
		err  error
	}
	replies := make(chan reply, 1)
	go func() {
		body, err := fetch("http://" + s.Addr() + "/")
		replies <- reply{body, err}
	}()
	select {
	case <-started:
	case r := <-replies:
		t.Fatalf("the request ended before the handler started: %q, %v", r.body, r.err)
	}
	if err := s.Shutdown(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if r := <-replies; r.err != nil || r.body != "done" {
		t.Errorf("body %q, error %v; want \"done\"", r.body, r.err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("a later Close: %v", err)
	}
}

func TestListenError(t *testing.T) {
	if _, err := Listen("256.0.0.1:0", http.HandlerFunc(hello)); err == nil {
		t.Fatal("no error for a bad address")
	}
}
