#!/usr/bin/env bash
# Runs Go fuzz targets for a chosen time each (default 10m) with one worker (-parallel 1: the
# machine may be shared), keeping each target's corpus under its package's testdata/fuzz/<Target>/
# (Go's seed-corpus folder: every `go test` replays what is there, and a crasher is written there
# too). Prints per target the executions, the new interesting inputs and the corpus size, and
# fails if any target crashed (the failing input is in testdata/fuzz/<Target>/).
# Usage: scripts/fuzz.sh [DURATION] [TARGET_REGEX]   (FUZZ_PARALLEL=n for more workers;
# FUZZ_MINIMIZE=t, default 5s: how long each new input is minimized, Go's 60s default stalls a
# single worker on a loaded machine)
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-10m}"
filter="${2:-.}"
parallel="${FUZZ_PARALLEL:-1}"
minimize="${FUZZ_MINIMIZE:-5s}"
logs="${FUZZ_LOGS:-$(mktemp -d)}"
mkdir -p "$logs"
summary=()
status=0
while IFS= read -r line; do
  file=${line%%:*}; fn=$(sed -E 's/^.*func (Fuzz[A-Za-z0-9_]*).*/\1/' <<<"$line")
  grep -Eq "$filter" <<<"$fn" || continue
  pkg="./$(dirname "${file#./}")"
  corpus="$PWD/${pkg#./}/testdata/fuzz"
  before=$( (find "$corpus/$fn" -type f 2>/dev/null || true) | wc -l)
  log="$logs/$fn.log"
  echo "fuzz: $pkg $fn for $t, $parallel worker(s), corpus $corpus/$fn ($before inputs); log $log"
  result=ok
  if ! go test -tags noxla -run '^$' -fuzz "^${fn}\$" -fuzztime "$t" -fuzzminimizetime "$minimize" -parallel "$parallel" "$pkg" \
      -args -test.fuzzcachedir="$corpus" >"$log" 2>&1; then
    result=CRASH; status=1
    grep -E 'Failing input written to|--- FAIL|panic:|Error' "$log" | head -5 || true
  fi
  after=$( (find "$corpus/$fn" -type f 2>/dev/null || true) | wc -l)
  last=$(grep -E '^fuzz: elapsed' "$log" | tail -1 || true)
  execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
  newi=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
  summary+=("$(printf '%-10s %-22s %8s %12s %8s %12s  %s' "$pkg" "$fn" "$t" "${execs:-?}" "${newi:-?}" "$before->$after" "$result")")
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . | grep -v '/vendor/' | sort)
printf '%-10s %-22s %8s %12s %8s %12s  %s\n' package target time execs new corpus result
printf '%s\n' "${summary[@]}"
exit "$status"
