#!/usr/bin/env bash
# The end-to-end chain on this CPU (`just e2e`, docs/training.md "End to end"): the micro
# generator's questions as WebInstruct-schema files → greason data run → data export → a tiny
# Qwen3 (Qwen3 tokenizer, 151,936-token vocabulary) warm-started by train sft on the export →
# train grpo with the rules reward → each model served by greason serve and the held-out
# questions answered through its OpenAI-compatible API, judged by the oracle → train e2e report
# (results/e2e) → greason tables. Every stage's wall time goes to RUN/times.jsonl.
#
#   scripts/e2e.sh [--run DIR] [--sft CONFIG] [--grpo CONFIG] [--results DIR] [--no-tables]
#   scripts/e2e.sh --smoke     (part of `just test`: the same chain on 120 questions, 2 SFT and
#                               2 GRPO steps, 8 held-out questions, results in runs/e2e-smoke)
#
# The configs name their folders under runs/e2e: --run must be the folder they name.
set -euo pipefail
cd "$(dirname "$0")/.."
run=runs/e2e sft=configs/e2e-sft.json grpo_cfg=configs/e2e.json results=results/e2e tables=1
data_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run="$2"; shift 2 ;;
    --sft) sft="$2"; shift 2 ;;
    --grpo) grpo_cfg="$2"; shift 2 ;;
    --results) results="$2"; shift 2 ;;
    --no-tables) tables=0; shift ;;
    --data-arg) data_args+=("$2"); shift 2 ;;
    --smoke)
      run=runs/e2e-smoke sft=configs/e2e-smoke-sft.json grpo_cfg=configs/e2e-smoke.json results=runs/e2e-smoke/results tables=0
      data_args+=(--train 120 --held-out 8 --teacher 200)
      export E2E_SAMPLES="${E2E_SAMPLES:-1}" E2E_GOEXPERIMENT="${E2E_GOEXPERIMENT-}"
      shift ;;
    *) echo "e2e: unknown argument $1"; exit 2 ;;
  esac
done
export GOMLX_BACKEND="${GOMLX_BACKEND:-go:ops_sequential}" GOMLX_NO_AUTO_INSTALL=1
rm -rf "$run"
mkdir -p "$run/bin"
echo "e2e: start, load:$(uptime | sed 's/.*load average//')"
g="$run/bin/greason"
pid=""
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; }
trap cleanup EXIT
# stage NAME CMD...: run CMD, append its wall time to times.jsonl
stage() {
  local name="$1"; shift
  local t0; t0=$(date +%s%N)
  echo "== e2e: $name"
  "$@"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  printf '{"stage":"%s","seconds":%d.%03d}\n' "$name" $((ms / 1000)) $((ms % 1000)) >>"$run/times.jsonl"
}
stage build env GOEXPERIMENT="${E2E_GOEXPERIMENT-simd}" go build -tags noxla -o "$g" ./cmd/greason
stage data "$g" train e2e data --out "$run/data" ${data_args[@]+"${data_args[@]}"}
stage pipeline "$g" data run --input "$run/data/train.jsonl" --db "$run/e2e.duckdb" --quiet
stage export "$g" data export --db "$run/e2e.duckdb" --out "$run/export" --quiet
stage sft "$g" train sft --config "$sft"
stage grpo "$g" train grpo --config "$grpo_cfg"
last="$(cat "$run/grpo/checkpoints/latest_checkpointed_iteration.txt")"
# serve MODEL_DIR NAME OUT: serve the checkpoint, answer the held-out questions through it, stop it
serve_eval() {
  local dir="$1" name="$2" out="$3" url=""
  "$g" serve --model "$dir" --name "$name" --addr 127.0.0.1:0 2>"$run/serve-$name.log" &
  pid=$!
  for _ in $(seq 1 600); do
    url="$(sed -nE 's#.* on (http://127\.0\.0\.1:[0-9]+/v1)$#\1#p' "$run/serve-$name.log")"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$run/serve-$name.log"; echo "e2e: greason serve exited"; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$run/serve-$name.log"; echo "e2e: greason serve did not listen within 60 s"; exit 1; }
  "$g" train e2e eval --url "$url" --model "$name" --data "$run/data" --model-dir "$dir" --out "$out" \
    --samples "${E2E_SAMPLES:-4}" --job "$grpo_cfg"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
stage eval-warm serve_eval "$run/sft/model" e2e-warm "$run/eval_warm.json"
stage eval-grpo serve_eval "$run/grpo/checkpoints/global_step_$last/model" e2e-grpo "$run/eval_grpo.json"
stage report "$g" train e2e report --run "$run" --out "$results" --configs "$sft,$grpo_cfg,configs/models/e2e-policy.json"
if [ "$tables" = 1 ]; then stage tables "$g" tables; fi
echo "e2e: done, load:$(uptime | sed 's/.*load average//')"
