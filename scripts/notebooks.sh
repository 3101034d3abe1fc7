#!/usr/bin/env bash
# Executes every notebook under notebooks/ headless with the GoNB kernel into $NB_OUT (default
# a temp dir) and fails if nbconvert fails or any cell has an error output (nbconvert exits 0
# on Go panics, os.Exit and failing shell lines, so the executed notebooks are checked too).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYDEVD_DISABLE_FILE_VALIDATION=1
out="${NB_OUT:-$(mktemp -d)}"
mkdir -p "$out"
# Warm the build cache the kernel shares with go build.
go build -tags noxla ./... >/dev/null
status=0
shopt -s nullglob
nbs=(notebooks/*.ipynb)
if [ ${#nbs[@]} -eq 0 ]; then echo "notebooks: none found" >&2; exit 1; fi
for nb in "${nbs[@]}"; do
  name=$(basename "$nb")
  start=$(date +%s)
  if ! /usr/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=gonb \
      --ExecutePreprocessor.timeout=900 --output-dir "$out" "$nb" >"$out/$name.log" 2>&1; then
    echo "notebooks: $nb: nbconvert failed" >&2; tail -40 "$out/$name.log" >&2; status=1; continue
  fi
  if ! /usr/bin/python3 scripts/nbcheck.py "$out/$name"; then status=1; continue; fi
  echo "notebooks: $nb ok ($(( $(date +%s) - start ))s)"
done
exit $status
