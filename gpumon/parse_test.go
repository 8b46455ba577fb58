package gpumon

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseAll feeds text to p line by line and returns the samples, each as
// "gpu=G sm=S fb=F" (NaN for "-"), and how many lines of each kind it saw.
func parseAll(p *parser, text string) ([]string, map[lineKind]int) {
	var got []string
	kinds := map[lineKind]int{}
	at := time.Unix(0, 0)
	for line := range strings.Lines(text) {
		at = at.Add(time.Second)
		s, k := p.parse(line, at)
		kinds[k]++
		if k == lineSample {
			got = append(got, fmt.Sprintf("gpu=%d sm=%v fb=%v", s.GPU, s.SM, s.FBMiB))
		}
	}
	return got, kinds
}

// want builds the expected samples of GPU 0 from SM and fb columns.
func want(sm, fb []float64) []string {
	if len(sm) != len(fb) {
		panic("want: sm and fb differ in length")
	}
	var out []string
	for i := range sm {
		out = append(out, fmt.Sprintf("gpu=0 sm=%v fb=%v", sm[i], fb[i]))
	}
	return out
}

// rep returns v repeated n times.
func rep(v float64, n int) []float64 { return slices.Repeat([]float64{v}, n) }

func cat(parts ...[]float64) []float64 { return slices.Concat(parts...) }

// The phases of the captured load (testdata/README.md): SM, then fb whose
// fifth sample differs between captures (memory was being allocated).
func capturedSM(light, heavy []float64) []float64 {
	return cat(rep(0, 10), light, heavy, []float64{80, 88, 87, 89, 97}, rep(0, 5))
}

func capturedFB(fifth float64) []float64 {
	return cat(rep(0, 4), []float64{fifth}, rep(3029, 5), rep(3255, 9), rep(9449, 5), rep(3217, 6))
}

func TestParseDmon(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name  string
		input string // text, or "file:NAME" in testdata
		gpu   string
		want  []string
		kinds map[lineKind]int
	}{
		{
			name:  "driver 580, -s um -i 0 (real capture)",
			input: "file:dmon-um-i0.txt",
			want:  want(capturedSM([]float64{51, 49, 47, 49, 51}, []float64{99, 99, 100, 100, 100}), capturedFB(43)),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 30},
		},
		{
			name:  "-o DT: Date and Time first (real capture)",
			input: "file:dmon-um-DT.txt",
			want:  want(capturedSM([]float64{51, 49, 47, 49, 51}, []float64{100, 99, 100, 100, 100}), capturedFB(51)),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 30},
		},
		{
			name:  "--format csv (real capture)",
			input: "file:dmon-um-csv.txt",
			want:  want(capturedSM([]float64{49, 49, 42, 46, 49}, []float64{100, 99, 100, 100, 100}), capturedFB(565)),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 30},
		},
		{
			name:  "monitored by UUID, count 2 (real capture)",
			input: "    0      0      0      0      0      0      0   3029   3030      0 \n" + transcriptPart(t),
			want:  want([]float64{0, 0}, []float64{3029, 3029}),
			// The data line before any header is skipped.
			kinds: map[lineKind]int{lineSkipped: 1, lineHeader: 1, lineUnits: 1, lineSample: 2},
		},
		{
			name: "older driver: fewer columns",
			input: "# gpu    sm   mem   enc   dec    fb  bar1\n" +
				"# Idx     %     %     %     %    MB    MB\n" +
				"    0    37    12     0     0  1520     5\n" +
				"    0    42    14     0     0  1522     5\n",
			want:  want([]float64{37, 42}, []float64{1520, 1522}),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 2},
		},
		{
			name: "board without some metrics prints -",
			input: "# gpu     sm    mem    enc    dec    jpg    ofa     fb   bar1   ccpm\n" +
				"# Idx      %      %      %      %      %      %     MB     MB     MB\n" +
				"    0      -      -      -      -      -      -   4096      4      -\n" +
				"    0     12      -      -      -      -      -      -      4      -\n",
			want:  want([]float64{nan, 12}, []float64{4096, nan}),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 2},
		},
		{
			name: "CSV with Date and Time",
			input: "#Date, Time, gpu, sm, mem, enc, dec, jpg, ofa, fb, bar1, ccpm\n" +
				"#YYYYMMDD, HH:MM:SS, Idx, %, %, %, %, %, %, MB, MB, MB\n" +
				" 20261126, 21:02:12, 0, 100, 24, 0, 0, 0, 0, 3255, 3256, 0\n" +
				" 20261126, 21:02:16, 0, 100, 24, 0, 0, 0, 0, 9449, 9450, 0\n",
			want:  want([]float64{100, 100}, []float64{3255, 9449}),
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 2},
		},
		{
			name:  "several GPUs, keep GPU 1",
			input: multiGPU,
			gpu:   "1",
			want:  []string{"gpu=1 sm=90 fb=70000", "gpu=1 sm=91 fb=70001"},
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 2, lineOtherGPU: 2},
		},
		{
			name:  "several GPUs, keep all",
			input: multiGPU,
			want:  []string{"gpu=0 sm=10 fb=100", "gpu=1 sm=90 fb=70000", "gpu=0 sm=11 fb=101", "gpu=1 sm=91 fb=70001"},
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSample: 4},
		},
		{
			name: "no units line (--format nounit), CRLF endings",
			input: "# gpu     sm    mem     fb\r\n" +
				"    0      5      1    700\r\n",
			want:  want([]float64{5}, []float64{700}),
			kinds: map[lineKind]int{lineHeader: 1, lineSample: 1},
		},
		{
			name: "a new header changes the columns",
			input: "# gpu sm fb\n" +
				"    0  5 700\n" +
				"# fb gpu mem sm\n" +
				"   800 0  3  6\n",
			want:  want([]float64{5, 6}, []float64{700, 800}),
			kinds: map[lineKind]int{lineHeader: 2, lineSample: 2},
		},
		{
			name: "a header without sm or fb (-s p)",
			input: "# gpu   pwr gtemp mtemp\n" +
				"# Idx     W     C     C\n" +
				"    0   129    43    38\n",
			kinds: map[lineKind]int{lineHeader: 1, lineUnits: 1, lineSkipped: 1},
		},
		{
			name: "garbage is skipped and counted",
			input: "No devices were found\n" +
				"\n" +
				"# gpu     sm    mem     fb\n" +
				"# Idx      %      %     MB\n" +
				"#   a comment of another width\n" +
				"    0     10      1    100\n" +
				"    0     11      1\n" + // too few fields
				"    0     12      1    100   7\n" + // too many fields
				"    0    abc      1    100\n" + // sm not a number
				"    0    101      1    100\n" + // sm over 100 %
				"    0     13      1   -100\n" + // negative memory
				"    0    NaN      1    100\n" +
				"    0     14      1    Inf\n" +
				"    x     15      1    100\n" + // gpu not an index
				"   -1     16      1    100\n" +
				"Failed to process command line\n" +
				"    0     17      1    170\n",
			want:  want([]float64{10, 17}, []float64{100, 170}),
			kinds: map[lineKind]int{lineBlank: 1, lineHeader: 1, lineUnits: 1, lineSample: 2, lineSkipped: 12},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := tt.input
			if name, ok := strings.CutPrefix(input, "file:"); ok {
				input = testdata(t, name)
			}
			p := parser{gpu: tt.gpu}
			got, kinds := parseAll(&p, input)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.kinds, kinds)
		})
	}
}

const multiGPU = "# gpu     sm    mem     fb\n" +
	"# Idx      %      %     MB\n" +
	"    0     10      1    100\n" +
	"    1     90     30  70000\n" +
	"    0     11      1    101\n" +
	"    1     91     30  70001\n"

// transcriptPart is dmon's output when monitoring by UUID, in dmon-edge.txt.
func transcriptPart(t *testing.T) string {
	return transcript(t, "dmon-edge.txt", "nvidia-smi dmon -s um -d 1 -i <uuid> -c 2", 0)
}

// The arrival capture stamps each line; the sample times the parser is
// given are the ones it returns.
func TestParseStampsArrival(t *testing.T) {
	var p parser
	at := time.Date(2026, 11, 26, 21, 1, 57, 85458681, time.UTC)
	_, k := p.parse("# gpu sm fb", at)
	require.Equal(t, lineHeader, k)
	s, k := p.parse("0 51 3255", at)
	require.Equal(t, lineSample, k)
	assert.Equal(t, at, s.Time)
}

func FuzzParseDmon(f *testing.F) {
	for _, name := range []string{"dmon-um-i0.txt", "dmon-um-DT.txt", "dmon-um-csv.txt", "dmon-edge.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(string(b), "")
	}
	f.Add(multiGPU, "1")
	f.Add("# gpu sm fb\n0 - -\n0 1e2 0x10\n", "0")
	f.Add("#sm,sm,fb\n1,2,3\n", "")
	f.Fuzz(func(t *testing.T, text, gpu string) {
		p := parser{gpu: gpu}
		at := time.Unix(1, 0)
		lines := 0
		for line := range strings.Lines(text) {
			lines++
			s, k := p.parse(line, at)
			if k != lineSample {
				continue
			}
			if !math.IsNaN(s.SM) && (s.SM < 0 || s.SM > 100) {
				t.Fatalf("sm %v out of range in %q", s.SM, line)
			}
			if !math.IsNaN(s.FBMiB) && (s.FBMiB < 0 || math.IsInf(s.FBMiB, 0)) {
				t.Fatalf("fb %v out of range in %q", s.FBMiB, line)
			}
			if s.GPU < -1 || !s.Time.Equal(at) {
				t.Fatalf("bad sample %+v from %q", s, line)
			}
		}
		// Splitting the stream into arbitrary chunks must not change what
		// the Monitor reads from it.
		whole, chunked := newMonitor(Config{}, "0"), newMonitor(Config{}, "0")
		whole.p.gpu, chunked.p.gpu = gpu, gpu
		whole.write([]byte(text))
		for i := 0; i < len(text); i += 7 {
			chunked.write([]byte(text[i:min(i+7, len(text))]))
		}
		if len(whole.samples) != len(chunked.samples) || whole.skipped != chunked.skipped {
			t.Fatalf("chunked read differs: %d/%d samples, %d/%d skipped",
				len(whole.samples), len(chunked.samples), whole.skipped, chunked.skipped)
		}
	})
}
