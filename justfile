# greason task runner. `just --list` shows the recipes.
set shell := ["bash", "-euo", "pipefail", "-c"]

export GOTOOLCHAIN := "go1.27.3"
export GOMLX_BACKEND := env_var_or_default("GOMLX_BACKEND", "go:ops_sequential")
export GOMLX_NO_AUTO_INSTALL := "1"
export PYDEVD_DISABLE_FILE_VALIDATION := "1"
micro_goexperiment := env_var_or_default("MICRO_GOEXPERIMENT", "simd")
torch_python := env_var_or_default("TORCH_PYTHON", "/usr/bin/python3")
export PATH := `go env GOPATH` + "/bin:" + env_var("PATH")

# Install what is missing: Debian Jupyter, just, GoNB + goimports, Go modules.
setup:
    bash scripts/setup.sh

# The whole test suite: vet, unit and integration tests, short fuzz runs, notebooks.
test:
    bash scripts/check-repo.sh
    @test -z "$(gofmt -l $(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $(git ls-files '*.go'); exit 1; }
    go vet -tags noxla ./...
    go test -tags noxla -count=1 ./...
    just openai-check
    bash scripts/e2e.sh --smoke
    bash scripts/gpu-check.sh --dry-run
    just fuzz-smoke
    just notebooks

# The official npm openai client against `greason serve` on a tiny random checkpoint (models,
# completions, chat, streaming, n/seed, stop, logprobs, 4xx errors); see tools/openai-check.
openai-check:
    bash scripts/openai-check.sh

# The end-to-end chain on this CPU (scripts/e2e.sh, docs/training.md "End to end"): micro questions as
# WebInstruct files → data run → data export → a tiny Qwen3 (real Qwen3 tokenizer) warm-started by
# train sft → train grpo (rules reward) → greason serve → held-out accuracy by the oracle →
# results/e2e → greason tables. Heavy and timed: run alone (under /tmp/greason-heavy.lock).
e2e *args:
    flock /tmp/greason-heavy.lock bash scripts/e2e.sh {{args}}

# Run every fuzz target briefly (no panic, no hang).
fuzz-smoke:
    bash scripts/fuzz-smoke.sh 5s

# Fuzz each target (or those matching TARGET, a regex) for DURATION, one worker each, the corpus
# kept under each package's testdata/fuzz/ (figures in docs/verifier.md). E.g. `just fuzz 10m Fuzz(ParseExpr|RuleCheck)`.
fuzz duration="10m" target=".":
    bash scripts/fuzz.sh {{duration}} '{{target}}'

# Regenerate result tables (Markdown, CSV, LaTeX) and figures under tables/.
tables:
    go run -tags noxla ./cmd/greason tables

# Execute every notebook headless and fail on any cell error (panics included).
notebooks:
    bash scripts/notebooks.sh

# Go benchmarks (speed targets; figures in the README).
bench:
    go test -tags noxla -run '^$' -bench . -benchtime 2s ./...

# Rewards/s of `greason reward serve` (rules judge) through the verl module's batched and single calls
# on real responses shipped in the repository (tools/verl/bench_greason_reward.py; pass its flags).
bench-reward *args:
    bash scripts/bench-reward.sh {{args}}

# Build the CLI into ./bin/greason.
build:
    go build -tags noxla -o bin/greason ./cmd/greason

# Regenerate the tokenizer's golden ids (model/tokenizer/testdata) with the JS reference tokenizer.
tokenizer-golden:
    cd tools/tokgold && npm ci --no-audit --no-fund
    node tools/tokgold/gold.mjs
# Regenerate the chat-template goldens (model/chat/testdata): @huggingface/jinja renderings of the checkpoints' own templates, checked against Python's Jinja2 set up as transformers does; then test model/chat against them.
chat-golden:
    cd tools/chatgold && npm ci --no-audit --no-fund
    node tools/chatgold/gold.mjs
    python3 tools/chatgold/jinja2_gold.py
    python3 tools/chatgold/strftime_gold.py
    go test -tags noxla -count=1 ./model/chat/
# Regenerate the Qwen model goldens (model/qwen/testdata/golden) with Debian's python3-torch (float64 reference written from the HF architecture), then test ours against them, and a checkpoint written by `greason train grpo` against PyTorch; then General-Verifier at its real shape (1.5 B, random weights; about 15 min and 9 GB, under /tmp/greason-heavy.lock).
model-golden:
    @{{torch_python}} -c "import torch" 2>/dev/null || { echo "model-golden needs Debian's python3-torch: apt-get install -y python3-torch (or set TORCH_PYTHON)"; exit 1; }
    GREASON_UPDATE_VERIFIER_PROMPTS=1 go test -tags noxla -count=1 -run TestVerifierPromptIDs ./train/verifier/
    {{torch_python}} tools/torchgold/gold.py
    TORCH_PYTHON={{torch_python}} go test -tags noxla -count=1 -run 'TestTorchGolden|TestModelLogitsMatchesTorchGolden|TestTrainGRPOJobCheckpointMatchesTorch|TestGeneralVerifierTorch' ./model/qwen/ ./cmd/greason/ ./train/verifier/
    TORCH_PYTHON={{torch_python}} flock /tmp/greason-heavy.lock bash scripts/verifier-golden.sh

# Random weights, 2 prompts x 2 rollouts, 32 prompt + 64 new tokens, AdamW, reference model: greason
# (bfloat16 rollouts) and the eager PyTorch reference written from the HF architecture (tools/torchstep),
# one after the other under flock /tmp/greason-heavy.lock (each needs ~16 GiB); per phase both times and
# the ratio, peak RSS, the memory-bandwidth bound. Not part of `just test`. Needs Debian's python3-torch
# and libopenblas0-pthread. Extra flags go to tools/torchstep/bench.py (--preset micro-qwen3: a quick check).
# The Qwen3-0.6B-shaped GRPO step side by side: greason vs eager PyTorch (`just bench-step`).
bench-step *args:
    @{{torch_python}} -c "import torch" 2>/dev/null || { echo "bench-step needs Debian's python3-torch: apt-get install -y python3-torch libopenblas0-pthread (or set TORCH_PYTHON)"; exit 1; }
    GOEXPERIMENT=simd go build -tags noxla -o bin/greason-bench ./cmd/greason
    flock /tmp/greason-heavy.lock {{torch_python}} tools/torchstep/bench.py --greason bin/greason-bench --torch-python {{torch_python}} {{args}}

# Data pipeline on the vendored benchmark corpus: data/greason.duckdb, exports, stats and plots.
data:
    go run -tags noxla ./cmd/greason data run --input corpus --export data/export
    go run -tags noxla ./cmd/greason data stats --plots data/plots

# Scale benchmark of the data pipeline: synthetic rows through stages 1-9 (time, peak memory).
data-bench rows="1000000":
    go run -tags noxla ./cmd/greason data bench --rows {{rows}}

# The micro reproduction (the project's end-to-end main job, <= 20 min on 2 CPU cores): warm-start SFT
# of a micro Qwen3 policy, the micro model verifier (SFT on oracle-labelled pairs, mining rounds), then
# GRPO with four rewards (string, math-rules, rules, model: paper Table 5) and one on math-only data
# (Table 4), 3 seeds each, every accuracy judged by the oracle; results under results/micro/, then the
# tables. GOEXPERIMENT=simd builds the Go backend's AVX2/AVX-512 kernels (4-6x faster here, same
# numbers); MICRO_GOEXPERIMENT= (empty) builds without them.
micro:
    GOEXPERIMENT={{micro_goexperiment}} go run -tags noxla ./cmd/greason train micro --out results/micro
    just tables

# After just micro: does the run reproduce the committed results/micro and tables/ to the last digit (wall-clock fields ignored)?
micro-check:
    python3 scripts/micro-check.py
