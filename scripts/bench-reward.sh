#!/usr/bin/env bash
# Rewards/s of `greason reward serve` through tools/verl/greason_reward.py (Debian python3):
# builds greason, serves the reward on a free loopback port (the flags in GREASON_REWARD_FLAGS,
# default: the rules judge and the Qwen tokenizer), runs tools/verl/bench_greason_reward.py with
# this script's arguments, and always stops the server. Run it alone on the machine
# (flock /tmp/greason-heavy.lock just bench-reward) and note the load average it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${GREASON_PYTHON:-/usr/bin/python3}"
[ -x "$py" ] || py="$(command -v python3 || true)"
[ -n "$py" ] || { echo "bench-reward: needs python3 (apt-get install python3)"; exit 1; }
tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -tags noxla -o "$tmp/greason" ./cmd/greason
# shellcheck disable=SC2086
"$tmp/greason" reward serve --addr 127.0.0.1:0 ${GREASON_REWARD_FLAGS:-} 2>"$tmp/serve.log" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url="$(sed -nE 's#.*listening on (http://127\.0\.0\.1:[0-9]+)/v1/reward$#\1#p' "$tmp/serve.log")"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log"; echo "bench-reward: greason reward serve exited"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.log"; echo "bench-reward: no address within 30 s"; exit 1; }
echo "bench-reward: $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $("$py" --version)"
GREASON_REWARD_URL="$url" GREASON_BENCH_SERVER_PID="$pid" "$py" tools/verl/bench_greason_reward.py "$@"
echo "bench-reward: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
