package sttbench

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sttbench/sttbench/ttspool"
)

// builtinTexts is testdata/reference_texts.txt compiled in, so a test
// binary copied to another machine (go test -c) needs no files beside it.
//
//go:embed testdata/reference_texts.txt
var builtinTexts []byte

// LoadTexts reads the reference texts of -texts: the file at path, or the
// built-in set when path is empty.
func LoadTexts(path string) ([]string, error) {
	if path == "" {
		texts, err := ttspool.ParseTexts(bytes.NewReader(builtinTexts))
		if err != nil {
			return nil, fmt.Errorf("built-in reference texts: %w", err)
		}
		return texts, nil
	}
	return ttspool.LoadTexts(path)
}

// CheckOutputs checks, before anything is measured, that every output file
// of cfg can be written where it is to go, so a typo in a path costs
// seconds rather than a run. It creates nothing and truncates nothing: it
// proves the directory writable with a temporary file it removes at once.
// Each error names the flag, the path, the cause and what to do.
func CheckOutputs(cfg Config) error {
	var errs []error
	if cfg.Output != "" && cfg.Output != "-" {
		errs = append(errs, checkOutput("output", cfg.Output, "pass -output - to write no CSV"))
	}
	if cfg.Record != "" {
		errs = append(errs, checkOutput("record", cfg.Record, "pass -record - to write no run record"))
	}
	if cfg.Plots != "" {
		errs = append(errs, checkPlots(cfg.Plots))
	}
	return errors.Join(errs...)
}

func checkOutput(flag, path, orElse string) error {
	fail := func(cause error, todo string) error {
		return fmt.Errorf("cannot write -%s %q: %w; %s, or %s", flag, path, cause, todo, orElse)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return fail(err, "create the directory")
	} else if !fi.IsDir() {
		return fail(fmt.Errorf("%s is not a directory", dir), "fix the path")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fail(errors.New("it is a directory"), "name a file")
	} else if err == nil {
		// The file is replaced at the end; opening it (without
		// truncating) shows it is not read-only.
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fail(err, "make it writable")
		}
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err, "fix the path")
	}
	f, err := createTemp(dir, ".sttbench-check-")
	if err != nil {
		return fail(err, "make the directory writable")
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// writeFileAtomic writes path through write, replacing it only once
// complete: a failure leaves any earlier file as it was. The file gets
// ordinary permissions (0644 less the umask), as os.Create would give it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := createTemp(filepath.Dir(path), ".sttbench-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// createTemp is os.CreateTemp with mode 0644 (less the umask) instead of
// 0600: the file is renamed into place as the user's output.
func createTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many collisions", dir)
}
