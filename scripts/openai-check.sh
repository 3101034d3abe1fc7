#!/usr/bin/env bash
# The official npm `openai` client (tools/openai-check, version pinned in package-lock.json)
# against `greason serve`: builds greason, writes a tiny random Qwen3 checkpoint in a temp dir,
# serves it on a free loopback port, runs tools/openai-check/check.test.mjs (node's test
# runner) and always stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
(cd tools/openai-check && npm ci --no-audit --no-fund --silent)
go build -tags noxla -o "$tmp/greason" ./cmd/greason
"$tmp/greason" model init --config tiny-qwen3 --out "$tmp/tiny" --seed 1 >/dev/null
"$tmp/greason" serve --model "$tmp/tiny" --name tiny --addr 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
url=""
for _ in $(seq 1 600); do
  url="$(sed -nE 's#.* on (http://127\.0\.0\.1:[0-9]+/v1)$#\1#p' "$tmp/serve.log")"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log"; echo "openai-check: greason serve exited"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$tmp/serve.log"; echo "openai-check: greason serve did not start listening within 60 s"; exit 1; }
echo "openai-check: greason serve at $url (openai $(node -p 'require("./tools/openai-check/node_modules/openai/package.json").version'))"
status=0
GREASON_BASE_URL="$url" GREASON_MODEL=tiny node --test --test-reporter=spec tools/openai-check/ || status=$?
if [ "$status" != 0 ]; then echo "--- greason serve log"; cat "$tmp/serve.log"; fi
exit "$status"
