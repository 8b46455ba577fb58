package gpumon

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// ErrNotFound reports that the nvidia-smi executable is not in PATH, or
// that the configured Path does not name an executable. Callers match it
// with errors.Is and carry on without GPU figures.
var ErrNotFound = errors.New("nvidia-smi not found")

// Defaults used for the zero values of Config.
const (
	DefaultInterval    = time.Second
	DefaultStopTimeout = 2 * time.Second
	// DefaultSampleTimeout is how long a Monitor lets dmon go without a
	// sample it can read before it gives up on it.
	DefaultSampleTimeout = 10 * time.Second
	defaultProcRoot      = "/proc"
	defaultExecutable    = "nvidia-smi"
	// queryTimeout bounds each nvidia-smi query run by Detect: a wedged
	// driver is known to hang nvidia-smi, and detection must not hang with it.
	queryTimeout = 10 * time.Second
)

// DefaultHints returns the words that mark the STT service in a process's
// command line when Config.Hints is empty: parakeet, nemo and uvicorn.
func DefaultHints() []string {
	return []string{"parakeet", "nemo", "uvicorn"}
}

// Config says where nvidia-smi is and how to find and sample the GPU.
// The zero value is ready to use: nvidia-smi from PATH, detection with
// DefaultHints, /proc, one sample a second.
type Config struct {
	// Path is the nvidia-smi executable: a path, or a name looked up in
	// PATH. Empty means "nvidia-smi" looked up in PATH. With Args, Path is
	// a wrapper that runs nvidia-smi, such as ssh.
	Path string
	// Args go before nvidia-smi's own arguments, for a Path that is a
	// wrapper: Path "ssh" with Args ["gpu-host", "nvidia-smi"] runs every
	// query and dmon on gpu-host (SplitCommand turns a command line into
	// Path and Args). With Args, the PIDs nvidia-smi lists are taken to be
	// another machine's: Detect reads no /proc and chooses by what
	// nvidia-smi reports. Empty means Path is nvidia-smi itself.
	Args []string
	// GPUID selects the GPU by index ("0") or UUID ("GPU-…"), in any form
	// nvidia-smi's -i accepts, and makes Detect skip detection. Empty means
	// detect.
	GPUID string
	// Hints are words that mark the STT service in a process's command
	// line, matched case-insensitively as substrings. Empty means
	// DefaultHints().
	Hints []string
	// ProcRoot is the directory the proc file system is mounted on, where
	// Detect reads <ProcRoot>/<pid>/cmdline. Empty means "/proc".
	ProcRoot string
	// Interval is dmon's sampling interval, a whole number of seconds
	// (dmon's -d). Zero means DefaultInterval (1 s).
	Interval time.Duration
	// CloseWait bounds how long Window waits, counted from the window's end
	// mark, for the sample that closes the window. Zero means 1.5 × Interval.
	CloseWait time.Duration
	// StopTimeout is how long Stop (or a cancelled context) lets dmon take
	// to exit after it is sent an interrupt before it is killed. dmon exits
	// 0.6 to 1 s after SIGINT. Zero means DefaultStopTimeout (2 s).
	StopTimeout time.Duration
	// SampleTimeout is how long a Monitor waits for a sample it can read,
	// from dmon's start and then after each sample, before it stops dmon
	// and reports through Err what dmon did instead (printed nothing,
	// printed only lines it could not read, or went quiet). Zero means
	// DefaultSampleTimeout (10 s).
	SampleTimeout time.Duration

	// queryTimeout bounds each detection query; zero means queryTimeout.
	// Tests shorten it.
	queryTimeout time.Duration
}

// Validate reports whether c is usable. It does not look for nvidia-smi:
// Detect and Start do, and return ErrNotFound.
func (c Config) Validate() error {
	var errs []error
	if c.GPUID != "" {
		if err := validID(c.GPUID); err != nil {
			errs = append(errs, fmt.Errorf("gpu id: %w", err))
		}
	}
	for _, h := range c.Hints {
		if strings.TrimSpace(h) == "" {
			errs = append(errs, errors.New("hints: empty hint"))
			break
		}
	}
	switch {
	case c.Interval < 0:
		errs = append(errs, fmt.Errorf("interval %v is negative", c.Interval))
	case c.Interval%time.Second != 0:
		errs = append(errs, fmt.Errorf("interval %v is not a whole number of seconds (dmon -d takes seconds)", c.Interval))
	}
	if c.CloseWait < 0 {
		errs = append(errs, fmt.Errorf("close wait %v is negative", c.CloseWait))
	}
	if c.StopTimeout < 0 {
		errs = append(errs, fmt.Errorf("stop timeout %v is negative", c.StopTimeout))
	}
	if c.SampleTimeout < 0 {
		errs = append(errs, fmt.Errorf("sample timeout %v is negative", c.SampleTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gpumon: invalid config: %w", err)
	}
	return nil
}

// validID accepts one GPU as nvidia-smi -i takes it: an index, a UUID or a
// PCI bus id. A comma would select several GPUs, and a leading dash would be
// read as an option.
func validID(id string) error {
	switch {
	case id == "":
		return errors.New("empty GPU id")
	case strings.ContainsAny(id, ", \t\r\n"):
		return fmt.Errorf("GPU id %q must name one GPU, without commas or spaces", id)
	case strings.HasPrefix(id, "-"):
		return fmt.Errorf("GPU id %q starts with a dash", id)
	}
	return nil
}

func (c Config) interval() time.Duration { return orDefault(c.Interval, DefaultInterval) }

func (c Config) closeWait() time.Duration { return orDefault(c.CloseWait, c.interval()*3/2) }

func (c Config) stopTimeout() time.Duration { return orDefault(c.StopTimeout, DefaultStopTimeout) }

func (c Config) sampleTimeout() time.Duration {
	return orDefault(c.SampleTimeout, DefaultSampleTimeout)
}

func (c Config) queryTime() time.Duration { return orDefault(c.queryTimeout, queryTimeout) }

// orDefault is d, or def when d is zero (the documented default).
func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// remote reports whether nvidia-smi runs through a wrapper, so that the
// PIDs it lists need not be this machine's.
func (c Config) remote() bool { return len(c.Args) > 0 }

// command returns the command that runs nvidia-smi with args, through the
// wrapper of Args if any, in a process group of its own so that stopping it
// reaches whatever it started (a wrapper that does not exec nvidia-smi).
func (c Config) command(ctx context.Context, path string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, append(slices.Clone(c.Args), args...)...)
	ownGroup(cmd)
	return cmd
}

func (c Config) procRoot() string {
	if c.ProcRoot == "" {
		return defaultProcRoot
	}
	return c.ProcRoot
}

func (c Config) hints() []string {
	if len(c.Hints) == 0 {
		return DefaultHints()
	}
	return c.Hints
}

// executable resolves Path (or "nvidia-smi") to an executable file, or
// returns an error that wraps ErrNotFound.
func (c Config) executable() (string, error) {
	name := c.Path
	if name == "" {
		name = defaultExecutable
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return path, nil
}

// SplitCommand splits a command line such as `ssh gpu-host nvidia-smi`
// into words at spaces and tabs, for Config.Path (the first word) and
// Config.Args (the rest). A word may be quoted with single or double quotes
// to hold spaces ('/opt/my tools/nvidia-smi'); there are no escapes and no
// other shell syntax. It returns an error for an empty line or an
// unterminated quote.
func SplitCommand(line string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool
		quote  rune
	)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("command %q: unterminated %c quote", line, quote)
	}
	if inWord {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("command %q is empty", line)
	}
	return words, nil
}
