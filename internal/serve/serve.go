// Package serve runs an http.Handler on a TCP listener of its own, for the
// reference services: Listen starts it, Addr says where to dial it, and
// Close or Shutdown stops it and waits for its Serve goroutine.
package serve

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an http.Handler served on a listener of its own. Its methods
// are safe for concurrent use.
type Server struct {
	http     *http.Server
	ln       net.Listener
	serv     chan error // the result of http.Server.Serve
	stopOnce sync.Once
	stopErr  error
}

// Listen listens on the TCP address addr ("127.0.0.1:0" picks a free port)
// and serves h there in a goroutine until Close or Shutdown.
func Listen(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		http: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
		serv: make(chan error, 1),
	}
	go func() { s.serv <- s.http.Serve(ln) }()
	return s, nil
}

// Addr returns the address a client dials, HOST:PORT: a wildcard listen
// address (0.0.0.0, ::) becomes 127.0.0.1.
func (s *Server) Addr() string {
	addr := s.ln.Addr()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return addr.String()
}

// Close stops listening, closes every connection at once (see
// http.Server.Close: hijacked ones, such as WebSockets, are the handler's
// to end) and waits for the Serve goroutine. Later calls of Close or
// Shutdown return the first call's result.
func (s *Server) Close() error {
	return s.stop(s.http.Close)
}

// Shutdown stops listening and lets requests in progress finish for up to
// timeout (see http.Server.Shutdown), then closes the connections left and
// waits for the Serve goroutine. Later calls of Close or Shutdown return
// the first call's result.
func (s *Server) Shutdown(timeout time.Duration) error {
	return s.stop(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if err != nil {
			s.http.Close()
		}
		return err
	})
}

// stop runs halt once, waits for Serve to return and keeps the first error
// of the two.
func (s *Server) stop(halt func() error) error {
	s.stopOnce.Do(func() {
		err := halt()
		if serr := <-s.serv; serr != http.ErrServerClosed && err == nil {
			err = serr
		}
		s.stopErr = err
	})
	return s.stopErr
}
