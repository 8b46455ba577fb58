package gpumon

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sttbench/sttbench/internal/abbrev"
)

// Selection is the GPU that Detect chose, and why.
type Selection struct {
	// ID is what Start takes: the GPU index as text ("0"), the GPU UUID when
	// its index could not be read, or the configured GPUID as given.
	ID string
	// Index is the GPU index, or -1 when unknown.
	Index int
	// UUID is the GPU UUID, or "" when unknown.
	UUID string
	// PID is the process the choice was made by, or 0 when none was.
	PID int
	// Reason is one line for people saying which GPU was chosen and why;
	// the caller prints it.
	Reason string
	// Warning is not empty when detection found nothing and GPU 0 is used
	// in its stead. It says why and how to choose the GPU with -gpu-id.
	Warning string
}

// Detect chooses the GPU that runs the STT service. A configured
// Config.GPUID is used as it is. Otherwise Detect lists the compute
// processes with nvidia-smi, keeps the Python ones (nvidia-smi names the
// interpreter, never the script), prefers a process whose command line in
// /proc mentions one of the hints and else takes the Python process holding
// the most GPU memory, and maps its GPU UUID to an index.
//
// Through a wrapper (Config.Args, such as ssh), the listed PIDs are another
// machine's and /proc is not read: Detect prefers a process whose name
// mentions a hint, else the Python process, else any process, holding the
// most GPU memory.
//
// When nothing is found Detect returns GPU 0 with a Warning, and a nil
// error: a failed nvidia-smi query is a detection result, not a failure.
// The error is non-nil only for an invalid Config, a cancelled ctx, or a
// missing nvidia-smi (matching ErrNotFound). Each query is bounded by 10 s;
// one that does not answer in time is killed and reported in the Warning.
// Detect is safe for concurrent use.
func Detect(ctx context.Context, cfg Config) (Selection, error) {
	if err := cfg.Validate(); err != nil {
		return Selection{}, err
	}
	path, err := cfg.executable()
	if err != nil {
		return Selection{}, fmt.Errorf("gpumon: detect GPU: %w", err)
	}
	if cfg.GPUID != "" {
		return configured(cfg.GPUID), nil
	}
	apps, err := query(ctx, cfg, path, "--query-compute-apps=pid,gpu_uuid,process_name,used_memory", "--format=csv,noheader,nounits")
	if err != nil {
		if ctx.Err() != nil {
			return Selection{}, fmt.Errorf("gpumon: detect GPU: %w", ctx.Err())
		}
		return fallback("listing compute processes failed: " + err.Error()), nil
	}
	gpus := func() (string, error) {
		return query(ctx, cfg, path, "--query-gpu=index,gpu_uuid", "--format=csv,noheader,nounits")
	}
	return detectFrom(cfg, apps, gpus), nil
}

// process is one row of --query-compute-apps, with what /proc says of it.
type process struct {
	pid     int
	uuid    string
	name    string // process_name: the executable, for Python the interpreter
	memMiB  int    // used_memory in MiB; -1 when nvidia-smi reports [N/A]
	cmdline string // /proc/<pid>/cmdline with NULs as spaces; "" when not visible
	hint    string // the first hint the command line mentions, or ""
}

// detectFrom is Detect after the compute-apps query: apps is that query's
// output and gpus runs the index query, only when a candidate is found.
func detectFrom(cfg Config, apps string, gpus func() (string, error)) Selection {
	procs, skipped := parseApps(apps)
	remote := cfg.remote()
	var cands []process
	for _, p := range procs {
		if remote {
			// The PIDs are another machine's: /proc here would describe
			// unrelated processes, so only the name nvidia-smi gives counts.
			p.hint = matchHint(p.name, cfg.hints())
		} else {
			if !isPython(p.name) {
				continue
			}
			p.cmdline = readCmdline(cfg.procRoot(), p.pid)
			p.hint = matchHint(p.cmdline, cfg.hints())
		}
		cands = append(cands, p)
	}
	if len(cands) == 0 {
		return fallback(describeNone(procs, skipped))
	}
	slices.SortStableFunc(cands, func(a, b process) int {
		if (a.hint != "") != (b.hint != "") {
			if a.hint != "" {
				return -1
			}
			return 1
		}
		if pa, pb := isPython(a.name), isPython(b.name); pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.memMiB, a.memMiB); c != 0 {
			return c
		}
		return cmp.Compare(a.pid, b.pid)
	})
	best := cands[0]

	sel := Selection{ID: best.uuid, Index: -1, UUID: best.uuid, PID: best.pid}
	gpu := best.uuid
	out, err := gpus()
	if err == nil {
		if idx, ok := parseGPUs(out)[best.uuid]; ok {
			sel.Index, sel.ID = idx, strconv.Itoa(idx)
			gpu = fmt.Sprintf("%d (%s)", idx, best.uuid)
		}
	}

	var why string
	switch {
	case remote && best.hint != "":
		why = fmt.Sprintf("process %d on nvidia-smi's host is %s, which mentions %q, %s", best.pid, best.name, best.hint, mib(best.memMiB))
	case remote && isPython(best.name):
		why = fmt.Sprintf("Python process %d on nvidia-smi's host holds the most GPU memory (%s) of the Python processes; no process name mentions %s (command lines are out of reach through %s)",
			best.pid, mib(best.memMiB), strings.Join(cfg.hints(), ", "), filepath.Base(cfg.Path))
	case remote:
		why = fmt.Sprintf("process %d (%s) on nvidia-smi's host holds the most GPU memory (%s); none is Python and no process name mentions %s",
			best.pid, best.name, mib(best.memMiB), strings.Join(cfg.hints(), ", "))
	case best.hint != "":
		why = fmt.Sprintf("Python process %d mentions %q (%s), %s", best.pid, best.hint, abbrev.String(best.cmdline, 100), mib(best.memMiB))
	default:
		why = fmt.Sprintf("Python process %d holds the most GPU memory (%s), %s; no Python command line mentions %s",
			best.pid, mib(best.memMiB), describeCmdline(best), strings.Join(cfg.hints(), ", "))
	}
	sel.Reason = fmt.Sprintf("GPU %s: %s%s", gpu, why, describeOthers(cands, remote))
	switch {
	case err != nil:
		sel.Reason += fmt.Sprintf("; GPU index unknown (%v), monitoring by UUID", err)
	case sel.Index < 0:
		sel.Reason += "; GPU index unknown (UUID not in nvidia-smi's GPU list), monitoring by UUID"
	}
	return sel
}

// configured is the Selection for a GPU id given in the Config.
func configured(id string) Selection {
	sel := Selection{ID: id, Index: -1, Reason: fmt.Sprintf("GPU %s: configured (-gpu-id), detection skipped", id)}
	if n, err := strconv.Atoi(id); err == nil && n >= 0 {
		sel.Index = n
	}
	if strings.HasPrefix(strings.ToUpper(id), "GPU-") {
		sel.UUID = id
	}
	return sel
}

// fallback is the Selection when detection finds nothing: GPU 0, warned.
func fallback(why string) Selection {
	return Selection{
		ID:     "0",
		Index:  0,
		Reason: "GPU 0: default, detection found no Python process on a GPU",
		Warning: "could not tell which GPU runs the STT service: " + why +
			"; monitoring GPU 0. If the service runs on another GPU, set -gpu-id to its index or UUID (nvidia-smi -L lists them)",
	}
}

// describeNone says why no candidate was found among procs.
func describeNone(procs []process, skipped int) string {
	var why string
	if len(procs) == 0 {
		why = "nvidia-smi lists no compute processes (a process that has just started can take a few seconds to appear, and inside a container the list can be empty)"
	} else {
		names := make([]string, 0, len(procs))
		for _, p := range procs {
			if !slices.Contains(names, p.name) {
				names = append(names, p.name)
			}
		}
		why = fmt.Sprintf("nvidia-smi lists %s, none of them Python (%s)", plural(len(procs), "compute process", "compute processes"), strings.Join(names, ", "))
	}
	if skipped > 0 {
		why += fmt.Sprintf("; %s of its output not understood", plural(skipped, "line", "lines"))
	}
	return why
}

// describeOthers notes the candidates that were not chosen, if any.
func describeOthers(cands []process, remote bool) string {
	if len(cands) < 2 {
		return ""
	}
	gpus := map[string]bool{}
	for _, c := range cands {
		gpus[c.uuid] = true
	}
	one, many := "Python process", "Python processes"
	if remote {
		one, many = "compute process", "compute processes"
	}
	return fmt.Sprintf(" (of %s on %s)", plural(len(cands), one, many), plural(len(gpus), "GPU", "GPUs"))
}

func describeCmdline(p process) string {
	if p.cmdline == "" {
		return p.name + ", command line not visible in /proc"
	}
	return abbrev.String(p.cmdline, 100)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func mib(n int) string {
	if n < 0 {
		return "memory unknown"
	}
	return strconv.Itoa(n) + " MiB"
}

// parseApps parses --query-compute-apps=pid,gpu_uuid,process_name,used_memory
// in CSV without header. It tolerates a header row and " MiB" units, and
// counts the lines it cannot read instead of failing on them.
func parseApps(out string) (procs []process, skipped int) {
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 4 {
			skipped++
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		pid, err := strconv.Atoi(f[0])
		// A process_name with commas in it splits into more fields.
		name := strings.Join(f[2:len(f)-1], ",")
		mem, memOK := parseMiB(f[len(f)-1])
		if err != nil || pid <= 0 || f[1] == "" || name == "" || !memOK {
			skipped++
			continue
		}
		procs = append(procs, process{pid: pid, uuid: f[1], name: name, memMiB: mem})
	}
	return procs, skipped
}

// parseMiB reads used_memory: "2208", "2208 MiB", or "[N/A]" (-1).
func parseMiB(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "MiB"))
	if s == "[N/A]" || s == "N/A" {
		return -1, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// parseGPUs parses --query-gpu=index,gpu_uuid into UUID → index.
// Unreadable lines are ignored: a UUID missing from the map is reported by
// the caller.
func parseGPUs(out string) map[string]int {
	m := map[string]int{}
	for line := range strings.Lines(out) {
		f := strings.Split(line, ",")
		if len(f) != 2 {
			continue
		}
		idx, err := strconv.Atoi(strings.TrimSpace(f[0]))
		uuid := strings.TrimSpace(f[1])
		if err != nil || idx < 0 || uuid == "" {
			continue
		}
		m[uuid] = idx
	}
	return m
}

// isPython reports whether a process_name is a Python interpreter:
// "python3", "/opt/torch/.venv/bin/python3", "python3.12", "python.exe".
func isPython(name string) bool {
	base := strings.ToLower(name[strings.LastIndexAny(name, `/\`)+1:])
	base = strings.TrimSuffix(base, ".exe")
	rest, ok := strings.CutPrefix(base, "python")
	return ok && strings.Trim(rest, "0123456789.") == ""
}

// readCmdline returns /proc/<pid>/cmdline under root with its NUL
// separators as spaces, or "" when the PID is not visible there: inside a
// container nvidia-smi can list PIDs of another PID namespace.
func readCmdline(root string, pid int) string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// matchHint returns the first hint that cmdline mentions, ignoring case.
func matchHint(cmdline string, hints []string) string {
	lower := strings.ToLower(cmdline)
	for _, h := range hints {
		if h = strings.TrimSpace(h); h != "" && strings.Contains(lower, strings.ToLower(h)) {
			return h
		}
	}
	return ""
}

// query runs one nvidia-smi query and returns its standard output. On
// failure the error carries the first line nvidia-smi printed, such as
// `Field "x" is not a valid field to query.`. A query that has not answered
// within the query timeout is killed with its process group, and the error
// says so.
func query(ctx context.Context, cfg Config, path string, args ...string) (string, error) {
	limit := cfg.queryTime()
	qctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := cfg.command(qctx, path, args...)
	cmd.Cancel = func() error { return killGroup(cmd.Process) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		// Whatever a wrapper left behind in the group goes with it.
		killGroup(cmd.Process)
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(qctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("nvidia-smi %s gave no answer within %v (a wedged driver or an unreachable host can hang nvidia-smi)",
				args[0], limit)
		}
		msg := firstLine(stderr.String())
		if msg == "" {
			msg = firstLine(stdout.String())
		}
		if msg != "" {
			return "", fmt.Errorf("nvidia-smi %s: %w: %s", args[0], err, msg)
		}
		return "", fmt.Errorf("nvidia-smi %s: %w", args[0], err)
	}
	return stdout.String(), nil
}

// firstLine returns the first non-blank line of s, shortened.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			return abbrev.String(line, 100)
		}
	}
	return ""
}
