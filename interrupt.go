package sttbench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// InterruptContext returns a context that the first SIGINT or SIGTERM
// cancels: the running level ends and what was measured is kept. A second
// signal kills nvidia-smi (which may ignore interrupts) and every other
// child process, and exits at once with status 130. stop ends the watch.
func InterruptContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel(errors.New("interrupted"))
		select {
		case <-sigs:
		case <-done:
			return
		}
		killChildren()
		fmt.Fprintln(os.Stderr, "sttbench: interrupted again: child processes killed, exiting now")
		os.Exit(130)
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
