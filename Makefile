# sttbench: realtime streaming STT benchmark.
#   make demo                              the default ramp against the built-in reference services
#                                          (the table, benchmark_results.csv and the pictures in benchmark_plots/)
#   make demo FAKE_GPU=1                   the same, with a stand-in nvidia-smi replaying a captured H200 run
#   make bench STT_URL=ws://host:8000/ws TTS_URL=http://host:8004/tts
#   STT_API_KEY=... make bench ...        the key goes in the environment (or API_KEY=...), never in ARGS:
#                                          make prints each command it runs, ARGS included
#   make gate  STT_URL=... TTS_URL=...     fail when a level breaks the WER / leak / failure bounds
#   make test                              vet, race-enabled tests and a short benchmark smoke run

GO        ?= go
STT_URL   ?= ws://localhost:8000/ws
TTS_URL   ?= http://localhost:8004/tts
LEVELS    ?= 1,5,10,20,30,40
BENCHTIME ?= 1x
COUNT     ?= 1
ARGS      ?=
FAKE_GPU  ?=
FAKE_SMI_DIR := $(CURDIR)/.sttbench-cache/bin
# FAKE_GPU=1 puts a stand-in nvidia-smi first in PATH: it replays a captured
# H200 run, so the GPU columns fill on a machine without an NVIDIA GPU.
DEMO_PATH := $(if $(FAKE_GPU),$(FAKE_SMI_DIR):)$(PATH)

# The STT API key reaches the benchmark through the environment only, never
# through a command line make would print: STT_API_KEY from the environment
# or make's command line is passed on as it is, and API_KEY=... becomes it.
ifdef API_KEY
export STT_API_KEY = $(API_KEY)
endif

.PHONY: demo bench gate test vet race smoke ref fake-nvidia-smi clean

demo: $(if $(FAKE_GPU),fake-nvidia-smi)
	PATH="$(DEMO_PATH)" $(GO) test . -run '^$$' -bench 'BenchmarkStreaming' -benchtime 1x -timeout 0 \
		-stt-url embedded -tts-url embedded -concurrency $(LEVELS) -plots benchmark_plots $(ARGS)

bench:
	$(GO) test . -run '^$$' -bench 'BenchmarkStreaming' -benchtime $(BENCHTIME) -count $(COUNT) -timeout 0 \
		-stt-url '$(STT_URL)' -tts-url '$(TTS_URL)' -concurrency $(LEVELS) $(ARGS)

gate:
	$(GO) test . -run '^TestGate$$' -count 1 -timeout 0 -v \
		-stt-url '$(STT_URL)' -tts-url '$(TTS_URL)' -concurrency $(LEVELS) $(ARGS)

test: vet race smoke

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# TestGate runs here against the embedded reference services. Its CSV and
# clip cache go to a temporary directory removed afterwards, so a test run
# never touches ./benchmark_results.csv or .sttbench-cache.
race:
	d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	STT_URL=embedded TTS_URL=embedded STTBENCH_CONCURRENCY=1,4 STTBENCH_LEVEL_PAUSE=500ms \
	STTBENCH_OUTPUT="$$d/gate.csv" STTBENCH_RECORD= STTBENCH_SESSIONS_OUT= STTBENCH_CACHE_DIR="$$d/cache" \
		$(GO) test -race -count 1 -timeout 15m ./...

# A short ramp through the real benchmark path, against the embedded services.
smoke:
	d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	$(GO) test . -run '^$$' -bench 'BenchmarkStreaming' -benchtime 1x -timeout 10m \
		-stt-url embedded -tts-url embedded -concurrency 1,4 -level-pause 500ms \
		-output "$$d/smoke.csv" -record "$$d/smoke.jsonl" -cache-dir "$$d/cache"

# The reference services as a standalone program (127.0.0.1:8000 and :8004).
ref:
	$(GO) run ./cmd/sttbench-ref $(ARGS)

# A stand-in nvidia-smi replaying a captured H200 run, so the demo shows GPU columns.
fake-nvidia-smi:
	@mkdir -p $(FAKE_SMI_DIR)
	$(GO) build -o $(FAKE_SMI_DIR)/nvidia-smi ./gpumon/internal/fakesmi/nvidia-smi

clean:
	rm -rf .sttbench-cache benchmark_results.csv benchmark_results.jsonl benchmark_plots
