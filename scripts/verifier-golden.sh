#!/usr/bin/env bash
# General-Verifier at its real shape against PyTorch (part of `just model-golden`): a
# random-weight checkpoint with TIGER-Lab/general-verifier's exact config (preset
# general-verifier-1.5b: Qwen2.5-Math-1.5B's, 1,543,714,304 parameters, float32: 6.2 GB) written by
# `greason model init`, then tools/torchgold/gold.py --verifier (float64 arithmetic; about 9 GB of
# memory) and our local judge's path on the same verification prompts (about 8 GB), one after the
# other: the last-position logits within 1e-4 relative and 16 greedy tokens equal.
#
#   bash scripts/verifier-golden.sh [DIR]     DIR keeps the checkpoint (default: a temporary folder)
#
# Run it alone on the machine (`just model-golden` takes /tmp/greason-heavy.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN="${GOTOOLCHAIN:-go1.27.3}" GOMLX_BACKEND="${GOMLX_BACKEND:-go:ops_sequential}" GOMLX_NO_AUTO_INSTALL=1
py="${TORCH_PYTHON:-/usr/bin/python3}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir="${1:-$tmp/general-verifier-1.5b}"
GOEXPERIMENT=simd go build -tags noxla -o "$tmp/greason" ./cmd/greason
if [ ! -f "$dir/model.safetensors" ]; then
  echo "== model init general-verifier-1.5b -> $dir"
  /usr/bin/time -f "model init: %e s, peak RSS %M kB" "$tmp/greason" model init --config general-verifier-1.5b --out "$dir" --seed 1 --tokenizer embedded
fi
echo "== PyTorch reference (float64)"
/usr/bin/time -f "gold.py --verifier: %e s, peak RSS %M kB" "$py" tools/torchgold/gold.py --verifier "$dir" "$tmp/torch_verifier.json"
echo "== greason against it"
GOEXPERIMENT=simd go test -c -tags noxla -o "$tmp/verifier.test" ./train/verifier/
(cd train/verifier && GREASON_VERIFIER_DIR="$dir" GREASON_VERIFIER_GOLDEN="$tmp/torch_verifier.json" \
  /usr/bin/time -f "greason (logits + greedy): %e s, peak RSS %M kB" "$tmp/verifier.test" -test.run 'TestGeneralVerifierTorchRealShape' -test.v -test.count=1 -test.timeout 30m)
