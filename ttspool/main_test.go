package ttspool

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sttbench/sttbench/internal/leakcheck"
)

// TestMain fails the package when Build or the HTTP machinery it starts
// leaves goroutines behind after all tests ran (closing servers and
// connections is asynchronous, hence the grace period).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := leakcheck.Goroutines(5*time.Second, "sttbench/ttspool.", "net/http."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
